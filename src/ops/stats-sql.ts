/**
 * The SQL of `bookflow stats`: every figure is an aggregate computed by
 * PostgreSQL (count … FILTER, percentile_cont, date_trunc, generate_series for
 * the days without activity); no booking, email or event row reaches Node.
 * The definitions are in docs/stats.md; keep both in step.
 *
 * The window is [since, until) on each row's own time: Booking.createdAt,
 * EmailMessage.createdAt, WebhookEvent.receivedAt (timestamp columns holding
 * UTC, so days are UTC days). Bookings tagged by a scenario run (runTag) and
 * their emails are left out: they are bookflow's own test traffic.
 */
import { z } from "zod";
import type { SqlTx } from "../db/sql.js";
import { PAYMENT_RECORDED } from "../core/status-rules.js";

const RECORDED = `(${PAYMENT_RECORDED.map((s) => `'${s}'`).join(", ")})`;
/** Confirmed at some point: CONFIRMED now, or cancelled after it was confirmed (a free booking is confirmed when made; a paid one when its payment is recorded). */
export const EVER_CONFIRMED = `(status = 'CONFIRMED' OR (status = 'CANCELLED' AND ("paymentStatus" = 'NOT_REQUIRED' OR "paymentStatus" IN ${RECORDED})))`;
const IN_WINDOW = (column: string) => `${column} >= $1::timestamp AND ${column} < $2::timestamp`;
const OUR_BOOKINGS = `${IN_WINDOW(`"createdAt"`)} AND "runTag" IS NULL`;
/** An email (alias m) not of a scenario run's booking: an anti-join on the few tagged bookings (the runTag index), not a join on all of them. */
const NOT_A_RUNS_EMAIL = `NOT EXISTS (SELECT 1 FROM "Booking" x WHERE x.id = m."bookingId" AND x."runTag" IS NOT NULL)`;

const int = z.number().int().min(0);

const summaryRow = z.object({
  created: int,
  free: int,
  paid: int,
  pending: int,
  confirmed_now: int,
  cancelled: int,
  ever_confirmed: int,
  checkout_created: int,
  checkout_paid: int,
  recorded: int,
  failed: int,
  awaiting: int,
  refunded: int,
  disputed: int,
});
const popularityRow = z.object({ id: z.string(), slug: z.string(), name: z.string(), builderSlug: z.string().nullable(), bookings: int, confirmed: int });
const emailRow = z.object({ kind: z.enum(["CONFIRMATION", "RECEIPT", "CANCELLATION", "RESCHEDULED", "ROLLBACK_NOTICE"]).nullable(), total: int, sent: int, failed: int, queued: int });
const msOrNull = z.number().min(0).nullable();
const webhookRow = z.object({
  provider: z.enum(["CALENDLY", "STRIPE"]),
  type: z.string(),
  received: int,
  processed: int,
  failed: int,
  held: int,
  p: z.array(msOrNull).length(3).nullable(),
  max_ms: msOrNull,
});
const dayRow = z.object({ day: z.string(), bookings: int, confirmed: int, paid: int, cancelled: int, emails_sent: int, emails_failed: int, webhooks: int });
const statsRow = z.object({
  summary: summaryRow,
  sessionTypes: z.array(popularityRow),
  builders: z.array(popularityRow),
  emails: z.array(emailRow),
  webhooks: z.array(webhookRow),
  daily: z.array(dayRow),
});

// NULL (not processed: left out of the percentiles) unless processedAt is set; GREATEST alone would turn NULL into 0.
// date_part (float8), not EXTRACT (numeric, several times slower per row); the columns are timestamp(3), so round()
// gives the exact whole milliseconds EXTRACT's numeric did.
const PROCESSING_MS = `(CASE WHEN "processedAt" IS NOT NULL THEN GREATEST(0, round(date_part('epoch', "processedAt" - "receivedAt") * 1000)) END)::float8`;

/** Every booking count, by one name: the summary's, the popularity lists' and the daily series' are sums of these. */
const BOOKING_COUNTS: [string, string][] = [
  ["created", "true"],
  ["free", `"paymentStatus" = 'NOT_REQUIRED'`],
  ["paid", `"paymentStatus" <> 'NOT_REQUIRED'`],
  ["pending", `status = 'PENDING'`],
  ["confirmed_now", `status = 'CONFIRMED'`],
  ["cancelled", `status = 'CANCELLED'`],
  ["ever_confirmed", EVER_CONFIRMED],
  ["checkout_created", `"paymentStatus" <> 'NOT_REQUIRED' AND ("stripeCheckoutSessionId" IS NOT NULL OR "paymentStatus" IN ${RECORDED})`],
  ["recorded", `"paymentStatus" IN ${RECORDED}`],
  ["failed", `status = 'CANCELLED' AND "paymentStatus" = 'UNPAID' AND "stripeCheckoutSessionId" IS NOT NULL`],
  ["awaiting", `"paymentStatus" = 'PROCESSING' OR (status = 'PENDING' AND "paymentStatus" = 'UNPAID')`],
  ["refunded", `"paymentStatus" IN ${RECORDED} AND ("paymentStatus" IN ('REFUNDED', 'PARTIALLY_REFUNDED') OR "refundedCents" > 0)`],
  ["disputed", `"paymentStatus" IN ${RECORDED} AND ("paymentStatus" = 'DISPUTED' OR "stripeDisputeId" IS NOT NULL)`],
];
const PERCENTILES = [0.5, 0.95, 0.99];

/**
 * Every figure in one statement, so each table is read once (and one snapshot), with no sort of the rows:
 * - b: the window's bookings counted per (session type, builder, day, status, payment status, and whether a
 *   Checkout session, a refund and a dispute are set), a hash aggregate of at most a few hundred rows a day; br
 *   counts each figure over those rows (FILTER on the same predicates as a booking's), per session type, per
 *   builder, per day and overall (GROUPING SETS; GROUPING() says which set a row is of: 3 session type,
 *   5 builder, 6 day, 7 all).
 * - e: the window's emails counted per (kind, day); rolled up per kind and overall, and per day.
 * - w: the window's webhook events counted per (provider, type, processing time in ms), a histogram; wd: per day,
 *   from the receivedAt index alone. The percentiles are read off the histogram (wc: the ranks each time covers)
 *   with PostgreSQL's percentile_cont arithmetic: rank p·(n−1), v(floor) + (rank − floor)·(v(ceil) − v(floor)).
 *   The times are whole milliseconds (timestamp(3) columns), so the histogram has a few thousand rows per provider
 *   and type, where percentile_cont sorted every event (on disk, at 1M).
 * The planner, which guesses a group per row for these keys, would sort 1M rows for a GroupAggregate: enable_sort
 * is off in the statement's transaction (see queryStats), so it hashes them. The result is one row of JSON columns.
 */
const sumOf = (name: string, from = "") => `COALESCE(sum(${from}${name}), 0)::int AS ${name}`;
/** A booking count over b's groups: the predicate reads the same columns (b keeps only whether each is set, or its sign). */
const countOf = ([name, where]: [string, string]) => `COALESCE(sum(n) FILTER (WHERE ${where}), 0)::int AS ${name}`;
const jsonOf = (names: string[], from: string) => names.map((n) => `'${n}', ${from}.${n}`).join(", ");
const RANK_VALUE = (r: string) => `(SELECT c.ms FROM wc c WHERE c.provider = g.provider AND c.type = g.type AND c.below <= ${r} AND ${r} < c.below + c.n)`;
const PERCENTILE = (p: number) => {
  const pos = `(${p}::float8 * (g.processed - 1))`;
  return `${RANK_VALUE(`floor(${pos})`)} + (${pos} - floor(${pos})) * (${RANK_VALUE(`ceil(${pos})`)} - ${RANK_VALUE(`floor(${pos})`)})`;
};
const STATS = `
WITH b AS MATERIALIZED (
       SELECT "sessionTypeId" AS st, "builderId" AS bu, date_trunc('day', "createdAt") AS d, status, "paymentStatus",
              CASE WHEN "stripeCheckoutSessionId" IS NOT NULL THEN '' END AS "stripeCheckoutSessionId",
              sign("refundedCents") AS "refundedCents", CASE WHEN "stripeDisputeId" IS NOT NULL THEN '' END AS "stripeDisputeId", count(*) AS n
         FROM "Booking" WHERE ${OUR_BOOKINGS}
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8),
     br AS MATERIALIZED (
       SELECT GROUPING(st, bu, d) AS g, st, bu, d, ${BOOKING_COUNTS.map(countOf).join(", ")}
         FROM b GROUP BY GROUPING SETS ((st), (bu), (d), ())),
     e AS MATERIALIZED (
       SELECT m.kind, date_trunc('day', m."createdAt") AS d, count(*) AS total,
              count(*) FILTER (WHERE m.status = 'SENT') AS sent,
              count(*) FILTER (WHERE m.status = 'FAILED') AS failed,
              count(*) FILTER (WHERE m.status = 'QUEUED') AS queued
         FROM "EmailMessage" m
        WHERE ${IN_WINDOW(`m."createdAt"`)} AND ${NOT_A_RUNS_EMAIL}
        GROUP BY 1, 2),
     w AS MATERIALIZED (
       SELECT provider::text AS provider, type, ms, count(*) AS n,
              count(*) FILTER (WHERE "processedAt" IS NOT NULL) AS processed,
              count(*) FILTER (WHERE outcome = 'FAILED') AS failed,
              count(*) FILTER (WHERE outcome IN ('HELD', 'DEFERRED')) AS held
         FROM (SELECT provider, type, "processedAt", outcome, ${PROCESSING_MS} AS ms
                 FROM "WebhookEvent" WHERE ${IN_WINDOW(`"receivedAt"`)}) x
        GROUP BY provider, type, ms),
     wd AS MATERIALIZED (
       SELECT date_trunc('day', "receivedAt") AS d, count(*)::int AS n FROM "WebhookEvent" WHERE ${IN_WINDOW(`"receivedAt"`)} GROUP BY 1),
     wc AS MATERIALIZED (
       SELECT provider, type, ms, n, sum(n) OVER (PARTITION BY provider, type ORDER BY ms) - n AS below
         FROM w WHERE ms IS NOT NULL),
     wg AS (
       SELECT provider, type, sum(n)::int AS received, sum(processed)::int AS processed, sum(failed)::int AS failed,
              sum(held)::int AS held, max(ms) AS max_ms
         FROM w GROUP BY provider, type),
     days AS (SELECT d FROM generate_series(date_trunc('day', $1::timestamp), $2::timestamp - interval '1 millisecond', interval '1 day') AS g(d))
SELECT
  (SELECT json_build_object(${jsonOf(BOOKING_COUNTS.map(([name]) => name), "br")}, 'checkout_paid', br.recorded) FROM br WHERE g = 7) AS summary,
  (SELECT COALESCE(json_agg(json_build_object('id', c.st, 'slug', s.slug, 'name', s.title, 'builderSlug', bp.slug, 'bookings', c.created, 'confirmed', c.ever_confirmed)
                            ORDER BY c.created DESC, c.st), '[]')
     FROM (SELECT st, created, ever_confirmed FROM br WHERE g = 3 ORDER BY created DESC, st LIMIT $3) c
     JOIN "SessionType" s ON s.id = c.st JOIN "BuilderProfile" bp ON bp.id = s."builderId") AS "sessionTypes",
  (SELECT COALESCE(json_agg(json_build_object('id', c.bu, 'slug', bp.slug, 'name', bp."displayName", 'builderSlug', NULL, 'bookings', c.created, 'confirmed', c.ever_confirmed)
                            ORDER BY c.created DESC, c.bu), '[]')
     FROM (SELECT bu, created, ever_confirmed FROM br WHERE g = 5 ORDER BY created DESC, bu LIMIT $3) c
     JOIN "BuilderProfile" bp ON bp.id = c.bu) AS builders,
  (SELECT json_agg(json_build_object('kind', k.kind::text, 'total', k.total, 'sent', k.sent, 'failed', k.failed, 'queued', k.queued) ORDER BY k.kind NULLS LAST)
     FROM (SELECT k.kind, ${sumOf("total", "e.")}, ${sumOf("sent", "e.")}, ${sumOf("failed", "e.")}, ${sumOf("queued", "e.")}
             FROM unnest(enum_range(NULL::"EmailKind")) AS k(kind) LEFT JOIN e ON e.kind = k.kind
            GROUP BY GROUPING SETS ((k.kind), ())) k) AS emails,
  (SELECT COALESCE(json_agg(json_build_object('provider', g.provider, 'type', g.type, 'received', g.received, 'processed', g.processed,
                                              'failed', g.failed, 'held', g.held, 'max_ms', g.max_ms,
                                              'p', CASE WHEN g.processed > 0 THEN json_build_array(${PERCENTILES.map(PERCENTILE).join(", ")}) END)
                            ORDER BY g.provider, g.type), '[]')
     FROM wg g) AS webhooks,
  (SELECT json_agg(json_build_object('day', to_char(days.d, 'YYYY-MM-DD'), 'bookings', COALESCE(bd.created, 0), 'confirmed', COALESCE(bd.ever_confirmed, 0),
                                     'paid', COALESCE(bd.recorded, 0), 'cancelled', COALESCE(bd.cancelled, 0), 'emails_sent', COALESCE(ed.sent, 0),
                                     'emails_failed', COALESCE(ed.failed, 0), 'webhooks', COALESCE(wd.n, 0)) ORDER BY days.d)
     FROM days
     LEFT JOIN br bd ON bd.g = 6 AND bd.d = days.d
     LEFT JOIN (SELECT d, sum(sent)::int AS sent, sum(failed)::int AS failed FROM e GROUP BY d) ed ON ed.d = days.d
     LEFT JOIN wd ON wd.d = days.d) AS daily`;

export type SummaryRow = z.infer<typeof summaryRow>;
export type PopularityRow = z.infer<typeof popularityRow>;
export type EmailRow = z.infer<typeof emailRow>;
export type WebhookRow = z.infer<typeof webhookRow>;
export type DayRow = z.infer<typeof dayRow>;

export interface StatsRows {
  summary: SummaryRow;
  sessionTypes: PopularityRow[];
  builders: PopularityRow[];
  emails: EmailRow[];
  webhooks: WebhookRow[];
  daily: DayRow[];
}

/**
 * The figures, by one statement in a read-only REPEATABLE READ transaction (one snapshot: the figures agree with
 * each other even while bookings arrive). `top` bounds the popularity lists.
 */
export async function queryStats(tx: SqlTx, window: { since: Date; until: Date }, top: number): Promise<StatsRows> {
  await tx.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
  // Room for the per-group hash aggregates in memory (the default 4 MB spills them to disk past ~100k groups).
  await tx.query("SET LOCAL work_mem = '64MB'");
  // No JIT: the planner's guess for the days × aggregates joins is in the billions of rows, so it would compile
  // (seconds on a busy machine) a query that runs in milliseconds once the aggregates are done.
  await tx.query("SET LOCAL jit = off");
  // Hash, not sort, the per-group aggregates (see STATS): only small sorts of aggregated rows remain. Incremental
  // sort too: with enable_sort off alone, the planner sorted the bookings group by group along the sessionTypeId
  // index, reading the table in index order (at 1M: 131k pages read at random, where a sequential scan reads 32k).
  await tx.query("SET LOCAL enable_sort = off");
  await tx.query("SET LOCAL enable_incremental_sort = off");
  return statsRow.parse((await tx.query(STATS, [window.since.toISOString(), window.until.toISOString(), top]))[0]);
}
