/**
 * `bookflow stats`: booking conversion, payment success, refund and dispute
 * rates, email delivery by kind, session type and builder popularity, webhook
 * processing times and a daily series over a UTC window, as one StatsReport
 * (src/ops/stats-report.ts). The aggregates are SQL (src/ops/stats-sql.ts);
 * this module only turns counts into ratios (null, never NaN, when a
 * denominator is 0) and checks the result against the report's schema.
 */
import type { Context } from "../context.js";
import { UsageError } from "../errors.js";
import { withDatabase } from "./database.js";
import { readSendGridStats } from "./stats-sendgrid.js";
import { queryStats, type EmailRow, type PopularityRow } from "./stats-sql.js";
import { STATS_SCHEMA_VERSION, statsReportSchema, type StatsEmailKind, type StatsPopularity, type StatsRatio, type StatsReport } from "./stats-report.js";

export interface StatsInput {
  since: Date;
  /** Exclusive. */
  until: Date;
  /** How many session types and builders to list. */
  top: number;
}

/**
 * The command's report: the database's figures (computeStats) and, unless `providerStats` is false
 * (--no-provider-stats), SendGrid's own stats over the same days, read meanwhile. SendGrid never fails it:
 * its part says why it is absent.
 */
export async function computeStatsReport(ctx: Pick<Context, "db" | "clock" | "env" | "clients" | "redactor">, input: StatsInput & { providerStats: boolean }): Promise<StatsReport> {
  const [report, sendgrid] = await Promise.all([
    computeStats(ctx, input),
    input.providerStats ? readSendGridStats(ctx, input) : Promise.resolve({ available: false as const, reason: "Not asked for (--no-provider-stats)." }),
  ]);
  return statsReportSchema.parse({ ...report, sendgrid });
}

/** The daily series has one row per day: a window longer than this is refused rather than printed. */
export const MAX_STATS_DAYS = 1000;
export const DEFAULT_STATS_TOP = 10;

export function ratio(numerator: number, denominator: number): StatsRatio {
  return { numerator, denominator, rate: denominator === 0 ? null : numerator / denominator };
}

export async function computeStats(ctx: Pick<Context, "db" | "clock"> & Partial<Pick<Context, "env">>, input: StatsInput): Promise<StatsReport> {
  const { since, until } = input;
  if (!(since.getTime() < until.getTime())) {
    throw new UsageError(`--since (${since.toISOString()}) is not before --until (${until.toISOString()}).`, "Give a --since earlier than --until (for instance --since 7d, which ends now).", "BAD_DATE");
  }
  const days = Math.ceil((until.getTime() - Date.UTC(since.getUTCFullYear(), since.getUTCMonth(), since.getUTCDate())) / 86_400_000);
  if (days > MAX_STATS_DAYS) {
    throw new UsageError(`The window from ${since.toISOString()} to ${until.toISOString()} touches ${days} days; stats covers at most ${MAX_STATS_DAYS}.`, "Give a shorter window (--since 90d), or run stats once per year.", "BAD_DATE");
  }
  const generatedAt = ctx.clock.now();
  const url = ctx.env?.DATABASE_URL || undefined;
  // Only the SQL client is used (no Prisma query: its engine start costs seconds); an unreachable or unmigrated
  // database fails in the first statement and becomes a ConfigError saying what to do.
  const db = await withDatabase("compute stats", () => ctx.db(), url);
  const rows = await withDatabase("compute stats", () => db.sql.transaction((tx) => queryStats(tx, { since, until }, input.top)), url);
  const s = rows.summary;
  const share = (n: number) => ratio(n, s.created).rate;
  const popular = (r: PopularityRow): StatsPopularity => ({
    id: r.id,
    slug: r.slug,
    name: r.name,
    ...(r.builderSlug !== null ? { builderSlug: r.builderSlug } : {}),
    bookings: r.bookings,
    confirmed: r.confirmed,
    share: share(r.bookings),
  });
  const email = (r: EmailRow): Omit<StatsEmailKind, "kind"> => ({ total: r.total, sent: r.sent, failed: r.failed, queued: r.queued, deliveryRate: ratio(r.sent, r.sent + r.failed).rate });
  const all = rows.emails.find((r) => r.kind === null);
  const report: StatsReport = {
    schemaVersion: STATS_SCHEMA_VERSION,
    generatedAt: generatedAt.toISOString(),
    window: { since: since.toISOString(), until: until.toISOString(), timeZone: "UTC" },
    bookings: { created: s.created, free: s.free, paid: s.paid, pending: s.pending, confirmedNow: s.confirmed_now, cancelled: s.cancelled },
    conversion: { booked: ratio(s.ever_confirmed, s.created), checkout: ratio(s.checkout_paid, s.checkout_created) },
    payments: {
      success: ratio(s.recorded, s.recorded + s.failed),
      awaiting: s.awaiting,
      refund: ratio(s.refunded, s.recorded),
      dispute: ratio(s.disputed, s.recorded),
    },
    emails: {
      source: "bookflow",
      byKind: rows.emails.flatMap((r) => (r.kind === null ? [] : [{ kind: r.kind, ...email(r) }])),
      all: email(all ?? { kind: null, total: 0, sent: 0, failed: 0, queued: 0 }),
    },
    sessionTypes: rows.sessionTypes.map(popular),
    builders: rows.builders.map(popular),
    webhooks: rows.webhooks.map((w) => ({
      provider: w.provider,
      type: w.type,
      received: w.received,
      processed: w.processed,
      failed: w.failed,
      held: w.held,
      p50Ms: w.p?.[0] ?? null,
      p95Ms: w.p?.[1] ?? null,
      p99Ms: w.p?.[2] ?? null,
      maxMs: w.max_ms,
    })),
    daily: rows.daily.map((d) => ({ day: d.day, bookings: d.bookings, confirmed: d.confirmed, paid: d.paid, cancelled: d.cancelled, emailsSent: d.emails_sent, emailsFailed: d.emails_failed, webhooksReceived: d.webhooks })),
  };
  return statsReportSchema.parse(report);
}
