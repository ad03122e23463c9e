import { monitorIntervalMs } from "../config/bookflow-config.js";
import { UsageError } from "../errors.js";

/**
 * The monitor's schedule, as pure functions: each check runs at its own
 * interval (config `monitor.intervals`, by check id first, then by section,
 * else `--interval`); a tick runs the checks that are due.
 */

export interface ScheduledCheck {
  id: string;
  section: string;
}

/** The due checks, plus (transitively) the checks that need one of them, in catalogue order: a prerequisite's new result must reach its dependents. */
export function withDependents(due: readonly string[], checks: readonly { id: string; needs: readonly string[] }[]): string[] {
  const set = new Set(due);
  let grew = set.size > 0;
  while (grew) {
    grew = false;
    for (const c of checks) {
      if (!set.has(c.id) && c.needs.some((n) => set.has(n))) {
        set.add(c.id);
        grew = true;
      }
    }
  }
  return checks.filter((c) => set.has(c.id)).map((c) => c.id);
}

/** `--interval` / `--duration` text → milliseconds within bounds; a UsageError naming the flag otherwise. */
export function parseMonitorDuration(text: string, flag: string, bounds: { minMs: number; maxMs: number }): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/.exec(text);
  const ms = m ? Math.round(Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as "ms" | "s" | "m" | "h" | "d"]) : NaN;
  if (!m) {
    throw new UsageError(`${flag} ${JSON.stringify(text)} is not a duration.`, `Give a number with a unit: ${flag} 30s, 5m, 1h.`, "BAD_OPTION");
  }
  if (ms < bounds.minMs || ms > bounds.maxMs) {
    throw new UsageError(`${flag} ${JSON.stringify(text)} is out of range: from ${describe(bounds.minMs)} to ${describe(bounds.maxMs)}.`, `Give a duration in that range, e.g. ${flag} 5m.`, "BAD_OPTION");
  }
  return ms;
}

function describe(ms: number): string {
  for (const [unit, size] of [["d", 86_400_000], ["h", 3_600_000], ["m", 60_000], ["s", 1000]] as const) if (ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

/** Each check's interval: its id in `intervals`, else its section, else the default. */
export function intervalsFor(checks: readonly ScheduledCheck[], intervals: Readonly<Record<string, string>>, defaultMs: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const c of checks) {
    const text = intervals[c.id] ?? intervals[c.section];
    out.set(c.id, text === undefined ? defaultMs : (monitorIntervalMs(text) ?? defaultMs));
  }
  return out;
}

/** Config keys that name neither a check nor a section of the selection (a typo would silently do nothing). */
export function unknownIntervalKeys(checks: readonly ScheduledCheck[], intervals: Readonly<Record<string, string>>): string[] {
  const known = new Set(checks.flatMap((c) => [c.id, c.section]));
  return Object.keys(intervals).filter((k) => !known.has(k));
}

/** The checks due at `now`: never run, or last run at least their interval ago. */
export function dueChecks(now: number, intervals: ReadonlyMap<string, number>, lastRun: ReadonlyMap<string, number>): string[] {
  const due: string[] = [];
  for (const [id, every] of intervals) {
    const last = lastRun.get(id);
    if (last === undefined || now - last >= every) due.push(id);
  }
  return due;
}

/** When the next check falls due (ms from `now`, at least 0). */
export function nextDueIn(now: number, intervals: ReadonlyMap<string, number>, lastRun: ReadonlyMap<string, number>): number {
  let soonest = Infinity;
  for (const [id, every] of intervals) {
    const last = lastRun.get(id);
    soonest = Math.min(soonest, last === undefined ? 0 : last + every - now);
  }
  return Math.max(0, soonest === Infinity ? 0 : soonest);
}
