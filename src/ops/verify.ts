import type { Context } from "../context.js";
import { loadBookflowConfig, type BookflowConfig } from "../config/bookflow-config.js";
import type { Target } from "../config/verify-env.js";
import { assertValidCatalogue } from "../engine/catalogue.js";
import type { AnyCheck, CheckResult } from "../engine/check.js";
import { FACT_NAMES, FactStore, gatherers as defaultGatherers, type FactGatherers } from "../engine/facts/index.js";
import { outcomeOf, summarize, type RunReport } from "../engine/report.js";
import { runChecks, type RunEvent } from "../engine/runner.js";
import { withScenarios, scenarioRunInfo } from "../engine/scenarios/report.js";
import type { ScenarioEvent } from "../engine/scenarios/runner.js";
import type { ScenarioDefinition } from "../engine/scenarios/scenario.js";
import { selectChecks } from "../engine/selection.js";
import { packageVersion } from "../package-root.js";
import { prepareScenarioRun, type ScenarioRunInput, type ScenarioSuiteRun } from "./scenarios-run.js";
import { targetFromEnv } from "./target.js";

/**
 * `bookflow verify`: the release checklist as checks, optionally followed by
 * the end-to-end scenarios into the same report. Everything that can be
 * wrong with the input (config file, target, selectors, scenario options,
 * production without --allow-production) is thrown (exit 2) before any
 * check runs; then the report is returned as data, for the command to render.
 */

export interface VerifyInput {
  /** --only / --skip selectors: ids, globs or sections. */
  only: readonly string[];
  skip: readonly string[];
  concurrency: number;
  timeoutMs: number;
  strict: boolean;
  /** --target; default: BOOKFLOW_TARGET, else the config file's target, else production. */
  target?: Target | undefined;
  /** --config (default ./bookflow.config.json when it exists), relative to ctx.cwd. */
  config?: string | undefined;
  expectCommit?: string | undefined;
  sendTestEvents: boolean;
  includeLoad: boolean;
  /** --with-scenarios: run these scenarios after the checks, into the same report. */
  scenarios?: ScenarioRunInput | undefined;
  /** --retry-timeout: how long failing checks that wait on propagation (`retryable`) are retried after the run (0 or absent: never). */
  retryTimeoutMs?: number | undefined;
  /** --retry-interval: the pause before each retry (default 5 s). */
  retryIntervalMs?: number | undefined;
}

export const DEFAULT_RETRY_INTERVAL_MS = 5000;

/** One retry round about to start, for the command to show. */
export interface RetryEvent {
  /** The attempt about to run (2 for the first retry). */
  attempt: number;
  /** The checks retried (failing retryable ones and the checks they held back). */
  checks: string[];
  waitMs: number;
  remainingMs: number;
}

export interface VerifyDeps {
  /** The checks to choose from (default: checks/index.ts). */
  catalogue?: readonly AnyCheck[] | undefined;
  /** Gatherers replacing the default ones (tests). */
  gatherers?: Partial<FactGatherers> | undefined;
  /** The scenarios to choose from (default: scenarios/index.ts). */
  scenarios?: readonly ScenarioDefinition[] | undefined;
}

/** The live views a command hands in (none: the run is silent). */
export interface VerifyViews {
  checks?: { onEvent(event: RunEvent): void; finished?(): Promise<void> } | undefined;
  scenarios?: ((event: ScenarioEvent) => void) | undefined;
  /** Before each retry round (--retry-timeout). */
  retry?: ((event: RetryEvent) => void) | undefined;
}

export interface VerifyResult {
  target: Target;
  report: RunReport;
  /** With --with-scenarios: what the scenario run did (its cleanup, or why the cleanup failed). */
  scenarioRun?: ScenarioSuiteRun;
}

/** What the facts of a run read: the one place a run's FactStore is built. */
export interface FactSettings {
  target: Target;
  config: BookflowConfig;
  signal: AbortSignal;
  expectCommit?: string | undefined;
  sendTestEvents: boolean;
  includeLoad: boolean;
}

/** The fact store of a verify run: facts read the context's environment and database (closed with the context). */
export function createFactStore(ctx: Context, settings: FactSettings, gatherers: Partial<FactGatherers> = {}): FactStore {
  const { target, config, signal, expectCommit, sendTestEvents, includeLoad } = settings;
  return new FactStore(
    // The database is the command's (closed by ctx.close(), at the end of the run).
    { env: ctx.env, target, config, signal, db: () => ctx.db(), clients: ctx.clients, expectCommit, sendTestEvents, includeLoad },
    { ...defaultGatherers, ...gatherers },
  );
}

export async function verify(ctx: Context, input: VerifyInput, views: VerifyViews = {}, deps: VerifyDeps = {}): Promise<VerifyResult> {
  const { config } = loadBookflowConfig(input.config, ctx.cwd);
  const target = input.target ?? targetFromEnv(ctx.env) ?? config.target ?? "production";

  // --with-scenarios: every scenario option is checked (and production refused) before any check runs.
  const suite = input.scenarios ? await prepareScenarioRun(ctx, target, input.scenarios, { catalogue: deps.scenarios }) : undefined;

  const catalogue = deps.catalogue ?? (await import("../../checks/index.js")).catalogue;
  assertValidCatalogue(catalogue, FACT_NAMES);
  const selection = selectChecks(catalogue, { only: [...input.only], skip: [...input.skip] });

  const abort = new AbortController();
  const settings = { target, config, signal: abort.signal, expectCommit: input.expectCommit, sendTestEvents: input.sendTestEvents, includeLoad: input.includeLoad };
  const facts = createFactStore(ctx, settings, deps.gatherers);
  let report: RunReport;
  try {
    report = await runChecks(selection.checks, {
      facts,
      target,
      concurrency: input.concurrency,
      timeoutMs: input.timeoutMs,
      strict: input.strict,
      excluded: selection.excluded,
      onEvent: (e) => views.checks?.onEvent(e),
      toolVersion: packageVersion(),
    });
    await views.checks?.finished?.();
    if (input.retryTimeoutMs) {
      report = await retryPropagation(report, selection.checks, {
        timeoutMs: input.retryTimeoutMs,
        intervalMs: input.retryIntervalMs ?? DEFAULT_RETRY_INTERVAL_MS,
        signal: abort.signal,
        onRetry: views.retry,
        run: (checks, settled) =>
          runChecks(checks, { facts: createFactStore(ctx, settings, deps.gatherers), target, concurrency: input.concurrency, timeoutMs: input.timeoutMs, strict: input.strict, excluded: selection.excluded, settled, toolVersion: packageVersion() }),
      });
    }
  } finally {
    abort.abort();
  }
  if (!suite) return { target, report };
  const scenarioRun = await suite.run(views.scenarios);
  report = withScenarios(report, scenarioRun.outcome, scenarioRunInfo(scenarioRun.outcome, scenarioRun.driver, scenarioRun.cleanup));
  return { target, report, scenarioRun };
}

interface RetryOptions {
  timeoutMs: number;
  intervalMs: number;
  signal: AbortSignal;
  onRetry?: ((event: RetryEvent) => void) | undefined;
  /** Runs some checks again with fresh facts, the others' results given. */
  run(checks: readonly AnyCheck[], settled: ReadonlyMap<string, CheckResult>): Promise<RunReport>;
}

/**
 * --retry-timeout (as goss's --retry-timeout): while a check that waits on
 * propagation failed or errored and time is left, waits the interval and runs
 * it again with freshly gathered facts — with the checks it held back (skipped
 * because it failed) — and puts the new results in place. The report keeps
 * the first run's start; its summary and outcome are recomputed.
 */
export async function retryPropagation(first: RunReport, checks: readonly AnyCheck[], options: RetryOptions): Promise<RunReport> {
  const deadline = Date.now() + options.timeoutMs;
  const started = Date.parse(first.startedAt);
  let report = first;
  for (let attempt = 2; ; attempt++) {
    const status = new Map(report.results.map((r) => [r.id, r.status]));
    const failing = new Set(checks.filter((c) => c.retryable && (status.get(c.id) === "fail" || status.get(c.id) === "error")).map((c) => c.id));
    if (failing.size === 0) return report;
    // The checks skipped because one of these failed (transitively) come along.
    let grew = true;
    while (grew) {
      grew = false;
      for (const c of checks) {
        if (!failing.has(c.id) && status.get(c.id) === "skip" && c.needs.some((n) => failing.has(n))) {
          failing.add(c.id);
          grew = true;
        }
      }
    }
    const remainingMs = deadline - Date.now();
    if (remainingMs < options.intervalMs || options.signal.aborted) return report;
    const again = checks.filter((c) => failing.has(c.id));
    options.onRetry?.({ attempt, checks: again.map((c) => c.id), waitMs: options.intervalMs, remainingMs });
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs));
    const settled = new Map(report.results.filter((r) => !failing.has(r.id)).map((r) => [r.id, r]));
    const rerun = await options.run(again, settled);
    const fresh = new Map(rerun.results.map((r) => [r.id, r]));
    const results = report.results.map((r) => fresh.get(r.id) ?? r);
    const summary = summarize(results);
    report = { ...report, results, summary, outcome: outcomeOf(summary, report.strict), finishedAt: new Date().toISOString(), durationMs: Math.round(Date.now() - started) };
  }
}
