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

const SUMMARY = `
SELECT count(*)::int AS created,
       count(*) FILTER (WHERE "paymentStatus" = 'NOT_REQUIRED')::int AS free,
       count(*) FILTER (WHERE "paymentStatus" <> 'NOT_REQUIRED')::int AS paid,
       count(*) FILTER (WHERE status = 'PENDING')::int AS pending,
       count(*) FILTER (WHERE status = 'CONFIRMED')::int AS confirmed_now,
       count(*) FILTER (WHERE status = 'CANCELLED')::int AS cancelled,
       count(*) FILTER (WHERE ${EVER_CONFIRMED})::int AS ever_confirmed,
       count(*) FILTER (WHERE "paymentStatus" <> 'NOT_REQUIRED' AND ("stripeCheckoutSessionId" IS NOT NULL OR "paymentStatus" IN ${RECORDED}))::int AS checkout_created,
       count(*) FILTER (WHERE "paymentStatus" IN ${RECORDED})::int AS checkout_paid,
       count(*) FILTER (WHERE "paymentStatus" IN ${RECORDED})::int AS recorded,
       count(*) FILTER (WHERE status = 'CANCELLED' AND "paymentStatus" = 'UNPAID' AND "stripeCheckoutSessionId" IS NOT NULL)::int AS failed,
       count(*) FILTER (WHERE "paymentStatus" = 'PROCESSING' OR (status = 'PENDING' AND "paymentStatus" = 'UNPAID'))::int AS awaiting,
       count(*) FILTER (WHERE "paymentStatus" IN ${RECORDED} AND ("paymentStatus" IN ('REFUNDED', 'PARTIALLY_REFUNDED') OR "refundedCents" > 0))::int AS refunded,
       count(*) FILTER (WHERE "paymentStatus" IN ${RECORDED} AND ("paymentStatus" = 'DISPUTED' OR "stripeDisputeId" IS NOT NULL))::int AS disputed
  FROM "Booking"
 WHERE ${OUR_BOOKINGS}`;

const popularityRow = z.object({ id: z.string(), slug: z.string(), name: z.string(), builderSlug: z.string().nullable(), bookings: int, confirmed: int });

const popularity = (key: `"sessionTypeId"` | `"builderId"`) => `
SELECT c.id, ${key === `"sessionTypeId"` ? `st.slug, st.title AS name, bp.slug AS "builderSlug"` : `bp.slug, bp."displayName" AS name, NULL::text AS "builderSlug"`},
       c.bookings, c.confirmed
  FROM (SELECT ${key} AS id, count(*)::int AS bookings, count(*) FILTER (WHERE ${EVER_CONFIRMED})::int AS confirmed
          FROM "Booking" WHERE ${OUR_BOOKINGS}
         GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT $3) c
  ${key === `"sessionTypeId"` ? `JOIN "SessionType" st ON st.id = c.id JOIN "BuilderProfile" bp ON bp.id = st."builderId"` : `JOIN "BuilderProfile" bp ON bp.id = c.id`}
 ORDER BY c.bookings DESC, c.id`;

const emailRow = z.object({ kind: z.enum(["CONFIRMATION", "RECEIPT", "CANCELLATION", "RESCHEDULED", "ROLLBACK_NOTICE"]).nullable(), total: int, sent: int, failed: int, queued: int });

/** One row per kind (zeros included) and one for all kinds (kind NULL), through GROUPING SETS. */
const EMAILS = `
SELECT k.kind::text AS kind, count(e.id)::int AS total,
       count(e.id) FILTER (WHERE e.status = 'SENT')::int AS sent,
       count(e.id) FILTER (WHERE e.status = 'FAILED')::int AS failed,
       count(e.id) FILTER (WHERE e.status = 'QUEUED')::int AS queued
  FROM unnest(enum_range(NULL::"EmailKind")) AS k(kind)
  LEFT JOIN (SELECT m.id, m.kind, m.status FROM "EmailMessage" m
              WHERE ${IN_WINDOW(`m."createdAt"`)} AND ${NOT_A_RUNS_EMAIL}) e ON e.kind = k.kind
 GROUP BY GROUPING SETS ((k.kind), ())
 ORDER BY k.kind NULLS LAST`;

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

// NULL (not processed: left out of the percentiles) unless processedAt is set; GREATEST alone would turn NULL into 0.
const PROCESSING_MS = `(CASE WHEN "processedAt" IS NOT NULL THEN GREATEST(0, EXTRACT(EPOCH FROM ("processedAt" - "receivedAt")) * 1000) END)::float8`;
const WEBHOOKS = `
SELECT provider::text AS provider, type, count(*)::int AS received,
       count(*) FILTER (WHERE "processedAt" IS NOT NULL)::int AS processed,
       count(*) FILTER (WHERE outcome = 'FAILED')::int AS failed,
       count(*) FILTER (WHERE outcome IN ('HELD', 'DEFERRED'))::int AS held,
       percentile_cont(ARRAY[0.5, 0.95, 0.99]::float8[]) WITHIN GROUP (ORDER BY ${PROCESSING_MS}) AS p,
       max(${PROCESSING_MS}) AS max_ms
  FROM "WebhookEvent"
 WHERE ${IN_WINDOW(`"receivedAt"`)}
 GROUP BY provider, type
 ORDER BY provider, type`;

const dayRow = z.object({ day: z.string(), bookings: int, confirmed: int, paid: int, cancelled: int, emails_sent: int, emails_failed: int, webhooks: int });

const DAILY = `
WITH days AS (SELECT d FROM generate_series(date_trunc('day', $1::timestamp), $2::timestamp - interval '1 millisecond', interval '1 day') AS g(d)),
     b AS (SELECT date_trunc('day', "createdAt") AS d, count(*) AS bookings,
                  count(*) FILTER (WHERE ${EVER_CONFIRMED}) AS confirmed,
                  count(*) FILTER (WHERE "paymentStatus" IN ${RECORDED}) AS paid,
                  count(*) FILTER (WHERE status = 'CANCELLED') AS cancelled
             FROM "Booking" WHERE ${OUR_BOOKINGS} GROUP BY 1),
     e AS (SELECT date_trunc('day', m."createdAt") AS d, count(*) FILTER (WHERE m.status = 'SENT') AS sent, count(*) FILTER (WHERE m.status = 'FAILED') AS failed
             FROM "EmailMessage" m
            WHERE ${IN_WINDOW(`m."createdAt"`)} AND ${NOT_A_RUNS_EMAIL} GROUP BY 1),
     w AS (SELECT date_trunc('day', "receivedAt") AS d, count(*) AS received FROM "WebhookEvent" WHERE ${IN_WINDOW(`"receivedAt"`)} GROUP BY 1)
SELECT to_char(days.d, 'YYYY-MM-DD') AS day,
       COALESCE(b.bookings, 0)::int AS bookings, COALESCE(b.confirmed, 0)::int AS confirmed, COALESCE(b.paid, 0)::int AS paid,
       COALESCE(b.cancelled, 0)::int AS cancelled, COALESCE(e.sent, 0)::int AS emails_sent, COALESCE(e.failed, 0)::int AS emails_failed,
       COALESCE(w.received, 0)::int AS webhooks
  FROM days LEFT JOIN b ON b.d = days.d LEFT JOIN e ON e.d = days.d LEFT JOIN w ON w.d = days.d
 ORDER BY days.d`;

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
 * The six aggregate queries, in one read-only REPEATABLE READ transaction (one snapshot: the figures agree with
 * each other even while bookings arrive). `top` bounds the popularity lists.
 */
export async function queryStats(tx: SqlTx, window: { since: Date; until: Date }, top: number): Promise<StatsRows> {
  const params = [window.since.toISOString(), window.until.toISOString()];
  await tx.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
  // Room for the per-day and per-group hash aggregates in memory (the default 4 MB sorts them on disk past ~100k rows).
  await tx.query("SET LOCAL work_mem = '64MB'");
  // No JIT: the planner's guess for the days × aggregates joins is in the billions of rows, so it would compile
  // (seconds on a busy machine) a query that runs in milliseconds once the aggregates are done.
  await tx.query("SET LOCAL jit = off");
  const summary = summaryRow.parse((await tx.query(SUMMARY, params))[0]);
  const sessionTypes = z.array(popularityRow).parse(await tx.query(popularity(`"sessionTypeId"`), [...params, top]));
  const builders = z.array(popularityRow).parse(await tx.query(popularity(`"builderId"`), [...params, top]));
  const emails = z.array(emailRow).parse(await tx.query(EMAILS, params));
  const webhooks = z.array(webhookRow).parse(await tx.query(WEBHOOKS, params));
  const daily = z.array(dayRow).parse(await tx.query(DAILY, params));
  return { summary, sessionTypes, builders, emails, webhooks, daily };
}
