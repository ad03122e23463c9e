import type { Command } from "commander";
import { withEffect } from "./support/effect.js";
import { commandAction } from "./support/run.js";

/** `bookflow stats`: aggregates over a UTC window, computed in the database (handler in commands/handlers/stats.ts, docs in docs/stats.md). */
export function registerStats(program: Command): void {
  withEffect(program
    .command("stats")
    .description("booking conversion, payment success, refunds, disputes, email delivery, popularity, webhook processing times and a daily series over a window")
    .option("--since <when>", "from this ISO date or date-time (UTC when no zone), or this long ago (24h, 7d)", "7d")
    .option("--until <when>", "before this date-time (a bare date includes that day), or this long ago; default now")
    .option("--top <n>", "session types and builders listed, 1 to 1000", "10")
    .option("--json", "print the report as JSON (its shape: StatsReport in src/ops/stats-report.ts)")
    .option("--format <format>", "text (the tables, default), json (as --json) or html (one self-contained page with charts)")
    .option("--output <file>", "write the --format json or html output to this file (directories created) instead of stdout")
    .option("--no-provider-stats", "do not read SendGrid's own stats (GET /v3/stats) for the window")
    .addHelpText(
      "after",
      `
All figures are computed by the database over [--since, --until), in UTC days,
from bookflow's own tables. Bookings of scenario runs (runTag) and their emails
are left out. A rate is n/d; "n/a" (null in --json) when d is 0.

  Booking conversion   confirmed at some point / bookings created (Booking.createdAt
                       in the window). Confirmed: CONFIRMED now, or CANCELLED after
                       it was confirmed (free, or its payment was recorded).
  Checkout conversion  paid bookings whose payment was recorded / paid bookings with
                       a Stripe Checkout session (or a recorded payment).
  Payment success      payment recorded / (recorded + failed). Failed: CANCELLED and
                       UNPAID with a Checkout session (expired, or the delayed payment
                       failed). PENDING / PROCESSING ones are "awaiting", in neither.
  Refund rate          refunded in full or in part / payment recorded.
  Dispute rate         disputed (a Stripe dispute, won or not) / payment recorded.
  Email delivery       per kind: SENT / (SENT + FAILED) of EmailMessage rows created
                       in the window; QUEUED ones are counted apart. SENT means
                       SendGrid accepted it.
  SendGrid's figures   with SENDGRID_API_KEY holding Stats: Read Access: SendGrid's
                       own requests, delivered, bounces and blocks (GET /v3/stats)
                       over the window's UTC days, and each / requests. No key, no
                       scope or SendGrid unreachable: the report says why they are
                       absent (exit code unchanged). --no-provider-stats skips them.
  Popularity           bookings per session type and per builder, most booked first.
  Webhook processing   processedAt - receivedAt of WebhookEvent rows received in the
                       window, p50/p95/p99/max per provider and event type.
  Daily series         per UTC day: bookings created (and of those confirmed, paid,
                       cancelled), emails sent and failed, webhook events received;
                       days without any are zeros. At most 1000 days.

Exit codes: 0 computed (also for an empty window), 2 bad usage (a malformed date,
--since not before --until, a window over 1000 days, a --format other than text,
json or html) or the database is unreachable.

Examples:
  bookflow stats                                   # the last 7 days
  bookflow stats --since 24h
  bookflow stats --since 2026-03-01 --until 2026-03-31 --top 5
  bookflow stats --since 30d --json | jq '.payments.success.rate'
  bookflow stats --since 30d --format html --output stats.html   # charts, opens from file://`,
    )
    .action(commandAction(async () => (await import("./handlers/stats.js")).stats)), "read");
}
