import type { Command } from "commander";
import { withEffect } from "../support/effect.js";
import { commandAction } from "../support/run.js";

/** `bookflow bookings show` (handler in commands/handlers/bookings-show.ts, docs in docs/bookings.md). */
export function registerBookingsShow(bookings: Command): void {
  withEffect(bookings
    .command("show")
    .description("one booking: its details, timeline (webhooks, emails, audit) and a live look at its Calendly event and Stripe payment")
    .argument("<booking>", "a booking id, invitee email, Calendly invitee/event URI, or Stripe cs_… / pi_… id")
    .option("--json", "print { booking, timeline, live, providers } as JSON")
    .option("--no-live", "only the database: do not call Calendly or Stripe")
    .addHelpText(
      "after",
      `
The live section reads Calendly (the scheduled event and invitee) and Stripe (Checkout
session, payment intent, refunds). A provider that cannot be read is reported in its
section; the command still succeeds. When the providers disagree with the database,
the changes \`bookflow bookings reprocess\` would make are listed.

Exit codes: 0 shown, 2 no booking matches (or several do: they are listed; pass an id),
bad usage, or the database is unreachable.

Examples:
  bookflow bookings show 6f1c…                  by id
  bookflow bookings show jane@example.com       by invitee email (several → listed)
  bookflow bookings show cs_test_a1b2…          by Stripe Checkout session
  bookflow bookings show https://api.calendly.com/scheduled_events/…/invitees/… --json`,
    )
    .action(commandAction(async () => (await import("../handlers/bookings-show.js")).bookingsShow, ["booking"])), "read");
}
