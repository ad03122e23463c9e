import { describe, expect, it } from "vitest";
import { fail, pass, skip, warn, type CheckResult } from "../../src/engine/check.js";
import { runChecks, type RunEvent } from "../../src/engine/runner.js";
import { defaultConfig } from "../../src/config/bookflow-config.js";
import { envFact } from "../../src/config/verify-env.js";
import { FactStore, type FactGatherers } from "../../src/engine/facts/index.js";
import { sleep, testCheck, testFacts } from "./helpers.js";

const run = (checks: Parameters<typeof runChecks>[0], extra: Partial<Parameters<typeof runChecks>[1]> = {}) =>
  runChecks(checks, { facts: testFacts().store, target: "production", ...extra });

const byId = (results: CheckResult[]) => Object.fromEntries(results.map((r) => [r.id, r]));

describe("runner: prerequisites", () => {
  it("skips a check whose prerequisite failed, naming it, and propagates down the chain", async () => {
    const report = await run([
      testCheck("a.first", { messages: { broken: "broken" }, run: () => fail("broken") }),
      testCheck("a.second", { needs: ["a.first"] }),
      testCheck("a.third", { needs: ["a.second"] }),
      testCheck("a.independent"),
    ]);
    const r = byId(report.results);
    expect(r["a.first"]!.status).toBe("fail");
    expect(r["a.second"]).toMatchObject({ status: "skip", message: "prerequisite a.first failed" });
    expect(r["a.third"]).toMatchObject({ status: "skip", message: "prerequisite a.second was skipped" });
    expect(r["a.independent"]!.status).toBe("pass");
  });

  it("skips after a prerequisite that errored or skipped, runs after one that warned", async () => {
    const report = await run([
      testCheck("a.errors", { run: () => Promise.reject(new Error("network down")) }),
      testCheck("a.skips", { messages: { notConfigured: "not configured" }, run: () => skip("notConfigured") }),
      testCheck("a.warns", { messages: { meh: "meh" }, run: () => warn("meh") }),
      testCheck("b.after-error", { needs: ["a.errors"] }),
      testCheck("b.after-skip", { needs: ["a.skips"] }),
      testCheck("b.after-warn", { needs: ["a.warns"] }),
    ]);
    const r = byId(report.results);
    expect(r["b.after-error"]).toMatchObject({ status: "skip", message: expect.stringContaining("a.errors") });
    expect(r["b.after-skip"]).toMatchObject({ status: "skip", message: "prerequisite a.skips was skipped" });
    expect(r["b.after-warn"]!.status).toBe("pass");
  });

  it("runs a check only after all of its prerequisites have finished", async () => {
    const order: string[] = [];
    const rec = (id: string, ms: number) => async () => {
      await sleep(ms);
      order.push(id);
      return pass("ok");
    };
    await run([
      testCheck("a.dependent", { needs: ["a.slow", "a.fast"], run: rec("a.dependent", 0) }),
      testCheck("a.slow", { run: rec("a.slow", 30) }),
      testCheck("a.fast", { run: rec("a.fast", 1) }),
    ]);
    expect(order.indexOf("a.dependent")).toBe(2);
  });

  it("skips a check whose prerequisite was excluded by --skip, saying so", async () => {
    const report = await run([testCheck("a.dependent", { needs: ["a.removed"] })], { excluded: ["a.removed"] });
    expect(report.results[0]).toMatchObject({ status: "skip", message: "prerequisite a.removed was excluded by --skip" });
  });

  it("keeps results in the given order whatever order they finish in", async () => {
    const report = await run([testCheck("a.slow", { run: async () => (await sleep(20), pass("ok")) }), testCheck("a.fast")]);
    expect(report.results.map((r) => r.id)).toEqual(["a.slow", "a.fast"]);
  });
});

describe("runner: unset variables skip only the checks that read them", () => {
  const withEnv = (vars: Record<string, string>) => testFacts({ env: async () => envFact(vars, "production") }).store;

  it("skips a check declaring an unset variable, naming it, and its dependents with the same reason; checks reading other variables run", async () => {
    const report = await run(
      [
        testCheck("env.present", { messages: { missing: "missing" }, run: () => fail("missing") }),
        testCheck("mail.key", { vars: ["SENDGRID_API_KEY"] }),
        testCheck("mail.send", { needs: ["mail.key"] }),
        testCheck("mail.later", { needs: ["mail.send"] }),
        testCheck("pay.key", { vars: ["STRIPE_SECRET_KEY"] }),
        testCheck("pay.prices", { needs: ["pay.key"] }),
      ],
      { facts: withEnv({ STRIPE_SECRET_KEY: "sk_test_FAKE0000000000" }) },
    );
    const r = byId(report.results);
    expect(r["mail.key"]).toMatchObject({ status: "skip", message: "SENDGRID_API_KEY is not set (see env.required-present)" });
    expect(r["mail.key"]!.messageId).toBeUndefined();
    expect(r["mail.send"]).toMatchObject({ status: "skip", message: "SENDGRID_API_KEY is not set (see env.required-present)" });
    expect(r["mail.later"]).toMatchObject({ status: "skip", message: "SENDGRID_API_KEY is not set (see env.required-present)" });
    expect(r["pay.key"]!.status).toBe("pass");
    expect(r["pay.prices"]!.status).toBe("pass");
  });

  it("names every unset variable a check declares, and counts blank as unset", async () => {
    const report = await run([testCheck("a.reads", { vars: ["DATABASE_URL", "DIRECT_URL", "NODE_ENV"] })], { facts: withEnv({ DATABASE_URL: "  ", NODE_ENV: "production" }) });
    expect(report.results[0]).toMatchObject({ status: "skip", message: "DATABASE_URL, DIRECT_URL are not set (see env.required-present)" });
  });

  it("runs a check whose declared variables are all set, and never calls run for one that is skipped", async () => {
    let calls = 0;
    const counted = () => {
      calls++;
      return pass("ok");
    };
    const report = await run(
      [testCheck("a.set", { vars: ["NODE_ENV"], run: counted }), testCheck("a.unset", { vars: ["VERCEL_ENV"], run: counted })],
      { facts: withEnv({ NODE_ENV: "production" }) },
    );
    expect(byId(report.results)["a.set"]!.status).toBe("pass");
    expect(byId(report.results)["a.unset"]!.status).toBe("skip");
    expect(calls).toBe(1);
  });

  it("a prerequisite that failed still says so, whatever its dependents declare", async () => {
    const report = await run(
      [testCheck("a.first", { vars: ["NODE_ENV"], messages: { broken: "broken" }, run: () => fail("broken") }), testCheck("a.second", { needs: ["a.first"], vars: ["NODE_ENV"] })],
      { facts: withEnv({ NODE_ENV: "production" }) },
    );
    expect(byId(report.results)["a.second"]).toMatchObject({ status: "skip", message: "prerequisite a.first failed" });
  });

  it("an env fact that cannot be read makes the check an error with the reason, not a skip", async () => {
    const report = await run([testCheck("a.reads", { vars: ["NODE_ENV"], facts: ["env"] })], { facts: testFacts({ env: () => Promise.reject(new Error("env unreadable")) }).store });
    expect(report.results[0]!.status).toBe("error");
    expect(report.results[0]!.message).toMatch(/env unreadable/);
  });
});

describe("runner: concurrency", () => {
  async function maxActive(concurrency: number | undefined, n = 20): Promise<number> {
    let active = 0;
    let max = 0;
    const checks = Array.from({ length: n }, (_, i) =>
      testCheck(`c.check-${i}`, {
        run: async () => {
          active++;
          max = Math.max(max, active);
          await sleep(5);
          active--;
          return pass("ok");
        },
      }),
    );
    const report = await run(checks, concurrency === undefined ? {} : { concurrency });
    expect(report.summary.pass).toBe(n);
    return max;
  }

  it("never runs more than --concurrency checks at once, and does run them side by side", async () => {
    expect(await maxActive(3)).toBe(3);
  });

  it("runs one at a time with concurrency 1", async () => {
    expect(await maxActive(1, 6)).toBe(1);
  });

  it("defaults to 8", async () => {
    expect(await maxActive(undefined, 20)).toBe(8);
  });
});

describe("runner: failures never take the run down", () => {
  it("turns a check that exceeds the timeout into error 'timed out after …', and carries on", async () => {
    const report = await run([testCheck("t.hangs", { run: () => new Promise(() => undefined) }), testCheck("t.fine")], { timeoutMs: 50 });
    const r = byId(report.results);
    expect(r["t.hangs"]).toMatchObject({ status: "error", message: "timed out after 50 ms" });
    expect(r["t.fine"]!.status).toBe("pass");
    expect(report.outcome).toBe("failed");
  });

  it("turns a throwing check (sync or async) into error with the reason", async () => {
    const report = await run([
      testCheck("t.throws", {
        run: () => {
          throw new Error("boom");
        },
      }),
      testCheck("t.rejects", { run: () => Promise.reject(new TypeError("bad shape")) }),
      testCheck("t.fine"),
    ]);
    const r = byId(report.results);
    expect(r["t.throws"]).toMatchObject({ status: "error", message: "check threw: boom" });
    expect(r["t.rejects"]).toMatchObject({ status: "error", message: "check threw: bad shape" });
    expect(r["t.fine"]!.status).toBe("pass");
    expect(report.summary).toMatchObject({ total: 3, pass: 1, error: 2 });
  });

  it("turns an invalid outcome into error", async () => {
    const report = await run([testCheck("t.nothing", { run: () => undefined as never }), testCheck("t.odd", { run: () => ({ status: "great", message: "x" }) as never })]);
    expect(report.results.map((r) => r.status)).toEqual(["error", "error"]);
    expect(report.results[0]!.message).toMatch(/invalid outcome/);
  });
});

describe("runner: messages by id", () => {
  it("renders the message the check reported by id, filling its placeholders, and carries the id", async () => {
    const report = await run([
      testCheck("m.events", { messages: { missingEvents: "Missing events: {{events}} ({{count}})" }, run: () => fail("missingEvents", { events: "invitee.canceled", count: 1 }) }),
      testCheck("m.ok"),
    ]);
    const r = byId(report.results);
    expect(r["m.events"]).toMatchObject({ status: "fail", messageId: "missingEvents", message: "Missing events: invitee.canceled (1)" });
    expect(r["m.ok"]).toMatchObject({ status: "pass", messageId: "ok", message: "m.ok ok" });
  });

  it("makes a check that reports a messageId it does not declare an error, not a pass, naming the id", async () => {
    const report = await run([
      testCheck("m.typo", { messages: { keyRefused: "refused" }, run: () => pass("keyRefsed") }),
      testCheck("m.soft-typo", { severity: "warn", run: () => fail("nope") }),
      testCheck("m.after", { needs: ["m.typo"] }),
    ]);
    const r = byId(report.results);
    expect(r["m.typo"]).toMatchObject({ status: "error", message: expect.stringContaining('reported messageId "keyRefsed", which is not one of its messages (ok, keyRefused)') });
    expect(r["m.typo"]!.messageId).toBeUndefined();
    expect(r["m.soft-typo"]).toMatchObject({ status: "error", message: expect.stringContaining('"nope"') });
    expect(r["m.after"]).toMatchObject({ status: "skip", message: "prerequisite m.typo could not be decided (error)" });
    expect(report.summary).toMatchObject({ pass: 0, error: 2, skip: 1 });
    expect(report.outcome).toBe("failed");
  });

  it("makes a check that lacks the data for one of its message's placeholders an error, naming the placeholder", async () => {
    const report = await run([
      testCheck("m.no-data", { messages: { accepted: "Key accepted, {{mode}} mode for target {{target}}" }, run: () => pass("accepted", { mode: "live" }) }),
      testCheck("m.without-data", { messages: { accepted: "Key accepted, {{mode}} mode" }, run: () => pass("accepted") }),
    ]);
    const r = byId(report.results);
    expect(r["m.no-data"]).toMatchObject({ status: "error", message: expect.stringContaining('message "accepted" needs data "target"') });
    expect(r["m.without-data"]).toMatchObject({ status: "error", message: expect.stringContaining('needs data "mode"') });
  });

  it("leaves messageId out of results the runner decided itself (prerequisites, timeouts)", async () => {
    const report = await run([testCheck("m.hangs", { run: () => new Promise(() => undefined) }), testCheck("m.after", { needs: ["m.hangs"] })], { timeoutMs: 30 });
    for (const r of report.results) expect(r.messageId).toBeUndefined();
  });
});

describe("runner: facts", () => {
  it("gathers a fact once however many checks need it", async () => {
    const { store, calls } = testFacts();
    const seen: unknown[] = [];
    const checks = Array.from({ length: 10 }, (_, i) => testCheck(`f.check-${i}`, { facts: ["env"], run: (f) => (seen.push(f.env), pass("ok")) }));
    const report = await runChecks(checks, { facts: store, target: "production" });
    expect(report.summary.pass).toBe(10);
    expect(calls.env).toBe(1);
    expect(new Set(seen).size).toBe(1);
    expect(calls.config).toBeUndefined();
  });

  it("makes every check that needs a failed fact error with the reason, once gathered, and leaves the others alone", async () => {
    const { store, calls } = testFacts({
      config: async () => {
        throw new Error("Stripe answered 401");
      },
    });
    const report = await runChecks(
      [testCheck("f.one", { facts: ["config"] }), testCheck("f.two", { facts: ["env", "config"] }), testCheck("f.three", { facts: ["env"] })],
      { facts: store, target: "production" },
    );
    const r = byId(report.results);
    expect(r["f.one"]).toMatchObject({ status: "error", message: 'fact "config" could not be gathered: Stripe answered 401' });
    expect(r["f.two"]!.status).toBe("error");
    expect(r["f.three"]!.status).toBe("pass");
    expect(calls.config).toBe(1);
  });

  it("hands a check exactly the facts it declared", async () => {
    let keys: string[] = [];
    await run([testCheck("f.reader", { facts: ["env"], run: (f) => ((keys = Object.keys(f)), pass("ok")) })]);
    expect(keys).toEqual(["env"]);
  });
});

describe("runner: severity, strict and outcome", () => {
  it("reports a failed warn-severity check as a warning and passes the run", async () => {
    const report = await run([testCheck("s.soft", { severity: "warn", messages: { policyNone: "p=none" }, run: () => fail("policyNone") })]);
    expect(report.results[0]).toMatchObject({ status: "warn", message: "p=none", severity: "warn" });
    expect(report.outcome).toBe("passed");
  });

  describe("severity by target", () => {
    const monitored = () =>
      testCheck("m.alert-rules", { severity: "warn", severityByTarget: { production: "error" }, messages: { missing: "no alert rules" }, run: () => fail("missing") });

    it("a failure is an error for --target production: the run fails and the result says severity error", async () => {
      const report = await run([monitored()], { target: "production" });
      expect(report.results[0]).toMatchObject({ status: "fail", severity: "error", messageId: "missing" });
      expect(report.outcome).toBe("failed");
    });

    it("the same failure is a warning for staging and sandbox: the run passes (fails only with --strict)", async () => {
      for (const target of ["staging", "sandbox"] as const) {
        const report = await run([monitored()], { target });
        expect(report.results[0], target).toMatchObject({ status: "warn", severity: "warn" });
        expect(report.outcome, target).toBe("passed");
        expect((await run([monitored()], { target, strict: true })).outcome, target).toBe("failed");
      }
    });

    it("a skipped or erroring check reports the target's severity too", async () => {
      const report = await run([monitored(), testCheck("m.after", { needs: ["m.alert-rules"], severity: "warn", severityByTarget: { production: "error" } }), testCheck("m.throws", { severity: "warn", severityByTarget: { production: "error" }, run: () => Promise.reject(new Error("boom")) })], { target: "production" });
      expect(byId(report.results)["m.after"]).toMatchObject({ status: "skip", severity: "error" });
      expect(byId(report.results)["m.throws"]).toMatchObject({ status: "error", severity: "error" });
    });

    it("a pass stays a pass whatever the target", async () => {
      const ok = testCheck("m.ok", { severity: "warn", severityByTarget: { production: "error" } });
      expect((await run([ok], { target: "production" })).results[0]).toMatchObject({ status: "pass", severity: "error" });
    });
  });

  it("fails the run on warnings with strict", async () => {
    const report = await run([testCheck("s.soft", { severity: "warn", messages: { policyNone: "p=none" }, run: () => fail("policyNone") }), testCheck("s.explicit", { messages: { meh: "meh" }, run: () => warn("meh") })], { strict: true });
    expect(report.summary.warn).toBe(2);
    expect(report.outcome).toBe("failed");
    expect(report.strict).toBe(true);
  });

  it("fails the run on any fail or error, passes with passes and skips only", async () => {
    expect((await run([testCheck("o.ok"), testCheck("o.skip", { messages: { notApplicable: "n/a" }, run: () => skip("notApplicable") })])).outcome).toBe("passed");
    expect((await run([testCheck("o.ok"), testCheck("o.bad", { messages: { no: "no" }, run: () => fail("no") })])).outcome).toBe("failed");
  });

  it("carries expected, actual and details, and the check's docs", async () => {
    const report = await run([testCheck("o.detail", { messages: { mismatch: "mismatch" }, run: () => fail("mismatch", undefined, { expected: ["a"], actual: ["b"], details: { n: 1 } }) })]);
    expect(report.results[0]).toMatchObject({ expected: ["a"], actual: ["b"], details: { n: 1 }, docs: { fix: "Fix o.detail like this." } });
    expect(report.results[0]!.durationMs).toBeGreaterThanOrEqual(0);
  });

  it("builds a versioned report", async () => {
    const report = await run([testCheck("o.ok")], { toolVersion: "9.9.9", target: "staging" });
    expect(report).toMatchObject({ schemaVersion: 1, tool: { name: "bookflow", version: "9.9.9" }, target: "staging", summary: { total: 1, pass: 1 } });
    expect(Date.parse(report.finishedAt)).toBeGreaterThanOrEqual(Date.parse(report.startedAt));
  });
});

describe("runner: lifecycle events", () => {
  it("emits start, check-start and result for each check, then end with the report", async () => {
    const events: RunEvent[] = [];
    const report = await run([testCheck("e.one", { messages: { x: "x" }, run: () => fail("x") }), testCheck("e.two", { needs: ["e.one"] })], { onEvent: (e) => events.push(e) });
    expect(events[0]).toMatchObject({ type: "start", checks: [{ id: "e.one" }, { id: "e.two" }] });
    expect(events.at(-1)).toEqual({ type: "end", report });
    expect(events.filter((e) => e.type === "check-start").map((e) => (e as { id: string }).id)).toEqual(["e.one"]);
    expect(events.filter((e) => e.type === "result").map((e) => (e as { result: CheckResult }).result.id)).toEqual(["e.one", "e.two"]);
  });

  it("survives a listener that throws", async () => {
    const report = await run([testCheck("e.one")], {
      onEvent: () => {
        throw new Error("renderer broke");
      },
    });
    expect(report.outcome).toBe("passed");
  });
});

describe("runner: scheduling (slots go to checks that read the world, longest chains first)", () => {
  type WorldFact = "calendlyUser" | "stripeAccount" | "sendgridScopes" | "datadogApiKey" | "vercelEnvVars" | "sentryTestEvent";
  const WORLD: WorldFact[] = ["calendlyUser", "stripeAccount", "sendgridScopes", "datadogApiKey", "vercelEnvVars", "sentryTestEvent"];

  /** A store whose world facts resolve when the test says so (or after `ms`), counting gatherers in flight. */
  function worldStore(options: { ms?: number } = {}) {
    const gates = new Map<string, () => void>();
    let inFlight = 0;
    let maxInFlight = 0;
    const calls: Record<string, number> = {};
    const gather = (name: WorldFact) => async () => {
      calls[name] = (calls[name] ?? 0) + 1;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await (options.ms !== undefined ? sleep(options.ms) : new Promise<void>((r) => gates.set(name, r)));
      inFlight--;
      return null as never;
    };
    const gatherers: Partial<FactGatherers> = {
      env: async () => envFact({ NODE_ENV: "production" }, "production"),
      config: async () => defaultConfig(),
      ...Object.fromEntries(WORLD.map((n) => [n, gather(n)])),
    };
    const store = new FactStore({ env: {}, target: "production", config: defaultConfig(), signal: new AbortController().signal }, gatherers);
    return { store, calls, release: (name: WorldFact) => gates.get(name)?.(), started: (name: WorldFact) => gates.has(name), maxInFlight: () => maxInFlight };
  }

  // Waits by the clock, not by a count of turns: on a loaded machine 500 short sleeps can pass before the first check runs.
  const until = async (cond: () => boolean, timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!cond() && Date.now() < deadline) await sleep(2);
    expect(cond()).toBe(true);
  };

  it("bounds how many checks gather world facts at once", async () => {
    const w = worldStore({ ms: 10 });
    const checks = WORLD.map((f, i) => testCheck(`w.check-${i}`, { facts: [f] }));
    const report = await runChecks(checks, { facts: w.store, target: "production", concurrency: 2 });
    expect(report.summary.pass).toBe(WORLD.length);
    expect(w.maxInFlight()).toBe(2);
  });

  it("runs checks waiting on a fact another check is gathering without a slot (and gathers it once)", async () => {
    const w = worldStore();
    const events: RunEvent[] = [];
    const checks = [testCheck("s.first", { facts: ["calendlyUser"] }), ...[1, 2, 3].map((i) => testCheck(`s.same-${i}`, { facts: ["calendlyUser", "env"] }))];
    const running = runChecks(checks, { facts: w.store, target: "production", concurrency: 1, onEvent: (e) => events.push(e) });
    await until(() => events.filter((e) => e.type === "check-start").length === 4);
    expect(events.some((e) => e.type === "result")).toBe(false); // all four started while the one slot is held
    w.release("calendlyUser");
    const report = await running;
    expect(report.summary.pass).toBe(4);
    expect(w.calls.calendlyUser).toBe(1);
  });

  it("runs checks that read only local facts (env, config) while every slot is held", async () => {
    const w = worldStore();
    const done: string[] = [];
    const checks = [
      testCheck("s.slow", { facts: ["stripeAccount"] }),
      testCheck("e.one", { facts: ["env"] }),
      testCheck("e.two", { needs: ["e.one"], facts: ["env", "config"] }),
      testCheck("e.three", { needs: ["e.two"], facts: ["config"] }),
    ];
    const running = runChecks(checks, { facts: w.store, target: "production", concurrency: 1, onEvent: (e) => e.type === "result" && done.push(e.result.id) });
    try {
      await until(() => done.length === 3);
      expect(done).toEqual(["e.one", "e.two", "e.three"]);
    } finally {
      w.release("stripeAccount");
    }
    expect((await running).summary.pass).toBe(4);
  });

  it("hands a free slot to the check with the longest chain of dependents, not the first in the list", async () => {
    const w = worldStore({ ms: 5 });
    const started: string[] = [];
    const checks = [
      testCheck("l.leaf-1", { facts: ["calendlyUser"] }),
      testCheck("l.leaf-2", { facts: ["stripeAccount"] }),
      testCheck("l.leaf-3", { facts: ["sendgridScopes"] }),
      testCheck("h.head", { facts: ["datadogApiKey"] }),
      testCheck("h.middle", { needs: ["h.head"], facts: ["vercelEnvVars"] }),
      testCheck("h.tail", { needs: ["h.middle"], facts: ["sentryTestEvent"] }),
    ];
    const report = await runChecks(checks, { facts: w.store, target: "production", concurrency: 1, onEvent: (e) => e.type === "check-start" && started.push(e.id) });
    expect(report.summary.pass).toBe(6);
    // Head (3 checks down to the tail) and middle (2) outrank the leaves (1); the tail ties with them and comes last in list order.
    expect(started).toEqual(["h.head", "h.middle", "l.leaf-1", "l.leaf-2", "l.leaf-3", "h.tail"]);
  });

  it("keeps a check with no declared facts under the bound (its work is unknown)", async () => {
    let active = 0;
    let max = 0;
    const checks = Array.from({ length: 6 }, (_, i) => testCheck(`n.check-${i}`, { run: async () => (active++, (max = Math.max(max, active)), await sleep(3), active--, pass("ok")) }));
    await run(checks, { concurrency: 2 });
    expect(max).toBe(2);
  });
});
