import { describe, expect, it } from "vitest";
import { fail, pass, skip, warn } from "../../src/engine/check.js";
import { FORMAT_NAMES, formatters } from "../../src/engine/formatters/index.js";
import { runReportSchema } from "../../src/engine/report-schema.js";
import { runChecks } from "../../src/engine/runner.js";
import type { RunReport } from "../../src/engine/report.js";
import { testCheck, testFacts } from "./helpers.js";
import { parseXml, type XmlElement } from "./xml.js";

const NASTY = `a <b> & "c" 'd' | e\nline2 %25 :: , \u0001 \`tick\``;

async function sampleReport(strict = false): Promise<RunReport> {
  return runChecks(
    [
      testCheck("env.ok", { messages: { allSet: "all set" }, run: () => pass("allSet") }),
      testCheck("env.broken", { messages: { missing: "Missing: {{names}}" }, run: () => fail("missing", { names: NASTY }, { expected: ["A", "B"], actual: { missing: ["B"] } }) }),
      testCheck("stripe.soft", { severity: "warn", messages: { policyNone: "p=none" }, run: () => fail("policyNone") }),
      testCheck("stripe.explicit-warning", { messages: { nearLimit: "close to the limit" }, run: () => warn("nearLimit") }),
      testCheck("stripe.after", { needs: ["env.broken"] }),
      testCheck("dns.na", { messages: { notConfigured: "not configured" }, run: () => skip("notConfigured") }),
      testCheck("dns.crash", {
        run: () => {
          throw new Error("resolver exploded");
        },
      }),
    ],
    { facts: testFacts().store, target: "staging", strict, toolVersion: "1.2.3" },
  );
}

const find = (el: XmlElement, name: string): XmlElement[] => [...(el.name === name ? [el] : []), ...el.children.flatMap((c) => find(c, name))];

describe("formatters", () => {
  it("are registered under the names --format takes", () => {
    expect(Object.keys(formatters).sort()).toEqual([...FORMAT_NAMES].sort());
  });

  it("json: the report, valid against the documented schema", async () => {
    const report = await sampleReport();
    const text = formatters.json(report);
    const parsed: unknown = JSON.parse(text);
    const r = runReportSchema.safeParse(parsed);
    expect(r.success, JSON.stringify(r.error?.issues)).toBe(true);
    expect(parsed).toEqual(JSON.parse(JSON.stringify(report)));
    expect((parsed as RunReport).summary).toEqual({ total: 7, pass: 1, warn: 2, fail: 1, skip: 2, error: 1 });
  });

  it("junit: well-formed XML, one testsuite per section, one testcase per check, statuses marked", async () => {
    const report = await sampleReport();
    const root = parseXml(formatters.junit(report));
    expect(root.name).toBe("testsuites");
    expect(root.attrs).toMatchObject({ tests: "7", failures: "1", errors: "1", skipped: "2" });
    const suites = find(root, "testsuite");
    expect(suites.map((s) => s.attrs.name)).toEqual(["env", "stripe", "dns"]);
    expect(suites.map((s) => s.attrs.tests)).toEqual(["2", "3", "2"]);
    const cases = Object.fromEntries(find(root, "testcase").map((c) => [c.attrs.name, c]));
    expect(Object.keys(cases)).toHaveLength(7);
    expect(cases["env.ok"]!.children).toEqual([]);
    const failure = find(cases["env.broken"]!, "failure")[0]!;
    expect(failure.attrs.message).toBe(`Missing: ${NASTY.replace("\u0001", "\uFFFD")}`);
    expect(failure.text).toContain("Fix: Fix env.broken like this.");
    expect(find(cases["dns.crash"]!, "error")[0]!.attrs.message).toBe("check threw: resolver exploded");
    expect(find(cases["dns.na"]!, "skipped")[0]!.attrs.message).toBe("not configured");
    expect(find(cases["stripe.after"]!, "skipped")).toHaveLength(1);
    expect(find(cases["stripe.soft"]!, "failure")).toHaveLength(0);
    expect(find(cases["stripe.soft"]!, "system-out")[0]!.text).toContain("p=none");
  });

  it("the test XML reader rejects what is not well-formed", () => {
    for (const bad of ["<a><b></a>", "<a>x & y</a>", '<a b="1" b="2"/>', "<a b=1/>", "<a>\u0001</a>", "<a/><b/>", '<a t="<"/>']) expect(() => parseXml(bad), bad).toThrow();
    expect(parseXml('<a t="&lt;&#10;">x &amp; y</a>')).toMatchObject({ attrs: { t: "<\n" }, text: "x & y" });
  });

  it("junit: warnings are failures under --strict", async () => {
    const root = parseXml(formatters.junit(await sampleReport(true)));
    expect(root.attrs.failures).toBe("3");
    const soft = find(root, "testcase").find((c) => c.attrs.name === "stripe.soft")!;
    expect(find(soft, "failure")[0]!.attrs.type).toBe("warning");
  });

  it("markdown: outcome, counts, what needs attention with the fix, a table per section", async () => {
    const md = formatters.markdown(await sampleReport());
    expect(md).toMatch(/^## bookflow verify: ❌ failed \(target staging\)/);
    expect(md).toContain("| 1 | 2 | 1 | 2 | 1 | 7 |");
    expect(md).toContain("### Needs attention");
    expect(md).toContain("Fix: Fix env.broken like this.");
    for (const s of ["### env", "### stripe", "### dns"]) expect(md).toContain(s);
    // Table rows stay one line with escaped pipes and no raw HTML.
    const row = md.split("\n").find((l) => l.includes("`env.broken`"))!;
    expect(row).toContain("\\|");
    expect(row).not.toContain("<b>");
    expect(row.split(/(?<!\\)\|/).length).toBe(6);
  });

  it("github: ::error for failures and errors, ::warning for warnings, escaped, then a notice", async () => {
    const lines = formatters.github(await sampleReport()).trimEnd().split("\n");
    expect(lines.filter((l) => l.startsWith("::error "))).toHaveLength(2);
    expect(lines.filter((l) => l.startsWith("::warning "))).toHaveLength(2);
    const broken = lines.find((l) => l.includes("env.broken"))!;
    expect(broken).toMatch(/^::error title=env\.broken%3A Title of env\.broken::Missing: /);
    expect(broken).toContain("%0Aline2 %2525");
    expect(broken).toContain("%0AFix: Fix env.broken like this.");
    expect(lines.at(-1)).toMatch(/^::notice title=bookflow verify::failed \(target staging\): 1 passed, 2 warnings, 1 failed, 2 skipped, 1 errors$/);
    const strict = formatters.github(await sampleReport(true));
    expect(strict.split("\n").filter((l) => l.startsWith("::error "))).toHaveLength(4);
  });

  it("pretty-summary: counts, slowest, each failure with its fix, skips with reasons; colour only when asked", async () => {
    const report = await sampleReport();
    const plain = formatters["pretty-summary"](report, { color: false });
    expect(plain).toContain("1 passed · 2 warnings · 1 failed · 2 skipped · 1 errors");
    expect(plain).toContain("Slowest");
    expect(plain).toMatch(/Failed\n {2}✖ env\.broken/);
    expect(plain).toContain("fix: Fix env.broken like this.");
    expect(plain).toContain("fix: Fix dns.crash like this.");
    expect(plain).toContain("prerequisite env.broken failed");
    expect(plain).toContain("Result: failed");
    expect(plain).not.toMatch(/\u001b\[/);
    expect(formatters["pretty-summary"](report, { color: true })).toMatch(/\u001b\[/);
  });

  it("pretty-summary lists at most `slowest` checks, slowest first", async () => {
    const report = await sampleReport();
    report.results.forEach((r, i) => (r.durationMs = i * 10));
    const text = formatters["pretty-summary"](report, { slowest: 2 });
    const slow = text.split("Slowest\n")[1]!.split("\n\n")[0]!.trim().split("\n");
    expect(slow).toHaveLength(2);
    expect(slow[0]).toContain("dns.crash");
  });
});
