import type { CheckResult, ScenarioStepResult } from "../../check.js";
import { formatDuration, sectionsOf, type RunReport } from "../../report.js";
import { isProblem, reportSubject, STATUS_LABEL } from "../shared.js";
import { renderPage, type PageSection } from "./page.js";
import { waterfall, type WaterfallRow } from "./svg.js";
import { anchor, html, type Html } from "./template.js";

/**
 * The run report (`verify`, `scenarios run`) as sections of the HTML page:
 * summary, what needs attention (with each check's fix), the timeline with
 * its critical path, then every check with expected and actual.
 */

const ICON: Record<CheckResult["status"], string> = { pass: "✔", warn: "⚠", fail: "✖", skip: "↷", error: "!" };

export function statusBadge(status: CheckResult["status"]): Html {
  return html`<span class="badge s-${status}"><span aria-hidden="true">${ICON[status]}</span> ${STATUS_LABEL[status]}</span>`;
}

/** A value as text: strings as they are, anything else as indented JSON (cut at `max` characters). */
export function showBlock(value: unknown, max = 6000): string {
  let text: string;
  if (typeof value === "string") text = value;
  else {
    try {
      text = JSON.stringify(value, null, 2) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * The chain of checks that decided when the run ended: from the check that
 * ended last, back through the prerequisite that ended last, to a check with
 * none. Checks without a start offset (reports from before it was recorded) are left out.
 */
export function criticalPath(results: readonly CheckResult[]): string[] {
  const timed = results.filter((r) => r.startMs !== undefined);
  if (!timed.length) return [];
  const end = (r: CheckResult) => r.startMs! + r.durationMs;
  const byId = new Map(timed.map((r) => [r.id, r]));
  let current: CheckResult | undefined = timed.reduce((a, b) => (end(b) > end(a) ? b : a));
  const path: string[] = [];
  while (current && !path.includes(current.id)) {
    path.unshift(current.id);
    const pres: CheckResult[] = (current.needs ?? []).map((id) => byId.get(id)).filter((r): r is CheckResult => r !== undefined);
    current = pres.length ? pres.reduce((a, b) => (end(b) > end(a) ? b : a)) : undefined;
  }
  return path;
}

/** The commit the report is about, when a check read it (the production deployment's git commit). */
export function reportCommit(report: RunReport): string | undefined {
  for (const r of report.results) {
    const d = r.details as { commitSha?: unknown } | undefined;
    if (d && typeof d === "object" && typeof d.commitSha === "string" && /^[0-9a-f]{7,40}$/i.test(d.commitSha)) return d.commitSha;
  }
  return undefined;
}

function facts(rows: readonly [string, Html | string | number | undefined][]): Html {
  return html`<dl class="facts">${rows.filter(([, v]) => v !== undefined && v !== "").map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>`;
}

function summarySection(report: RunReport): PageSection {
  const s = report.summary;
  const subject = reportSubject(report);
  const commit = reportCommit(report);
  const run = report.scenarioRun;
  const passed = report.outcome === "passed";
  const tiles: [CheckResult["status"], number][] = [
    ["pass", s.pass],
    ["warn", s.warn],
    ["fail", s.fail],
    ["error", s.error],
    ["skip", s.skip],
  ];
  return {
    id: "summary",
    title: "Summary",
    body: html`<p><span class="outcome ${passed ? "s-pass" : "s-fail"}" data-outcome="${report.outcome}"><span aria-hidden="true">${passed ? "✔" : "✖"}</span> ${passed ? "Passed" : "Failed"}</span>
 <span class="muted">${subject.units} against ${report.target} in ${formatDuration(report.durationMs)}</span></p>
<ul class="tiles" aria-label="Results by status">
<li data-count="total"><span class="n">${s.total}</span>total</li>
${tiles.map(([status, n]) => html`<li data-count="${status}"><span class="n s-${status}">${n}</span><span aria-hidden="true">${ICON[status]}</span> ${STATUS_LABEL[status].toLowerCase()}</li>`)}
</ul>
${facts([
  ["Result", passed ? "passed (exit code 0)" : "failed (exit code 1)"],
  ["Target", report.target],
  ["Duration", formatDuration(report.durationMs)],
  ["Started", report.startedAt],
  ["Finished", report.finishedAt],
  ["Commit", commit ? html`<code>${commit}</code>` : undefined],
  ["Strict", report.strict ? "yes: warnings fail the run" : undefined],
  ["Scenario run", run ? `${run.runId} (${run.driver} driver, run tag ${run.runTag})` : undefined],
  ["Cleanup", run ? (run.cleanup ? `removed ${run.cleanup.bookings} booking(s), ${run.cleanup.webhookEvents} webhook event(s), ${run.cleanup.emails} email(s); ${run.cleanup.remaining} remaining` : "kept the run's data") : undefined],
  ["Tool", `${report.tool.name} ${report.tool.version}`],
])}`,
  };
}

function valueRows(r: { expected?: unknown; actual?: unknown }): Html {
  return html`${r.expected !== undefined ? html`<h4>Expected</h4><pre data-field="expected">${showBlock(r.expected)}</pre>` : ""}${r.actual !== undefined ? html`<h4>Actual</h4><pre data-field="actual">${showBlock(r.actual)}</pre>` : ""}`;
}

function fixBox(r: CheckResult): Html {
  return html`<div class="fix" data-field="fix"><strong>How to fix</strong>${r.docs.fix}</div>`;
}

function problemsSection(report: RunReport): PageSection {
  const problems = report.results.filter((r) => isProblem(r, report.strict) || r.status === "warn");
  const body = problems.length
    ? html`<p>${problems.length} check(s) need attention. Each says what it found, what it expected and how to fix it.</p>
${problems.map(
  (r) => html`<details class="check problem${r.status === "warn" ? " warn" : ""}" id="${anchor("f", r.id)}" data-id="${r.id}" data-status="${r.status}" data-problem="yes" open>
<summary>${statusBadge(r.status)} <code>${r.id}</code> <span class="title">${r.title}</span></summary>
<div class="body">
<p data-field="message">${r.message}</p>
${valueRows(r)}
${stepsTable(r.steps)}
${fixBox(r)}
<p><a href="#${anchor("c", r.id)}">This check in the full list</a></p>
</div>
</details>`,
)}`
    : html`<p><span class="s-pass" aria-hidden="true">✔</span> Nothing needs attention: every check passed or was skipped for a stated reason.</p>`;
  return { id: "attention", title: `Needs attention (${problems.length})`, body };
}

function timelineSection(report: RunReport): PageSection | undefined {
  const timed = report.results.filter((r) => r.startMs !== undefined);
  if (!timed.length) return undefined;
  const path = criticalPath(report.results);
  const onPath = new Set(path);
  const rows: WaterfallRow[] = [...timed]
    .sort((a, b) => a.startMs! - b.startMs! || report.results.indexOf(a) - report.results.indexOf(b))
    .map((r) => ({ id: r.id, status: r.status, startMs: r.startMs!, durationMs: r.durationMs, critical: onPath.has(r.id) }));
  const byId = new Map(report.results.map((r) => [r.id, r]));
  const pathMs = path.reduce((sum, id) => sum + (byId.get(id)?.durationMs ?? 0), 0);
  return {
    id: "timeline",
    title: "Timeline",
    body: html`<p>Each check from its start, for its duration, in the order they started. The <strong>critical path</strong> (outlined, marked ◆) is the chain of prerequisites that ended last: the run could not have ended sooner without making one of them faster.</p>
<p data-field="critical-path">Critical path (${formatDuration(pathMs)} of ${formatDuration(report.durationMs)}): ${path.map((id, i) => html`${i ? " → " : ""}<a href="#${anchor("c", id)}"><code>${id}</code></a>`)}</p>
<figure><figcaption id="timeline-caption">Timeline of the run: ${rows.length} checks over ${formatDuration(report.durationMs)}</figcaption>
<div class="chart-scroll">${waterfall(rows, report.durationMs, "timeline-caption")}</div></figure>`,
  };
}

function stepsTable(steps: readonly ScenarioStepResult[] | undefined): Html {
  if (!steps?.length) return html``;
  return html`<table data-field="steps"><caption class="muted">Steps, in order</caption><thead><tr><th scope="col">Result</th><th scope="col">Step</th><th scope="col">What happened</th><th scope="col" class="num">Time</th></tr></thead><tbody>
${steps.map(
  (s) => html`<tr data-step="${s.id}"><td>${statusBadge(s.status)}</td><td><code>${s.id}</code> ${s.title}</td><td>${s.message}${s.expected !== undefined ? html`<div>Expected: <code>${showBlock(s.expected, 600)}</code></div>` : ""}${s.actual !== undefined ? html`<div>Actual: <code>${showBlock(s.actual, 600)}</code></div>` : ""}</td><td class="num">${s.status === "skip" ? "" : formatDuration(s.durationMs)}</td></tr>`,
)}
</tbody></table>`;
}

function checksSection(report: RunReport): PageSection {
  return {
    id: "checks",
    title: `Every check (${report.results.length})`,
    body: html`<div class="toolbar" role="group" aria-label="Show"><button type="button" data-action="expand">Expand all</button><button type="button" data-action="collapse">Collapse all</button><button type="button" data-action="problems" aria-pressed="false">Only what needs attention</button></div>
${sectionsOf(report.results).map(
  (section) => html`<h3>${section}</h3>
${report.results
  .filter((r) => r.section === section)
  .map(
    (r) => html`<details class="check" id="${anchor("c", r.id)}" data-id="${r.id}" data-status="${r.status}" data-problem="${isProblem(r, report.strict) || r.status === "warn" ? "yes" : "no"}">
<summary>${statusBadge(r.status)} <code>${r.id}</code> <span class="title">${r.title}</span> <span class="time">${formatDuration(r.durationMs)}</span></summary>
<div class="body">
<p data-field="message">${r.message}</p>
${valueRows(r)}
${stepsTable(r.steps)}
${r.details !== undefined ? html`<h4>Details</h4><pre data-field="details">${showBlock(r.details)}</pre>` : ""}
${facts([
  ["Severity", r.severity],
  ["Started", r.startMs !== undefined ? `${formatDuration(r.startMs)} into the run` : undefined],
  ["Took", formatDuration(r.durationMs)],
  ["Runs after", r.needs?.length ? html`${r.needs.map((id, i) => html`${i ? ", " : ""}<a href="#${anchor("c", id)}"><code>${id}</code></a>`)}` : undefined],
  ["Why it matters", r.docs.why],
])}
${r.status === "pass" || r.status === "skip" ? html`<p class="muted">Fix, should it fail: ${r.docs.fix}</p>` : fixBox(r)}
</div>
</details>`,
  )}`,
)}`,
  };
}

/** The page's sections for a run report (other reports compose their own). */
export function runReportSections(report: RunReport): PageSection[] {
  const timeline = timelineSection(report);
  return [summarySection(report), problemsSection(report), ...(timeline ? [timeline] : []), checksSection(report)];
}

export function renderRunReport(report: RunReport): string {
  const subject = reportSubject(report);
  const passed = report.outcome === "passed";
  return renderPage({
    title: `${subject.title}: ${passed ? "passed" : "failed"} (${report.target}, ${report.startedAt})`,
    heading: html`${subject.title} <span class="muted">· ${report.target}</span>`,
    sections: runReportSections(report),
    footer: `${report.tool.name} ${report.tool.version} · report schema ${report.schemaVersion} · run started ${report.startedAt}`,
  });
}
