import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli, tempDir } from "../support/cli.js";

/** `bookflow report diff a.json b.json` as a process, over report files written here. */

type Status = "pass" | "warn" | "fail" | "skip" | "error";

function report(startedAt: string, checks: [id: string, status: Status, durationMs: number][], target = "sandbox") {
  const summary = { total: checks.length, pass: 0, warn: 0, fail: 0, skip: 0, error: 0 };
  for (const [, s] of checks) summary[s]++;
  return {
    schemaVersion: 1,
    tool: { name: "bookflow", version: "0.1.0" },
    target,
    strict: false,
    startedAt,
    finishedAt: startedAt,
    durationMs: 1000,
    outcome: summary.fail + summary.error > 0 ? "failed" : "passed",
    summary,
    results: checks.map(([id, status, durationMs]) => ({
      id,
      section: id.split(".")[0],
      title: `title of ${id}`,
      severity: "error",
      status,
      message: `${id}: ${status}`,
      durationMs,
      docs: { why: "why", fix: "fix" },
    })),
  };
}

function files() {
  const dir = tempDir();
  writeFileSync(
    join(dir, "a.json"),
    JSON.stringify(report("2026-12-06T10:00:00.000Z", [["env.a", "pass", 5], ["stripe.b", "fail", 50], ["dns.c", "pass", 200], ["dns.gone", "pass", 1]])),
  );
  writeFileSync(
    join(dir, "b.json"),
    JSON.stringify(report("2026-12-07T10:00:00.000Z", [["env.a", "fail", 5], ["stripe.b", "pass", 60], ["dns.c", "pass", 2500], ["dns.new", "pass", 1]])),
  );
  return dir;
}

describe("bookflow report diff", () => {
  it("prints both reports, the counts and one row per change; exit 0", async () => {
    const dir = files();
    const r = await runCli(["report", "diff", "a.json", "b.json"], { cwd: dir });
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("A: a.json (2026-12-06T10:00:00.000Z, target sandbox, failed: 1 failed, 0 errors of 4)");
    expect(r.stdout).toContain("B: b.json (2026-12-07T10:00:00.000Z, target sandbox, failed: 1 failed, 0 errors of 4)");
    expect(r.stdout).toContain("1 new failure, 1 fixed, 1 slower");
    expect(r.stdout).toMatch(/CHANGE\s+CHECK\s+A\s+B\s+DETAIL/);
    expect(r.stdout).toMatch(/new failure\s+env\.a\s+pass\s+fail\s+env\.a: fail/);
    expect(r.stdout).toMatch(/fixed\s+stripe\.b\s+fail\s+pass\s+stripe\.b: pass/);
    expect(r.stdout).toMatch(/slower\s+dns\.c\s+200 ms\s+2\.5 s\s+\+2\.3 s \(×12\.5\)/);
    expect(r.stdout).toContain("only in B: dns.new");
    expect(r.stdout).toContain("only in A: dns.gone");
  });

  it("--json: before, after and the comparison (the report's baseline field)", async () => {
    const dir = files();
    const r = await runCli(["report", "diff", "a.json", "b.json", "--json"], { cwd: dir });
    expect(r.exitCode).toBe(0);
    const out = JSON.parse(r.stdout) as { before: { file: string }; after: { file: string }; comparison: { newFailures: { id: string }[]; fixed: { id: string }[]; slower: { id: string }[]; thresholds: unknown } };
    expect(out.before.file).toBe("a.json");
    expect(out.after.file).toBe("b.json");
    expect(out.comparison.newFailures.map((c) => c.id)).toEqual(["env.a"]);
    expect(out.comparison.fixed.map((c) => c.id)).toEqual(["stripe.b"]);
    expect(out.comparison.slower.map((c) => c.id)).toEqual(["dns.c"]);
    expect(out.comparison.thresholds).toEqual({ slowerByMs: 1000, slowerByRatio: 1.5 });
  });

  it("--fail-on-new-failures exits 1 when B has a new failure, 0 when not", async () => {
    const dir = files();
    expect((await runCli(["report", "diff", "a.json", "b.json", "--fail-on-new-failures"], { cwd: dir })).exitCode).toBe(1);
    const back = await runCli(["report", "diff", "b.json", "a.json", "--fail-on-new-failures"], { cwd: dir });
    // From B to A: stripe.b fails again, so that is new; the same report twice has nothing new.
    expect(back.exitCode).toBe(1);
    const same = await runCli(["report", "diff", "a.json", "a.json", "--fail-on-new-failures"], { cwd: dir });
    expect(same.exitCode).toBe(0);
    expect(same.stdout).toContain("No new failure, nothing fixed, nothing slower.");
  });

  it("the slower rule: bookflow.config.json thresholds.slowerByMs / slowerByRatio, and the flags over them", async () => {
    const dir = files();
    writeFileSync(join(dir, "bookflow.config.json"), JSON.stringify({ thresholds: { slowerByMs: 5000 } }));
    const fromConfig = await runCli(["report", "diff", "a.json", "b.json", "--json"], { cwd: dir });
    expect(fromConfig.exitCode).toBe(0);
    expect((JSON.parse(fromConfig.stdout) as { comparison: { slower: unknown[] } }).comparison.slower).toEqual([]);
    writeFileSync(join(dir, "bookflow.config.json"), JSON.stringify({ thresholds: { slowerByMs: 0, slowerByRatio: 20 } }));
    const ratio = await runCli(["report", "diff", "a.json", "b.json", "--json"], { cwd: dir });
    expect((JSON.parse(ratio.stdout) as { comparison: { slower: unknown[] } }).comparison.slower).toEqual([]);
    const flags = await runCli(["report", "diff", "a.json", "b.json", "--json", "--slower-by", "5ms", "--slower-ratio", "1"], { cwd: dir });
    expect((JSON.parse(flags.stdout) as { comparison: { slower: { id: string }[] } }).comparison.slower.map((s) => s.id)).toEqual(["dns.c", "stripe.b"]);
    writeFileSync(join(dir, "bookflow.config.json"), JSON.stringify({ thresholds: { slowerByRatio: 0.5 } }));
    const bad = await runCli(["report", "diff", "a.json", "b.json"], { cwd: dir });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/thresholds\.slowerByRatio: must be at least 1/);
  });

  it("notes when the two reports ran against different targets", async () => {
    const dir = files();
    writeFileSync(join(dir, "staging.json"), JSON.stringify(report("2026-12-07T11:00:00.000Z", [["env.a", "pass", 5]], "staging")));
    const r = await runCli(["report", "diff", "a.json", "staging.json"], { cwd: dir });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("note: A ran against target sandbox, B against staging");
  });

  it.each([
    [["missing.json", "b.json"], /Cannot read the report .*missing\.json: no such file/],
    [["notjson.json", "b.json"], /The report .*notjson\.json is not JSON/],
    [["a.json", "other.json"], /The report .*other\.json is not a bookflow report: tool\.name is not "bookflow"/],
    [["a.json", "v2.json"], /The report .*v2\.json has report schema version 2; this bookflow reads version 1/],
    [["a.json", "broken.json"], /The report .*broken\.json is not a valid bookflow report:\n {2}- results\.0\.status/],
    [["a.json"], /missing required argument 'b'/],
    [["a.json", "b.json", "--slower-ratio", "fast"], /--slower-ratio "fast" is not a number of at least 1/],
  ])("exits 2 with the file and what is wrong: %j", async (args, message) => {
    const dir = files();
    writeFileSync(join(dir, "notjson.json"), "{ nope");
    writeFileSync(join(dir, "other.json"), JSON.stringify({ tool: { name: "lighthouse" }, schemaVersion: 1 }));
    writeFileSync(join(dir, "v2.json"), JSON.stringify({ ...report("2026-12-07T10:00:00.000Z", []), schemaVersion: 2 }));
    const broken = report("2026-12-07T10:00:00.000Z", [["env.a", "pass", 1]]);
    (broken.results[0] as { status: string }).status = "green";
    writeFileSync(join(dir, "broken.json"), JSON.stringify(broken));
    const r = await runCli(["report", "diff", ...args], { cwd: dir });
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(message);
  });

  it("--help lists the rules, exit codes and examples", async () => {
    const r = await runCli(["report", "diff", "--help"]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("--fail-on-new-failures");
    expect(r.stdout).toMatch(/new failure\s+fails or errors in B/);
    expect(r.stdout).toContain("Exit codes: 0 compared");
  });
});
