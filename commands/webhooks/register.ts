import type { Command } from "commander";
import { withEffect } from "../support/effect.js";
import { commandAction } from "../support/run.js";

/** `bookflow webhooks register [calendly|stripe]`: creates the registrations that are missing (handler: commands/handlers/webhooks-register.ts; docs: docs/webhooks.md). */
export function registerWebhookRegister(webhooks: Command): void {
  withEffect(
    webhooks
    .command("register")
    .description("create the webhook registrations that are missing (idempotent: a second run creates nothing); audited")
    .argument("[provider]", "calendly or stripe (default: both)")
    .option("--dry-run", "print the plan and change nothing")
    .option("--yes", "apply without asking (CI, scripts)")
    .option("--json", "print the plan and what was done as JSON")
    .option("--show-secret", "print a new Stripe endpoint's signing secret in full (default: masked)")
    .option("--replace", "Calendly: delete an incomplete or disabled subscription on the URL and create a complete one")
    .option("--actor <name>", "who is doing this, for the audit log (default: $BOOKFLOW_ACTOR, else the OS user)")
    .option("--config <file>", "config file with the expected events (default: ./bookflow.config.json when it exists)")
    .addHelpText(
      "after",
      `
Calendly: the subscription is created with CALENDLY_WEBHOOK_SIGNING_KEY as its signing key, in
organization scope when the token may (else user scope). Calendly subscriptions cannot be edited:
one on the URL that lacks events (or is disabled) is only replaced with --replace.
Stripe: a new endpoint's signing secret is printed once (masked unless --show-secret): set
STRIPE_WEBHOOK_SECRET to it. An endpoint on the URL that lacks events is updated in place;
a disabled one is left for \`bookflow webhooks restore\`.

Exit codes: 0 done (or nothing to do), 1 something is still wrong that register does not fix
(see "needs attention"), or a provider call failed; 2 bad usage or configuration, or a
confirmation was needed without a terminal and without --yes.

Examples:
  bookflow webhooks register --dry-run
  bookflow webhooks register stripe --yes --show-secret
  bookflow webhooks register calendly --replace --yes --actor ops@example.com`,
    )
    .action(commandAction(async () => (await import("../handlers/webhooks-register.js")).webhooksRegister, ["provider"])),
    "write",
  );
}
