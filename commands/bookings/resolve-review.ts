import type { Command } from "commander";
import { withEffect } from "../support/effect.js";
import { commandAction } from "../support/run.js";

/** `bookflow bookings resolve-review` (handler in commands/handlers/bookings-resolve-review.ts, docs in docs/bookings.md). */
export function registerBookingsResolveReview(bookings: Command): void {
  withEffect(bookings
    .command("resolve-review")
    .description("close a booking's review (a reschedule into another price) once the difference is settled, audited")
    .argument("<booking>", "a booking id, invitee email, Calendly invitee/event URI, or Stripe cs_… / pi_… id")
    .requiredOption("--reason <text>", "what was decided (kept in the audit log)")
    .option("--actor <name>", "who decided (default: $BOOKFLOW_ACTOR, else the OS user)")
    .option("--yes", "apply without asking")
    .option("--dry-run", "show what would be cleared, change nothing")
    .option("--json", "print the plan, or with --yes the outcome, as JSON")
    .addHelpText(
      "after",
      `
A reschedule into a session type with another price moves the booking but keeps its
session type and amount, and marks it for review: \`bookings show\` prints REVIEW and
\`bookings list --stuck\` lists it. Settle the difference in Stripe (charge or refund),
then close the review here. Nothing else about the booking changes; no money moves.

Exit codes: 0 closed (or nothing to review, or a dry run), 2 bad usage, no such booking,
or no --yes without a terminal (the plan is printed as JSON).

Examples:
  bookflow bookings resolve-review 6f1c… --reason "charged the 50.00 difference in Stripe" --yes
  bookflow bookings resolve-review jane@example.com --reason "kept the price, goodwill" --dry-run`,
    )
    .action(commandAction(async () => (await import("../handlers/bookings-resolve-review.js")).bookingsResolveReview, ["booking"])), "write");
}
