import type { Command } from "commander";
import { withEffect } from "./support/effect.js";
import { commandAction } from "./support/run.js";

/** `bookflow emails preview` (handler in commands/handlers/emails-preview.ts). */
export function registerEmails(program: Command): void {
  const emails = program.command("emails").description("the booking emails the app sends (confirmation, receipt, cancellation, rescheduled)");

  withEffect(emails
    .command("preview")
    .description("render one kind of booking email for a sample booking, as the invitee would get it, to look at")
    .argument("<kind>", "confirmation | receipt | cancellation | rescheduled")
    .option("--output <file>", "write the HTML (or the --json) to this file instead of stdout")
    .option("--json", "print { kind, subject, html, text, variablesMissing, source, … } as JSON")
    .addHelpText(
      "after",
      `
The email is rendered with the dynamic data the app sends (kind, subject, bookingId,
inviteeName, inviteeEmail, sessionTitle, builderName, startTime, endTime, when, amount,
amountCents, currency, cancellationReason) for a sample booking.

With SENDGRID_BOOKING_TEMPLATE_ID set (and SENDGRID_API_KEY, SENDGRID_API_BASE), the
template's active version is fetched from SendGrid and rendered with Handlebars, as
SendGrid renders it; a variable the template uses that the app never sends is named on
stderr (it renders empty). Without a template id, or when SendGrid cannot be read, the
email is bookflow's own rendering (the reason is on stderr). Nothing is sent.

Exit codes: 0 rendered, 1 the template did not render (its error is shown), 2 bad usage
(an unknown kind).

Examples:
  bookflow emails preview confirmation > confirmation.html
  bookflow emails preview receipt --output receipt.html --env-file .env.production
  bookflow emails preview cancellation --json | jq -r .subject
  bookflow verify --only sendgrid        the same rendering, for every kind, as a check`,
    )
    .action(commandAction(async () => (await import("./handlers/emails-preview.js")).emailsPreview, ["kind"])), "read");
}
