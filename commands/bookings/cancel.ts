import type { Command } from "commander";
import type { BookingsCancelOptions } from "../handlers/bookings-cancel.js";
import { withEffect } from "../support/effect.js";
import { commandAction } from "../support/run.js";
import { collect } from "../support/repeatable.js";

/** `bookflow bookings cancel` (handler in commands/handlers/bookings-cancel.ts, docs in docs/bookings.md). */
export function registerBookingsCancel(bookings: Command): void {
  withEffect(bookings
    .command("cancel")
    .description("cancel a booking for the customer: Calendly event, status CANCELLED, refund per --refund, cancellation email; audited, safe to re-run")
    .argument("<booking>", "a booking id (or any identifier `bookings show` takes that matches one booking)")
    .option("--reason <text>", "why (required): recorded on the booking and in the audit log")
    .option("--refund <mode>", "full, none or policy (default policy: full refund when cancelled at least BOOKFLOW_REFUND_WINDOW_HOURS, default 24, before the start)", collect)
    .option("--dry-run", "print the plan (what is already done, what would be done) and change nothing")
    .option("--yes", "apply without asking (CI, scripts)")
    .option("--json", "print { decision, plan, outcome } as JSON")
    .option("--actor <name>", "who is doing this, for the audit log (default: $BOOKFLOW_ACTOR, else the OS user)")
    .addHelpText(
      "after",
      `
Steps: (1) cancel the Calendly event and (2) set the booking CANCELLED, together under
the booking's lock (the invitee.canceled webhook Calendly sends then changes nothing);
(3) refund through Stripe per --refund (existing refunds are checked first; the
idempotency key derives from the booking id); (4) send the cancellation email through
the outbox; (5) an audit entry per step and a booking.cancel summary.
If a step fails, the output says what was done and what was not (exit 1); running the
same command again does only the rest: never a second refund or a second email.

Exit codes: 0 done or nothing left to do; 1 a provider call failed part way; 2 bad usage
(missing or empty --reason, unknown --refund, --refund given twice differently,
--dry-run with --yes), no such booking, or a confirmation was needed without a terminal.

Examples:
  bookflow bookings cancel 6f1c… --reason "customer asked by email" --dry-run
  bookflow bookings cancel 6f1c… --reason "builder ill" --refund full --yes
  bookflow bookings cancel jane@example.com --reason "duplicate booking" --refund none --yes --json`,
    )
    .action(commandAction(async () => {
      const { bookingsCancel } = await import("../handlers/bookings-cancel.js");
      return (raw, deps) => bookingsCancel(raw as BookingsCancelOptions, deps);
    }, ["booking"])), "destructive");
}
