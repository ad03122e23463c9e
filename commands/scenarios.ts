import type { Command } from "commander";
import { SCENARIO_NAMES, scenarioCount, scenarioHelpLines } from "../scenarios/catalogue.js";
import { FORMAT_NAMES } from "../src/engine/formatters/names.js";
import { withEffect } from "./support/effect.js";
import { commandAction } from "./support/run.js";

/** `bookflow scenarios …`: the release checklist's end-to-end scenarios, run and asserted. */
export function registerScenarios(program: Command): void {
  const scenarios = program
    .command("scenarios")
    .description(`end-to-end booking scenarios (${SCENARIO_NAMES.join(", ")}) run against the sandbox or a staging deployment`)
    .addHelpText(
      "after",
      `
Examples:
  bookflow scenarios list                                  the scenarios and their steps
  bookflow sandbox run -- scenarios run                    all ${scenarioCount()} in a fresh sandbox (data removed afterwards)
  bookflow scenarios run free-session --target staging     one scenario against staging (data kept, tagged with the run id)
  bookflow scenarios cleanup <run-id> --yes                remove what a kept run created`,
    );

  withEffect(
    scenarios
      .command("list")
      .description("list the scenarios, with the checklist entry and the steps of each")
      .option("--json", "print them as JSON")
      .action(commandAction(async () => (await import("./handlers/scenarios.js")).scenariosListCommand())),
    "read",
  );

  withEffect(
    scenarios
      .command("run")
      .description("run scenarios (all by default) and assert every step; exit 1 when one fails")
      .argument("[names...]", `scenario names (${SCENARIO_NAMES.join(", ")}), ids or globs`)
      .option("--target <target>", "production | staging | sandbox (default: $BOOKFLOW_TARGET, else the config file's target, else production, which is refused)")
      .option("--config <file>", "config file (default: ./bookflow.config.json when it exists)")
      .option("--driver <driver>", "who plays the invitee and the customer: sandbox (emulators' control routes), staging (Stripe's test mode pays; Calendly's webhooks signed by bookflow), or auto", "auto")
      .option("--deliveries <who>", "staging driver: provider (Stripe delivers its events to the registered endpoint) or signed (bookflow posts them, signed with STRIPE_WEBHOOK_SECRET); default provider")
      .option("--cleanup", "remove what the run created afterwards (default in the sandbox)")
      .option("--no-cleanup", "keep what the run created (tagged with the run id) for inspection")
      .option("--allow-production", "allow --target production (real bookings, payments and emails)")
      .option("--step-timeout <duration>", "bound of each wait for the app (a webhook landing, an email going out): 15s, 500ms, or seconds", "15s")
      .option("--format <name[=file]>", `also produce ${FORMAT_NAMES.join(", ")} (pretty = pretty-summary); =file writes it there, else stdout (one format at most); repeatable`, collect, [] as string[])
      .option("--output <file>", "write the --format given without =file (one; json when none is given) to this file")
      .option("--history <dir>", "append this run's JSON report to <dir> (one file per run, named by its start time)")
      .option("--baseline <report.json|last>", "show what is new since this report (last: the newest in --history); see `bookflow verify --help`")
      .option("--slower-by <duration>", "with --baseline: a scenario is slower when it took more than this longer (default: thresholds.slowerByMs)")
      .option("--slower-ratio <n>", "with --baseline: … and at least n times as long (default: thresholds.slowerByRatio)")
      .option("--run-id <id>", "tag the run's data with this id instead of a fresh one (letters, digits, - and _)")
      .option("--builder <slug>", "book this builder instead of the first one offering the session type")
      .option("--user-email <email>", "the paid scenario books as this existing user instead of creating one")
      .option("--email-domain <domain>", "domain of the run's invitee emails (scenario+<run id>.<label>@domain)", "example.com")
      .addHelpText(
        "after",
        `
Scenarios (the release checklist's end-to-end test cases):
${scenarioHelpLines()}

Drivers:
  sandbox   the emulators' control routes book, pay and cancel; Calendly and Stripe deliver the webhooks
            (chosen when the target is sandbox, or when the control routes answer)
  staging   Stripe's test mode pays (a payment intent confirmed with pm_card_visa), expires the session and
            refunds; Stripe itself delivers those events to the registered endpoint (--deliveries provider,
            the default), so a rolled endpoint secret fails the run; --deliveries signed posts them instead,
            signed with STRIPE_WEBHOOK_SECRET. Calendly cannot be made to book through its API: bookflow signs
            its webhooks with CALENDLY_WEBHOOK_SIGNING_KEY, and the report states that as a limit
Both assert the same: the database (DATABASE_URL), the emails (the sandbox SendGrid inbox, else the
EmailMessage log), and Calendly's and Stripe's records.

Run data: bookings are tagged with the run (Calendly tracking.utm_campaign = bookflow-<run id>, stored
as Booking.runTag) and invitees are scenario+<run id>.<label>@<domain>. --cleanup (default in the
sandbox) removes exactly that afterwards; elsewhere the data is kept and \`scenarios cleanup\` removes it.

Output: like \`bookflow verify\`: one line per step as it runs and a summary; --format json|junit|markdown|
github|pretty-summary for machines, one on stdout (then the live view moves to stderr), any number
into files (--format junit=reports/scenarios.xml, or one with --output <file>); $GITHUB_STEP_SUMMARY
honoured; --history and --baseline as for verify.

Exit codes: 0 every scenario passed, 1 a scenario failed or errored (or the cleanup failed),
2 bad usage or configuration, or --target production without --allow-production (nothing ran).

Examples:
  bookflow sandbox run -- scenarios run
  bookflow scenarios run --target sandbox --format junit --output reports/scenarios.xml
  bookflow scenarios run paid-session --target staging --env-file .env.staging --step-timeout 30s
  bookflow scenarios run cancellation --no-cleanup          keep the data to inspect it`,
      )
      .action(commandAction(async () => (await import("./handlers/scenarios.js")).scenariosRunCommand({ stdout: process.stdout, stderr: process.stderr }), ["names"])),
    "write",
  );

  withEffect(
    scenarios
      .command("cleanup")
      .description("remove what a scenario run kept: its tagged bookings, their webhook events, emails and audit entries, and the users it created")
      .argument("<run-id>", "the run id a scenario run printed (also in its JSON report: scenarioRun.runId)")
      .option("--yes", "remove without asking")
      .option("--dry-run", "only show what would be removed")
      .option("--json", "print the plan and the result as JSON")
      .addHelpText(
        "after",
        `
Only rows of that run are touched: bookings whose runTag is bookflow-<run id>, what belongs to them, and
users whose email is scenario+<run id>.…@… with no other booking. Without a terminal and without --yes,
the plan is printed as JSON and nothing is removed (exit 2).

Examples:
  bookflow scenarios cleanup mbx1k2a9f3c1d2 --dry-run
  bookflow scenarios cleanup mbx1k2a9f3c1d2 --yes`,
      )
      .action(commandAction(async () => (await import("./handlers/scenarios.js")).scenariosCleanup, ["runId"])),
    "destructive",
  );
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
