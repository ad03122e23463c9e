import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { CheckResult, CheckStatus } from "../../src/engine/check.js";
import { compareReports, hasChanges } from "../../src/engine/baseline.js";
import { formatters } from "../../src/engine/formatters/index.js";
import { outcomeOf, summarize, type RunReport } from "../../src/engine/report.js";
import { runReportSchema } from "../../src/engine/report-schema.js";
import { ConfigError, UsageError } from "../../src/errors.js";
import { appendToHistory, historyFileName, newestInHistory, readReportFile, resolveBaseline } from "../../src/ops/report-files.js";
import { tempDir } from "../support/cli.js";
import { parseXml, type XmlElement } from "./xml.js";

/** A result as the runner writes it. */
function result(id: string, status: CheckStatus, durationMs = 10): CheckResult {
  return {
    id,
    section: id.split(".")[0]!,
    title: `title of ${id}`,
    severity: "error",
    status,
    message: `${id} is ${status}`,
    durationMs,
    docs: { why: "why", fix: `fix ${id}` },
  };
}

function report(results: CheckResult[], options: { strict?: boolean; startedAt?: string; target?: RunReport["target"] } = {}): RunReport {
  const summary = summarize(results);
  const strict = options.strict ?? false;
  return {
    schemaVersion: 1,
    tool: { name: "bookflow", version: "1.0.0" },
    target: options.target ?? "sandbox",
    strict,
    startedAt: options.startedAt ?? "2026-12-07T01:02:03.456Z",
    finishedAt: "2026-12-07T01:02:05.000Z",
    durationMs: 1544,
    outcome: outcomeOf(summary, strict),
    summary,
    results,
  };
}

const T = { slowerByMs: 1000, slowerByRatio: 1.5 };

describe("compareReports: the rules", () => {
  it("a check failing or erroring now that passed, warned, was skipped or absent before is a new failure", () => {
    const before = report([result("a.pass", "pass"), result("a.warn", "warn"), result("a.skip", "skip"), result("a.fails", "fail")]);
    const after = report([result("a.pass", "fail"), result("a.warn", "error"), result("a.skip", "fail"), result("a.fails", "fail"), result("a.new", "fail")]);
    const c = compareReports(before, after, "before.json", T);
    expect(c.newFailures.map((x) => [x.id, x.before, x.after])).toEqual([
      ["a.pass", "pass", "fail"],
      ["a.warn", "warn", "error"],
      ["a.skip", "skip", "fail"],
      ["a.new", null, "fail"],
    ]);
    expect(c.stillFailing).toEqual(["a.fails"]);
    expect(c.fixed).toEqual([]);
    expect(c.added).toEqual(["a.new"]);
    expect(c.newFailures[0]!.message).toBe("a.pass is fail");
  });

  it("a problem in the baseline that passes (or only warns) now is fixed; skipped now or left out is not", () => {
    const before = report([result("b.pass", "fail"), result("b.warn", "error"), result("b.skip", "fail"), result("b.gone", "fail")]);
    const after = report([result("b.pass", "pass"), result("b.warn", "warn"), result("b.skip", "skip")]);
    const c = compareReports(before, after, "before.json", T);
    expect(c.fixed.map((x) => [x.id, x.before, x.after])).toEqual([
      ["b.pass", "fail", "pass"],
      ["b.warn", "error", "warn"],
    ]);
    expect(c.newFailures).toEqual([]);
    expect(c.removed).toEqual(["b.gone"]);
  });

  it("--strict: a warning in a strict run is a problem, judged by each report's own strictness", () => {
    const loose = report([result("c.w", "warn")]);
    const strict = report([result("c.w", "warn")], { strict: true });
    expect(compareReports(loose, strict, "f", T).newFailures.map((x) => x.id)).toEqual(["c.w"]);
    expect(compareReports(strict, loose, "f", T).fixed.map((x) => x.id)).toEqual(["c.w"]);
    expect(compareReports(strict, strict, "f", T).stillFailing).toEqual(["c.w"]);
  });

  it("slower needs both more than slowerByMs longer and at least slowerByRatio times as long; skipped runs are not timed", () => {
    const before = report([result("d.ratio-only", "pass", 4), result("d.ms-only", "pass", 30_000), result("d.both", "pass", 1000), result("d.exact", "pass", 1000), result("d.skip", "skip", 0), result("d.zero", "pass", 0)]);
    const after = report([result("d.ratio-only", "pass", 400), result("d.ms-only", "pass", 31_500), result("d.both", "fail", 2500), result("d.exact", "pass", 2000), result("d.skip", "pass", 5000), result("d.zero", "pass", 1200)]);
    const c = compareReports(before, after, "f", T);
    // d.exact: +1000 ms is not more than 1000 ms.
    expect(c.slower).toEqual([
      { id: "d.both", title: "title of d.both", beforeMs: 1000, afterMs: 2500, deltaMs: 1500, ratio: 2.5 },
      { id: "d.zero", title: "title of d.zero", beforeMs: 0, afterMs: 1200, deltaMs: 1200, ratio: null },
    ]);
    const msOnly = compareReports(before, after, "f", { slowerByMs: 100, slowerByRatio: 1 });
    expect(msOnly.slower.map((s) => s.id)).toEqual(["d.ms-only", "d.both", "d.zero", "d.exact", "d.ratio-only"]);
  });

  it("the same report twice: nothing changed", () => {
    const r = report([result("e.a", "pass"), result("e.b", "fail")]);
    const c = compareReports(r, r, "f", T);
    expect(hasChanges(c)).toBe(false);
    expect(c.stillFailing).toEqual(["e.b"]);
    expect(c.against).toEqual({ file: "f", startedAt: r.startedAt, target: "sandbox", outcome: "failed", toolVersion: "1.0.0" });
  });
});

describe("the baseline in every format", () => {
  const before = report([result("env.a", "pass"), result("env.b", "fail"), result("dns.c", "pass", 100)], { startedAt: "2026-12-06T10:00:00.000Z" });
  const now = report([result("env.a", "fail"), result("env.b", "pass"), result("dns.c", "pass", 3000)]);
  const shown: RunReport = { ...now, baseline: compareReports(before, now, "reports/history/old.json", T) };

  it("json: the baseline field, valid against the report schema", () => {
    const parsed = runReportSchema.safeParse(JSON.parse(formatters.json(shown)));
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
    expect(parsed.data!.baseline!.newFailures.map((c) => c.id)).toEqual(["env.a"]);
    expect(parsed.data!.baseline!.fixed.map((c) => c.id)).toEqual(["env.b"]);
    expect(parsed.data!.baseline!.slower.map((c) => c.id)).toEqual(["dns.c"]);
  });

  it("pretty-summary and markdown: a section naming the new failure, the fixed and the slower check", () => {
    const pretty = formatters["pretty-summary"](shown);
    expect(pretty).toContain("Since the baseline of 2026-12-06T10:00:00.000Z (reports/history/old.json)");
    expect(pretty).toContain("1 new failure, 1 fixed, 1 slower");
    expect(pretty).toMatch(/New failures\n\s+✖ env\.a \(was pass, now fail\): env\.a is fail/);
    expect(pretty).toMatch(/Fixed\n\s+✔ env\.b \(was fail, now pass\)/);
    expect(pretty).toMatch(/Slower \(more than 1 s longer and at least ×1\.5\)\n\s+◷ dns\.c 100 ms → 3 s \(\+2\.9 s, ×30\)/);
    const md = formatters.markdown(shown);
    expect(md).toContain("### Since the baseline of 2026-12-06T10:00:00.000Z (reports/history/old.json)");
    expect(md).toMatch(/#### New failures\n\n- ❌ env\.a \(was pass, now fail\)/);
    expect(md).toMatch(/#### Fixed\n\n- ✅ env\.b/);
    expect(formatters["pretty-summary"](now)).not.toContain("Since the baseline");
  });

  it("junit: baseline properties per suite, and the failure body says it is new", () => {
    const find = (el: XmlElement, name: string): XmlElement[] => [...(el.name === name ? [el] : []), ...el.children.flatMap((c) => find(c, name))];
    const root = parseXml(formatters.junit(shown));
    const props = (suite: string) => Object.fromEntries(find(find(root, "testsuite").find((s) => s.attrs.name === suite)!, "property").map((p) => [p.attrs.name, p.attrs.value]));
    expect(props("env")).toMatchObject({ "baseline.file": "reports/history/old.json", "baseline.newFailures": "env.a", "baseline.fixed": "env.b", "baseline.slower": "" });
    expect(props("dns")).toMatchObject({ "baseline.newFailures": "", "baseline.slower": "dns.c" });
    const failure = find(root, "failure")[0]!;
    expect(failure.text).toContain("New since the baseline of 2026-12-06T10:00:00.000Z (was pass).");
  });

  it("github: the new failure's annotation says so; a notice sums up the baseline", () => {
    const gh = formatters.github(shown);
    expect(gh).toContain("::error title=new since the baseline%3A env.a%3A title of env.a::env.a is fail");
    expect(gh).toContain("::notice title=Since the baseline of 2026-12-06T10%3A00%3A00.000Z::1 new failure, 1 fixed, 1 slower; fixed: env.b; slower: dns.c");
    expect(formatters.github(now)).not.toContain("new since the baseline");
  });
});

describe("history files and reading a report back", () => {
  const r = report([result("env.a", "pass")]);

  it("names a run's file by its start time (sortable) and a short id", () => {
    expect(historyFileName(r, "a1b2c3")).toBe("2026-12-07T01-02-03-456Z-a1b2c3.json");
    const names = ["2026-12-07T01-02-03-456Z-ffffff.json", "2026-12-07T01-02-03-457Z-000000.json", "2026-12-06T23-59-59-999Z-aaaaaa.json"].sort();
    expect(names.at(-1)).toBe("2026-12-07T01-02-03-457Z-000000.json");
  });

  it("appends each run as its own file (directory created, no temporary file left) and finds the newest", () => {
    const dir = join(tempDir(), "deep", "history");
    expect(newestInHistory(dir)).toBeUndefined();
    const first = appendToHistory(dir, r);
    const second = appendToHistory(dir, { ...r, startedAt: "2026-12-07T02:00:00.000Z" });
    appendToHistory(dir, { ...r, startedAt: "2026-12-06T02:00:00.000Z" });
    expect(readdirSync(dir).sort()).toHaveLength(3);
    expect(readdirSync(dir).filter((n) => !n.endsWith(".json") || n.startsWith("."))).toEqual([]);
    expect(newestInHistory(dir)).toBe(second);
    expect(readReportFile(first)).toEqual(r);
  });

  it("a history directory that cannot be written: a ConfigError naming it", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "taken"), "a file");
    expect(() => appendToHistory(join(dir, "taken"), r)).toThrow(ConfigError);
    expect(() => appendToHistory(join(dir, "taken"), r)).toThrow(/Cannot write the run to the history directory .*taken: E[A-Z]+/);
  });

  it("--baseline last needs --history, and a history with a report in it", () => {
    const dir = tempDir();
    expect(() => resolveBaseline("last", undefined, dir)).toThrow(UsageError);
    expect(() => resolveBaseline("last", undefined, dir)).toThrow(/--baseline last needs --history <dir>/);
    expect(() => resolveBaseline("last", "history", dir)).toThrow(/has no report yet/);
    const written = appendToHistory(join(dir, "history"), r);
    expect(resolveBaseline("last", "history", dir)).toBe(written);
    expect(resolveBaseline("old.json", "history", dir)).toBe(join(dir, "old.json"));
  });

  it("a file that is not a bookflow report: a ConfigError naming the file and what is wrong", () => {
    const dir = tempDir();
    const write = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    const cases: [string, string, RegExp][] = [
      ["missing.json", "", /missing\.json: no such file/],
      ["text.json", "not json", /text\.json is not JSON/],
      ["array.json", "[]", /array\.json is not a bookflow report: expected a JSON object/],
      ["package.json", JSON.stringify({ name: "x", version: "1" }), /package\.json is not a bookflow report: tool\.name is not "bookflow"/],
      ["old.json", JSON.stringify({ ...r, schemaVersion: 0 }), /old\.json has report schema version 0; this bookflow reads version 1/],
      ["newer.json", JSON.stringify({ ...r, schemaVersion: 2 }), /newer\.json has report schema version 2/],
      ["edited.json", JSON.stringify({ ...r, results: [{ ...r.results[0], status: "maybe" }], summary: { total: "one" } }), /edited\.json is not a valid bookflow report:\n {2}- summary\.total: .*expected number[^]*\n {2}- results\.0\.status: /],
    ];
    for (const [name, text, message] of cases) {
      const path = text ? write(name, text) : join(dir, name);
      let caught: unknown;
      try {
        readReportFile(path, "--baseline report");
      } catch (err) {
        caught = err;
      }
      expect(caught, name).toBeInstanceOf(ConfigError);
      expect((caught as Error).message, name).toMatch(message);
      expect((caught as Error).message, name).toContain("--baseline report");
    }
    expect(existsSync(join(dir, "missing.json"))).toBe(false);
  });

  it("reads a report the json formatter wrote, with or without a baseline field", () => {
    const dir = tempDir();
    mkdirSync(join(dir, "r"));
    writeFileSync(join(dir, "r", "a.json"), formatters.json({ ...r, baseline: compareReports(r, r, "x.json", T) }));
    expect(readReportFile(join(dir, "r", "a.json")).baseline?.against.file).toBe("x.json");
    expect(JSON.parse(readFileSync(join(dir, "r", "a.json"), "utf8")).schemaVersion).toBe(1);
  });
});
