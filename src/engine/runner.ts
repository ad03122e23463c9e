import type { AnyCheck, CheckOutcome, CheckResult } from "./check.js";
import { FactError, type FactStore } from "./facts/index.js";
import { formatDuration, outcomeOf, REPORT_SCHEMA_VERSION, summarize, type RunReport } from "./report.js";
import type { Target } from "../config/verify-env.js";

/** Lifecycle events, for live views. */
export type RunEvent =
  | { type: "start"; checks: { id: string; section: string; title: string }[] }
  | { type: "check-start"; id: string }
  | { type: "result"; result: CheckResult }
  | { type: "end"; report: RunReport };

export interface RunOptions {
  facts: FactStore;
  target: Target;
  /** How many checks run at once (default 8). */
  concurrency?: number;
  /** Per check, including gathering its facts (default 15 000 ms). */
  timeoutMs?: number;
  strict?: boolean;
  /** Checks removed by --skip: dependents say so when skipped. */
  excluded?: readonly string[];
  onEvent?: (event: RunEvent) => void;
  toolVersion?: string;
}

export const DEFAULT_CONCURRENCY = 8;
export const DEFAULT_TIMEOUT_MS = 15_000;

class CheckTimeout extends Error {}

/**
 * Runs checks: each after its prerequisites (skipped, with the reason, unless
 * they all passed or warned), at most `concurrency` at a time, each within
 * `timeoutMs`. A check that throws, times out or lacks a fact ends as `error`;
 * nothing a check does stops the run. Assumes a valid catalogue (no cycles).
 */
export async function runChecks(checks: readonly AnyCheck[], options: RunOptions): Promise<RunReport> {
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? DEFAULT_CONCURRENCY));
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const strict = !!options.strict;
  const excluded = new Set(options.excluded ?? []);
  const emit = (e: RunEvent) => {
    try {
      options.onEvent?.(e);
    } catch {
      /* a broken listener must not break the run */
    }
  };
  const byId = new Map(checks.map((c) => [c.id, c]));
  const slots = semaphore(concurrency);
  const memo = new Map<string, Promise<CheckResult>>();
  const startedAt = new Date();
  const t0 = performance.now();

  emit({ type: "start", checks: checks.map((c) => ({ id: c.id, section: c.section, title: c.title })) });

  const resultOf = (check: AnyCheck): Promise<CheckResult> => {
    let p = memo.get(check.id);
    if (!p) {
      p = (async () => {
        const reason = await blockedBy(check);
        const result = reason !== undefined ? base(check, { status: "skip", message: reason }, 0) : await slots.run(() => execute(check));
        emit({ type: "result", result });
        return result;
      })();
      memo.set(check.id, p);
    }
    return p;
  };

  const blockedBy = async (check: AnyCheck): Promise<string | undefined> => {
    for (const id of check.needs) {
      const pre = byId.get(id);
      if (!pre) return excluded.has(id) ? `prerequisite ${id} was excluded by --skip` : `prerequisite ${id} is not part of this run`;
      const r = await resultOf(pre);
      if (r.status !== "pass" && r.status !== "warn") return `prerequisite ${id} ${r.status === "fail" ? "failed" : r.status === "error" ? "could not be decided (error)" : "was skipped"}`;
    }
    return undefined;
  };

  const execute = async (check: AnyCheck): Promise<CheckResult> => {
    emit({ type: "check-start", id: check.id });
    const start = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      const work = options.facts.pick(check.facts).then((facts) => check.run(facts));
      work.catch(() => undefined); // settled after a timeout: ignore
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new CheckTimeout()), timeoutMs);
      });
      const outcome = await Promise.race([work, timeout]);
      const elapsed = performance.now() - start;
      const problem = invalidOutcome(outcome);
      if (problem) return base(check, { status: "error", message: `check returned an invalid outcome: ${problem}` }, elapsed);
      const status = outcome.status === "fail" && check.severity === "warn" ? "warn" : outcome.status;
      return base(check, { ...outcome, status }, elapsed);
    } catch (err) {
      const elapsed = performance.now() - start;
      const message =
        err instanceof CheckTimeout
          ? `timed out after ${formatDuration(timeoutMs)}`
          : err instanceof FactError
            ? err.message
            : `check threw: ${err instanceof Error ? err.message : String(err)}`;
      return base(check, { status: "error", message }, elapsed);
    } finally {
      clearTimeout(timer);
    }
  };

  const results = await Promise.all(checks.map(resultOf));
  const summary = summarize(results);
  const report: RunReport = {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: "bookflow", version: options.toolVersion ?? "unknown" },
    target: options.target,
    strict,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    durationMs: round(performance.now() - t0),
    outcome: outcomeOf(summary, strict),
    summary,
    results,
  };
  emit({ type: "end", report });
  return report;
}

function base(check: AnyCheck, outcome: Omit<CheckOutcome, "status"> & { status: CheckResult["status"] }, elapsed: number): CheckResult {
  const r: CheckResult = { id: check.id, section: check.section, title: check.title, severity: check.severity, status: outcome.status, message: outcome.message, durationMs: round(elapsed), docs: { ...check.docs } };
  if (outcome.expected !== undefined) r.expected = outcome.expected;
  if (outcome.actual !== undefined) r.actual = outcome.actual;
  if (outcome.details !== undefined) r.details = outcome.details;
  return r;
}

function invalidOutcome(o: unknown): string | undefined {
  if (!o || typeof o !== "object") return `expected pass(), fail(), warn() or skip(), got ${o === undefined ? "undefined" : typeof o}`;
  const { status, message } = o as { status?: unknown; message?: unknown };
  if (status !== "pass" && status !== "fail" && status !== "warn" && status !== "skip") return `unknown status ${JSON.stringify(status)}`;
  if (typeof message !== "string") return "message is not a string";
  return undefined;
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

/** At most `limit` tasks at once, in arrival order. */
function semaphore(limit: number) {
  let active = 0;
  const waiting: (() => void)[] = [];
  return {
    async run<T>(task: () => Promise<T>): Promise<T> {
      if (active >= limit) await new Promise<void>((r) => waiting.push(r));
      else active++;
      try {
        return await task();
      } finally {
        const next = waiting.shift();
        if (next) next();
        else active--;
      }
    },
  };
}
