import { z } from "zod";
import { parseOrThrow } from "../../src/config/validation.js";
import { TARGETS } from "../../src/config/verify-env.js";
import { exitCodeForReport } from "../../src/engine/exit-codes.js";
import { DEFAULT_CONCURRENCY } from "../../src/engine/runner.js";
import { describeCleanup } from "../../src/engine/scenarios/cleanup.js";
import { formatDuration } from "../../src/engine/report.js";
import { UsageError } from "../../src/errors.js";
import { verify as runVerify, type RetryEvent, type VerifyDeps } from "../../src/ops/verify.js";
import { parseDurationFlag, parseTimeout, splitList } from "../support/flags.js";
import { checkFormats, reportOutput, type TerminalStreams } from "../support/report-output.js";
import { parseHistoryOptions, recordHistory, withBaseline } from "../support/report-history.js";
import { defineCommand } from "../support/run.js";
import { parseScenarioOptions } from "../support/scenario-options.js";

const optionsSchema = z.object({
  only: z.array(z.string()).default([]),
  skip: z.array(z.string()).default([]),
  format: z.array(z.string()).default([]),
  output: z.string().min(1, { message: "must name a file" }).optional(),
  concurrency: z.coerce.number({ message: "must be a number" }).int({ message: "must be a whole number" }).min(1).max(64).default(DEFAULT_CONCURRENCY),
  timeout: z.string().default("15s"),
  retryTimeout: z.string().optional(),
  retryInterval: z.string().optional(),
  strict: z.boolean().default(false),
  target: z.enum(TARGETS, { message: `must be one of ${TARGETS.join(", ")}` }).optional(),
  config: z.string().min(1).optional(),
  expectCommit: z.string().trim().regex(/^[0-9a-f]{7,40}$/i, { message: "must be a commit sha (7 to 40 hex digits)" }).optional(),
  sendTestEvents: z.boolean().default(false),
  includeLoad: z.boolean().default(false),
  // --with-scenarios (src/ops/scenarios-run.ts): the end-to-end scenarios after the checks, in the same report.
  withScenarios: z.union([z.boolean(), z.string()]).optional(),
  scenarioDriver: z.string().optional(),
  stepTimeout: z.string().optional(),
  cleanup: z.boolean().optional(),
  allowProduction: z.boolean().default(false),
  // --history / --baseline (commands/support/report-history.ts).
  history: z.string().optional(),
  baseline: z.string().min(1, { message: "must name a report file, or last" }).optional(),
  slowerBy: z.string().optional(),
  slowerRatio: z.string().optional(),
});

export type VerifyOptions = z.input<typeof optionsSchema>;

/** The verify command with other checks, gatherers or scenarios (tests), and the terminals behind ctx.out/ctx.err. */
export type VerifyCommandDeps = VerifyDeps & TerminalStreams;

/**
 * `bookflow verify`: runs the selected checks (then, with --with-scenarios,
 * the scenarios) with a live view, prints the summary, writes the requested
 * formats (commands/support/report-output.ts), returns the exit code (0
 * passed, 1 a check or scenario failed or errored). Usage and configuration
 * problems throw UsageError/ConfigError (exit 2) before any check runs.
 */
export function verifyCommand(deps: VerifyCommandDeps = {}) {
  return defineCommand({
    command: "verify",
    parse(raw, ctx) {
      const opts = parseOrThrow(optionsSchema, raw, "options for verify", "See `bookflow verify --help`.");
      const output = { targets: checkFormats(splitList(opts.format), opts.output, ctx.env.GITHUB_STEP_SUMMARY || undefined) };
      const history = parseHistoryOptions(opts, ctx);
      const timeoutMs = parseTimeout(opts.timeout);
      if (opts.retryInterval !== undefined && opts.retryTimeout === undefined) throw new UsageError("--retry-interval needs --retry-timeout.", "Give --retry-timeout too, e.g. --retry-timeout 2m --retry-interval 10s.", "BAD_OPTION");
      const retryTimeoutMs = opts.retryTimeout === undefined ? undefined : parseDurationFlag(opts.retryTimeout, "--retry-timeout", { minMs: 1000, maxMs: 3_600_000, bareUnit: "s", hint: "Give seconds (90), or a unit: 90s, 5m." });
      const retryIntervalMs = opts.retryInterval === undefined ? undefined : parseDurationFlag(opts.retryInterval, "--retry-interval", { minMs: 100, maxMs: 600_000, bareUnit: "s", hint: "Give seconds (5), or a unit: 500ms, 10s." });
      const scenarios = opts.withScenarios
        ? parseScenarioOptions({
            names: typeof opts.withScenarios === "string" ? [opts.withScenarios] : [],
            ...(opts.scenarioDriver !== undefined ? { driver: opts.scenarioDriver as "auto" | "sandbox" | "staging" } : {}),
            ...(opts.stepTimeout !== undefined ? { stepTimeout: opts.stepTimeout } : {}),
            ...(opts.cleanup !== undefined ? { cleanup: opts.cleanup } : {}),
            allowProduction: opts.allowProduction,
          })
        : undefined;
      const { only, skip, concurrency, strict, target, config, expectCommit, sendTestEvents, includeLoad } = opts;
      return { output, history, verify: { only: splitList(only), skip: splitList(skip), concurrency, timeoutMs, strict, target, config, expectCommit, sendTestEvents, includeLoad, scenarios, retryTimeoutMs, retryIntervalMs } };
    },
    async run(input, ctx) {
      const out = reportOutput(ctx, input.output, deps);
      const views = {
        checks: await out.checksView(),
        scenarios: out.scenarioView(),
        retry: (e: RetryEvent) => out.human(`Retrying ${e.checks.join(", ")} in ${formatDuration(e.waitMs)} (attempt ${e.attempt}, ${formatDuration(e.remainingMs)} left of --retry-timeout)\n`),
      };
      const { report: ran, scenarioRun } = await runVerify(ctx, input.verify, views, deps);
      const report = withBaseline(ran, input.history);
      let cleanupFailed: string | undefined;
      let note: string | undefined;
      if (scenarioRun) {
        const { outcome, cleanup, cleanupError } = scenarioRun;
        if (cleanupError) cleanupFailed = `Cleanup of scenario run ${outcome.runId} failed: ${cleanupError}\n  fix: run \`bookflow scenarios cleanup ${outcome.runId}\`.\n`;
        note = cleanup ? `Scenario cleanup: ${describeCleanup(cleanup)}.\n` : cleanupError ? undefined : `Kept the scenario run's data (run ${outcome.runId}); remove it with \`bookflow scenarios cleanup ${outcome.runId}\`.\n`;
      }
      const shown = out.present(report, () => {
        if (note) out.human(note);
        if (cleanupFailed) ctx.err(cleanupFailed);
      });
      const recorded = recordHistory(shown, input.history, ctx);
      if (recorded) out.human(`Recorded this run in ${recorded}.\n`);
      return cleanupFailed ? 1 : exitCodeForReport(shown);
    },
  });
}
