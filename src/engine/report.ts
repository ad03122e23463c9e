import type { CheckResult, CheckStatus } from "./check.js";
import type { Target } from "../config/verify-env.js";
import type { BaselineComparison } from "./baseline.js";

/**
 * The outcome of one `bookflow verify` run: the single value every formatter
 * reads. Versioned: a change that removes or retypes a field bumps
 * `schemaVersion`; adding a field does not. Documented in docs/report-schema.json.
 */
export const REPORT_SCHEMA_VERSION = 1;

export interface RunSummary {
  total: number;
  pass: number;
  warn: number;
  fail: number;
  skip: number;
  error: number;
}

export interface RunReport {
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  tool: { name: "bookflow"; version: string };
  target: Target;
  /** --strict: warnings fail the run. */
  strict: boolean;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  /** "failed" when a check failed or errored, or (with strict) warned. */
  outcome: "passed" | "failed";
  summary: RunSummary;
  /** In catalogue order (checks), then scenarios (section "scenarios") in the order they ran. */
  results: CheckResult[];
  /** Present when scenarios ran (`bookflow scenarios run`, `verify --with-scenarios`): the run's id, driver and cleanup. */
  scenarioRun?: ScenarioRunInfo;
  /** Present with `--baseline`: what is new since the baseline report (src/engine/baseline.ts). */
  baseline?: BaselineComparison;
}

export interface ScenarioRunInfo {
  runId: string;
  /** `bookflow-<run id>`: Booking.runTag of everything the run created. */
  runTag: string;
  driver: "sandbox" | "staging";
  /** What --cleanup removed; null when the run kept its data (--no-cleanup, or the default outside the sandbox). */
  cleanup: { bookings: number; webhookEvents: number; emails: number; auditEntries: number; users: number; remaining: number } | null;
}

export const STATUSES: readonly CheckStatus[] = ["pass", "warn", "fail", "skip", "error"];

export function summarize(results: readonly CheckResult[]): RunSummary {
  const s: RunSummary = { total: results.length, pass: 0, warn: 0, fail: 0, skip: 0, error: 0 };
  for (const r of results) s[r.status]++;
  return s;
}

export function outcomeOf(summary: RunSummary, strict: boolean): RunReport["outcome"] {
  return summary.fail > 0 || summary.error > 0 || (strict && summary.warn > 0) ? "failed" : "passed";
}

/** Sections in the order their first check appears. */
export function sectionsOf(results: readonly { section: string }[]): string[] {
  return [...new Set(results.map((r) => r.section))];
}

/** "12 ms", "1.5 s", "15 s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}

/** Deep copy with every string passed through `redact` (structure and non-strings untouched). */
export function redactDeep<T>(value: T, redact: (text: string) => string): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return redact(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === "object") {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[redact(k)] = walk(x);
      return out;
    }
    return v;
  };
  return walk(value) as T;
}
