import { z } from "zod";

/**
 * What `bookflow stats` reports, as a zod schema: the value `--json` prints and
 * any renderer (the table, an HTML report) takes. Every figure is computed by
 * SQL in the database (src/ops/stats-sql.ts); its definition is in
 * docs/stats.md. A rate is a number from 0 to 1, or null when its denominator
 * is zero (never NaN). Times are UTC.
 */
export const STATS_SCHEMA_VERSION = 1;

const count = z.number().int().min(0);
const rate = z.number().min(0).max(1).nullable().meta({ description: "numerator / denominator, 0 to 1; null when the denominator is 0" });
const ms = z.number().min(0).nullable().meta({ description: "milliseconds; null when no event of the group was processed" });

export const statsRatioSchema = z.object({ numerator: count, denominator: count, rate }).meta({ title: "StatsRatio" });

export const statsEmailKindSchema = z
  .object({
    kind: z.enum(["CONFIRMATION", "RECEIPT", "CANCELLATION", "RESCHEDULED", "ROLLBACK_NOTICE"]),
    total: count,
    sent: count.meta({ description: "status SENT: SendGrid accepted the message (202), not necessarily delivered to the inbox" }),
    failed: count,
    queued: count.meta({ description: "status QUEUED: not sent yet (on its way, or waiting for a retry)" }),
    deliveryRate: rate.meta({ description: "sent / (sent + failed); queued ones are not in the denominator" }),
  })
  .meta({ title: "StatsEmailKind" });

export const statsPopularitySchema = z
  .object({
    id: z.string(),
    slug: z.string(),
    name: z.string().meta({ description: "A session type's title, a builder's display name" }),
    builderSlug: z.string().optional().meta({ description: "Session types only: the builder's slug" }),
    bookings: count,
    confirmed: count,
    share: rate.meta({ description: "bookings / all bookings of the window" }),
  })
  .meta({ title: "StatsPopularity" });

export const statsWebhookGroupSchema = z
  .object({
    provider: z.enum(["CALENDLY", "STRIPE"]),
    type: z.string(),
    received: count,
    processed: count.meta({ description: "events with a processedAt (PROCESSED, DUPLICATE, IGNORED, …)" }),
    failed: count.meta({ description: "outcome FAILED" }),
    held: count.meta({ description: "outcome HELD or DEFERRED" }),
    p50Ms: ms,
    p95Ms: ms,
    p99Ms: ms,
    maxMs: ms,
  })
  .meta({ title: "StatsWebhookGroup" });

export const statsDaySchema = z
  .object({
    day: z.iso.date().meta({ description: "A UTC day, YYYY-MM-DD" }),
    bookings: count,
    confirmed: count,
    paid: count,
    cancelled: count,
    emailsSent: count,
    emailsFailed: count,
    webhooksReceived: count,
  })
  .meta({ title: "StatsDay" });

export const statsSendGridSchema = z
  .discriminatedUnion("available", [
    z.object({
      available: z.literal(true),
      startDate: z.iso.date().meta({ description: "SendGrid counts per UTC day: the first day read (the day of --since)" }),
      endDate: z.iso.date().meta({ description: "the last day read (the day before --until, or --until's day when it is not midnight)" }),
      requests: count.meta({ description: "emails SendGrid was asked to send (GET /v3/stats metrics.requests)" }),
      delivered: count.meta({ description: "accepted by the receiving server" }),
      bounces: count,
      blocks: count,
      deliveredRate: rate.meta({ description: "delivered / requests" }),
      bounceRate: rate.meta({ description: "bounces / requests" }),
      blockRate: rate.meta({ description: "blocks / requests" }),
    }),
    z.object({ available: z.literal(false), reason: z.string().meta({ description: "why SendGrid's figures are absent, and what to do" }) }),
  ])
  .meta({ title: "StatsSendGrid", description: "SendGrid's own global stats over the window's UTC days, beside bookflow's email rows" });

export const statsReportSchema = z
  .object({
    schemaVersion: z.literal(STATS_SCHEMA_VERSION),
    generatedAt: z.iso.datetime(),
    window: z.object({
      since: z.iso.datetime().meta({ description: "inclusive" }),
      until: z.iso.datetime().meta({ description: "exclusive" }),
      timeZone: z.literal("UTC"),
    }),
    bookings: z.object({
      created: count.meta({ description: "Booking rows created in the window (scenario runs' tagged bookings left out)" }),
      free: count,
      paid: count.meta({ description: "of a paid session type (paymentStatus other than NOT_REQUIRED)" }),
      pending: count,
      confirmedNow: count.meta({ description: "status CONFIRMED today" }),
      cancelled: count,
    }),
    conversion: z.object({
      booked: statsRatioSchema.meta({ description: "confirmed at some point / created" }),
      checkout: statsRatioSchema.meta({ description: "paid bookings: payment recorded / Checkout created" }),
    }),
    payments: z.object({
      success: statsRatioSchema.meta({ description: "payment recorded / (recorded + failed: cancelled unpaid after a Checkout was created)" }),
      awaiting: count.meta({ description: "PENDING paid bookings (UNPAID or PROCESSING): no outcome yet, in no denominator" }),
      refund: statsRatioSchema.meta({ description: "refunded in full or in part / payment recorded" }),
      dispute: statsRatioSchema.meta({ description: "disputed (a dispute id, or DISPUTED) / payment recorded" }),
    }),
    emails: z.object({
      source: z.literal("bookflow").meta({ description: "bookflow's own EmailMessage rows; SendGrid's own delivery figures are `sendgrid`" }),
      byKind: z.array(statsEmailKindSchema),
      all: statsEmailKindSchema.omit({ kind: true }),
    }),
    sendgrid: statsSendGridSchema.optional().meta({ description: "SendGrid's own figures (GET /v3/stats); absent only from a report computed without asking (the command always sets it)" }),
    sessionTypes: z.array(statsPopularitySchema).meta({ description: "most booked first, at most --top" }),
    builders: z.array(statsPopularitySchema).meta({ description: "most booked first, at most --top" }),
    webhooks: z.array(statsWebhookGroupSchema).meta({ description: "by provider and event type: processing time = processedAt - receivedAt" }),
    daily: z.array(statsDaySchema).meta({ description: "every UTC day the window touches, days without activity as zeros" }),
  })
  .meta({ title: "StatsReport" });

export type StatsReport = z.infer<typeof statsReportSchema>;
export type StatsRatio = z.infer<typeof statsRatioSchema>;
export type StatsEmailKind = z.infer<typeof statsEmailKindSchema>;
export type StatsPopularity = z.infer<typeof statsPopularitySchema>;
export type StatsWebhookGroup = z.infer<typeof statsWebhookGroupSchema>;
export type StatsDay = z.infer<typeof statsDaySchema>;
export type StatsSendGrid = z.infer<typeof statsSendGridSchema>;
