import type { Command } from "commander";
import type { BookingsReconcileOptions } from "../handlers/bookings-reconcile.js";
import { withEffect } from "../support/effect.js";
import { commandAction } from "../support/run.js";

/** `bookflow bookings reconcile` (handler in commands/handlers/bookings-reconcile.ts, docs in docs/reconcile.md). */
export function registerBookingsReconcile(bookings: Command): void {
  withEffect(bookings
    .command("reconcile")
    .description("find bookings on which the database, Calendly and Stripe disagree, by kind; --fix applies the safe repairs (audited)")
    .option("--since <date>", "required: start of the window, bookings STARTING from then (2026-03-01, or 2026-03-01T09:00:00Z)")
    .option("--until <date>", "end of the window, exclusive (default: no end)")
    .option("--stuck-after <duration>", "PENDING/UNPAID bookings older than this are stuck_pending: 45s, 30m, 2h, 1d", "30m")
    .option("--stripe-lookback <duration>", "read Stripe payments and refunds created from --since minus this (bookings are paid before they start)", "90d")
    .option("--page-size <n>", "records per page from each source, 1-100", "100")
    .option("--fix", "apply the safe repairs through the core (asks first; see --yes, --dry-run)")
    .option("--dry-run", "with --fix: print the repairs and change nothing")
    .option("--yes", "with --fix: apply without asking (CI, scripts)")
    .option("--actor <name>", "who is doing this, for the audit log (default: $BOOKFLOW_ACTOR, else the OS user)")
    .option("--json", "print the report (and what --fix did) as one JSON document")
    .addHelpText(
      "after",
      `
Window: on the booking's start time (Calendly's start_time, Booking.startTime), [--since, --until).
Stripe payment intents and refunds are matched to bookings through their metadata (booking_id,
calendly_invitee_uri) or the payment intent the booking recorded.

Kinds: missing_in_db (booked in Calendly, no booking), paid_not_recorded (paid in Stripe, not PAID
here), cancelled_not_recorded (cancelled in Calendly, active here), refunded_not_recorded (refunded
in Stripe, not REFUNDED here), stuck_pending (PENDING/UNPAID longer than --stuck-after).

--fix repairs the first four through the same intake as the webhooks (refunds are only recorded,
never made), each with an audit entry; stuck_pending is reported only. A terminal asks; without one,
--fix needs --yes (else the plan is printed as JSON and the exit code is 2).

Exit codes: 0 the sources agree, or --fix repaired every disagreement; 1 disagreements remain
(also with --fix --dry-run), or a provider failed; 2 bad input (malformed date, --until not after
--since, bad duration or page size) or configuration, or a confirmation was needed.

Examples:
  bookflow bookings reconcile --since 2026-03-01 --until 2026-04-01
  bookflow bookings reconcile --since 2026-03-01 --json | jq '.counts'
  bookflow bookings reconcile --since 2026-03-01 --fix --dry-run
  bookflow bookings reconcile --since 2026-03-01 --fix --yes --actor ops@example.com
  bookflow bookings reconcile --since 2026-03-01T00:00:00Z --stuck-after 2h --page-size 50`,
    )
    .action(commandAction(async () => {
      const { bookingsReconcile } = await import("../handlers/bookings-reconcile.js");
      return (raw, deps) => bookingsReconcile(raw as BookingsReconcileOptions, deps);
    })), "write");
}
