import type { Command } from "commander";
import { withEffect } from "../support/effect.js";
import { commandAction } from "../support/run.js";

/** `bookflow webhooks status [calendly|stripe]`: registrations marked against the configuration (handler: commands/handlers/webhooks-status.ts; docs: docs/webhooks.md). */
export function registerWebhookStatus(webhooks: Command): void {
  withEffect(
    webhooks
    .command("status")
    .description("both providers' webhook registrations marked against the configuration; exit 1 when something is missing or wrong")
    .argument("[provider]", "calendly or stripe (default: both)")
    .option("--json", "print the status as JSON (shape in docs/webhooks.md)")
    .option("--strict", "warnings (registrations on other URLs, disabled duplicates) fail too")
    .option("--config <file>", "config file with the expected events (default: ./bookflow.config.json when it exists)")
    .addHelpText(
      "after",
      `
Expected: CALENDLY_WEBHOOK_URL / STRIPE_WEBHOOK_URL, receiving the events of bookflow.config.json
(default invitee.created, invitee.canceled / checkout.session.completed, payment_intent.succeeded).
Marks: ok, missing-events, disabled, duplicate (a second registration on the same URL), wrong-url.

Exit codes: 0 as expected, 1 something missing or wrong (or a provider could not be read),
2 bad usage or configuration.

Examples:
  bookflow webhooks status
  bookflow webhooks status stripe --json | jq '.providers.stripe.ok'
  bookflow --env-file .env.production webhooks status --strict`,
    )
    .action(commandAction(async () => (await import("../handlers/webhooks-status.js")).webhooksStatus, ["provider"])),
    "read",
  );
}
