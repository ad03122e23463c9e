import type { Command } from "commander";
import { withEffect } from "../support/effect.js";
import { commandAction } from "../support/run.js";
import { collect } from "../support/repeatable.js";

/** `bookflow bookings list` (handler in commands/handlers/bookings-list.ts, docs in docs/bookings.md). */
export function registerBookingsList(bookings: Command): void {
  withEffect(bookings
    .command("list")
    .description("bookings by status, payment, builder, session type, email, start date, or stuck; a table or --json, paged")
    .option("--status <status>", "PENDING, CONFIRMED or CANCELLED (comma-separated or repeated)", collect)
    .option("--payment-status <status>", "NOT_REQUIRED, UNPAID, PAID or REFUNDED (comma-separated or repeated)", collect)
    .option("--builder <slug>", "the builder's slug (e.g. ada-lovelace)")
    .option("--session-type <slug>", "the session type's slug (e.g. intro-call; with --builder to pick one builder's)")
    .option("--email <address>", "the invitee's email (case-insensitive)")
    .option("--from <date>", "start time on or after this ISO date or date-time (UTC)")
    .option("--to <date>", "start time before this date-time; a bare date includes that whole day")
    .option("--stuck", "only bookings that need someone: unpaid or refund pending longer than --stuck-after, refund failed, or marked for review")
    .option("--stuck-after <duration>", "the --stuck threshold: 30m (default), 2h, 1d (implies --stuck)")
    .option("--limit <n>", "bookings per page, 1 to 500", "50")
    .option("--cursor <cursor>", "continue after the previous page (the cursor it printed)")
    .option("--json", "print { filter, count, items, nextCursor } as JSON")
    .addHelpText(
      "after",
      `
Bookings are ordered by start time (then id), oldest first. A page ends with the
cursor of the next one: pass it as --cursor (same filters) to continue.

Exit codes: 0 listed (also when none match), 2 bad usage (unknown status, builder or
session type, malformed date or cursor) or the database is unreachable.

Examples:
  bookflow bookings list --from 2030-01-01 --to 2030-01-31
  bookflow bookings list --stuck --stuck-after 2h
  bookflow bookings list --email jane@example.com --json
  bookflow bookings list --builder ada-lovelace --session-type build-session --payment-status paid`,
    )
    .action(commandAction(async () => (await import("../handlers/bookings-list.js")).bookingsList)), "read");
}
