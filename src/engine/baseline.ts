import type { CheckResult, CheckStatus } from "./check.js";
import type { RunReport } from "./report.js";

/**
 * What changed between two reports of the same checklist (`verify --baseline`,
 * `bookflow report diff`). The rules, by check id:
 *
 * - new failure: a problem now (fail or error; warn too when the newer run is
 *   --strict) that was not one in the baseline (it passed, warned, was skipped,
 *   or did not run at all);
 * - fixed: a problem in the baseline (judged by the baseline's own --strict)
 *   that passes now (or warns, when the newer run is not --strict). A check
 *   that is skipped now, or left out of the newer run, is not "fixed": it
 *   was not decided;
 * - slower: ran in both (not skipped) and took more than `slowerByMs` longer
 *   AND at least `slowerByRatio` times as long. Both, so neither a 4 ms → 20 ms
 *   check nor a 30 s → 31.5 s one is noise reported as a regression.
 *
 * Checks present in one report only are listed as `added` / `removed`.
 */

export interface BaselineThresholds {
  /** A check is slower when it took more than this many ms longer than in the baseline… */
  slowerByMs: number;
  /** …and at least this many times as long. */
  slowerByRatio: number;
}

export const DEFAULT_BASELINE_THRESHOLDS: BaselineThresholds = { slowerByMs: 1000, slowerByRatio: 1.5 };

export interface BaselineChange {
  id: string;
  title: string;
  /** Status in the baseline (null: the check was not in it). */
  before: CheckStatus | null;
  /** Status now. */
  after: CheckStatus;
  /** The newer run's message (why it fails, or what passes now). */
  message: string;
}

export interface SlowerCheck {
  id: string;
  title: string;
  beforeMs: number;
  afterMs: number;
  /** afterMs − beforeMs. */
  deltaMs: number;
  /** afterMs / beforeMs (null when the baseline took 0 ms). */
  ratio: number | null;
}

export interface BaselineComparison {
  /** The report compared against. */
  against: {
    /** The file it was read from, as given (or found in --history). */
    file: string;
    startedAt: string;
    target: RunReport["target"];
    outcome: RunReport["outcome"];
    toolVersion: string;
  };
  thresholds: BaselineThresholds;
  newFailures: BaselineChange[];
  fixed: BaselineChange[];
  slower: SlowerCheck[];
  /** Problems in both runs (ids). */
  stillFailing: string[];
  /** In the newer run only / in the baseline only (ids). */
  added: string[];
  removed: string[];
}

function isProblem(status: CheckStatus, strict: boolean): boolean {
  return status === "fail" || status === "error" || (strict && status === "warn");
}

/** `before` (the baseline, read from `file`) against `after` (the newer run). */
export function compareReports(before: RunReport, after: RunReport, file: string, thresholds: BaselineThresholds = DEFAULT_BASELINE_THRESHOLDS): BaselineComparison {
  const old = new Map<string, CheckResult>(before.results.map((r) => [r.id, r]));
  const now = new Set(after.results.map((r) => r.id));
  const comparison: BaselineComparison = {
    against: { file, startedAt: before.startedAt, target: before.target, outcome: before.outcome, toolVersion: before.tool.version },
    thresholds: { ...thresholds },
    newFailures: [],
    fixed: [],
    slower: [],
    stillFailing: [],
    added: [],
    removed: before.results.filter((r) => !now.has(r.id)).map((r) => r.id),
  };
  for (const r of after.results) {
    const b = old.get(r.id);
    if (!b) comparison.added.push(r.id);
    const problemNow = isProblem(r.status, after.strict);
    const problemBefore = b !== undefined && isProblem(b.status, before.strict);
    const change: BaselineChange = { id: r.id, title: r.title, before: b?.status ?? null, after: r.status, message: r.message };
    if (problemNow && !problemBefore) comparison.newFailures.push(change);
    else if (problemNow && problemBefore) comparison.stillFailing.push(r.id);
    else if (problemBefore && r.status !== "skip") comparison.fixed.push(change);
    if (b && b.status !== "skip" && r.status !== "skip") {
      const deltaMs = r.durationMs - b.durationMs;
      const ratio = b.durationMs > 0 ? r.durationMs / b.durationMs : null;
      if (deltaMs > thresholds.slowerByMs && (ratio === null || ratio >= thresholds.slowerByRatio))
        comparison.slower.push({ id: r.id, title: r.title, beforeMs: b.durationMs, afterMs: r.durationMs, deltaMs, ratio: ratio === null ? null : Math.round(ratio * 100) / 100 });
    }
  }
  comparison.slower.sort((a, b) => b.deltaMs - a.deltaMs);
  return comparison;
}

/** Whether anything worth a person's attention changed. */
export function hasChanges(c: BaselineComparison): boolean {
  return c.newFailures.length + c.fixed.length + c.slower.length > 0;
}
