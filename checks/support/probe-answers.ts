import type { BookflowConfig } from "../../src/config/bookflow-config.js";
import { pass, warn, type MessageData, type Verdict } from "../../src/engine/check.js";
import type { ProbeResult, TlsInfo } from "../../src/providers/http-probe.js";

/**
 * How the endpoints and security checks read an HTTP probe's answer (the
 * `endpointProbes` and `securityProbes` facts): pure helpers for their
 * decisions. Not a check: checks/support/ holds no checks.
 */

/** "401", or "no answer (ECONNREFUSED …)". */
export function describeAnswer(r: ProbeResult): string {
  return r.status === null ? `no answer (${r.error ?? "unknown error"})` : String(r.status);
}

/** What a probe result looks like in a report's `actual`: status and a short body, or the error. */
export function answerSummary(r: ProbeResult): Record<string, unknown> {
  if (r.status === null) return { method: r.method, error: r.error };
  const body = r.bodyText.length > 300 ? `${r.bodyText.slice(0, 300)}…` : r.bodyText;
  return { method: r.method, status: r.status, body };
}

/** An answer with a status (a type guard, so `r.status` is a number after it). */
export type Answered = ProbeResult & { status: number };

export function is2xx(r: ProbeResult): r is Answered {
  return r.status !== null && r.status >= 200 && r.status < 300;
}

export function is4xx(r: ProbeResult): r is Answered {
  return r.status !== null && r.status >= 400 && r.status < 500;
}

/** thresholds.httpLatencyMs: whether an answer came slower than it (no answer is never "slow": it is a failure of its own). */
export function isSlow(r: ProbeResult, config: Pick<BookflowConfig, "thresholds">): boolean {
  return r.status !== null && r.latencyMs > config.thresholds.httpLatencyMs;
}

/**
 * The verdict of a check whose probe answered as it should: `pass(ids.pass)`,
 * or `warn(ids.slow)` when the answer took longer than thresholds.httpLatencyMs.
 * Both messages get `data` plus `latencyMs` (rounded); the slow one also
 * `limitMs`, e.g. "{{url}} answered {{status}} in {{latencyMs}} ms, longer
 * than thresholds.httpLatencyMs ({{limitMs}} ms)".
 */
export function passUnlessSlow<P extends string, S extends string>(r: ProbeResult, config: Pick<BookflowConfig, "thresholds">, ids: { pass: P; slow: S }, data: MessageData): Verdict<P | S> {
  const latencyMs = Math.round(r.latencyMs);
  if (!isSlow(r, config)) return pass(ids.pass, { ...data, latencyMs });
  const limitMs = config.thresholds.httpLatencyMs;
  return warn(ids.slow, { ...data, latencyMs, limitMs }, { expected: `an answer within ${limitMs} ms`, actual: { latencyMs } });
}

const DAY_MS = 86_400_000;

/**
 * thresholds.certificateExpiryDays: how long a valid certificate has left, and
 * whether that is within the threshold. Undefined when the expiry is unknown.
 */
export function certificateExpiry(tls: TlsInfo | undefined, config: Pick<BookflowConfig, "thresholds">, now = Date.now()): { validTo: string; daysLeft: number; soon: boolean } | undefined {
  if (!tls?.valid || !tls.validTo) return undefined;
  const expires = Date.parse(tls.validTo);
  if (!Number.isFinite(expires)) return undefined;
  const daysLeft = Math.floor((expires - now) / DAY_MS);
  return { validTo: tls.validTo, daysLeft, soon: expires - now < config.thresholds.certificateExpiryDays * DAY_MS };
}
