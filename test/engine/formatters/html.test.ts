import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { CheckResult } from "../../../src/engine/check.js";
import { CONTENT_SECURITY_POLICY, PALETTE, TEXT_COLOURS } from "../../../src/engine/formatters/html/page.js";
import { formatHtml } from "../../../src/engine/formatters/html/index.js";
import { criticalPath, reportCommit } from "../../../src/engine/formatters/html/run-report.js";
import { niceStep } from "../../../src/engine/formatters/html/svg.js";
import { escapeHtml, html, trusted } from "../../../src/engine/formatters/html/template.js";
import type { RunReport } from "../../../src/engine/report.js";
import { withScenarios } from "../../../src/engine/scenarios/report.js";
import { bucketBounds } from "../../../src/providers/webhook-load.js";

/** The HTML report's parts that need no browser (test/e2e/report-html.test.ts opens it in Chromium). */

function result(id: string, startMs: number | undefined, durationMs: number, needs?: string[], extra: Partial<CheckResult> = {}): CheckResult {
  return { id, section: id.split(".")[0]!, title: id, severity: "error", status: "pass", message: "ok", durationMs, ...(startMs !== undefined ? { startMs } : {}), ...(needs ? { needs } : {}), docs: { why: "why", fix: "fix" }, ...extra };
}

function report(results: CheckResult[]): RunReport {
  return {
    schemaVersion: 1,
    tool: { name: "bookflow", version: "0.0.0-test" },
    target: "staging",
    strict: false,
    startedAt: "2026-12-07T00:00:00.000Z",
    finishedAt: "2026-12-07T00:00:01.000Z",
    durationMs: 1000,
    outcome: "passed",
    summary: { total: results.length, pass: results.length, warn: 0, fail: 0, skip: 0, error: 0 },
    results,
  };
}

/** WCAG 2 relative luminance and contrast ratio. */
function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}
function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}

describe("HTML report: colours", () => {
  for (const scheme of ["light", "dark"] as const) {
    for (const background of ["bg", "surface"] as const) {
      it.each(TEXT_COLOURS)(`${scheme}: %s text on ${background} meets WCAG AA (4.5:1)`, (colour) => {
        expect(contrast(PALETTE[scheme][colour], PALETTE[scheme][background])).toBeGreaterThanOrEqual(4.5);
      });
    }
    it(`${scheme}: the bars' colours and the borders stand out from the background (3:1, non-text)`, () => {
      for (const c of ["pass", "warn", "fail", "skip", "error", "border", "critical", "focus"] as const) expect(contrast(PALETTE[scheme][c], PALETTE[scheme].bg), c).toBeGreaterThanOrEqual(3);
    });
  }
});

describe("HTML report: escaping", () => {
  it("escapes every interpolated value, and only `trusted` text goes in raw", () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe("&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;");
    const user = `<script>alert(1)</script>`;
    expect(html`<p title="${user}">${user}${[user, html`<b>${user}</b>`]}${null}${undefined}${false}${0}</p>`.value).toBe(
      `<p title="&lt;script&gt;alert(1)&lt;/script&gt;">&lt;script&gt;alert(1)&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;<b>&lt;script&gt;alert(1)&lt;/script&gt;</b>0</p>`,
    );
    expect(html`${trusted("<i>")}`.value).toBe("<i>");
  });

  it("the page's one script is the one its Content-Security-Policy allows (by hash); nothing may be fetched", () => {
    const page = formatHtml(report([result("env.a", 0, 1)]));
    const scripts = [...page.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
    expect(scripts).toHaveLength(1);
    const hash = createHash("sha256").update(scripts[0]!).digest("base64");
    expect(CONTENT_SECURITY_POLICY).toContain(`'sha256-${hash}'`);
    expect(CONTENT_SECURITY_POLICY).toMatch(/default-src 'none'/);
    expect(page).toContain(`content="${CONTENT_SECURITY_POLICY.replace(/'/g, "&#39;")}"`);
    expect(page).not.toMatch(/\b(src|href)="https?:/);
  });
});

describe("HTML report: timeline", () => {
  it("the critical path follows, from the check that ended last, the prerequisite that ended last", () => {
    const results = [
      result("env.root", 0, 2),
      result("a.fast", 2, 10, ["env.root"]),
      result("a.slow", 2, 300, ["env.root"]),
      result("b.end", 302, 50, ["a.fast", "a.slow"]),
      result("c.alone", 0, 200),
    ];
    expect(criticalPath(results)).toEqual(["env.root", "a.slow", "b.end"]);
    // A check with no prerequisites that ends last is the whole path.
    expect(criticalPath([...results, result("d.late", 10, 400)])).toEqual(["d.late"]);
  });

  it("a report without start offsets (written before they were recorded) has no timeline, and still renders", () => {
    const old = report([result("env.a", undefined, 3), result("env.b", undefined, 4, ["env.a"])]);
    expect(criticalPath(old.results)).toEqual([]);
    const page = formatHtml(old);
    expect(page).not.toContain(`id="timeline"`);
    expect(page).toContain(`id="checks"`);
  });

  it("draws one bar per check and names the critical path in text", () => {
    const page = formatHtml(report([result("env.root", 0, 2), result("a.one", 2, 30, ["env.root"])]));
    expect(page.match(/<rect class="bar s-pass"/g)).toHaveLength(2);
    expect(page).toMatch(/Critical path \(32 ms of 1 s\)/);
  });

  it("verify --with-scenarios moves the scenarios' start offsets onto the checks' clock", () => {
    const checks = report([result("env.a", 0, 10)]);
    const scenario = result("scenarios.free-session", 5, 300, undefined, { section: "scenarios", steps: [] });
    const merged = withScenarios(checks, { runId: "r1", runTag: "bookflow-r1", results: [scenario], created: { bookings: [], inviteeUris: [], users: [] }, startedAt: new Date("2026-12-07T00:00:01.200Z"), durationMs: 400 }, { runId: "r1", runTag: "bookflow-r1", driver: "sandbox", cleanup: null });
    expect(merged.results.map((r) => [r.id, r.startMs])).toEqual([["env.a", 0], ["scenarios.free-session", 1205]]);
    expect(merged.durationMs).toBe(1600);
  });

  it("ticks go 1-2-5", () => {
    expect(niceStep(1000, 8)).toBe(200);
    expect(niceStep(37, 8)).toBe(5);
    expect(niceStep(0, 8)).toBe(1);
  });

  it("shows the commit a check read (the production deployment's), and none otherwise", () => {
    const sha = "0123456789abcdef0123456789abcdef01234567";
    expect(reportCommit(report([result("deployment.production-ready", 0, 1, undefined, { details: { commitSha: sha } })]))).toBe(sha);
    expect(reportCommit(report([result("deployment.production-ready", 0, 1, undefined, { details: { commitSha: "<b>" } })]))).toBeUndefined();
    expect(formatHtml(report([result("deployment.production-ready", 0, 1, undefined, { details: { commitSha: sha } })]))).toContain(`<dt>Commit</dt><dd><code>${sha}</code></dd>`);
  });
});

describe("webhooks bench: latency buckets", () => {
  it("upper bounds go 1-2-5 from the fastest request's bucket to the slowest's", () => {
    expect(bucketBounds(3.2, 41)).toEqual([5, 10, 20, 50]);
    expect(bucketBounds(0.05, 0.3)).toEqual([0.1, 0.2, 0.5]);
    expect(bucketBounds(7, 7)).toEqual([10]);
  });
});
