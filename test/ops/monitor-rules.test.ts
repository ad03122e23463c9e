import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { bookflowConfigSchema, monitorIntervalMs } from "../../src/config/bookflow-config.js";
import { describeIssues } from "../../src/config/validation.js";
import { UsageError } from "../../src/errors.js";
import { deliverToWebhook, slackBody } from "../../src/ops/monitor-alerts.js";
import { dueChecks, intervalsFor, nextDueIn, parseMonitorDuration, unknownIntervalKeys, withDependents } from "../../src/ops/monitor-schedule.js";
import { initialState, observeRun, summarize, summaryText, type MonitorState } from "../../src/ops/monitor-state.js";

const T0 = Date.parse("2026-12-07T00:00:00Z");
const pass = (id: string) => ({ id, status: "pass" as const, message: "ok" });
const fail = (id: string, message = "broken") => ({ id, status: "fail" as const, message });
const error = (id: string) => ({ id, status: "error" as const, message: "could not decide" });

describe("monitor: interval parsing", () => {
  it.each([
    ["5m", 300_000],
    ["30s", 30_000],
    ["1.5s", 1500],
    ["1h", 3_600_000],
    [" 2m ", 120_000],
  ])("--interval %s is %d ms", (text, ms) => {
    expect(parseMonitorDuration(text, "--interval", { minMs: 1000, maxMs: 86_400_000 })).toBe(ms);
  });

  it.each([["5"], ["five minutes"], ["-1m"], ["1x"], [""], ["5 m s"]])("--interval %j is refused with a hint that shows the form", (text) => {
    const err = catchError(() => parseMonitorDuration(text, "--interval", { minMs: 1000, maxMs: 86_400_000 }));
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toBe(`--interval ${JSON.stringify(text)} is not a duration.`);
    expect((err as UsageError).hint).toMatch(/--interval 30s, 5m, 1h/);
  });

  it.each([["500ms"], ["0s"], ["25h"], ["2d"]])("--interval %s is out of range, and says which range", (text) => {
    const err = catchError(() => parseMonitorDuration(text, "--interval", { minMs: 1000, maxMs: 86_400_000 }));
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toBe(`--interval ${JSON.stringify(text)} is out of range: from 1s to 1d.`);
  });

  it("config intervals need a unit and a range of 1s to 24h", () => {
    expect(monitorIntervalMs("1m")).toBe(60_000);
    expect(monitorIntervalMs("24h")).toBe(86_400_000);
    expect(monitorIntervalMs("60")).toBeUndefined();
    expect(monitorIntervalMs("999ms")).toBeUndefined();
    expect(monitorIntervalMs("25h")).toBeUndefined();
  });

  it("the config's monitor section: readable errors for a bad interval and a key that is not a check id", () => {
    expect(bookflowConfigSchema.parse({}).monitor).toEqual({ intervals: {} });
    expect(bookflowConfigSchema.parse({ monitor: { intervals: { stripe: "1m", "env.required-present": "1h" } } }).monitor.intervals).toEqual({ stripe: "1m", "env.required-present": "1h" });
    const bad = bookflowConfigSchema.safeParse({ monitor: { intervals: { stripe: "often", "Not A Check": "1m" } } });
    expect(bad.success).toBe(false);
    const messages = describeIssues(bad.error!.issues).join("\n");
    expect(messages).toContain('"often" is not an interval from 1s to 24h (write 30s, 5m, 1h)');
    expect(messages).toContain('"Not A Check" must be a check id (stripe.webhook-endpoint-enabled) or a section (stripe)');
    const extra = bookflowConfigSchema.safeParse({ monitor: { interval: "1m" } });
    expect(extra.success).toBe(false);
  });
});

describe("monitor: schedule", () => {
  const checks = [
    { id: "env.required-present", section: "env" },
    { id: "stripe.webhook-endpoint-enabled", section: "stripe" },
    { id: "stripe.prices-match", section: "stripe" },
    { id: "dns.spf", section: "dns" },
  ];

  it("a check's id wins over its section, the rest take the default", () => {
    const intervals = intervalsFor(checks, { stripe: "1m", "stripe.prices-match": "1h" }, 300_000);
    expect(Object.fromEntries(intervals)).toEqual({ "env.required-present": 300_000, "stripe.webhook-endpoint-enabled": 60_000, "stripe.prices-match": 3_600_000, "dns.spf": 300_000 });
  });

  it("names no check or section: reported, so a typo does not silently do nothing", () => {
    expect(unknownIntervalKeys(checks, { stripe: "1m", strpie: "1m", "dns.spf": "1h", "dns.dkim": "1h" })).toEqual(["strpie", "dns.dkim"]);
  });

  it("every check is due before its first run; then each when its interval is over", () => {
    const intervals = intervalsFor(checks, { stripe: "1m" }, 300_000);
    expect(dueChecks(T0, intervals, new Map())).toEqual(checks.map((c) => c.id));
    const last = new Map(checks.map((c) => [c.id, T0]));
    expect(dueChecks(T0 + 59_999, intervals, last)).toEqual([]);
    expect(nextDueIn(T0 + 59_999, intervals, last)).toBe(1);
    expect(dueChecks(T0 + 60_000, intervals, last)).toEqual(["stripe.webhook-endpoint-enabled", "stripe.prices-match"]);
    for (const id of ["stripe.webhook-endpoint-enabled", "stripe.prices-match"]) last.set(id, T0 + 60_000);
    expect(nextDueIn(T0 + 60_000, intervals, last)).toBe(60_000);
    expect(dueChecks(T0 + 300_000, intervals, last)).toEqual(["env.required-present", "stripe.webhook-endpoint-enabled", "stripe.prices-match", "dns.spf"]);
  });
});

describe("monitor: a due check brings its dependents", () => {
  it("transitively, in catalogue order; nothing due brings nothing", () => {
    const checks = [
      { id: "b.dependent", needs: ["a.root"] },
      { id: "a.root", needs: [] },
      { id: "c.grandchild", needs: ["b.dependent"] },
      { id: "d.other", needs: [] },
    ];
    expect(withDependents(["a.root"], checks)).toEqual(["b.dependent", "a.root", "c.grandchild"]);
    expect(withDependents(["d.other"], checks)).toEqual(["d.other"]);
    expect(withDependents([], checks)).toEqual([]);
  });
});

describe("monitor: state and alerts", () => {
  const run = (state: MonitorState, results: ReturnType<typeof pass | typeof fail>[], at: number) => observeRun(state, results, results.map((r) => r.id), at, "production");

  it("a healthy first run raises no alert", () => {
    const { state, alert } = run(initialState(T0), [pass("a"), pass("b")], T0 + 1000);
    expect(alert).toBeUndefined();
    expect(state).toMatchObject({ failing: false, runs: 1, alertsRaised: 0 });
  });

  it("pass → fail alerts once, naming what fails; more failing runs do not alert again; fail → pass alerts once", () => {
    let s = run(initialState(T0), [pass("a"), pass("b")], T0).state;
    const broke = run(s, [fail("a", "endpoint disabled"), pass("b")], T0 + 10_000);
    expect(broke.alert).toMatchObject({ kind: "failing", failing: [{ id: "a", status: "fail", message: "endpoint disabled" }], afterMs: 10_000 });
    expect(broke.alert!.text).toBe("bookflow monitor (production): 1 check failing: a (fail): endpoint disabled");
    s = broke.state;
    const still = run(s, [fail("a"), { id: "b", status: "error", message: "timeout" } as never], T0 + 20_000);
    expect(still.alert).toBeUndefined();
    s = still.state;
    const fixed = run(s, [pass("a"), pass("b")], T0 + 40_000);
    expect(fixed.alert).toMatchObject({ kind: "recovered", failing: [], afterMs: 30_000 });
    expect(fixed.alert!.text).toBe("bookflow monitor (production): recovered, every check passes again after 30 s failing");
    expect(fixed.state).toMatchObject({ failing: false, runs: 4, alertsRaised: 2, failingMs: 30_000, failuresByCheck: { a: 2, b: 1 }, checkFailingMs: { a: 30_000, b: 20_000 } });
  });

  it("an error (a provider outage) counts as failing; a warning does not", () => {
    const s = run(initialState(T0), [pass("a")], T0).state;
    expect(run(s, [error("a") as never], T0 + 1).alert?.kind).toBe("failing");
    expect(run(s, [{ id: "a", status: "warn", message: "slow" } as never], T0 + 1).alert).toBeUndefined();
  });

  it("failures are counted only for the checks that ran; a result carried over is not counted twice", () => {
    const s = run(initialState(T0), [pass("a"), fail("b")], T0).state;
    const next = observeRun(s, [pass("a"), fail("b")], ["a"], T0 + 1000, "production").state;
    expect(next.failuresByCheck).toEqual({ b: 1 });
  });

  it("the summary counts the open failing period up to the end, and the alerts' delivery", () => {
    let s = run(initialState(T0), [pass("a")], T0).state;
    s = run(s, [fail("a")], T0 + 5000).state;
    const summary = summarize(s, T0, T0 + 8000, { delivered: 1, failed: 0 });
    expect(summary).toEqual({
      startedAt: "2026-12-07T00:00:00.000Z",
      finishedAt: "2026-12-07T00:00:08.000Z",
      durationMs: 8000,
      runs: 2,
      failing: true,
      timeInFailureMs: 3000,
      checks: [{ id: "a", failures: 1, timeInFailureMs: 3000 }],
      alerts: { raised: 1, delivered: 1, failed: 0 },
    });
    expect(summaryText(summary)).toBe(
      "Monitor ran 8.0 s (2026-12-07T00:00:00.000Z → 2026-12-07T00:00:08.000Z): 2 runs, 3.0 s in failure, last run failing.\n" +
        "Alerts: 1 raised, 1 delivered, 0 failed to deliver.\n" +
        "  a: failed in 1 run, 3.0 s in failure\n",
    );
  });
});

describe("monitor: alert delivery", () => {
  it("Slack's body: text and one mrkdwn section, secrets masked", () => {
    const alert = observeRun(initialState(T0), [fail("stripe.key", "key sk_test_FAKE123 refused")], ["stripe.key"], T0, "production").alert!;
    const body = slackBody(alert, (t) => t.replaceAll("sk_test_FAKE123", "***"));
    expect(body.text).toBe("bookflow monitor (production): 1 check failing: stripe.key (fail): key *** refused");
    expect(body.blocks).toEqual([{ type: "section", text: { type: "mrkdwn", text: ":red_circle: *bookflow monitor: failing*\n• `stripe.key` (fail): key *** refused" } }]);
  });

  it("a failed delivery is retried, and a receiver that keeps failing is reported, not thrown", async () => {
    let calls = 0;
    const bodies: string[] = [];
    const server = createServer((req, res) => {
      calls++;
      let b = "";
      req.on("data", (c: Buffer) => (b += c.toString()));
      req.on("end", () => {
        bodies.push(b);
        res.writeHead(calls < 2 ? 500 : 200).end("ok");
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    try {
      const retries: string[] = [];
      expect(await deliverToWebhook(url, { text: "hi" }, { backoffMs: 10, onRetry: (n, e) => retries.push(`${n}: ${e}`) })).toEqual({ ok: true, attempts: 2 });
      expect(retries).toEqual(["1: HTTP 500"]);
      expect(bodies.map((b) => JSON.parse(b) as unknown)).toEqual([{ text: "hi" }, { text: "hi" }]);
      calls = -10;
      expect(await deliverToWebhook(url, { text: "hi" }, { backoffMs: 5, attempts: 3 })).toEqual({ ok: false, attempts: 3, error: "HTTP 500" });
    } finally {
      server.close();
    }
    const refused = await deliverToWebhook(url, { text: "hi" }, { backoffMs: 5, attempts: 2 });
    expect(refused.ok).toBe(false);
    expect(refused.error).toMatch(/ECONNREFUSED/);
  });
});

function catchError(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected an error");
}
