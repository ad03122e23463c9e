import type { Command } from "commander";
import { withEffect } from "./support/effect.js";
import { commandAction } from "./support/run.js";

/** `bookflow release` (handler: commands/handlers/release.ts; docs: docs/release.md). */
export function registerRelease(program: Command): void {
  withEffect(program
    .command("release")
    .description("the guarded deploy: a READY preview verified as staged, promoted, production verified, rolled back automatically if that fails; journaled, resumable, undoable")
    .option("--deployment <id|url>", "the preview deployment to release (dpl_… or its URL)")
    .option("--commit <sha>", "release the newest READY preview of this commit; with --deployment, the commit it must be built from")
    .option("--plan", "print the steps and the emergency contacts, and change nothing")
    .option("--yes", "do it without asking (CI, scripts)")
    .option("--resume <id>", "continue a release that stopped (running `bookflow release` again does the same)")
    .option("--undo <id>", "promote back what was production before the release")
    .option("--no-auto-rollback", "when production fails verification, only report it (exit 1) instead of rolling back")
    .option("--with-scenarios [names]", "step 1 also runs the end-to-end scenarios (all, or these, comma-separated) against the candidate")
    .option("--scenario-driver <driver>", "with --with-scenarios: auto, sandbox or staging (default auto)")
    .option("--step-timeout <duration>", "with --with-scenarios: how long a scenario step may wait (default 15s)")
    .option("--preview-url <url>", "the origin step 1 probes instead of the deployment's own URL (a protected preview's alias)")
    .option("--retry-timeout <duration>", "step 3: retry checks that wait on propagation for up to this long (e.g. 2m)")
    .option("--retry-interval <duration>", "step 3: the pause between retries (default 5s)")
    .option("--only <selectors...>", "step 3: only these checks (ids, globs or sections)")
    .option("--skip <selectors...>", "step 3: leave out these checks")
    .option("--timeout <duration>", "per check (default 15s)")
    .option("--concurrency <n>", "checks run at once")
    .option("--use-vercel-cli", "promote (and undo) with the `vercel` CLI (`vercel promote`) instead of the API")
    .option("--json", "print the plan or the outcome (steps, candidate, verify summaries, rollback id) as JSON on stdout; progress goes to stderr")
    .option("--actor <name>", "who is doing this, for the audit log (default: $BOOKFLOW_ACTOR, else the OS user)")
    .option("--reason <text>", "why, for the journal and the audit log")
    .addHelpText(
      "after",
      `
The candidate: --deployment <id|url>, or the newest READY preview of --commit <sha>. It must be
READY, a preview (not a production deployment), built from --commit when both are given
(Vercel's meta.githubCommitSha), and not already live.

Steps (the plan is shown and confirmed once, on a terminal or with --yes; each step is journaled
and audited):
  1. verify-staged      the endpoints and security checks (not security.rate-limit) against the
                        candidate's URL, and with --with-scenarios the scenarios; a failure stops
                        the release with nothing changed (exit 1)
  2. promote            Vercel: production goes to the candidate (promote API, or \`vercel promote\`)
  3. verify-production  every check (--only/--skip narrow it) expecting the candidate's commit,
                        retrying propagation checks for --retry-timeout
  4. rollback           only if step 3 failed: \`bookflow rollback\` (the deployment that was live
                        back, webhooks off, manual processing on, affected bookings listed), then
                        exit 1; --no-auto-rollback only reports

A release has an id (rel-YYYYMMDD-HHMMSS-xxxx); its journal is .bookflow/releases/<id>.json
(BOOKFLOW_DATA_DIR moves .bookflow). If it stops, \`--resume <id>\` (or running \`bookflow release\`
again) continues it; \`--undo <id>\` promotes back the deployment that was live before it.

Exit codes: 0 live and verified (or plan printed, or undone), 1 rejected as staged, failed in
production (rolled back or not), or a step failed (resume or undo), 2 bad usage or configuration
(no candidate, unknown or unready deployment, wrong commit, a production deployment, unknown
release id), or a confirmation was needed without a terminal and without --yes (the plan is
printed as JSON).

Examples:
  bookflow release --commit 3f9a2c1 --plan
  bookflow release --commit "$GITHUB_SHA" --yes --retry-timeout 2m --json > release.json
  bookflow release --deployment bookflow-git-feature-acme.vercel.app --with-scenarios --yes
  bookflow release --resume rel-20250601-123005-3fa9 --yes
  bookflow release --undo rel-20250601-123005-3fa9 --yes`,
    )
    .action(commandAction(async () => (await import("./handlers/release.js")).release)), "destructive");
}
