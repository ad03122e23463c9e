import { describe, expect, it } from "vitest";
import { SCENARIO_NAMES } from "../../scenarios/catalogue.js";
import { scenarios } from "../../scenarios/index.js";
import { selectScenarios } from "../../src/engine/scenarios/selection.js";
import { exitCodeForError } from "../../src/engine/exit-codes.js";
import { formatters } from "../../src/engine/formatters/index.js";
import { runReportSchema } from "../../src/engine/report-schema.js";
import { notYet, poll, ready, settledWrong } from "../../src/engine/scenarios/poll.js";
import { scenarioReport, scenarioRunInfo, withScenarios } from "../../src/engine/scenarios/report.js";
import { newRunId, runScenarios, runTagOf, RUN_ID_PATTERN, type ScenarioEvent } from "../../src/engine/scenarios/runner.js";
import { defineScenario, done, fail, StepFailure, withLimits, type ScenarioDefinition } from "../../src/engine/scenarios/scenario.js";
import { scenarioView } from "../../src/engine/scenarios/live.js";
import type { ScenarioWorld } from "../../src/engine/scenarios/world.js";
import { RUN_TAG_PATTERN } from "../../src/core/webhook-intake.js";
import { readdirSync } from "node:fs";
import { resolve } from "node:path";

/**
 * The scenario runner on its own (no sandbox): steps in order, the first that
 * does not pass ends the scenario and names itself, the rest are skipped;
 * bounded polls report the last state; results are the verify report's shape.
 */

const world = { driver: { name: "sandbox" }, settings: { emailDomain: "example.com" } } as unknown as ScenarioWorld;

function scenario(name: string, run: ScenarioDefinition["run"], steps = ["one", "two", "three"]): ScenarioDefinition {
  return defineScenario({
    id: `scenarios.${name}`,
    name,
    title: `Scenario ${name}`,
    checklist: "test",
    steps: steps.map((id) => ({ id, title: `Step ${id}` })),
    docs: { why: "why", fix: "fix" },
    run,
  });
}

describe("scenario runner", () => {
  it("passes a scenario whose steps all pass, with one line per step in order", async () => {
    const events: ScenarioEvent[] = [];
    const s = scenario("ok", async (t) => {
      const n = await t.step("one", async () => done("first", 41));
      await t.step("two", async () => done(`got ${n + 1}`));
      t.skip("three", "not applicable here");
    });
    const out = await runScenarios([s], { world, runId: "abc", onEvent: (e) => events.push(e) });
    const r = out.results[0]!;
    expect(r).toMatchObject({ id: "scenarios.ok", section: "scenarios", status: "pass", severity: "error" });
    expect(r.steps!.map((x) => [x.id, x.status, x.message])).toEqual([
      ["one", "pass", "first"],
      ["two", "pass", "got 42"],
      ["three", "skip", "not applicable here"],
    ]);
    expect(events.filter((e) => e.type === "step").map((e) => (e as { step: { id: string } }).step.id)).toEqual(["one", "two", "three"]);
    expect(out.runTag).toBe("bookflow-abc");
  });

  it("a failing step ends the scenario, names the step, carries expected/actual, and the rest are skipped", async () => {
    const ran: string[] = [];
    const s = scenario("broken", async (t) => {
      await t.step("one", async () => done("fine"));
      await t.step("two", async () => fail("booking b1 still PENDING/UNPAID after 2 s", { expected: "CONFIRMED/PAID", actual: "PENDING/UNPAID" }));
      ran.push("after");
      await t.step("three", async () => done("never"));
    });
    const other = scenario("next", async (t) => {
      for (const id of ["one", "two", "three"]) await t.step(id, async () => done(id));
    });
    const out = await runScenarios([s, other], { world, runId: "abc" });
    const [r, next] = out.results;
    expect(ran).toEqual([]);
    expect(r!.status).toBe("fail");
    expect(r!.message).toMatch(/^step two \(Step two\) failed: booking b1 still PENDING\/UNPAID/);
    expect(r!.expected).toBe("CONFIRMED/PAID");
    expect(r!.actual).toBe("PENDING/UNPAID");
    expect(r!.steps!.map((x) => x.status)).toEqual(["pass", "fail", "skip"]);
    expect(r!.steps![2]!.message).toBe("not run: step two did not pass");
    expect(next!.status).toBe("pass");
  });

  it("a step that throws something other than a StepFailure is an error (could not decide), not a fail", async () => {
    const s = scenario("crash", async (t) => {
      await t.step("one", async () => {
        throw new Error("connect ECONNREFUSED 127.0.0.1:1");
      });
    });
    const r = (await runScenarios([s], { world, runId: "abc" })).results[0]!;
    expect(r.status).toBe("error");
    expect(r.message).toContain("could not complete: connect ECONNREFUSED");
  });

  it("a scenario that runs an undeclared step, or breaks outside a step, errors with the reason", async () => {
    const undeclared = scenario("typo", async (t) => {
      await t.step("won", async () => done("x"));
    });
    const outside = scenario("outside", async () => {
      throw new Error("boom");
    });
    const [a, b] = (await runScenarios([undeclared, outside], { world, runId: "abc" })).results;
    expect(a).toMatchObject({ status: "error" });
    expect(a!.message).toContain('ran step "won", which it does not declare');
    expect(b!.message).toContain("the scenario broke outside its steps: boom");
  });

  it("tags invitees with the run id, and run ids fit the app's run tag pattern", async () => {
    let who: { email: string; name: string } | undefined;
    await runScenarios([scenario("who", async (t) => void (who = t.invitee("Free")))], { world, runId: "Run_1" });
    expect(who!.email).toBe("scenario+run_1.free@example.com");
    for (let i = 0; i < 20; i++) {
      const id = newRunId();
      expect(id).toMatch(RUN_ID_PATTERN);
      expect(runTagOf(id)).toMatch(RUN_TAG_PATTERN);
    }
  });

  it("a step's stated limits are reported with the step, once each on the scenario, and in every format, not as part of its pass", async () => {
    const calendly = "Calendly cannot be made to book through its API: bookflow signed this invitee.created itself";
    const s = scenario("limited", async (t) => {
      await t.step("one", async () => withLimits(done("posted a signed invitee.created"), [calendly]));
      await t.step("two", async () => withLimits(done("paid", 1), []));
      await t.step("three", async () => withLimits(withLimits(done("posted the pair"), [calendly]), ["another limit"]));
    });
    const live: string[] = [];
    const out = await runScenarios([s], { world, runId: "abc", onEvent: scenarioView((x) => live.push(x)) });
    const r = out.results[0]!;
    expect(r.status).toBe("pass");
    expect(r.steps!.map((x) => x.limits)).toEqual([[calendly], undefined, [calendly, "another limit"]]);
    expect(r.limits).toEqual([calendly, "another limit"]);
    expect(live.join("")).toMatch(new RegExp(`^ {2}PASS {2}one {2}posted a signed invitee\\.created \\([^)]*\\)\\n {8}limit: ${calendly.replace(/\./g, "\\.")}\\n`, "m"));

    const report = scenarioReport(out, scenarioRunInfo(out, "staging", null), { target: "staging", toolVersion: "0.0.0" });
    const json = JSON.parse(formatters.json(report)) as typeof report;
    expect(runReportSchema.safeParse(json).success).toBe(true);
    expect(json.results[0]!.limits).toEqual([calendly, "another limit"]);
    expect(json.results[0]!.steps![0]!.limits).toEqual([calendly]);
    expect(formatters.markdown(report)).toContain(`posted a signed invitee.created<br>Limit: ${calendly} |`);
    expect(formatters["pretty-summary"](report)).toContain(`Stated limits (not proven by this run)\n  • scenarios.limited: ${calendly}\n  • scenarios.limited: another limit\n`);
    expect(formatters.junit(report)).toContain(`limit: ${calendly}`);
  });

  it("builds a report the verify formatters and schema accept, and merges into a verify report", async () => {
    const s = scenario("mixed", async (t) => {
      await t.step("one", async () => done("fine"));
      await t.step("two", async () => fail("no CONFIRMATION email after 1 s"));
    });
    const out = await runScenarios([s], { world, runId: "abc" });
    const info = scenarioRunInfo(out, "sandbox", null);
    const report = scenarioReport(out, info, { target: "sandbox", toolVersion: "0.0.0" });
    expect(runReportSchema.safeParse(JSON.parse(formatters.json(report))).success).toBe(true);
    expect(report).toMatchObject({ outcome: "failed", summary: { total: 1, fail: 1 }, scenarioRun: { runId: "abc", driver: "sandbox", cleanup: null } });
    expect(formatters["pretty-summary"](report)).toMatch(/^bookflow scenarios · target sandbox · 1 scenario in/);
    expect(formatters["pretty-summary"](report)).toContain("✖ two  no CONFIRMATION email after 1 s");
    expect(formatters.junit(report)).toContain('<testsuites name="bookflow scenarios"');
    expect(formatters.junit(report)).toContain('name="scenarios.mixed"');
    expect(formatters.markdown(report)).toContain("↳ `two`");

    const checks = scenarioReport({ ...out, results: [{ id: "env.x", section: "env", title: "x", severity: "error", status: "pass", message: "ok", durationMs: 1, docs: { why: "w", fix: "f" } }] }, info, { target: "sandbox", toolVersion: "0.0.0" });
    const merged = withScenarios({ ...checks, scenarioRun: undefined }, out, info);
    expect(merged.results.map((r) => r.id)).toEqual(["env.x", "scenarios.mixed"]);
    expect(merged.summary).toMatchObject({ total: 2, pass: 1, fail: 1 });
    expect(formatters["pretty-summary"](merged)).toMatch(/^bookflow verify · target sandbox · 1 check, 1 scenario in/);
  });
});

describe("bounded polls", () => {
  it("resolve as soon as the probe is ready", async () => {
    let n = 0;
    expect(await poll(async () => (++n < 3 ? notYet("not yet") : ready("there")), { timeoutMs: 1000, sleep: async () => {} })).toBe("there");
    expect(n).toBe(3);
  });

  it("time out with the last state seen and the explanation", async () => {
    let now = 0;
    let n = 0;
    const err = await poll(async () => notYet(`booking abc still PENDING/UNPAID (look ${++n})`, { expected: "CONFIRMED/PAID" }), {
      timeoutMs: 10_000,
      now: () => now,
      sleep: async (ms) => void (now += ms),
      explain: async () => ["last webhook: checkout.session.completed rejected 401"],
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepFailure);
    expect((err as StepFailure).message).toBe(`booking abc still PENDING/UNPAID (look ${n}) after 10 s; last webhook: checkout.session.completed rejected 401`);
    expect((err as StepFailure).expected).toBe("CONFIRMED/PAID");
  });

  it("fail at once on a state waiting cannot change", async () => {
    const err = await poll(async () => settledWrong("invitee.created is HELD"), { timeoutMs: 60_000 }).catch((e: unknown) => e);
    expect((err as Error).message).toBe("invitee.created is HELD");
  });
});

describe("the scenario catalogue", () => {
  it("has the four checklist scenarios, one file each, ids matching their files", () => {
    expect(scenarios.map((s) => s.name)).toEqual(SCENARIO_NAMES);
    expect(scenarios.map((s) => s.checklist)).toEqual(expect.arrayContaining(["Test Case 1: Anonymous User - Free Session", "Test Case 2: Authenticated User - Paid Session", "Test Case 3: Booking Cancellation", "Test Case 4: Webhook Processing"]));
    const files = readdirSync(resolve(import.meta.dirname, "../../scenarios")).filter((f) => f.endsWith(".ts") && f !== "index.ts" && f !== "catalogue.ts");
    expect(files.map((f) => f.replace(/\.ts$/, "")).sort()).toEqual(scenarios.map((s) => s.name).sort());
    for (const s of scenarios) {
      expect(s.id).toBe(`scenarios.${s.name}`);
      expect(s.docs.why.length).toBeGreaterThan(20);
      expect(s.docs.fix.length).toBeGreaterThan(20);
    }
  });

  it("selects by name, id or glob; an unknown name is a usage error (exit 2) with a suggestion", () => {
    expect(selectScenarios(scenarios, [])).toEqual([...scenarios]);
    expect(selectScenarios(scenarios, ["scenarios.cancellation", "free-session"]).map((s) => s.name)).toEqual(["free-session", "cancellation"]);
    expect(selectScenarios(scenarios, ["*-session"]).map((s) => s.name)).toEqual(["free-session", "paid-session"]);
    let err: unknown;
    try {
      selectScenarios(scenarios, ["free-sesion"]);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: "UNKNOWN_SCENARIO" });
    expect(exitCodeForError(err)).toBe(2);
    expect((err as { hint: string }).hint).toContain("free-session");
  });
});
