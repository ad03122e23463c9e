import type { CheckResult } from "../check.js";
import { formatDuration, sectionsOf } from "../report.js";
import { isProblem, reportSubject, showValue, type Formatter } from "./shared.js";
import { baselineSection, slowerRule } from "./baseline.js";

const ICON: Record<CheckResult["status"], string> = { pass: "✅", warn: "⚠️", fail: "❌", skip: "⏭️", error: "💥" };

/** GitHub-flavoured Markdown, for $GITHUB_STEP_SUMMARY and pull-request comments. */
export const formatMarkdown: Formatter = (report) => {
  const s = report.summary;
  const lines: string[] = [];
  lines.push(`## ${reportSubject(report).title}: ${report.outcome === "passed" ? "✅ passed" : "❌ failed"} (target ${cell(report.target)})`, "");
  lines.push("| ✅ pass | ⚠️ warn | ❌ fail | ⏭️ skip | 💥 error | total | time |", "|---:|---:|---:|---:|---:|---:|---:|");
  lines.push(`| ${s.pass} | ${s.warn} | ${s.fail} | ${s.skip} | ${s.error} | ${s.total} | ${formatDuration(report.durationMs)} |`, "");
  if (report.strict) lines.push("_--strict: warnings fail the run._", "");

  const problems = report.results.filter((r) => isProblem(r, report.strict) || r.status === "warn");
  if (problems.length) {
    lines.push("### Needs attention", "");
    for (const r of problems) {
      lines.push(`- ${ICON[r.status]} **${cell(r.id)}**: ${cell(r.title)}: ${cell(r.message)}`);
      if (r.expected !== undefined) lines.push(`  - Expected: ${code(showValue(r.expected))}`);
      if (r.actual !== undefined) lines.push(`  - Actual: ${code(showValue(r.actual))}`);
      lines.push(`  - Fix: ${cell(r.docs.fix)}`);
    }
    lines.push("");
  }

  // --baseline: what is new since then.
  if (report.baseline) {
    const b = baselineSection(report.baseline, report.target);
    lines.push(`### ${cell(b.heading)}`, "", `**${cell(b.counts)}**`, "");
    if (b.targetNote) lines.push(`> Note: ${cell(b.targetNote)}`, "");
    const list = (title: string, items: string[], icon: string) => {
      if (!items.length) return;
      lines.push(`#### ${title}`, "", ...items.map((i) => `- ${icon} ${cell(i)}`), "");
    };
    list("New failures", b.newFailures, "❌");
    list("Fixed", b.fixed, "✅");
    list(`Slower (${cell(slowerRule(report.baseline))})`, b.slower, "🐢");
  }

  for (const section of sectionsOf(report.results)) {
    lines.push(`### ${cell(section)}`, "", "| | Check | Result | Time |", "|---|---|---|---:|");
    for (const r of report.results.filter((x) => x.section === section)) {
      lines.push(`| ${ICON[r.status]} | ${code(r.id)} ${cell(r.title)} | ${cell(r.message)} | ${formatDuration(r.durationMs)} |`);
      // A scenario's steps, one row each, under it.
      for (const step of r.steps ?? []) lines.push(`| ${ICON[step.status]} | ↳ ${code(step.id)} ${cell(step.title)} | ${cell([step.message, ...(step.limits ?? []).map((l) => `Limit: ${l}`)].join("\n"))} | ${step.status === "skip" ? "" : formatDuration(step.durationMs)} |`);
    }
    lines.push("");
  }
  return lines.join("\n");
};

/** Safe inside a table cell or list item: pipes escaped, newlines as <br>, HTML neutralised. */
function cell(s: string): string {
  return s.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/\r?\n/g, "<br>");
}

/** Inline code that survives backticks and pipes in the value. */
function code(s: string): string {
  const clean = s.replace(/\r?\n/g, " ").replace(/\|/g, "\\|");
  const fence = clean.includes("`") ? "``" : "`";
  return `${fence}${fence.length > 1 ? " " : ""}${clean}${fence.length > 1 ? " " : ""}${fence}`;
}
