import type { Command } from "commander";
import { withEffect } from "../support/effect.js";
import { commandAction } from "../support/run.js";

/** `bookflow webhooks bench <calendly|stripe>`: signed webhook load against one's own staging or the sandbox. */
export function registerWebhookBench(webhooks: Command): void {
  withEffect(
    webhooks
      .command("bench")
      .description("send N signed webhook events at concurrency C to an endpoint; print throughput, p50/p95/p99/max latency and the status breakdown")
      .argument("<provider>", "calendly or stripe")
      .option("--count <n>", "stop after this many requests (default 1000)")
      .option("--duration <time>", "stop after this long instead (500ms, 30s, 2m, 1h); not with --count")
      .option("--concurrency <n>", "requests in flight at once (default 16)")
      .option("--duplicates <share>", "share of requests that repeat an already accepted event: 0 to 1, or a percentage (default 0)")
      .option("--url <url>", "endpoint (default: $CALENDLY_WEBHOOK_URL or $STRIPE_WEBHOOK_URL)")
      .option("--target <target>", "production | staging | sandbox (default: $BOOKFLOW_TARGET, else production)")
      .option("--event-type-uri <uri>", "Calendly event type of the created invitees (repeatable; default: active session types from DATABASE_URL)", collect, [] as string[])
      .option("--pipelining <n>", "HTTP/1.1 requests per connection (default 1: none; only for endpoints known to handle it)")
      .option("--timeout <time>", "time limit per request (default 10s)")
      .option("--json", "print the report as JSON (same as --format json)")
      .option("--format <name>", "text (default), json, or html: one self-contained page with the latency histogram")
      .option("--output <file>", "write the --format output (json or html) to this file; the text summary stays on stdout")
      .option("--i-know-this-is-production", "allow a production URL (see below)")
      .addHelpText(
        "after",
        `
Events are realistic and signed as the provider signs them, with CALENDLY_WEBHOOK_SIGNING_KEY or
STRIPE_WEBHOOK_SECRET (signatures are made again for runs longer than their validity):
  calendly  invitee.created for the active session types read from DATABASE_URL (else --event-type-uri,
            else ${"https://api.calendly.com/event_types/bookflow-bench"}, which an app answers "ignored");
            tracking.utm_campaign = bookflow-bench-<id>, printed as the run tag
  stripe    checkout.session.completed and payment_intent.succeeded in turn, for new invitees
            (an app records them as waiting for their booking: "deferred")
Repeats (--duplicates) re-send events the endpoint already accepted (2xx), re-signed.

Production guard: a URL is production when its host is not loopback (localhost, 127.0.0.0/8, ::1)
and the target is production (--target, else $BOOKFLOW_TARGET, else production) or STRIPE_SECRET_KEY
is a live key. bench refuses it (exit 2) unless --i-know-this-is-production.

Exit codes: 0 every request answered 2xx, 1 some did not (or failed), 2 bad usage or configuration.

Examples:
  bookflow webhooks bench calendly --count 2000 --concurrency 32
  bookflow webhooks bench stripe --duration 30s --duplicates 0.2 --json
  bookflow webhooks bench calendly --count 5000 --format html --output reports/bench.html
  bookflow webhooks bench calendly --url https://staging.example.com/api/webhooks/calendly --target staging
  bookflow --env-file .bookflow/sandbox.env webhooks bench calendly --count 500`,
      )
      .action(commandAction(async () => (await import("../handlers/webhooks-bench.js")).webhooksBench, ["provider"])),
    "write",
  );
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
