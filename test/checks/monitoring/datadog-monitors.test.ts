import { afterAll, beforeAll, describe, expect, it } from "vitest";
import check from "../../../checks/monitoring/datadog-monitors.js";
import { bookflowConfigSchema, defaultConfig } from "../../../src/config/bookflow-config.js";
import { gatherDatadogMonitors, type DatadogMonitorLookup, type DatadogMonitorSummary } from "../../../src/engine/facts/monitoring.js";
import type { FactContext } from "../../../src/engine/facts/types.js";
import { healthyDatadogMonitors, startMonitoringEmulator, type MonitoringEmulator } from "../../../src/sandbox/monitoring/emulator.js";
import { checkTester, decide } from "../../support/check-tester.js";

const endpoint = "https://api.datadoghq.com/api/v1/monitor";
const m = (id: number, name: string, tags: string[]): DatadogMonitorSummary => ({ id, name, type: "query alert", overallState: "OK", tags });
const webhook = { purpose: "webhook-processing-time", tag: "bookflow:webhook-processing-time" };
const email = { purpose: "email-failures", name: "Booking emails failing" };
const found = (expectation: DatadogMonitorLookup["expectation"], monitors: DatadogMonitorSummary[]): DatadogMonitorLookup => ({ expectation, ok: true, endpoint, monitors });
const world = (...lookups: DatadogMonitorLookup[]) => ({ datadogMonitors: { configured: true as const, lookups } });

checkTester(check, {
  pass: [
    { name: "a monitor for each purpose, by tag and by name", facts: world(found(webhook, [m(1, "Webhook p95", ["bookflow:webhook-processing-time"])]), found(email, [m(2, "Booking emails failing (prod)", [])])), messageId: "monitorsPresent" },
    { name: "a name matches as a substring, ignoring case", facts: world(found(email, [m(2, "[prod] BOOKING EMAILS FAILING", [])])) },
  ],
  fail: [
    { name: "no keys: a failure naming both and the scope", facts: { datadogMonitors: { configured: false, missing: ["DATADOG_APP_KEY"] } }, expect: { status: "fail", messageId: "notConfigured", data: { missing: "DATADOG_APP_KEY" }, message: /monitors_read/ } },
    { name: "no monitor for email failures", facts: world(found(webhook, [m(1, "Webhook p95", ["bookflow:webhook-processing-time"])]), found(email, [])), expect: { status: "fail", messageId: "missingMonitors", data: { missing: 'email-failures (name "Booking emails failing")' } } },
    { name: "a listed monitor without the tag does not count (a filter answered loosely)", facts: world(found(webhook, [m(1, "Webhook p95", ["service:bookflow"])])), expect: { status: "fail", messageId: "missingMonitors", message: /webhook-processing-time \(tag bookflow:webhook-processing-time\)/ } },
    { name: "Datadog forbids the listing (403)", facts: world({ expectation: webhook, ok: false, endpoint, status: 403, error: "Forbidden" }), expect: { status: "fail", messageId: "forbidden", message: /monitors_read/ } },
    { name: "Datadog down", facts: world({ expectation: webhook, ok: false, endpoint, status: 500, error: "HTTP 500" }), expect: { status: "fail", messageId: "refused", data: { status: 500 } } },
    { name: "no answer", facts: world({ expectation: webhook, ok: false, endpoint, status: null, error: "ECONNREFUSED" }), expect: { status: "fail", messageId: "unreachable" } },
    { name: "the config expects no monitor", facts: world(), expect: { status: "skip", messageId: "noneExpected" } },
  ],
});

describe("monitoring.datadog config", () => {
  it("defaults to the two bookflow-tagged monitors; each entry is validated", () => {
    expect(defaultConfig().monitoring.datadog.monitors.map((x) => x.purpose)).toEqual(["webhook-processing-time", "email-failures"]);
    expect(defaultConfig().monitoring.sentry.alertRules).toEqual(["new-issues", "high-priority"]);
    expect(bookflowConfigSchema.safeParse({ monitoring: { datadog: { monitors: [{ purpose: "Webhook Time" }] } } }).success).toBe(false);
    expect(bookflowConfigSchema.safeParse({ monitoring: { datadog: { monitors: [{ purpose: "a", tag: "two tags" }] } } }).success).toBe(false);
    expect(bookflowConfigSchema.safeParse({ monitoring: { datadog: { monitors: [{ purpose: "a" }, { purpose: "a" }] } } }).success).toBe(false);
    expect(bookflowConfigSchema.safeParse({ monitoring: { datadog: { monitors: [{ purpose: "a", extra: 1 }] } } }).success).toBe(false);
    expect(bookflowConfigSchema.safeParse({ monitoring: { sentry: { alertRules: ["new-issues", "everything"] } } }).success).toBe(false);
  });
});

describe("datadogMonitors gatherer (the monitoring emulator)", () => {
  const API = "FAKEddapikey000000000000000000";
  const APP = "FAKEddappkey00000000000000000000000000";
  let em: MonitoringEmulator;
  beforeAll(async () => {
    em = await startMonitoringEmulator({ sentryKey: "fakekey0000000000000000000000001", datadogApiKey: API, datadogAppKey: APP, datadogMonitors: healthyDatadogMonitors() });
  });
  afterAll(() => em?.close());
  const ctx = (env: Record<string, string | undefined> = {}, config = defaultConfig()): FactContext => ({ env: { DATADOG_API_BASE: em.url, DATADOG_API_KEY: API, DATADOG_APP_KEY: APP, ...env }, target: "production", config, signal: new AbortController().signal });

  it("asks for each expected monitor with its filter and both keys; the healthy organization passes", async () => {
    const fact = await gatherDatadogMonitors(ctx());
    expect((await decide(check, { datadogMonitors: fact })).status).toBe("pass");
    const asked = em.requestLog.filter((r) => r.path === "/api/v1/monitor").slice(-2);
    expect(asked.map((r) => r.headers["dd-application-key"])).toEqual([APP, APP]);
  });

  it("by name from the config", async () => {
    const config = bookflowConfigSchema.parse({ monitoring: { datadog: { monitors: [{ purpose: "email-failures", name: "booking emails" }] } } });
    const fact = await gatherDatadogMonitors(ctx({}, config));
    expect(fact).toMatchObject({ configured: true, lookups: [{ ok: true, monitors: [{ id: 2002 }] }] });
  });

  it("a monitor deleted through the control API fails the check, naming its purpose", async () => {
    em.deleteDatadogMonitors(2002);
    try {
      const v = await decide(check, { datadogMonitors: await gatherDatadogMonitors(ctx()) });
      expect(v).toMatchObject({ status: "fail", messageId: "missingMonitors", data: { missing: "email-failures (tag bookflow:email-failures)" } });
    } finally {
      em.setDatadogMonitors(healthyDatadogMonitors());
    }
  });

  it("names missing keys without asking; a wrong application key is Datadog's 403", async () => {
    const before = em.requestLog.length;
    expect(await gatherDatadogMonitors(ctx({ DATADOG_APP_KEY: undefined, DATADOG_API_KEY: "" }))).toEqual({ configured: false, missing: ["DATADOG_API_KEY", "DATADOG_APP_KEY"] });
    expect(em.requestLog.length).toBe(before);
    expect(await gatherDatadogMonitors(ctx({ DATADOG_APP_KEY: "FAKEwrong" }))).toMatchObject({ configured: true, lookups: [{ ok: false, status: 403, error: "Forbidden" }, { ok: false, status: 403 }] });
  });
});
