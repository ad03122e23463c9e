import type { Command } from "commander";
import { withEffect } from "../support/effect.js";
import { globalOptions } from "../support/options.js";

/**
 * `bookflow bookings list, show, reprocess, cancel` (handlers in
 * commands/handlers/bookings-*.ts, docs in docs/bookings.md).
 */
export function registerBookingsSupport(bookings: Command): void {
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
    .option("--stuck", "only PENDING/UNPAID bookings created longer ago than --stuck-after")
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
    .action(async (opts: Record<string, unknown>, cmd: Command) => {
      const { bookingsList } = await import("../handlers/bookings-list.js");
      process.exitCode = await bookingsList(opts, await deps(cmd));
    }), "read");

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
    .action(async (booking: string, opts: Record<string, unknown>, cmd: Command) => {
      const { bookingsShow } = await import("../handlers/bookings-show.js");
      process.exitCode = await bookingsShow({ ...opts, booking }, await deps(cmd));
    }), "read");

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
    .action(async (booking: string, opts: Record<string, unknown>, cmd: Command) => {
      const { bookingsReprocess } = await import("../handlers/bookings-reprocess.js");
      process.exitCode = await bookingsReprocess({ ...opts, booking }, await deps(cmd));
    }), "destructive");

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
    .action(async (booking: string, opts: Record<string, unknown>, cmd: Command) => {
      const { bookingsCancel } = await import("../handlers/bookings-cancel.js");
      process.exitCode = await bookingsCancel({ ...opts, booking }, await deps(cmd));
    }), "destructive");
}

async function deps(cmd: Command) {
  const { createContext } = await import("../../src/context.js");
  return { ctx: createContext({ envFiles: globalOptions(cmd).envFile }) };
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
