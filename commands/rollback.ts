import type { Command } from "commander";
import { withEffect } from "./support/effect.js";
import { emergencyContactsHelp } from "./support/help-contacts.js";
import { commandAction } from "./support/run.js";

/** `bookflow rollback` (handler: commands/handlers/rollback.ts; docs: docs/rollback.md). */
export function registerRollback(program: Command): void {
  withEffect(program
    .command("rollback")
    .description("the rollback plan as one guided command: previous deployment live, webhooks off, manual processing on, affected bookings listed; resumable, undoable")
    .option("--plan", "print the steps (and what each would change now) and change nothing")
    .option("--yes", "do every step without asking (CI, scripts)")
    .option("--resume <id>", "continue a rollback that stopped (running `bookflow rollback` again does the same)")
    .option("--undo <id>", "reverse what a rollback did: promote back, restore webhooks, manual processing off")
    .option("--release-held", "with --undo: release the HELD webhook events without asking")
    .option("--use-vercel-cli", "step 1 (and its undo) with the `vercel` CLI (`vercel rollback` / `vercel promote`) instead of the API")
    .option("--json", "print the plan or the outcome (with the affected bookings) as JSON on stdout; progress goes to stderr")
    .option("--csv", "print the affected bookings as CSV on stdout; progress goes to stderr")
    .option("--actor <name>", "who is doing this, for the audit log (default: $BOOKFLOW_ACTOR, else the OS user)")
    .option("--reason <text>", "why, for the journal and the audit log")
    .option("--notify", "step 4 also emails each affected booking's invitee a notice (once per booking and rollback; --plan previews it)")
    .option("--notice-template <id>", "with --notify: the SendGrid dynamic template (d-…) of the notice (default: rollback.noticeTemplateId in the config, else bookflow's own text)")
    .option("--drill", "sandbox or staging only: perform the rollback and at once its undo, and report both (written to .bookflow/drills/<id>.json)")
    .option("--target <target>", "with --drill: sandbox or staging (default: $BOOKFLOW_TARGET, else the config's target, else production, which is refused)")
    .option("--config <file>", "config file with the emergency contacts and the notice template (default: ./bookflow.config.json when it exists)")
    .addHelpText(
      "after",
      `
Steps (each is shown, asked on a terminal or done with --yes, then journaled and audited):
  1. promote            Vercel: production goes back to the previous READY production deployment
                        (instant rollback API, or \`vercel rollback\` with --use-vercel-cli)
  2. disable-webhooks   as \`bookflow webhooks disable --yes\`: snapshot first, Stripe disabled in place,
                        Calendly saved and deleted
  3. manual-processing  the app records webhooks as HELD and applies nothing until switched back
  4. affected-bookings  bookings updated since the bad deployment went live (--csv / --json), for the
                        message to affected users; with --notify each invitee is emailed a notice
                        through SendGrid, recorded in the email outbox (once per booking and rollback)

A rollback has an id (rb-YYYYMMDD-HHMMSS-xxxx); its journal is .bookflow/rollbacks/<id>.json
(BOOKFLOW_DATA_DIR moves .bookflow). If it stops, \`--resume <id>\` (or running \`bookflow rollback\`
again) continues it; a new rollback is never started over an unfinished one. \`--undo <id>\` promotes
back the deployment that was live, restores the webhooks from the snapshot, switches manual
processing off and offers to release the held events; it says what cannot be undone.

Exit codes: 0 done (or plan printed), 1 a step failed (the output says which were done; resume or
undo), 2 bad usage or configuration (unknown rollback id, missing variables), or a confirmation was
needed without a terminal and without --yes (the plan is printed as JSON).

Examples:
  bookflow rollback --plan
  bookflow rollback --yes --reason "checkout broken after 2025-06-01 release" --csv > affected.csv
  bookflow rollback --resume rb-20250601-123005-3fa9 --yes
  bookflow rollback --undo rb-20250601-123005-3fa9 --yes --release-held
  bookflow rollback --notify --plan          # the notice one invitee would get, and how many get it
  bookflow rollback --drill --target staging --yes   # rollback + undo, reported (refused for production)`,
    )
    .addHelpText("after", ({ command }) => emergencyContactsHelp((command.opts() as { config?: string }).config))
    .action(commandAction(async () => (await import("./handlers/rollback.js")).rollback)), "destructive");
}
