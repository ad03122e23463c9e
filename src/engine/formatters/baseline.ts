import type { BaselineChange, BaselineComparison, SlowerCheck } from "../baseline.js";
import { formatDuration } from "../report.js";

/**
 * The "since the baseline" part of a report (`--baseline`), shared by the
 * formatters: one heading, then new failures, fixed checks and slower checks
 * as lines, each formatter styling them its own way.
 */

export interface BaselineSection {
  /** "Since the baseline of 2026-12-06T23:10:00.000Z (reports/history/….json)". */
  heading: string;
  /** Set when the baseline ran against another target, which makes the comparison doubtful. */
  targetNote: string | undefined;
  /** "1 new failure, 2 fixed, 0 slower". */
  counts: string;
  newFailures: string[];
  fixed: string[];
  slower: string[];
}

export function baselineSection(c: BaselineComparison, target: string): BaselineSection {
  return {
    heading: `Since the baseline of ${c.against.startedAt} (${c.against.file})`,
    targetNote: c.against.target === target ? undefined : `the baseline ran against target ${c.against.target}, this run against ${target}`,
    counts: baselineCounts(c),
    newFailures: c.newFailures.map(changeLine),
    fixed: c.fixed.map(changeLine),
    slower: c.slower.map(slowerLine),
  };
}

export function baselineCounts(c: BaselineComparison): string {
  const n = c.newFailures.length;
  return `${n} new failure${n === 1 ? "" : "s"}, ${c.fixed.length} fixed, ${c.slower.length} slower`;
}

/** "env.required-present (was pass, now fail): Missing: STRIPE_WEBHOOK_SECRET". */
export function changeLine(ch: BaselineChange): string {
  return `${ch.id} (${ch.before === null ? "not in the baseline" : `was ${ch.before}`}, now ${ch.after}): ${ch.message}`;
}

/** "dns.spf 120 ms → 2.4 s (+2.3 s, ×20)". */
export function slowerLine(s: SlowerCheck): string {
  return `${s.id} ${formatDuration(s.beforeMs)} → ${formatDuration(s.afterMs)} (+${formatDuration(s.deltaMs)}${s.ratio === null ? "" : `, ×${s.ratio}`})`;
}

/** The thresholds, for the "slower" heading. */
export function slowerRule(c: BaselineComparison): string {
  return `more than ${formatDuration(c.thresholds.slowerByMs)} longer and at least ×${c.thresholds.slowerByRatio}`;
}
