import { afterAll, beforeAll, describe, expect, it } from "vitest";
import check from "../../../checks/monitoring/sentry-alert-rules.js";
import { defaultConfig, type BookflowConfig } from "../../../src/config/bookflow-config.js";
import { gatherSentryAlertRules, sentryApiBase, type SentryIssueAlertRule } from "../../../src/engine/facts/monitoring.js";
import type { FactContext } from "../../../src/engine/facts/types.js";
import { healthySentryRules, startMonitoringEmulator, type MonitoringEmulator } from "../../../src/sandbox/monitoring/emulator.js";
import { checkTester, decide } from "../../support/check-tester.js";
import { closedPort } from "./local-server.js";

const FIRST_SEEN = "sentry.rules.conditions.first_seen_event.FirstSeenEventCondition";
const NEW_HIGH = "sentry.rules.conditions.high_priority_issue.NewHighPriorityIssueCondition";
const EXISTING_HIGH = "sentry.rules.conditions.high_priority_issue.ExistingHighPriorityIssueCondition";
const REGRESSION = "sentry.rules.conditions.regression_event.RegressionEventCondition";
const LEVEL = "sentry.rules.filters.level.LevelFilter";
const endpoint = "https://sentry.io/api/0/projects/acme/web/rules/";

const rule = (over: Partial<SentryIssueAlertRule>): SentryIssueAlertRule => ({ id: "1", name: "rule", status: "active", actionMatch: "any", conditions: [], filters: [], actions: 1, environment: null, ...over });
const world = (rules: SentryIssueAlertRule[], config: BookflowConfig = defaultConfig()) => ({ sentryAlertRules: { configured: true as const, ok: true as const, endpoint, rules }, config });
const newIssues = rule({ id: "1", name: "New issues", conditions: [FIRST_SEEN] });
const highPriority = rule({ id: "2", name: "High priority", conditions: [NEW_HIGH, EXISTING_HIGH] });
const failure = (status: number | null, error: string) => ({ sentryAlertRules: { configured: true as const, ok: false as const, endpoint, status, error }, config: defaultConfig() });

checkTester(check, {
  pass: [
    { name: "a new-issue rule and a high-priority rule", facts: world([newIssues, highPriority]), messageId: "rulesPresent" },
    { name: "one rule with both triggers", facts: world([rule({ conditions: [FIRST_SEEN, NEW_HIGH] })]) },
    { name: "high priority as a trigger narrowed to level error or above", facts: world([newIssues, rule({ id: "3", conditions: [REGRESSION], filters: [{ id: LEVEL, match: "gte", level: "40" }] })]) },
    { name: "the config asks only for new issues", facts: world([newIssues], { ...defaultConfig(), monitoring: { ...defaultConfig().monitoring, sentry: { alertRules: ["new-issues"] } } }) },
  ],
  fail: [
    { name: "SENTRY_AUTH_TOKEN missing: a failure naming it and the scope", facts: { sentryAlertRules: { configured: false, missing: ["SENTRY_AUTH_TOKEN"] }, config: defaultConfig() }, expect: { status: "fail", messageId: "notConfigured", data: { missing: "SENTRY_AUTH_TOKEN" }, message: /project:read/ } },
    { name: "no rules at all", facts: world([]), expect: { status: "fail", messageId: "missingRules", data: { count: 0, rules: "none" }, message: /new issues .* and high-priority/ } },
    { name: "only a new-issue rule", facts: world([newIssues]), expect: { status: "fail", messageId: "missingRules", data: { count: 1 }, message: /^No active Sentry issue alert notifies anyone of high-priority/ } },
    { name: "the high-priority rule is disabled", facts: world([newIssues, rule({ ...highPriority, status: "disabled" })]), expect: { status: "fail", messageId: "missingRules", message: /"High priority" \(disabled\)/ } },
    { name: "a rule with no action notifies nobody", facts: world([rule({ ...newIssues, actions: 0 }), highPriority]), expect: { status: "fail", messageId: "missingRules", message: /of new issues/ } },
    { name: "actionMatch none: the trigger must not happen", facts: world([rule({ ...newIssues, actionMatch: "none" }), highPriority]), expect: { status: "fail", messageId: "missingRules" } },
    { name: "a level filter below error does not make a rule high-priority", facts: world([newIssues, rule({ conditions: [REGRESSION], filters: [{ id: LEVEL, match: "gte", level: "30" }] })]), expect: { status: "fail", messageId: "missingRules" } },
    { name: "token refused (401)", facts: failure(401, "Invalid token"), expect: { status: "fail", messageId: "tokenRejected", data: { status: 401 } } },
    { name: "token without the scope (403)", facts: failure(403, "You do not have permission to perform this action."), expect: { status: "fail", messageId: "forbidden", message: /project:read/ } },
    { name: "unknown organization or project (404)", facts: failure(404, "The requested resource does not exist"), expect: { status: "fail", messageId: "projectNotFound", message: /SENTRY_ORG and SENTRY_PROJECT/ } },
    { name: "Sentry down (503)", facts: failure(503, "HTTP 503"), expect: { status: "fail", messageId: "refused", data: { status: 503 } } },
    { name: "no answer", facts: failure(null, "ECONNREFUSED"), expect: { status: "fail", messageId: "unreachable", data: { error: "ECONNREFUSED" } } },
  ],
});

describe("sentryApiBase", () => {
  it("SENTRY_API_BASE wins; else sentry.io for sentry.io's ingest hosts (the region's API for a regional one); else the DSN's own host", () => {
    expect(sentryApiBase({ SENTRY_API_BASE: "http://127.0.0.1:9000/", SENTRY_DSN: "https://k@o1.ingest.sentry.io/1" })).toBe("http://127.0.0.1:9000");
    expect(sentryApiBase({ SENTRY_DSN: "https://abc@o4501.ingest.sentry.io/42" })).toBe("https://sentry.io");
    expect(sentryApiBase({ SENTRY_DSN: "https://abc@o4501.ingest.de.sentry.io/42" })).toBe("https://de.sentry.io");
    expect(sentryApiBase({ SENTRY_DSN: "https://abc@sentry.example.com/sentry/42" })).toBe("https://sentry.example.com/sentry");
    expect(sentryApiBase({})).toBe("https://sentry.io");
    expect(() => sentryApiBase({ SENTRY_API_BASE: "sentry.io" })).toThrow(/SENTRY_API_BASE must be an http or https URL/);
  });
});

describe("sentryAlertRules gatherer (the monitoring emulator)", () => {
  const TOKEN = "sntryu_FAKEalertrulestoken00000000000000";
  let em: MonitoringEmulator;
  beforeAll(async () => {
    em = await startMonitoringEmulator({ sentryKey: "fakekey0000000000000000000000001", datadogApiKey: "FAKE", sentryAuthToken: TOKEN, sentryRules: healthySentryRules() });
  });
  afterAll(() => em?.close());
  const ctx = (env: Record<string, string | undefined>): FactContext => ({ env: { SENTRY_API_BASE: em.url, SENTRY_ORG: "bookflow", SENTRY_PROJECT: "bookflow-app", SENTRY_AUTH_TOKEN: TOKEN, ...env }, target: "production", config: defaultConfig(), signal: new AbortController().signal });

  it("names the variables that are missing, and asks nothing", async () => {
    const before = em.requestLog.length;
    expect(await gatherSentryAlertRules(ctx({ SENTRY_AUTH_TOKEN: undefined, SENTRY_ORG: " " }))).toEqual({ configured: false, missing: ["SENTRY_AUTH_TOKEN", "SENTRY_ORG"] });
    expect(em.requestLog.length).toBe(before);
  });

  it("reads every page of rules with the bearer token, and the healthy rules pass the check", async () => {
    em.setSentryRules([...healthySentryRules(), ...Array.from({ length: 150 }, (_, i) => ({ ...healthySentryRules()[0]!, id: String(1000 + i), name: `extra ${i}` }))]);
    try {
      const fact = await gatherSentryAlertRules(ctx({}));
      expect(fact).toMatchObject({ configured: true, ok: true });
      if (!fact.configured || !fact.ok) throw new Error("unreachable");
      expect(fact.rules).toHaveLength(152);
      expect(em.requestLog.filter((r) => r.path.endsWith("/rules/")).at(-1)!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    } finally {
      em.setSentryRules(healthySentryRules());
    }
    const fact = await gatherSentryAlertRules(ctx({}));
    expect((await decide(check, { sentryAlertRules: fact, config: defaultConfig() })).status).toBe("pass");
  });

  it("rules deleted through the control API fail the check", async () => {
    em.deleteSentryRules();
    try {
      const v = await decide(check, { sentryAlertRules: await gatherSentryAlertRules(ctx({})), config: defaultConfig() });
      expect(v).toMatchObject({ status: "fail", messageId: "missingRules" });
    } finally {
      em.setSentryRules(healthySentryRules());
    }
  });

  it("reports Sentry's refusals and an unreachable host as findings", async () => {
    expect(await gatherSentryAlertRules(ctx({ SENTRY_AUTH_TOKEN: "sntryu_FAKEwrong" }))).toMatchObject({ ok: false, status: 401, error: "Invalid token" });
    expect(await gatherSentryAlertRules(ctx({ SENTRY_PROJECT: "nope" }))).toMatchObject({ ok: false, status: 404 });
    expect(await gatherSentryAlertRules(ctx({ SENTRY_API_BASE: `http://127.0.0.1:${await closedPort()}` }))).toMatchObject({ ok: false, status: null, error: expect.stringMatching(/ECONNREFUSED/) });
  });
});
