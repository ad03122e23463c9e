import type { Command } from "commander";
import { withEffect } from "./support/effect.js";
import { collect } from "./support/repeatable.js";
import { commandAction } from "./support/run.js";

/** `bookflow init` (handler: commands/handlers/init.ts; docs: docs/init.md). */
export function registerInit(program: Command): void {
  withEffect(program
    .command("init")
    .description("start a configuration: bookflow.config.json (with \"$schema\", so editors autocomplete it) and a .env.example listing every variable, from questions on a terminal or flags")
    .option("--yes", "ask nothing: take the defaults for everything no flag gives (CI, scripts)")
    .option("--dir <folder>", "where to write the files (default: the current folder)")
    .option("--force", "overwrite bookflow.config.json and .env.example when they exist")
    .option("--no-env-example", "write only bookflow.config.json")
    .option("--target <target>", "production | staging | sandbox: the config's default target (default production)")
    .option("--domain <domain>", "the domain mail is sent from (email.sendingDomain); also the default base URL, https://<domain>")
    .option("--base-url <url>", "the app's public base URL (NEXT_PUBLIC_BASE_URL in .env.example); the webhook URLs are derived from it")
    .option("--calendly-webhook-url <url>", "CALENDLY_WEBHOOK_URL (default <base-url>/api/webhooks/calendly)")
    .option("--stripe-webhook-url <url>", "STRIPE_WEBHOOK_URL (default <base-url>/api/webhooks/stripe)")
    .option("--session-type <slug:priceCents:currency>", "a session type that must exist (seed.sessionTypes), price in cents; repeatable", collect)
    .option("--contact <role:name:way>", "an emergency contact (contacts): role calendly|stripe|sendgrid|database|vercel|on-call|other, way an email, phone or https URL; repeatable", collect)
    .option("--http-latency-ms <ms>", "thresholds.httpLatencyMs: slower HTTP answers are a warning (default 2000)")
    .option("--database-latency-ms <ms>", "thresholds.databaseLatencyMs: a slower database round trip is a warning (default 500)")
    .option("--certificate-expiry-days <days>", "thresholds.certificateExpiryDays: warn when the certificate expires sooner (default 14)")
    .addHelpText(
      "after",
      `
On a terminal init asks for what no flag gives (Enter takes the default shown); with --yes it asks
nothing. Without a terminal and without --yes it exits 2. It never overwrites bookflow.config.json or
.env.example without --force (exit 2, naming the file), and checks each answer as verify would check
the config (a bad one is exit 2 with the fix, or asked again on a terminal).

"$schema" is ./node_modules/bookflow/schemas/bookflow.config.schema.json (the schema shipped in the
package, where npm installs it next to your config), or the path to schemas/ when the folder is
inside a bookflow checkout. .env.example lists every variable bookflow reads, with what it is for.

Exit codes: 0 written, 2 bad flag or answer, a file exists (without --force), or no terminal to ask on
(without --yes).

Examples:
  bookflow init
  bookflow init --yes --domain example.com --session-type intro-call:0:usd --session-type deep-dive:15000:usd \\
      --contact "stripe:Stripe Support:https://support.stripe.com" --contact "on-call:Payments on-call:+1 415 555 0100"
  bookflow init --yes --target staging --base-url https://staging.example.com --dir config/staging
  bookflow init --yes --force --http-latency-ms 1500`,
    )
    .action(commandAction(async () => (await import("./handlers/init.js")).init)), "write");
}
