import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { z } from "zod";
import type { Context } from "../../src/context.js";
import { loadBookflowConfig } from "../../src/config/bookflow-config.js";
import { parseOrThrow } from "../../src/config/validation.js";
import { secretLikeValues, TARGETS, type Target } from "../../src/config/verify-env.js";
import { assertValidCatalogue } from "../../src/engine/catalogue.js";
import type { AnyCheck } from "../../src/engine/check.js";
import { exitCodeForReport } from "../../src/engine/exit-codes.js";
import { FACT_NAMES, FactStore, gatherers as defaultGatherers, type FactGatherers } from "../../src/engine/facts/index.js";
import { FORMAT_NAMES, formatters, isFormatName, type FormatName } from "../../src/engine/formatters/index.js";
import { plainView } from "../../src/engine/live/plain.js";
import { redactDeep, type RunReport } from "../../src/engine/report.js";
import { DEFAULT_CONCURRENCY, runChecks, type RunEvent } from "../../src/engine/runner.js";
import { selectChecks } from "../../src/engine/selection.js";
import type { ScenarioDefinition } from "../../src/engine/scenarios/scenario.js";
import { ConfigError, UsageError } from "../../src/errors.js";
import { packageVersion } from "../../src/package-root.js";
import { parseDurationFlag } from "../support/flags.js";

export interface VerifyDeps {
  ctx: Context;
  /** Where relative --config/--output paths and ./bookflow.config.json are resolved (default: process.cwd()). */
  cwd?: string;
  /** The real streams, to decide on the live view and colours (default: none: plain lines, no colour). */
  stdout?: NodeJS.WriteStream;
  stderr?: NodeJS.WriteStream;
  /** Tests may run another catalogue or gather facts differently. */
  catalogue?: readonly AnyCheck[];
  gatherers?: Partial<FactGatherers>;
  /** --with-scenarios: tests may run other scenarios. */
  scenarios?: readonly ScenarioDefinition[];
}

const optionsSchema = z.object({
  only: z.array(z.string()).default([]),
  skip: z.array(z.string()).default([]),
  format: z.array(z.string()).default([]),
  output: z.string().min(1, { message: "must name a file" }).optional(),
  concurrency: z.coerce.number({ message: "must be a number" }).int({ message: "must be a whole number" }).min(1).max(64).default(DEFAULT_CONCURRENCY),
  timeout: z.string().default("15s"),
  strict: z.boolean().default(false),
  target: z.enum(TARGETS, { message: `must be one of ${TARGETS.join(", ")}` }).optional(),
  config: z.string().min(1).optional(),
  expectCommit: z.string().trim().regex(/^[0-9a-f]{7,40}$/i, { message: "must be a commit sha (7 to 40 hex digits)" }).optional(),
  sendTestEvents: z.boolean().default(false),
  includeLoad: z.boolean().default(false),
  // --with-scenarios (commands/handlers/scenarios.ts): the end-to-end scenarios after the checks, in the same report.
  withScenarios: z.union([z.boolean(), z.string()]).optional(),
  scenarioDriver: z.string().optional(),
  stepTimeout: z.string().optional(),
  cleanup: z.boolean().optional(),
  allowProduction: z.boolean().default(false),
});

export type VerifyOptions = z.input<typeof optionsSchema>;

/** "15s", "500ms", "2.5s", or plain seconds ("15") → milliseconds, 1 ms to 10 minutes. */
export function parseTimeout(text: string, flag = "--timeout"): number {
  return parseDurationFlag(text, flag, { minMs: 1, maxMs: 600_000, bareUnit: "s", hint: "Give seconds (15, 2.5s) or milliseconds (500ms)." });
}

/** Splits repeatable, comma-separated option values: ["a,b", "c"] → ["a", "b", "c"]. */
export function splitList(values: readonly string[]): string[] {
  return values.flatMap((v) => v.split(",")).map((v) => v.trim()).filter(Boolean);
}

/**
 * `bookflow verify`: runs the selected checks with a live view, prints the
 * summary, writes the requested formats, returns the exit code (0 passed,
 * 1 a check failed or errored). Usage and configuration problems throw
 * UsageError/ConfigError (exit 2) before any check runs.
 *
 * Where output goes:
 * - no --format: live view and summary on stdout;
 * - --format without --output: formats on stdout (in the order given), live view and summary on stderr;
 * - --output FILE: the one --format (default json) into FILE, live view and summary on stdout;
 * - markdown, when $GITHUB_STEP_SUMMARY is set: appended there (as well as to FILE with --output; instead of stdout without).
 */
export async function verify(rawOptions: VerifyOptions, deps: VerifyDeps): Promise<number> {
  const { ctx } = deps;
  let scenarioCleanupFailed: string | undefined;
  try {
    const opts = parseOrThrow(optionsSchema, rawOptions, "options for verify", "See `bookflow verify --help`.");
    const only = splitList(opts.only);
    const skip = splitList(opts.skip);
    const formats = checkFormats(splitList(opts.format), opts.output);
    const timeoutMs = parseTimeout(opts.timeout);
    const cwd = deps.cwd ?? process.cwd();
    const { config } = loadBookflowConfig(opts.config, cwd);
    const target = opts.target ?? targetFromEnv(ctx.env) ?? config.target ?? "production";

    for (const value of secretLikeValues(ctx.env)) ctx.redactor.add(value);
    const redact = (text: string) => ctx.redactor.redact(text);

    // --with-scenarios: every scenario option is checked (and production refused) before any check runs.
    const scenarioSuite = opts.withScenarios
      ? await (await import("./scenarios.js")).prepareScenarioSuite(
          {
            names: typeof opts.withScenarios === "string" ? [opts.withScenarios] : [],
            ...(opts.scenarioDriver !== undefined ? { driver: opts.scenarioDriver as "auto" | "sandbox" | "staging" } : {}),
            ...(opts.stepTimeout !== undefined ? { stepTimeout: opts.stepTimeout } : {}),
            ...(opts.cleanup !== undefined ? { cleanup: opts.cleanup } : {}),
            allowProduction: opts.allowProduction,
          },
          ctx,
          target,
          { catalogue: deps.scenarios },
        )
      : undefined;

    const catalogue = deps.catalogue ?? (await import("../../checks/index.js")).catalogue;
    assertValidCatalogue(catalogue, FACT_NAMES);
    const selection = selectChecks(catalogue, { only, skip });

    const summaryFile = ctx.env.GITHUB_STEP_SUMMARY || undefined;
    const stdoutFormats = opts.output ? [] : formats.filter((f) => !(f === "markdown" && summaryFile));
    const humanToStderr = stdoutFormats.length > 0;
    const human = humanToStderr ? ctx.err : ctx.out;
    const humanStream = humanToStderr ? deps.stderr : deps.stdout;
    const color = wantsColor(ctx.env, humanStream);

    const abort = new AbortController();
    const facts = new FactStore(
      // The database is the command's (closed by ctx.close() below, at the end of the run).
      { env: ctx.env, target, config, signal: abort.signal, db: () => ctx.db(), clients: ctx.clients, expectCommit: opts.expectCommit, sendTestEvents: opts.sendTestEvents, includeLoad: opts.includeLoad },
      { ...defaultGatherers, ...deps.gatherers },
    );

    let onEvent: (e: RunEvent) => void;
    let finished: () => Promise<void> = async () => undefined;
    if (humanStream?.isTTY && !ctx.env.CI) {
      const { listrView } = await import("../../src/engine/live/listr.js");
      const view = listrView(humanStream, redact);
      onEvent = (e) => view.onEvent(e);
      finished = () => view.finished();
    } else {
      onEvent = plainView(human, { color });
    }

    let report: RunReport;
    try {
      report = await runChecks(selection.checks, {
        facts,
        target,
        concurrency: opts.concurrency,
        timeoutMs,
        strict: opts.strict,
        excluded: selection.excluded,
        onEvent,
        toolVersion: packageVersion(),
      });
      await finished();
    } finally {
      abort.abort();
    }
    let scenarioNote: string | undefined;
    if (scenarioSuite) {
      const { scenarioView } = await import("../../src/engine/scenarios/live.js");
      const { scenarioRunInfo, withScenarios } = await import("../../src/engine/scenarios/report.js");
      const { describeCleanup } = await import("../../src/engine/scenarios/cleanup.js");
      const ran = await scenarioSuite.run(scenarioView(human, { color }));
      report = withScenarios(report, ran.outcome, scenarioRunInfo(ran.outcome, scenarioSuite.driver.name, ran.cleanup));
      if (ran.cleanupError) scenarioCleanupFailed = `Cleanup of scenario run ${ran.outcome.runId} failed: ${ran.cleanupError}\n  fix: run \`bookflow scenarios cleanup ${ran.outcome.runId}\`.\n`;
      scenarioNote = ran.cleanup ? `Scenario cleanup: ${describeCleanup(ran.cleanup)}.\n` : ran.cleanupError ? undefined : `Kept the scenario run's data (run ${ran.outcome.runId}); remove it with \`bookflow scenarios cleanup ${ran.outcome.runId}\`.\n`;
    }
    report = redactDeep(report, redact);

    human(formatters["pretty-summary"](report, { color }));
    if (scenarioNote) human(scenarioNote);
    if (scenarioCleanupFailed) ctx.err(scenarioCleanupFailed);

    const render = (f: FormatName) => redact(formatters[f](report, { color: false }));
    for (const f of stdoutFormats) ctx.out(ensureNewline(render(f)));
    if (opts.output) writeOutput(resolve(cwd, opts.output), render(formats[0]!));
    if (summaryFile && formats.includes("markdown")) appendSummary(summaryFile, render("markdown"));

    return scenarioCleanupFailed ? 1 : exitCodeForReport(report);
  } finally {
    await ctx.close();
  }
}

/** BOOKFLOW_TARGET (set by `bookflow sandbox`), validated like --target. */
export function targetFromEnv(env: Record<string, string | undefined>): Target | undefined {
  const value = env.BOOKFLOW_TARGET?.trim();
  if (!value) return undefined;
  if (!(TARGETS as readonly string[]).includes(value)) throw new ConfigError(`BOOKFLOW_TARGET is "${value}", expected one of ${TARGETS.join(", ")}.`, "Fix or unset BOOKFLOW_TARGET, or pass --target.", "CONFIG_INVALID");
  return value as Target;
}

export function checkFormats(formats: string[], output: string | undefined): FormatName[] {
  for (const f of formats) {
    if (!isFormatName(f)) throw new UsageError(`Unknown --format "${f}".`, `Use one of: ${FORMAT_NAMES.join(", ")}.`, "BAD_OPTION");
  }
  const names = [...new Set(formats)] as FormatName[];
  if (output && names.length > 1)
    throw new UsageError(`--output takes one --format, got ${names.length} (${names.join(", ")}).`, "Run once per format, or drop --output to print them all to stdout.", "BAD_OPTION");
  if (output && names.length === 0) return ["json"];
  return names;
}

export function wantsColor(env: Record<string, string | undefined>, stream: NodeJS.WriteStream | undefined): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== "0" && env.FORCE_COLOR !== "false";
  return !!stream?.isTTY;
}

export function writeOutput(file: string, text: string): void {
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, ensureNewline(text));
  } catch (err) {
    throw new ConfigError(`Cannot write --output file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, "Check the path and its permissions.", "OUTPUT_UNWRITABLE");
  }
}

export function appendSummary(file: string, markdown: string): void {
  try {
    appendFileSync(file, ensureNewline(markdown));
  } catch (err) {
    throw new ConfigError(`Cannot append to $GITHUB_STEP_SUMMARY (${file}): ${(err as NodeJS.ErrnoException).code ?? String(err)}`, "Unset GITHUB_STEP_SUMMARY outside GitHub Actions.", "OUTPUT_UNWRITABLE");
  }
}

export function ensureNewline(text: string): string {
  return text.endsWith("\n") ? text : text + "\n";
}
