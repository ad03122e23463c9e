import type { Command } from "commander";
import { withEffect } from "../support/effect.js";
import { globalOptions } from "../support/options.js";

/** `bookflow webhooks status, register, replay` (handlers in commands/handlers/webhooks-*.ts, docs in docs/webhooks.md). */
export function registerWebhookInspection(webhooks: Command): void {
  withEffect(webhooks
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
    .action(async (provider: string | undefined, opts: Record<string, unknown>, cmd: Command) => {
      const { webhooksStatus } = await import("../handlers/webhooks-status.js");
      process.exitCode = await webhooksStatus({ ...opts, provider }, await deps(cmd));
    }), "read");

  withEffect(webhooks
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
    .action(async (provider: string | undefined, opts: Record<string, unknown>, cmd: Command) => {
      const { webhooksRegister } = await import("../handlers/webhooks-register.js");
      process.exitCode = await webhooksRegister({ ...opts, provider }, await deps(cmd));
    }), "write");

  withEffect(webhooks
    .command("replay")
    .description("send a realistic, signed test webhook to the app and report status, latency and body (--expect, --verify-db)")
    .argument("<provider>", "calendly or stripe")
    .argument("<event-type>", "invitee.created, invitee.canceled (calendly); checkout.session.completed, payment_intent.succeeded (stripe)")
    .option("--booking <id>", "the event refers to this booking (its invitee, email, session type, amounts)")
    .option("--payload <file>", "send this JSON body (validated) instead of a fixture")
    .option("--event <evt_id>", "stripe: send this event, fetched from the Stripe API")
    .option("--url <url>", "POST here (default: CALENDLY_WEBHOOK_URL / STRIPE_WEBHOOK_URL)")
    .option("--expect <status>", "2xx, 4xx, … or an exact code: exit 1 when the answer differs (default 2xx)")
    .option("--unsigned", "send without a signature header (the app should answer 4xx)")
    .option("--bad-signature", "send with a well-formed but wrong signature (the app should answer 4xx)")
    .option("--verify-db [timeout]", "wait until the booking in the database reflects the event (default 10s)")
    .option("--timeout <duration>", "time limit of the HTTP request", "10s")
    .option("--json", "print the result as JSON")
    .addHelpText(
      "after",
      `
Signing: CALENDLY_WEBHOOK_SIGNING_KEY (Calendly-Webhook-Signature) or STRIPE_WEBHOOK_SECRET
(Stripe-Signature, made by the Stripe SDK), exactly as the providers sign.
Without a source, a fixture is sent: invitee.* books an active session type from the database
(DATABASE_URL), else ${"https://api.calendly.com/event_types/ada-intro-call"}; Stripe fixtures refer to no booking.

Exit codes: 0 the answer met --expect and, with --verify-db, the booking reflects the event;
1 otherwise; 2 bad usage or input (unknown event type, unreadable payload, unknown booking…).

Examples:
  bookflow webhooks replay calendly invitee.created --verify-db
  bookflow webhooks replay stripe checkout.session.completed --booking 6f1c… --verify-db 20s
  bookflow webhooks replay stripe payment_intent.succeeded --event evt_1Q… --json
  bookflow webhooks replay calendly invitee.canceled --unsigned --expect 4xx
  bookflow webhooks replay stripe checkout.session.completed --payload ./event.json --url http://localhost:3000/api/webhooks/stripe`,
    )
    .action(async (provider: string, eventType: string, opts: Record<string, unknown>, cmd: Command) => {
      const { webhooksReplay } = await import("../handlers/webhooks-replay.js");
      process.exitCode = await webhooksReplay({ ...opts, provider, eventType }, await deps(cmd));
    }), "write");
}

async function deps(cmd: Command) {
  const { createContext } = await import("../../src/context.js");
  return { ctx: createContext({ envFiles: globalOptions(cmd).envFile }) };
}
