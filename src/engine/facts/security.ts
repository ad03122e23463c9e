import type { ProbeResult } from "../../providers/http-probe.js";
import { defineFact } from "./define.js";
import { WEBHOOK_PROVIDERS, type WebhookProviderId } from "../../providers/webhook-providers.js";
import { createFactProbeClient, urlFromEnv, type Unprobed, type UrlProbe } from "./endpoints.js";
import type { FactContext } from "./types.js";

/**
 * `securityProbes`: a CORS preflight (OPTIONS) and a POST carrying a foreign
 * Origin to each webhook route (unsigned: rejected, never processed), and a
 * GET of NEXT_PUBLIC_BASE_URL for its security headers.
 *
 * `rateLimitProbe`: only with --include-load. A short, bounded burst of
 * unsigned POSTs to the Calendly webhook route, stopping at the first 429. It
 * waits for the other probes of the run first: it drains the route's rate
 * limit for this client (for about a minute, on the reference app).
 */

/** The Origin the CORS probes claim: a host that can never be the platform's. */
export const FOREIGN_ORIGIN = "https://bookflow-verify.invalid";

export interface CorsProbe {
  probed: true;
  url: string;
  origin: string;
  preflight: ProbeResult;
  post: ProbeResult;
}

export interface SecurityProbes {
  cors: Record<WebhookProviderId, CorsProbe | Unprobed>;
  /** GET of the base URL, for its response headers. */
  headers: UrlProbe | Unprobed;
}

export type RateLimitProbe =
  | { ran: false; reason: string }
  | {
      ran: true;
      url: string;
      /** Requests sent (answered or not). */
      sent: number;
      maxRequests: number;
      maxDurationMs: number;
      /** 1-based position of the first 429, or null when none came. */
      firstLimitedAt: number | null;
      /** How many answers had each status ("error" = no answer). */
      statuses: Record<string, number>;
      durationMs: number;
      lastError?: string;
    };

export const BURST_MAX_REQUESTS = 700;
export const BURST_MAX_DURATION_MS = 8_000;
const BURST_WORKERS = 32;
const BURST_MAX_ERRORS = 10;

export const securityProbesFact = defineFact({
  name: "securityProbes",
  gather: (ctx) => sendSecurityProbes(ctx),
});

async function sendSecurityProbes(ctx: FactContext): Promise<SecurityProbes> {
  const client = await createFactProbeClient(ctx);
  try {
    const cors = async (provider: WebhookProviderId): Promise<CorsProbe | Unprobed> => {
      const url = urlFromEnv(ctx, WEBHOOK_PROVIDERS[provider].env.url);
      if (!(url instanceof URL)) return url;
      const [preflight, post] = await Promise.all([
        client.probe(url.toString(), {
          method: "OPTIONS",
          headers: { origin: FOREIGN_ORIGIN, "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
          signal: ctx.signal,
        }),
        client.probe(url.toString(), { method: "POST", headers: { origin: FOREIGN_ORIGIN, "content-type": "application/json" }, body: "{}", signal: ctx.signal }),
      ]);
      return { probed: true, url: url.toString(), origin: FOREIGN_ORIGIN, preflight, post };
    };
    const base = urlFromEnv(ctx, "NEXT_PUBLIC_BASE_URL");
    const [calendly, stripe, headers] = await Promise.all([
      cors("calendly"),
      cors("stripe"),
      base instanceof URL ? client.probe(base.toString(), { signal: ctx.signal }).then((result): UrlProbe => ({ probed: true, url: base.toString(), result })) : Promise.resolve(base),
    ]);
    return { cors: { calendly, stripe }, headers };
  } finally {
    await client.close();
  }
}

export const rateLimitProbeFact = defineFact({
  name: "rateLimitProbe",
  needs: ["endpointProbes", "securityProbes"],
  async gather(ctx, deps): Promise<RateLimitProbe> {
    if (!ctx.includeLoad) return { ran: false, reason: "run with --include-load to send a short burst of requests" };
    const url = urlFromEnv(ctx, WEBHOOK_PROVIDERS.calendly.env.url);
    if (!(url instanceof URL)) return { ran: false, reason: url.reason };
    // Let the run's other probes finish first (whether or not they succeed): after the burst the route answers 429 for a while.
    await Promise.allSettled([deps.endpointProbes(), deps.securityProbes()]);
    return burst(ctx, url.toString(), BURST_MAX_REQUESTS, BURST_MAX_DURATION_MS);
  },
});

async function burst(ctx: FactContext, url: string, maxRequests: number, maxDurationMs: number): Promise<RateLimitProbe> {
  const client = await createFactProbeClient(ctx);
  const started = performance.now();
  const deadline = started + maxDurationMs;
  const statuses: Record<string, number> = {};
  let sent = 0;
  let errors = 0;
  let firstLimitedAt: number | null = null;
  let lastError: string | undefined;
  const signal = ctx.signal;
  // Stops sending at the first 429; requests already in flight finish.
  const done = () => firstLimitedAt !== null || sent >= maxRequests || errors >= BURST_MAX_ERRORS || performance.now() >= deadline || signal.aborted;
  const worker = async () => {
    while (!done()) {
      const n = ++sent;
      const r = await client.probe(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
        timeoutMs: Math.max(1, Math.min(5_000, deadline - performance.now())),
        signal,
      });
      const key = r.status === null ? "error" : String(r.status);
      statuses[key] = (statuses[key] ?? 0) + 1;
      if (r.status === null) {
        errors++;
        lastError = r.error;
      } else if (r.status === 429 && (firstLimitedAt === null || n < firstLimitedAt)) {
        firstLimitedAt = n;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: BURST_WORKERS }, worker));
  } finally {
    await client.close();
  }
  const result: RateLimitProbe = { ran: true, url, sent, maxRequests, maxDurationMs, firstLimitedAt, statuses, durationMs: Math.round(performance.now() - started) };
  if (lastError) result.lastError = lastError;
  return result;
}
