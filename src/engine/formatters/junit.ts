import type { CheckResult } from "../check.js";
import { sectionsOf, type RunReport } from "../report.js";
import { reportSubject, showValue, stepLines, type Formatter } from "./shared.js";

/**
 * JUnit XML as Jenkins, GitLab and GitHub test reporters read it: one
 * <testsuite> per section, one <testcase> per check (name = check id);
 * fail → <failure>, error → <error>, skip → <skipped>; warn → <failure type="warning">
 * under --strict, otherwise a pass with the warning in <system-out>.
 */
export const formatJunit: Formatter = (report) => {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const totals = counts(report.results, report.strict);
  out.push(
    `<testsuites name="${attr(reportSubject(report).title)}" tests="${totals.tests}" failures="${totals.failures}" errors="${totals.errors}" skipped="${totals.skipped}" time="${seconds(report.durationMs)}" timestamp="${attr(report.startedAt)}">`,
  );
  for (const section of sectionsOf(report.results)) {
    const results = report.results.filter((r) => r.section === section);
    const c = counts(results, report.strict);
    const time = results.reduce((sum, r) => sum + r.durationMs, 0);
    out.push(
      `  <testsuite name="${attr(section)}" tests="${c.tests}" failures="${c.failures}" errors="${c.errors}" skipped="${c.skipped}" time="${seconds(time)}" timestamp="${attr(report.startedAt)}">`,
    );
    out.push(`    <properties><property name="target" value="${attr(report.target)}"/>${baselineProperties(report, section)}</properties>`);
    for (const r of results) out.push(...testcase(r, report));
    out.push("  </testsuite>");
  }
  out.push("</testsuites>");
  return out.join("\n") + "\n";
};

function testcase(r: CheckResult, report: RunReport): string[] {
  const open = `    <testcase classname="bookflow.${attr(r.section)}" name="${attr(r.id)}" time="${seconds(r.durationMs)}">`;
  const body = text([r.title, r.message, ...sinceBaseline(r, report), ...facts(r), ...(r.steps ? ["Steps:", ...stepLines(r).map((l) => `  ${l}`)] : []), `Fix: ${r.docs.fix}`].join("\n"));
  switch (r.status) {
    case "pass":
      // A scenario that passed still lists its steps (what it did) in <system-out>.
      if (r.steps) return [open, `      <system-out>${text(stepLines(r).join("\n"))}</system-out>`, "    </testcase>"];
      return [`    <testcase classname="bookflow.${attr(r.section)}" name="${attr(r.id)}" time="${seconds(r.durationMs)}"/>`];
    case "skip":
      return [open, `      <skipped message="${attr(r.message)}"/>`, "    </testcase>"];
    case "fail":
      return [open, `      <failure message="${attr(r.message)}" type="fail">${body}</failure>`, "    </testcase>"];
    case "error":
      return [open, `      <error message="${attr(r.message)}" type="error">${body}</error>`, "    </testcase>"];
    case "warn":
      return report.strict
        ? [open, `      <failure message="${attr(r.message)}" type="warning">${body}</failure>`, "    </testcase>"]
        : [open, `      <system-out>${text(`warning: ${r.message}`)}</system-out>`, "    </testcase>"];
  }
}

/**
 * --baseline: the baseline's start and file, and this section's new failures,
 * fixed and slower checks (ids, comma-separated) as properties.
 */
function baselineProperties(report: RunReport, section: string): string {
  const b = report.baseline;
  if (!b) return "";
  const inSection = new Set(report.results.filter((r) => r.section === section).map((r) => r.id));
  const ids = (items: readonly { id: string }[]) => items.filter((i) => inSection.has(i.id)).map((i) => i.id).join(",");
  const props: [string, string][] = [
    ["baseline.startedAt", b.against.startedAt],
    ["baseline.file", b.against.file],
    ["baseline.newFailures", ids(b.newFailures)],
    ["baseline.fixed", ids(b.fixed)],
    ["baseline.slower", ids(b.slower)],
  ];
  return props.map(([name, value]) => `<property name="${name}" value="${attr(value)}"/>`).join("");
}

/** A line for the failure body of a check that is new since the baseline. */
function sinceBaseline(r: CheckResult, report: RunReport): string[] {
  const change = report.baseline?.newFailures.find((c) => c.id === r.id);
  if (!change) return [];
  return [`New since the baseline of ${report.baseline!.against.startedAt} (${change.before === null ? "not in it" : `was ${change.before}`}).`];
}

function facts(r: CheckResult): string[] {
  const lines: string[] = [];
  if (r.expected !== undefined) lines.push(`Expected: ${showValue(r.expected, 2000)}`);
  if (r.actual !== undefined) lines.push(`Actual: ${showValue(r.actual, 2000)}`);
  if (r.details !== undefined) lines.push(`Details: ${showValue(r.details, 2000)}`);
  return lines;
}

function counts(results: readonly CheckResult[], strict: boolean) {
  return {
    tests: results.length,
    failures: results.filter((r) => r.status === "fail" || (strict && r.status === "warn")).length,
    errors: results.filter((r) => r.status === "error").length,
    skipped: results.filter((r) => r.status === "skip").length,
  };
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

// Characters XML 1.0 cannot carry at all (even escaped).
const INVALID_XML = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

export function text(s: string): string {
  return s.replace(INVALID_XML, "\uFFFD").replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export function attr(s: string): string {
  return text(s).replace(/"/g, "&quot;").replace(/'/g, "&apos;").replace(/\n/g, "&#10;").replace(/\r/g, "&#13;").replace(/\t/g, "&#9;");
}
