import type { Command } from "commander";
import { scenarioCount } from "../scenarios/catalogue.js";
import { withEffect } from "./support/effect.js";
import { FORMAT_NAMES } from "../src/engine/formatters/names.js";
import { registerChecks } from "./checks.js";
import { commandAction } from "./support/run.js";

/** `bookflow verify`: the release checklist as checks; and `bookflow checks`, its catalogue. */
export function registerVerify(program: Command): void {
  registerVerifyCommand(program);
  registerChecks(program);
}

function registerVerifyCommand(program: Command): void {
  withEffect(program
    .command("verify")
    .description("run the release checklist as checks (env, providers, DNS, database, endpoints); exit 1 when a check fails or errors")
    .option("--only <selectors>", "run only these checks: ids, globs (stripe.*) or sections, comma-separated (repeatable)", collect, [] as string[])
    .option("--skip <selectors>", "leave out these checks: ids, globs or sections, comma-separated (repeatable)", collect, [] as string[])
    .option("--format <name[=file]>", `also produce ${FORMAT_NAMES.join(", ")} (pretty = pretty-summary); =file writes it there, else stdout (one format at most); repeatable`, collect, [] as string[])
    .option("--output <file>", "write the --format given without =file (one; json when none is given) to this file")
    .option("--concurrency <n>", "checks reading the world (providers, DNS, database, HTTP) at once", "8")
    .option("--timeout <duration>", "time limit per check: 15s, 500ms, or plain seconds", "15s")
    .option("--retry-timeout <duration>", "retry failing checks that wait on propagation (dns.*, sendgrid.domain-authenticated, endpoints.base-url-https) until they pass or this time is up: 2m, 90s")
    .option("--retry-interval <duration>", "with --retry-timeout: the pause before each retry (default 5s)")
    .option("--strict", "warnings fail the run too")
    .option("--target <target>", "production | staging | sandbox (default: $BOOKFLOW_TARGET, else the config file's target, else production)")
    .option("--config <file>", "config file (default: ./bookflow.config.json when it exists)")
    .option("--expect-commit <sha>", "deployment.expected-commit: the commit the production deployment must be built from")
    .option("--send-test-events", "monitoring.sentry-test-event: send a test event to Sentry (SENTRY_DSN)")
    .option("--include-load", "security.rate-limit: send a short burst (at most 700 requests, about 8 s) to the Calendly webhook route until it answers 429")
    // --with-scenarios: the end-to-end scenarios after the checks, in one report (see `bookflow scenarios run --help`).
    .option("--with-scenarios [names]", "after the checks, run the end-to-end scenarios (all, or these, comma-separated) into the same report")
    .option("--scenario-driver <driver>", "with --with-scenarios: sandbox, staging or auto (default auto)")
    .option("--step-timeout <duration>", "with --with-scenarios: bound of each scenario wait (default 15s)")
    .option("--cleanup", "with --with-scenarios: remove the scenario data afterwards (default in the sandbox)")
    .option("--no-cleanup", "with --with-scenarios: keep the scenario data (tagged with the run id)")
    .option("--allow-production", "with --with-scenarios: allow scenarios against production (real bookings and payments)")
    .option("--history <dir>", "append this run's JSON report to <dir> (one file per run, named by its start time)")
    .option("--baseline <report.json|last>", "show what is new since this report: new failures, fixed checks, slower checks (last: the newest in --history)")
    .option("--slower-by <duration>", "with --baseline: a check is slower when it took more than this longer (default: thresholds.slowerByMs, 1000ms)")
    .option("--slower-ratio <n>", "with --baseline: … and at least n times as long (default: thresholds.slowerByRatio, 1.5)")
    .addHelpText(
      "after",
      `
Output:
  no --format              live progress and a summary on stdout
  --format F=X             format F written to file X (directories created); repeat for several files
  --format F               format F on stdout (one only); progress and summary move to stderr
  --format F --output X    format F (default json) written to X (the older spelling of --format F=X)
  $GITHUB_STEP_SUMMARY     when set, --format markdown is appended there (instead of stdout)
  Progress is a live task list on a terminal, plain lines when not a TTY or CI is set. NO_COLOR honoured.
  Secrets from the environment are masked in every output.

History and baseline:
  --history DIR            every run appends its JSON report to DIR (2026-12-07T01-02-03-456Z-<id>.json)
  --baseline FILE|last     compare with an earlier report (last: the newest in --history, read before
                           this run is added): new failures, fixed checks, and checks slower by more than
                           --slower-by AND at least --slower-ratio times (config thresholds.slowerByMs,
                           thresholds.slowerByRatio); shown in every format (JSON: the "baseline" field)
  bookflow report diff A B compares two saved reports the same way

Selection: --only and --skip take ids (env.required-present), globs (env.*) or sections (env).
A selected check's prerequisites run too, unless --skip names them (then it is skipped, with the reason).

Exit codes: 0 nothing failed (warnings allowed unless --strict), 1 a check failed or errored,
2 bad usage or configuration (reason on stderr).

Examples:
  bookflow verify --target staging
  bookflow verify --only env --format junit --output reports/verify.xml
  bookflow verify --format github --format markdown --strict
  bookflow verify --format junit=reports/verify.xml --format json=reports/verify.json --format pretty
  bookflow verify --history reports/history --baseline last    what broke (or got fixed) since the last run
  bookflow verify --only dns --retry-timeout 5m    right after a DNS change: wait for it to propagate
  bookflow checks list              every check, with its id and section
  bookflow verify --target sandbox --with-scenarios    checks, then the ${scenarioCount()} scenarios, one report`,
    )
    .action(commandAction(async () => (await import("./handlers/verify.js")).verifyCommand({ stdout: process.stdout, stderr: process.stderr }))), "read");
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
