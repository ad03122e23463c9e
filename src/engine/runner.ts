import { renderMessage, severityFor, type AnyCheck, type CheckOutcome, type CheckResult } from "./check.js";
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
  /** Results of checks outside this run that its checks may need (a retry of some checks of an earlier run). */
  settled?: ReadonlyMap<string, CheckResult>;
}

export const DEFAULT_CONCURRENCY = 8;
export const DEFAULT_TIMEOUT_MS = 15_000;

class CheckTimeout extends Error {}

/**
 * Runs checks: each after its prerequisites (skipped, with the reason, unless
 * they all passed or warned), at most `concurrency` at a time, each within
 * `timeoutMs`. A check that throws, times out or lacks a fact ends as `error`;
 * nothing a check does stops the run. Assumes a valid catalogue (no cycles).
 *
 * Scheduling (see docs/verify-latency.md for the figures behind it): the
 * concurrency bound is on checks that read the world. A check whose facts are
 * all local (env, config, flags) or already being gathered by another check
 * adds no load, so it runs at once, without a slot. Slots are handed out on
 * the next turn of the event loop, so every check that became ready meanwhile
 * competes, and the waiting check with the longest chain of dependents below
 * it goes first (ties: catalogue order): prerequisites of long chains do not
 * queue behind leaves.
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
  const rank = ranks(checks);
  const slots = prioritySlots(concurrency, (names) => options.facts.wouldGather(names));
  const memo = new Map<string, Promise<CheckResult>>();
  /** Checks skipped for unset variables (their own, or a prerequisite's): which ones, so dependents name them too. */
  const unsetFor = new Map<string, readonly string[]>();
  const startedAt = new Date();
  const t0 = performance.now();

  emit({ type: "start", checks: checks.map((c) => ({ id: c.id, section: c.section, title: c.title })) });

  const resultOf = (check: AnyCheck): Promise<CheckResult> => {
    let p = memo.get(check.id);
    if (!p) {
      p = (async () => {
        const reason = await blockedBy(check);
        const result = reason !== undefined ? base(check, { status: "skip", message: reason }, 0, performance.now() - t0, options.target) : await slots.run(rank.get(check.id)!, check.facts, () => execute(check));
        emit({ type: "result", result });
        return result;
      })();
      memo.set(check.id, p);
    }
    return p;
  };

  const blockedBy = async (check: AnyCheck): Promise<string | undefined> => {
    const unset = await unsetVars(check);
    if (unset.length) {
      unsetFor.set(check.id, unset);
      return unsetMessage(unset);
    }
    for (const id of check.needs) {
      const pre = byId.get(id);
      const earlier = pre ? undefined : options.settled?.get(id);
      if (earlier) {
        if (earlier.status !== "pass" && earlier.status !== "warn") return `prerequisite ${id} ${earlier.status === "fail" ? "failed" : earlier.status === "error" ? "could not be decided (error)" : "was skipped"}`;
        continue;
      }
      if (!pre) return excluded.has(id) ? `prerequisite ${id} was excluded by --skip` : `prerequisite ${id} is not part of this run`;
      const r = await resultOf(pre);
      const preUnset = unsetFor.get(id);
      if (preUnset) {
        unsetFor.set(check.id, preUnset);
        return unsetMessage(preUnset);
      }
      if (r.status !== "pass" && r.status !== "warn") return `prerequisite ${id} ${r.status === "fail" ? "failed" : r.status === "error" ? "could not be decided (error)" : "was skipped"}`;
    }
    return undefined;
  };

  /** The check's declared variables that the env fact has unset (none when it declares none, or env cannot be read: then running it reports why). */
  const unsetVars = async (check: AnyCheck): Promise<string[]> => {
    if (!check.vars?.length) return [];
    try {
      const { env } = await options.facts.pick(["env"]);
      return check.vars.filter((name) => env.vars[name] === undefined);
    } catch {
      return [];
    }
  };

  const execute = async (check: AnyCheck): Promise<CheckResult> => {
    emit({ type: "check-start", id: check.id });
    const start = performance.now();
    const at = start - t0;
    let timer: NodeJS.Timeout | undefined;
    try {
      const work = options.facts.pick(check.facts).then((facts) => check.run(facts));
      work.catch(() => undefined); // settled after a timeout: ignore
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new CheckTimeout()), timeoutMs);
      });
      const outcome = await Promise.race([work, timeout]);
      const elapsed = performance.now() - start;
      const problem = invalidVerdict(outcome);
      if (problem) return base(check, { status: "error", message: `check returned an invalid outcome: ${problem}` }, elapsed, at, options.target);
      const message = renderMessage(check, outcome.messageId, outcome.data);
      const status = outcome.status === "fail" && severityFor(check, options.target) === "warn" ? "warn" : outcome.status;
      return base(check, { ...outcome, message, status }, elapsed, at, options.target);
    } catch (err) {
      const elapsed = performance.now() - start;
      const message =
        err instanceof CheckTimeout
          ? `timed out after ${formatDuration(timeoutMs)}`
          : err instanceof FactError
            ? err.message
            : `check threw: ${err instanceof Error ? err.message : String(err)}`;
      return base(check, { status: "error", message }, elapsed, at, options.target);
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

function unsetMessage(names: readonly string[]): string {
  return `${names.join(", ")} ${names.length === 1 ? "is" : "are"} not set (see env.required-present)`;
}

function base(check: AnyCheck, outcome: Omit<CheckOutcome, "status" | "messageId"> & { status: CheckResult["status"]; messageId?: string }, elapsed: number, startMs: number, target: Target): CheckResult {
  const r: CheckResult = { id: check.id, section: check.section, title: check.title, severity: severityFor(check, target), status: outcome.status, ...(outcome.messageId !== undefined ? { messageId: outcome.messageId } : {}), message: outcome.message, durationMs: round(elapsed), startMs: round(startMs), ...(check.needs.length ? { needs: [...check.needs] } : {}), docs: { why: check.docs.why, fix: check.docs.fix } };
  if (outcome.expected !== undefined) r.expected = outcome.expected;
  if (outcome.actual !== undefined) r.actual = outcome.actual;
  if (outcome.details !== undefined) r.details = outcome.details;
  return r;
}

function invalidVerdict(o: unknown): string | undefined {
  if (!o || typeof o !== "object") return `expected pass(), fail(), warn() or skip(), got ${o === undefined ? "undefined" : typeof o}`;
  const { status, messageId } = o as { status?: unknown; messageId?: unknown };
  if (status !== "pass" && status !== "fail" && status !== "warn" && status !== "skip") return `unknown status ${JSON.stringify(status)}`;
  if (typeof messageId !== "string") return "messageId is not a string";
  return undefined;
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

interface Rank {
  /** Checks on the longest chain from this one down through its dependents, itself included. */
  height: number;
  /** Position in the run's list. */
  index: number;
}

/** Each check's rank for the slot queue: height first, then list order. */
function ranks(checks: readonly AnyCheck[]): Map<string, Rank> {
  const ids = new Set(checks.map((c) => c.id));
  const dependents = new Map<string, string[]>(checks.map((c) => [c.id, []]));
  for (const c of checks) for (const n of c.needs) if (ids.has(n)) dependents.get(n)!.push(c.id);
  const height = new Map<string, number>();
  const heightOf = (id: string, path: Set<string>): number => {
    const known = height.get(id);
    if (known !== undefined) return known;
    if (path.has(id)) return 1; // a cycle (an invalid catalogue): no preference
    path.add(id);
    const h = 1 + Math.max(0, ...dependents.get(id)!.map((d) => heightOf(d, path)));
    path.delete(id);
    height.set(id, h);
    return h;
  };
  return new Map(checks.map((c, index) => [c.id, { height: heightOf(c.id, new Set()), index }]));
}

type FactNames = readonly AnyCheck["facts"][number][];

interface Waiting {
  rank: Rank;
  facts: FactNames;
  start(withSlot: boolean): void;
}

/**
 * At most `limit` tasks that read the world at once. `wouldGather(facts)`
 * says whether a task would start reading the world (a fact neither local nor
 * already requested); tasks for which it is false run at once, without a slot.
 * The others wait for the next turn of the event loop and are started highest
 * rank first. A task is started synchronously, so the facts it asks for count
 * as requested for the tasks after it in the same turn.
 */
function prioritySlots(limit: number, wouldGather: (facts: FactNames) => boolean) {
  let active = 0;
  let scheduled = false;
  const waiting: Waiting[] = [];
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(pump);
  };
  function pump() {
    scheduled = false;
    waiting.sort((a, b) => b.rank.height - a.rank.height || a.rank.index - b.rank.index);
    for (let i = 0; i < waiting.length; ) {
      const w = waiting[i]!;
      const needsSlot = wouldGather(w.facts);
      if (needsSlot && active >= limit) {
        i++;
        continue;
      }
      waiting.splice(i, 1);
      w.start(needsSlot);
    }
  }
  return {
    run<T>(rank: Rank, facts: FactNames, task: () => Promise<T>): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const start = (withSlot: boolean) => {
          if (withSlot) active++;
          task()
            .then(resolve, reject)
            .finally(() => {
              if (!withSlot) return;
              active--;
              if (waiting.length) schedule();
            });
        };
        if (!wouldGather(facts)) start(false);
        else {
          waiting.push({ rank, facts, start });
          schedule();
        }
      });
    },
  };
}
