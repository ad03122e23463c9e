import type { Command } from "commander";
import { withEffect } from "./support/effect.js";
import { commandAction } from "./support/run.js";

/** `bookflow audit list`: who did what, to what, when (handler in commands/handlers/audit.ts, docs in docs/bookings.md). */
export function registerAudit(program: Command): void {
  const audit = program.command("audit").description("the audit log of operator actions (bookings, webhooks, rollbacks)");

  withEffect(audit
    .command("list")
    .description("audit entries, newest first, filtered by actor, action, target and time; a table or --json, paged")
    .option("--actor <name>", "only this operator (as given with --actor / BOOKFLOW_ACTOR, or webhook:stripe …)")
    .option("--action <action>", "exact (booking.cancel), a prefix (booking. or booking.*), or a glob (booking.*.email)")
    .option("--target <target>", "only entries about this target (a booking id, stripe:we_…)")
    .option("--since <when>", "from this ISO date or date-time, or this long ago (24h, 7d)")
    .option("--until <when>", "before this date-time (a bare date includes that day), or this long ago")
    .option("--limit <n>", "entries per page, 1 to 1000", "50")
    .option("--cursor <cursor>", "continue after the previous page (the cursor it printed)")
    .option("--json", "print { entries, nextCursor } as JSON (with before/after)")
    .addHelpText(
      "after",
      `
Every bookflow command that changes something records who did it (--actor, else
BOOKFLOW_ACTOR, else the OS user), what, to what, why, and the state before and after.

Exit codes: 0 listed (also when none match), 2 bad usage (malformed date, cursor or
action) or the database is unreachable.

Examples:
  bookflow audit list --since 24h
  bookflow audit list --action 'booking.*' --actor ops@example.com
  bookflow audit list --target 6f1c… --json | jq '.entries[].action'`,
    )
    .action(commandAction(async () => (await import("./handlers/audit.js")).auditList)), "read");
}
