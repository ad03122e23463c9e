import type { Command } from "commander";
import { withEffect } from "../support/effect.js";
import { commandAction } from "../support/run.js";

/** `bookflow webhooks replay <provider> <event-type>`: one realistic, signed test webhook (handler: commands/handlers/webhooks-replay.ts; docs: docs/webhooks.md). */
export function registerWebhookReplay(webhooks: Command): void {
  withEffect(
    webhooks
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
    .action(commandAction(async () => (await import("../handlers/webhooks-replay.js")).webhooksReplay, ["provider", "eventType"])),
    "write",
  );
}
