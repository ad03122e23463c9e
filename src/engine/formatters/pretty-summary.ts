import { Chalk } from "chalk";
import { formatDuration } from "../report.js";
import { reportSubject, showValue, stepLines, type Formatter } from "./shared.js";
import { baselineSection, slowerRule } from "./baseline.js";

/**
 * For a person, after the live view: the counts, the slowest checks, then every
 * failure, error and warning with its message, expected/actual and how to fix it,
 * and every skip with its reason.
 */
export const formatPrettySummary: Formatter = (report, options = {}) => {
  const c = new Chalk({ level: options.color ? 1 : 0 });
  const s = report.summary;
  const lines: string[] = [];
  const subject = reportSubject(report);
  lines.push(c.bold(`${subject.title} · target ${report.target} · ${subject.units} in ${formatDuration(report.durationMs)}`));
  lines.push(
    "  " +
      [
        c.green(`${s.pass} passed`),
        (s.warn ? c.yellow : c.dim)(`${s.warn} warnings`),
        (s.fail ? c.red : c.dim)(`${s.fail} failed`),
        c.dim(`${s.skip} skipped`),
        (s.error ? c.magenta : c.dim)(`${s.error} errors`),
      ].join(c.dim(" · ")),
  );

  const ran = report.results.filter((r) => r.status !== "skip").sort((a, b) => b.durationMs - a.durationMs);
  const slowest = ran.slice(0, options.slowest ?? 5);
  if (slowest.length) {
    lines.push("", c.bold("Slowest"));
    for (const r of slowest) lines.push(`  ${formatDuration(r.durationMs).padStart(8)}  ${r.id}`);
  }

  const group = (title: string, status: string, mark: string, paint: (t: string) => string) => {
    const rs = report.results.filter((r) => r.status === status);
    if (!rs.length) return;
    lines.push("", c.bold(title));
    for (const r of rs) {
      lines.push(`  ${paint(mark)} ${c.bold(r.id)}  ${r.title}`);
      lines.push(`      ${r.message}`);
      if (r.expected !== undefined) lines.push(c.dim(`      expected: ${showValue(r.expected)}`));
      if (r.actual !== undefined) lines.push(c.dim(`      actual:   ${showValue(r.actual)}`));
      if (r.steps && status !== "skip") for (const step of stepLines(r)) lines.push(c.dim(`      ${step}`));
      if (status !== "skip") lines.push(`      ${c.cyan("fix:")} ${r.docs.fix}`);
    }
  };
  group("Failed", "fail", "✖", c.red);
  group("Errors (could not decide)", "error", "!", c.magenta);
  group(report.strict ? "Warnings (fail the run: --strict)" : "Warnings", "warn", "⚠", c.yellow);
  group("Skipped", "skip", "↓", c.dim);

  // What scenarios could not prove (stated by their steps), whatever their status: a limit is never a pass.
  const limited = report.results.filter((r) => r.limits?.length);
  if (limited.length) {
    lines.push("", c.bold("Stated limits (not proven by this run)"));
    for (const r of limited) for (const limit of r.limits!) lines.push(`  ${c.yellow("•")} ${r.id}: ${limit}`);
  }

  // --baseline: what is new since then.
  if (report.baseline) {
    const b = baselineSection(report.baseline, report.target);
    lines.push("", c.bold(b.heading), `  ${b.counts}`);
    if (b.targetNote) lines.push(c.yellow(`  note: ${b.targetNote}`));
    const list = (title: string, items: string[], mark: string, paint: (t: string) => string) => {
      if (!items.length) return;
      lines.push(`  ${title}`);
      for (const item of items) lines.push(`    ${paint(mark)} ${item}`);
    };
    list("New failures", b.newFailures, "✖", c.red);
    list("Fixed", b.fixed, "✔", c.green);
    list(`Slower (${slowerRule(report.baseline)})`, b.slower, "◷", c.yellow);
  }

  lines.push("");
  lines.push(report.outcome === "passed" ? c.green.bold("Result: passed") : c.red.bold("Result: failed"));
  return lines.join("\n") + "\n";
};
