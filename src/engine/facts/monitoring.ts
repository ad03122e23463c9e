import { randomUUID } from "node:crypto";
import { defineFact } from "./define.js";
import type { FactContext } from "./types.js";

/**
 * Monitoring facts: a Sentry test event (a probe: sent only with
 * --send-test-events) and the Datadog API key's validity. Network failures
 * are findings (values), so the warn-level checks report them as warnings.
 */

export interface SentryDsn {
  /** `https:` (or `http:` for 127.0.0.1 only, as in tests). */
  protocol: "https:" | "http:";
  publicKey: string;
  /** Host with its port, when given. */
  host: string;
  /** Path before the project id ("" normally; self-hosted Sentry may sit under a prefix). */
  pathPrefix: string;
  projectId: string;
  /** `<protocol>//<host><prefix>/api/<project id>/envelope/` */
  envelopeUrl: string;
}

export type SentryDsnParse = { ok: true; dsn: SentryDsn } | { ok: false; problem: string };

/** Parses a Sentry DSN, `https://<public key>@<host>/<project id>`; the problem says what is wrong, never the value. */
export function parseSentryDsn(value: string): SentryDsnParse {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return { ok: false, problem: "is not a URL (expected https://<public key>@<host>/<project id>)" };
  }
  const loopback = url.hostname === "127.0.0.1";
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) return { ok: false, problem: `must use https, not ${url.protocol.replace(/:$/, "")}` };
  if (!url.username) return { ok: false, problem: "has no public key (the part before @)" };
  if (!/^[A-Za-z0-9]+$/.test(url.username)) return { ok: false, problem: "has a public key with characters other than letters and digits" };
  if (!url.hostname) return { ok: false, problem: "has no host" };
  const segments = url.pathname.split("/").filter((s) => s !== "");
  const projectId = segments.pop();
  if (!projectId) return { ok: false, problem: "has no project id (…/<project id> at the end of the path)" };
  if (!/^\d+$/.test(projectId)) return { ok: false, problem: "ends in a project id that is not a number" };
  if (url.search || url.hash) return { ok: false, problem: "must not carry a query or fragment" };
  const pathPrefix = segments.length ? `/${segments.join("/")}` : "";
  const protocol = url.protocol as "https:" | "http:";
  return {
    ok: true,
    dsn: { protocol, publicKey: decodeURIComponent(url.username), host: url.host, pathPrefix, projectId, envelopeUrl: `${protocol}//${url.host}${pathPrefix}/api/${projectId}/envelope/` },
  };
}

export type SentryTestEvent =
  | { sent: false; reason: string }
  | {
      sent: true;
      /** The envelope endpoint, without credentials. */
      endpoint: string;
      eventId: string;
      /** HTTP status, or null when no answer came. */
      status: number | null;
      accepted: boolean;
      error?: string;
    };

export interface DatadogKeyValidation {
  /** The validate endpoint called. */
  endpoint: string;
  /** HTTP status, or null when no answer came. */
  status: number | null;
  valid: boolean;
  error?: string;
}

const PROBE_TIMEOUT_MS = 10_000;

function probeSignal(ctx: Pick<FactContext, "signal">): AbortSignal {
  return AbortSignal.any([ctx.signal, AbortSignal.timeout(PROBE_TIMEOUT_MS)]);
}

function networkError(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === "TimeoutError" || e.name === "AbortError") return `no answer within ${PROBE_TIMEOUT_MS / 1000} s`;
  return e.cause?.code ? `${e.cause.code}: ${e.cause.message ?? e.message ?? ""}`.trim() : (e.message ?? String(err));
}

/** `sentryTestEvent`: with --send-test-events, one info-level event POSTed to the DSN's envelope endpoint. */
export async function gatherSentryTestEvent(ctx: Pick<FactContext, "env" | "target" | "signal" | "sendTestEvents">): Promise<SentryTestEvent> {
  if (!ctx.sendTestEvents) return { sent: false, reason: "No test event sent: pass --send-test-events to send one to Sentry" };
  const value = ctx.env.SENTRY_DSN?.trim();
  if (!value) return { sent: false, reason: "SENTRY_DSN is not set (see monitoring.sentry-dsn)" };
  const parsed = parseSentryDsn(value);
  if (!parsed.ok) return { sent: false, reason: `SENTRY_DSN ${parsed.problem} (see monitoring.sentry-dsn)` };
  const { dsn } = parsed;
  const eventId = randomUUID().replace(/-/g, "");
  const now = new Date();
  const envelope = [
    JSON.stringify({ event_id: eventId, sent_at: now.toISOString() }),
    JSON.stringify({ type: "event" }),
    JSON.stringify({
      event_id: eventId,
      timestamp: now.getTime() / 1000,
      platform: "node",
      level: "info",
      logger: "bookflow.verify",
      message: { formatted: "bookflow verify: test event (monitoring.sentry-test-event)" },
      tags: { source: "bookflow-verify", target: ctx.target },
    }),
  ].join("\n");
  const result = { sent: true as const, endpoint: dsn.envelopeUrl, eventId };
  try {
    const res = await fetch(dsn.envelopeUrl, {
      method: "POST",
      headers: {
        "content-type": "application/x-sentry-envelope",
        "x-sentry-auth": `Sentry sentry_version=7, sentry_key=${dsn.publicKey}, sentry_client=bookflow-verify/1`,
      },
      body: envelope,
      signal: probeSignal(ctx),
    });
    const text = await res.text().catch(() => "");
    if (res.ok) return { ...result, status: res.status, accepted: true };
    return { ...result, status: res.status, accepted: false, error: sentryError(text) ?? `HTTP ${res.status}` };
  } catch (err) {
    return { ...result, status: null, accepted: false, error: networkError(err) };
  }
}

function sentryError(text: string): string | undefined {
  try {
    const detail = (JSON.parse(text) as { detail?: unknown }).detail;
    return typeof detail === "string" && detail ? detail : undefined;
  } catch {
    return undefined;
  }
}

/** Where Datadog's API is: DATADOG_API_BASE, else https://api.<DD_SITE or datadoghq.com>. */
export function datadogApiBase(env: Readonly<Record<string, string | undefined>>): string {
  const base = env.DATADOG_API_BASE?.trim();
  if (base) return base.replace(/\/+$/, "");
  const site = env.DD_SITE?.trim() || "datadoghq.com";
  return `https://api.${site}`;
}

/** `datadogApiKey`: GET /api/v1/validate with the key, or null when DATADOG_API_KEY is not set. */
export async function gatherDatadogApiKey(ctx: Pick<FactContext, "env" | "signal">): Promise<DatadogKeyValidation | null> {
  const key = ctx.env.DATADOG_API_KEY?.trim();
  if (!key) return null;
  const endpoint = `${datadogApiBase(ctx.env)}/api/v1/validate`;
  try {
    const res = await fetch(endpoint, { headers: { "dd-api-key": key, accept: "application/json" }, signal: probeSignal(ctx) });
    const text = await res.text().catch(() => "");
    let body: { valid?: unknown; errors?: unknown } = {};
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      // not JSON: decided by the status alone
    }
    if (res.ok && body.valid === true) return { endpoint, status: res.status, valid: true };
    const errors = Array.isArray(body.errors) ? body.errors.filter((e): e is string => typeof e === "string") : [];
    return { endpoint, status: res.status, valid: false, error: errors.length ? errors.join("; ") : `HTTP ${res.status}` };
  } catch (err) {
    return { endpoint, status: null, valid: false, error: networkError(err) };
  }
}

export const sentryTestEventFact = defineFact({ name: "sentryTestEvent", gather: gatherSentryTestEvent });
export const datadogApiKeyFact = defineFact({ name: "datadogApiKey", gather: gatherDatadogApiKey });
