import type { Command } from "commander";
import { withEffect } from "./support/effect.js";
import { commandAction } from "./support/run.js";

/** `bookflow serve`: the reference booking app (webhooks, marketplace, health). */
export function registerServe(program: Command): void {
  withEffect(program
    .command("serve")
    .description("run the reference booking app: webhook routes, marketplace API, health")
    .option("--port <port>", "port to listen on (default: $PORT or 3000; 0 picks a free one)")
    .option("--host <host>", "address to bind (default: $HOST or 127.0.0.1)")
    .option("--migrate", "apply pending migrations before starting")
    .addHelpText(
      "after",
      `
Routes:
  POST /api/webhooks/calendly     Calendly webhooks (Calendly-Webhook-Signature verified)
  POST /api/webhooks/stripe       Stripe webhooks (Stripe-Signature verified)
  GET  /api/health                database reachability, version, commit
  GET  /api/marketplace/builders  visible builders with their active session types
  GET  /api/builders/:slug        one visible builder

Environment: CALENDLY_WEBHOOK_SIGNING_KEY, STRIPE_WEBHOOK_SECRET, STRIPE_SECRET_KEY
(STRIPE_API_BASE to point at another Stripe API), SENDGRID_API_KEY, SENDGRID_FROM_EMAIL
(or BOOKFLOW_MAILER=capture), NEXT_PUBLIC_BASE_URL, DATABASE_URL (else embedded),
BOOKFLOW_REFUND_WINDOW_HOURS (24), BOOKFLOW_RATE_LIMIT_PER_MINUTE (600), CALENDLY_API_TOKEN
(frees the slot of a Checkout never paid), BOOKFLOW_CHECKOUT_EXPIRY_MINUTES (30-1440).
HTTP bounds: BOOKFLOW_TRUSTED_PROXIES, BOOKFLOW_MAX_CONNECTIONS (500),
BOOKFLOW_MAX_BODY_BYTES_IN_FLIGHT (8 MiB), BOOKFLOW_HEADERS_TIMEOUT_MS (10000),
BOOKFLOW_REQUEST_TIMEOUT_MS (30000).
Refunds, Calendly cancellations and emails are retried by a sweep: BOOKFLOW_SWEEP_SECONDS (5),
BOOKFLOW_EFFECT_LEASE_SECONDS (120), BOOKFLOW_EFFECT_RETRY_SECONDS (30). Each is explained in the README.
Logs: one JSON line per request on stdout. SIGTERM/SIGINT finish in-flight requests, then exit.`,
    )
    .action(commandAction(async () => (await import("./handlers/serve.js")).serve)), "write");
}
