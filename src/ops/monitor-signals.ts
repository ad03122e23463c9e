import type { SqlTx } from "../db/sql.js";

/**
 * The monitor's live signals from the database: one SQL aggregate each (no
 * rows are loaded into the process), over a window ending now.
 */

/** A booking still PENDING (or UNPAID) this long after it was created is stuck. */
export const STUCK_AFTER_MS = 30 * 60_000;
/** An email still QUEUED this long after it was created is held. */
export const EMAIL_HELD_AFTER_MS = 15 * 60_000;
/** Failed emails and events, conversion and payment success are counted over this window. */
export const SIGNAL_WINDOW_MS = 60 * 60_000;
/** Upper bounds (seconds) of the webhook processing latency histogram's buckets. */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] as const;

const PROVIDERS = ["CALENDLY", "STRIPE"] as const;

export interface LatencyDelta {
  provider: "calendly" | "stripe";
  /** Events processed in the interval whose latency is at most each bound (cumulative, as LATENCY_BUCKETS). */
  buckets: number[];
  count: number;
  sumSeconds: number;
}

export interface Signals {
  stuckBookings: { pending: number; unpaid: number };
  emails: { failed: number; held: number };
  webhookEvents: { provider: "calendly" | "stripe"; failed: number; held: number }[];
  /** Bookings created in the window, and how many of them were confirmed. */
  conversion: { created: number; confirmed: number };
  /** Bookings with a Stripe Checkout created in the window, and how many of them were paid. */
  payments: { checkouts: number; paid: number };
  /** Events processed since the previous read (received → processed). */
  latency: LatencyDelta[];
}

const iso = (ms: number) => new Date(ms).toISOString();
const num = (v: unknown) => Number(v ?? 0);

/** Reads every signal at `now`; latency counts the events processed in (latencySince, now]. */
export async function readSignals(sql: SqlTx, now: number, latencySince: number): Promise<Signals> {
  const [stuck] = await sql.query(
    `SELECT count(*) FILTER (WHERE status = 'PENDING') AS pending, count(*) FILTER (WHERE "paymentStatus" = 'UNPAID') AS unpaid
       FROM "Booking" WHERE (status = 'PENDING' OR ("paymentStatus" = 'UNPAID' AND status <> 'CANCELLED')) AND "createdAt" < $1::timestamp`,
    [iso(now - STUCK_AFTER_MS)],
  );
  const [emails] = await sql.query(
    `SELECT count(*) FILTER (WHERE status = 'FAILED' AND "createdAt" >= $1::timestamp) AS failed,
            count(*) FILTER (WHERE status = 'QUEUED' AND "createdAt" < $2::timestamp) AS held
       FROM "EmailMessage" WHERE status IN ('FAILED', 'QUEUED')`,
    [iso(now - SIGNAL_WINDOW_MS), iso(now - EMAIL_HELD_AFTER_MS)],
  );
  const events = await sql.query<{ provider: string; failed: unknown; held: unknown }>(
    `SELECT provider::text AS provider, count(*) FILTER (WHERE outcome = 'FAILED' AND "receivedAt" >= $1::timestamp) AS failed,
            count(*) FILTER (WHERE outcome = 'HELD') AS held
       FROM "WebhookEvent" WHERE outcome IN ('FAILED', 'HELD') GROUP BY provider`,
    [iso(now - SIGNAL_WINDOW_MS)],
  );
  const [conversion] = await sql.query(
    `SELECT count(*) AS created, count(*) FILTER (WHERE status = 'CONFIRMED') AS confirmed FROM "Booking" WHERE "createdAt" >= $1::timestamp`,
    [iso(now - SIGNAL_WINDOW_MS)],
  );
  const [payments] = await sql.query(
    `SELECT count(*) AS checkouts,
            count(*) FILTER (WHERE "paymentStatus" IN ('PAID', 'REFUND_PENDING', 'PARTIALLY_REFUNDED', 'REFUNDED', 'DISPUTED')) AS paid
       FROM "Booking" WHERE "stripeCheckoutSessionId" IS NOT NULL AND "createdAt" >= $1::timestamp`,
    [iso(now - SIGNAL_WINDOW_MS)],
  );
  const bucketColumns = LATENCY_BUCKETS.map((b, i) => `count(*) FILTER (WHERE s <= ${b}) AS b${i}`).join(", ");
  const latencyRows = await sql.query<Record<string, unknown>>(
    `SELECT provider, ${bucketColumns}, count(*) AS n, coalesce(sum(s), 0) AS total
       FROM (SELECT provider::text AS provider, EXTRACT(EPOCH FROM ("processedAt" - "receivedAt")) AS s
               FROM "WebhookEvent" WHERE "processedAt" > $1::timestamp AND "processedAt" <= $2::timestamp) t
      GROUP BY provider`,
    [iso(latencySince), iso(now)],
  );
  const byProvider = new Map(events.map((e) => [e.provider, e]));
  const latencyBy = new Map(latencyRows.map((r) => [String(r.provider), r]));
  return {
    stuckBookings: { pending: num(stuck?.pending), unpaid: num(stuck?.unpaid) },
    emails: { failed: num(emails?.failed), held: num(emails?.held) },
    webhookEvents: PROVIDERS.map((p) => ({ provider: lower(p), failed: num(byProvider.get(p)?.failed), held: num(byProvider.get(p)?.held) })),
    conversion: { created: num(conversion?.created), confirmed: num(conversion?.confirmed) },
    payments: { checkouts: num(payments?.checkouts), paid: num(payments?.paid) },
    latency: PROVIDERS.map((p) => {
      const r = latencyBy.get(p);
      return { provider: lower(p), buckets: LATENCY_BUCKETS.map((_, i) => num(r?.[`b${i}`])), count: num(r?.n), sumSeconds: num(r?.total) };
    }),
  };
}

const lower = (p: (typeof PROVIDERS)[number]) => p.toLowerCase() as "calendly" | "stripe";
