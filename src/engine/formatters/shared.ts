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
