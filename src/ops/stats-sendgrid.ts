/**
 * SendGrid's own delivery figures for `bookflow stats`: its global stats
 * (`GET /v3/stats`, per UTC day) summed over the days the window touches,
 * through the run's SendGrid client (src/providers/sendgrid, the one the
 * sendgrid.delivery-rates check reads). They are optional: no key, a key
 * without the Stats read scope, or SendGrid unreachable give
 * `{ available: false, reason }` saying why and what to do; stats never fails
 * for them.
 */
import type { Context } from "../context.js";
import { BookflowError, ProviderError } from "../errors.js";
import type { StatsSendGrid } from "./stats-report.js";

/** Either scope lets a key read `GET /v3/stats` (SendGrid grants the parent scope with its children). */
export const SENDGRID_STATS_SCOPES = ["stats.global.read", "stats.read"] as const;
const NO_SCOPE =
  "The SendGrid key cannot read its stats (GET /v3/stats needs the scope stats.global.read): give it Stats: Read Access in Settings → API Keys, or run stats with --no-provider-stats.";

const utcDay = (d: Date) => d.toISOString().slice(0, 10);

/** The UTC days SendGrid is asked for: the day of `since` to the day of the window's last millisecond, not past today. */
export function sendGridDays(window: { since: Date; until: Date }, now: Date): { startDate: string; endDate: string } | null {
  const startDate = utcDay(window.since);
  const last = utcDay(new Date(window.until.getTime() - 1));
  const today = utcDay(now);
  const endDate = last < today ? last : today;
  return startDate <= endDate ? { startDate, endDate } : null;
}

export async function readSendGridStats(ctx: Pick<Context, "env" | "clients" | "clock" | "redactor">, window: { since: Date; until: Date }): Promise<StatsSendGrid> {
  const unavailable = (reason: string): StatsSendGrid => ({ available: false, reason: ctx.redactor.redact(reason) });
  if (!ctx.env.SENDGRID_API_KEY?.trim()) return unavailable("SENDGRID_API_KEY is not set: set it (a key with Stats: Read Access) to see SendGrid's own delivery figures beside bookflow's.");
  const days = sendGridDays(window, ctx.clock.now());
  if (!days) return unavailable("The window starts after today (UTC): SendGrid has no stats for it yet.");
  try {
    const client = await ctx.clients.sendgrid();
    let scopes: string[];
    try {
      scopes = await client.getScopes();
    } catch (err) {
      if (err instanceof ProviderError && (err.status === 401 || err.status === 403))
        return unavailable(`SendGrid refused the key (${err.status}): check SENDGRID_API_KEY (Settings → API Keys), or run stats with --no-provider-stats.`);
      throw err;
    }
    if (!SENDGRID_STATS_SCOPES.some((s) => scopes.includes(s))) return unavailable(NO_SCOPE);
    let stats;
    try {
      stats = await client.getGlobalStats(days);
    } catch (err) {
      // A key whose scope list says yes and which SendGrid still refuses lacks the scope all the same.
      if (err instanceof ProviderError && err.status === 403) return unavailable(NO_SCOPE);
      throw err;
    }
    const totals = { requests: 0, delivered: 0, bounces: 0, blocks: 0 };
    for (const day of stats) for (const { metrics } of day.stats) if (metrics) for (const k of Object.keys(totals) as (keyof typeof totals)[]) totals[k] += metrics[k];
    const rate = (n: number) => (totals.requests === 0 ? null : Math.min(1, n / totals.requests));
    return { available: true, ...days, ...totals, deliveredRate: rate(totals.delivered), bounceRate: rate(totals.bounces), blockRate: rate(totals.blocks) };
  } catch (err) {
    // Unreachable, a server error, an answer of an unknown shape: SendGrid's figures are missing, bookflow's are not.
    const hint = err instanceof BookflowError && err.hint ? ` (${err.hint})` : "";
    return unavailable(`SendGrid's stats could not be read: ${err instanceof Error ? err.message : String(err)}${hint}`);
  }
}
