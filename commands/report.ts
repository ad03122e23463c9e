import type { Command } from "commander";
import { withEffect } from "./support/effect.js";
import { commandAction } from "./support/run.js";

/** `bookflow report diff`: two saved run reports compared (handler in commands/handlers/report.ts, docs in docs/report-history.md). */
export function registerReport(program: Command): void {
  const report = program.command("report").description("saved run reports (verify / scenarios run --format json, --history): compare them");

  withEffect(report
    .command("diff")
    .description("what changed from report A (older) to report B: new failures, fixed checks, slower checks; a table or --json")
    .argument("<a>", "the older report (the baseline): a JSON report file")
    .argument("<b>", "the newer report")
    .option("--json", "print { before, after, comparison } as JSON (comparison: the report's \"baseline\" field)")
    .option("--fail-on-new-failures", "exit 1 when B has a failure that A did not have")
    .option("--slower-by <duration>", "a check is slower when it took more than this longer (default: thresholds.slowerByMs, 1000ms)")
    .option("--slower-ratio <n>", "… and at least n times as long (default: thresholds.slowerByRatio, 1.5; 1: --slower-by alone)")
    .option("--config <file>", "config file for the thresholds (default: ./bookflow.config.json when it exists)")
    .addHelpText(
      "after",
      `
The reports are what \`bookflow verify\` (or \`scenarios run\`) writes with --format json=<file>,
--output <file> or --history <dir>. The rules are those of \`verify --baseline\`:
  new failure   fails or errors in B (warns too when B ran with --strict), did not in A (or was not in A)
  fixed         failed or errored in A, passes in B (a check skipped in B is not "fixed")
  slower        ran in both, took more than --slower-by longer AND at least --slower-ratio times as long

Exit codes: 0 compared (whatever changed), 1 with --fail-on-new-failures when B has a new failure,
2 a file is missing, not JSON, not a bookflow report, or from another report schema version.

Examples:
  bookflow report diff reports/before.json reports/after.json
  bookflow report diff $(ls reports/history/*.json | tail -2) --fail-on-new-failures
  bookflow report diff a.json b.json --json | jq '.comparison.newFailures[].id'`,
    )
    .action(commandAction(async () => (await import("./handlers/report.js")).reportDiffCommand, ["a", "b"])), "read");
}
