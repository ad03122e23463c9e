import type { Command } from "commander";
import type { BookingsReprocessOptions } from "../handlers/bookings-reprocess.js";
import { withEffect } from "../support/effect.js";
import { commandAction } from "../support/run.js";

/** `bookflow bookings reprocess` (handler in commands/handlers/bookings-reprocess.ts, docs in docs/bookings.md). */
export function registerBookingsReprocess(bookings: Command): void {
  withEffect(bookings
    .command("reprocess")
    .description("re-read a booking's truth from Calendly and Stripe and re-apply it through the webhook intake (lost webhooks, failed refunds); audited")
    .argument("<booking>", "a booking id (or any identifier `bookings show` takes that matches one booking)")
    .option("--dry-run", "print what would change and change nothing")
    .option("--yes", "apply without asking (CI, scripts)")
    .option("--json", "print { decision, plan, outcome, emails } as JSON")
    .option("--actor <name>", "who is doing this, for the audit log (default: $BOOKFLOW_ACTOR, else the OS user)")
    .addHelpText(
      "after",
      `
Repairs: a lost Calendly cancellation, a lost Stripe payment (in the order they
happened), a refund that failed earlier and is due by the policy, a refund made in the
Stripe dashboard. Reports (does not change): a CANCELLED booking still active in
Calendly, a payment for a free booking, a partial refund, a moved start time.
Changes go through the same intake as the webhooks (same status rules and emails);
a second run finds nothing to change.

Without a terminal and without --yes, the plan is printed as JSON and nothing changes (exit 2).

Exit codes: 0 applied, nothing to do, or --dry-run; 1 a provider could not be read
(nothing changed) or a change did not apply; 2 bad usage, no such booking, or a
confirmation was needed.

Examples:
  bookflow bookings reprocess 6f1c… --dry-run
  bookflow bookings reprocess cs_test_a1b2… --yes --actor ops@example.com
  bookflow bookings reprocess 6f1c… --yes --json | jq '.outcome.complete'`,
    )
    .action(commandAction(async () => {
      const { bookingsReprocess } = await import("../handlers/bookings-reprocess.js");
      return (raw, deps) => bookingsReprocess(raw as BookingsReprocessOptions, deps);
    }, ["booking"])), "destructive");
}
