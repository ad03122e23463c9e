import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runReportSchema } from "../../src/engine/report-schema.js";
import { runCli, tempDir } from "../support/cli.js";
import { VALID_ENV } from "../support/env-worlds.js";
import { parseXml } from "../engine/xml.js";

/**
 * `bookflow verify` as a process: several outputs in one run (`--format
 * name=file`, InSpec's style, next to the older `--format X --output F`), and
 * the run history with `--baseline` (the env checks, which need no provider).
 */

const BROKEN_ENV = (() => {
  const env: Record<string, string> = { ...VALID_ENV };
  delete env.STRIPE_WEBHOOK_SECRET;
  return env;
})();

describe("verify: several outputs in one run", () => {
  it("writes junit and json to their files (directories created) and pretty on stdout, in one run", async () => {
    const dir = tempDir();
    const r = await runCli(["verify", "--only", "env", "--format", "junit=reports/xml/verify.xml", "--format", "json=reports/verify.json", "--format", "pretty"], { env: { ...VALID_ENV }, cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    const junit = parseXml(readFileSync(join(dir, "reports/xml/verify.xml"), "utf8"));
    expect(junit.name).toBe("testsuites");
    const report = runReportSchema.parse(JSON.parse(readFileSync(join(dir, "reports/verify.json"), "utf8")));
    expect(report.results.map((x) => x.id)).toContain("env.required-present");
    // pretty (pretty-summary) takes stdout; the live view and summary move to stderr.
    expect(r.stdout).toMatch(/^bookflow verify · target production/);
    expect(r.stdout).toContain("Result: passed");
    expect(r.stderr).toMatch(/PASS\s+env\.required-present/);
  });

  it("the older --format X --output F still writes X to F; --output takes the one format without a file", async () => {
    const dir = tempDir();
    const old = await runCli(["verify", "--only", "env", "--format", "junit", "--output", "out/verify.xml"], { env: { ...VALID_ENV }, cwd: dir });
    expect(old.exitCode, old.stderr).toBe(0);
    expect(parseXml(readFileSync(join(dir, "out/verify.xml"), "utf8")).name).toBe("testsuites");
    expect(old.stdout).toContain("Result: passed");
    const mixed = await runCli(["verify", "--only", "env", "--format", "markdown=out/verify.md", "--format", "junit", "--output", "out/mixed.xml"], { env: { ...VALID_ENV }, cwd: dir });
    expect(mixed.exitCode, mixed.stderr).toBe(0);
    expect(readFileSync(join(dir, "out/verify.md"), "utf8")).toContain("## bookflow verify: ✅ passed");
    expect(readFileSync(join(dir, "out/mixed.xml"), "utf8")).toContain("<testsuites");
    const noFormat = await runCli(["verify", "--only", "env", "--format", "github=out/gh.txt", "--output", "out/default.json"], { env: { ...VALID_ENV }, cwd: dir });
    expect(noFormat.exitCode, noFormat.stderr).toBe(0);
    expect(runReportSchema.safeParse(JSON.parse(readFileSync(join(dir, "out/default.json"), "utf8"))).success).toBe(true);
    expect(readFileSync(join(dir, "out/gh.txt"), "utf8")).toContain("::notice");
  });

  it.each([
    [["--format", "xml=reports/a.xml"], /Unknown --format "xml"/, /Use one of: json, junit/],
    [["--format", "junit="], /--format junit= names no file after "="/, /fix: Give the file/],
    [["--format", "junit=same.txt", "--format", "json=same.txt"], /--format junit and --format json both write same\.txt/, /fix: Give each format its own file/],
    [["--format", "json", "--format", "pretty"], /Only one --format can go to stdout, got 2 \(json, pretty-summary\)/, /--format <name>=<file>/],
    [["--format", "json", "--format", "junit", "--output", "x"], /--output takes one --format, got 2/, /--format junit=reports\/verify\.xml/],
  ])("exits 2 before running anything: %j", async (args, message, fix) => {
    const dir = tempDir();
    const r = await runCli(["verify", "--only", "env", ...args], { env: { ...VALID_ENV }, cwd: dir });
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(fix);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("scenarios run takes the same --format name=file (a bad name is refused the same way)", async () => {
    const r = await runCli(["scenarios", "run", "--format", "junit=a.xml", "--format", "nope=b"], { env: { ...VALID_ENV } });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('Unknown --format "nope"');
  });

  it("scenarios run takes --history / --baseline too, checked before anything runs", async () => {
    const r = await runCli(["scenarios", "run", "--baseline", "last"], { env: { ...VALID_ENV } });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("--baseline last needs --history <dir>");
    const help = await runCli(["scenarios", "run", "--help"]);
    expect(help.stdout).toContain("--history <dir>");
    expect(help.stdout).toContain("--format <name[=file]>");
  });

  it("--help explains name=file with an example", async () => {
    const r = await runCli(["verify", "--help"]);
    expect(r.stdout).toContain("--format <name[=file]>");
    expect(r.stdout).toContain("--format junit=reports/verify.xml --format json=reports/verify.json --format pretty");
    expect(r.stdout).toContain("--history reports/history --baseline last");
  });
});

describe("verify: --history and --baseline", () => {
  it("records every run; --baseline last names the new failure, then the fix; the JSON report carries it", async () => {
    const dir = tempDir();
    const first = await runCli(["verify", "--only", "env", "--history", "history"], { env: { ...VALID_ENV }, cwd: dir });
    expect(first.exitCode, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/Recorded this run in history\/\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z-[0-9a-f]{6}\.json\./);
    expect(readdirSync(join(dir, "history"))).toHaveLength(1);

    const broken = await runCli(["verify", "--only", "env", "--history", "history", "--baseline", "last", "--format", "json=broken.json", "--format", "github=gh.txt"], { env: BROKEN_ENV, cwd: dir });
    expect(broken.exitCode).toBe(1);
    expect(broken.stdout).toMatch(/Since the baseline of \S+ \(history\/\S+\.json\)/);
    expect(broken.stdout).toContain("1 new failure, 0 fixed, 0 slower");
    expect(broken.stdout).toMatch(/New failures\n\s+✖ env\.required-present \(was pass, now fail\): Missing: STRIPE_WEBHOOK_SECRET/);
    const report = runReportSchema.parse(JSON.parse(readFileSync(join(dir, "broken.json"), "utf8")));
    expect(report.baseline!.newFailures.map((c) => c.id)).toEqual(["env.required-present"]);
    expect(readFileSync(join(dir, "gh.txt"), "utf8")).toContain("::error title=new since the baseline%3A env.required-present");
    expect(readdirSync(join(dir, "history"))).toHaveLength(2);

    const fixed = await runCli(["verify", "--only", "env", "--history", "history", "--baseline", "last"], { env: { ...VALID_ENV }, cwd: dir });
    expect(fixed.exitCode).toBe(0);
    expect(fixed.stdout).toContain("0 new failures, 1 fixed, 0 slower");
    expect(fixed.stdout).toMatch(/Fixed\n\s+✔ env\.required-present \(was fail, now pass\)/);
    // The checks its failure held back ran again: not "fixed" (they never failed), not new failures.
    expect(fixed.stdout).not.toContain("New failures");
    const files = readdirSync(join(dir, "history")).sort();
    expect(files).toHaveLength(3);
    expect(files.every((f) => /^\d{4}-.*\.json$/.test(f))).toBe(true);
    // Each history file is a report a later run (or report diff) reads back.
    for (const f of files) expect(runReportSchema.safeParse(JSON.parse(readFileSync(join(dir, "history", f), "utf8"))).success, f).toBe(true);
  });

  it("a --history that is a file, or empty: exit 2 naming it, before any check runs", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "taken"), "not a directory");
    const r = await runCli(["verify", "--only", "env", "--history", "taken"], { env: { ...VALID_ENV }, cwd: dir });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/--history taken: .*taken is a file, not a directory/);
    expect(r.stderr).toContain("fix: Give a directory");
    expect(r.stdout).not.toMatch(/PASS|FAIL/);
    const empty = await runCli(["verify", "--only", "env", "--history", " "], { env: { ...VALID_ENV }, cwd: dir });
    expect(empty.exitCode).toBe(2);
    expect(empty.stderr).toContain("--history names no directory");
  });

  it("--baseline with a report file; --slower-by / --slower-ratio set the slower rule", async () => {
    const dir = tempDir();
    const base = await runCli(["verify", "--only", "env", "--format", "json=base.json"], { env: { ...VALID_ENV }, cwd: dir });
    expect(base.exitCode).toBe(0);
    // Make the baseline's checks look fast: each took 0 ms.
    const report = JSON.parse(readFileSync(join(dir, "base.json"), "utf8")) as { results: { durationMs: number }[] };
    for (const r of report.results) r.durationMs = 0;
    writeFileSync(join(dir, "base.json"), JSON.stringify(report));
    const r = await runCli(["verify", "--only", "env", "--baseline", "base.json", "--slower-by", "-1", "--format", "json"], { env: { ...VALID_ENV }, cwd: dir });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('--slower-by "-1" is not a duration');
    const ok = await runCli(["verify", "--only", "env", "--baseline", "base.json", "--slower-by", "0", "--slower-ratio", "1", "--format", "json"], { env: { ...VALID_ENV }, cwd: dir });
    expect(ok.exitCode, ok.stderr).toBe(0);
    const shown = runReportSchema.parse(JSON.parse(ok.stdout));
    expect(shown.baseline!.against.file).toBe("base.json");
    expect(shown.baseline!.thresholds).toEqual({ slowerByMs: 0, slowerByRatio: 1 });
    // Every check that ran took more than 0 ms now, against 0 ms then.
    const ran = shown.results.filter((x) => x.status !== "skip" && x.durationMs > 0).map((x) => x.id);
    expect(shown.baseline!.slower.map((s) => s.id).sort()).toEqual(ran.sort());
  });

  it.each([
    [["--baseline", "last"], /--baseline last needs --history <dir>/, /fix: Add --history <dir>/],
    [["--baseline", "last", "--history", "empty"], /history directory .*empty has no report yet/, /fix: Run once with --history and without --baseline/],
    [["--baseline", "nope.json"], /Cannot read the --baseline report .*nope\.json: no such file/, /fix: Give the path of a report/],
    [["--baseline", "package.json"], /The --baseline report .*package\.json is not a bookflow report: tool\.name is not "bookflow"/, /fix: Give a report written by/],
    [["--baseline", "old.json"], /The --baseline report .*old\.json has report schema version 0; this bookflow reads version 1/, /fix: Record a new baseline/],
    [["--baseline", "bad.json"], /The --baseline report .*bad\.json is not a valid bookflow report:\n {2}- results\.0\.durationMs/, /fix: Give a report written by/],
    [["--slower-by", "2s"], /--slower-by needs --baseline/, /fix: Give --baseline/],
    [["--baseline", "last", "--history", "h", "--slower-ratio", "0.5"], /--slower-ratio "0\.5" is not a number of at least 1/, /fix: /],
  ])("exits 2 before any check runs: %j", async (args, message, fix) => {
    const dir = tempDir();
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "app", version: "1.0.0" }));
    const good = { schemaVersion: 1, tool: { name: "bookflow", version: "0.1.0" }, target: "sandbox", strict: false, startedAt: "2026-12-07T00:00:00.000Z", finishedAt: "2026-12-07T00:00:01.000Z", durationMs: 1000, outcome: "passed", summary: { total: 0, pass: 0, warn: 0, fail: 0, skip: 0, error: 0 }, results: [] };
    writeFileSync(join(dir, "old.json"), JSON.stringify({ ...good, schemaVersion: 0 }));
    writeFileSync(join(dir, "bad.json"), JSON.stringify({ ...good, results: [{ id: "env.x", section: "env", title: "x", severity: "error", status: "pass", message: "", durationMs: "fast", docs: { why: "", fix: "" } }] }));
    const history = join(dir, "h");
    const seed = await runCli(["verify", "--only", "env.required-present", "--history", "h"], { env: { ...VALID_ENV }, cwd: dir });
    expect(seed.exitCode).toBe(0);
    const before = readdirSync(history).length;
    const r = await runCli(["verify", "--only", "env", ...args], { env: { ...VALID_ENV }, cwd: dir });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(fix);
    expect(r.stdout).not.toMatch(/PASS|FAIL/);
    expect(readdirSync(history)).toHaveLength(before);
    expect(existsSync(join(dir, "empty"))).toBe(false);
  });
});
