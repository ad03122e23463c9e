import type { CheckResult } from "../check.js";

export interface FormatOptions {
  /** ANSI colours (pretty-summary only); the command decides from NO_COLOR and the stream. */
  color?: boolean;
  /** How many of the slowest checks pretty-summary lists (default 5). */
  slowest?: number;
}

/** A pure function from a report to text, registered by name. */
export type Formatter = (report: import("../report.js").RunReport, options?: FormatOptions) => string;

/** Expected/actual/details as one short line. */
export function showValue(value: unknown, max = 300): string {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Whether a result counts against the run (fail, error, or warn under --strict). */
export function isProblem(r: CheckResult, strict: boolean): boolean {
  return r.status === "fail" || r.status === "error" || (strict && r.status === "warn");
}

export const STATUS_LABEL: Record<CheckResult["status"], string> = {
  pass: "PASS",
  warn: "WARN",
  fail: "FAIL",
  skip: "SKIP",
  error: "ERROR",
};

/**
 * What a report is about: `bookflow verify` (checks, and scenarios with --with-scenarios) or
 * `bookflow scenarios` (scenarios only), and its units ("46 checks, 4 scenarios").
 */
export function reportSubject(report: import("../report.js").RunReport): { title: string; units: string } {
  const scenarios = report.results.filter((r) => r.steps !== undefined).length;
  const checks = report.results.length - scenarios;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  if (scenarios > 0 && checks === 0) return { title: "bookflow scenarios", units: plural(scenarios, "scenario") };
  return { title: "bookflow verify", units: scenarios ? `${plural(checks, "check")}, ${plural(scenarios, "scenario")}` : `${checks} checks` };
}

/** A scenario's steps as lines ("✔ book  booked …"), for the formatters that list them. */
export function stepLines(r: CheckResult): string[] {
  const mark = { pass: "✔", fail: "✖", error: "!", skip: "↓" } as const;
  const steps = r.steps ?? [];
  const notRun = steps.filter((s) => s.status === "skip" && s.message.startsWith("not run"));
  const lines = steps.filter((s) => !notRun.includes(s)).flatMap((s) => [`${mark[s.status]} ${s.id}  ${s.message}`, ...(s.limits ?? []).map((l) => `  limit: ${l}`)]);
  if (notRun.length) lines.push(`${mark.skip} not run: ${notRun.map((s) => s.id).join(", ")}`);
  return lines;
}
