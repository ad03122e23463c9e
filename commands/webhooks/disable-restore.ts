import type { Command } from "commander";
import { withEffect } from "../support/effect.js";
import { commandAction } from "../support/run.js";

/** `bookflow webhooks disable, restore` (handler: commands/handlers/webhooks-disable-restore.ts; docs: docs/rollback.md). */
export function registerWebhookDisableRestore(webhooks: Command): void {
  withEffect(webhooks
    .command("disable")
    .description("rollback action: save the webhook registrations to a snapshot, then disable them (Stripe in place, Calendly by deletion); audited")
    .argument("[provider]", "calendly, stripe or all (default all)")
    .option("--dry-run", "print the plan and change nothing")
    .option("--yes", "apply without asking (CI, scripts)")
    .option("--json", "print the plan (or, with --yes, what was done) as JSON")
    .option("--actor <name>", "who is doing this, for the audit log (default: $BOOKFLOW_ACTOR, else the OS user)")
    .option("--reason <text>", "why, for the audit log")
    .addHelpText(
      "after",
      `
What it does, for the registrations on CALENDLY_WEBHOOK_URL / STRIPE_WEBHOOK_URL:
  Stripe    each enabled endpoint is disabled in place (Stripe keeps its signing secret).
  Calendly  subscriptions cannot be disabled through the API: each one's definition (URL, events,
            scope, organization, user) is saved, then it is deleted.
Before changing anything it writes .bookflow/snapshots/<timestamp>.json (BOOKFLOW_DATA_DIR moves
.bookflow), with no secret in it. \`bookflow webhooks restore\` puts back exactly what was there.
If a run stops half way, run it again: it continues the same snapshot and does only what is left.

Exit codes: 0 done (or nothing to disable), 1 a provider call failed (run again to finish),
2 bad usage or configuration, or a confirmation was needed without a terminal and without --yes.

Examples:
  bookflow webhooks disable --dry-run
  bookflow webhooks disable --yes --reason "bad release 2025-06-01"
  bookflow webhooks disable stripe --yes --json`,
    )
    .action(commandAction(async () => (await import("../handlers/webhooks-disable-restore.js")).webhooksDisable, ["provider"])), "destructive");

  withEffect(webhooks
    .command("restore")
    .description("put the webhooks back from a snapshot written by `webhooks disable` (re-enable Stripe, re-create Calendly); idempotent, audited")
    .argument("[provider]", "calendly, stripe or all (default: every provider in the snapshot)")
    .option("--snapshot <file>", "restore from this snapshot file (or id) instead of the newest")
    .option("--dry-run", "print the plan and change nothing")
    .option("--yes", "apply without asking (CI, scripts)")
    .option("--json", "print the plan (or, with --yes, what was done) as JSON")
    .option("--show-secret", "print the signing secret of a re-created Stripe endpoint in full (default: masked)")
    .option("--actor <name>", "who is doing this, for the audit log (default: $BOOKFLOW_ACTOR, else the OS user)")
    .option("--reason <text>", "why, for the audit log")
    .addHelpText(
      "after",
      `
Stripe endpoints that were enabled are re-enabled (same id, same signing secret); one deleted since
is re-created (new secret: set STRIPE_WEBHOOK_SECRET). Calendly subscriptions are re-created with the
same URL, events and scope, signed with CALENDLY_WEBHOOK_SIGNING_KEY (Calendly never shows the old key).
What is already back (same URL, scope and events) is left alone: running restore twice changes nothing
the second time, and a restore that stopped half way finishes when run again.

Exit codes: 0 restored (or nothing to do), 1 a provider call failed or something blocks the restore
(listed), 2 bad usage or configuration (unknown or malformed snapshot), or no confirmation.

Examples:
  bookflow webhooks restore --dry-run
  bookflow webhooks restore --yes
  bookflow webhooks restore --snapshot .bookflow/snapshots/2025-06-01T12-30-05-123Z.json --yes`,
    )
    .action(commandAction(async () => (await import("../handlers/webhooks-disable-restore.js")).webhooksRestore, ["provider"])), "destructive");
}
