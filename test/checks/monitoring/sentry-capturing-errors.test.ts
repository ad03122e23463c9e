import { afterAll, beforeAll, describe, expect, it } from "vitest";
import check from "../../../checks/monitoring/sentry-capturing-errors.js";
import { defaultConfig } from "../../../src/config/bookflow-config.js";
import { gatherSentryEventReadBack, gatherSentryTestEvent } from "../../../src/engine/facts/monitoring.js";
import type { FactContext } from "../../../src/engine/facts/types.js";
import { startMonitoringEmulator, type MonitoringEmulator } from "../../../src/sandbox/monitoring/emulator.js";
import { checkTester, decide } from "../../support/check-tester.js";

const eventId = "0123456789abcdef0123456789abcdef";
const endpoint = `https://sentry.io/api/0/projects/acme/web/events/${eventId}/`;
const read = (over: object) => ({ sentryEventReadBack: { checked: true as const, configured: true as const, eventId, endpoint, attempts: 3, waitedMs: 1200, ...over } as never });

checkTester(check, {
  pass: [{ name: "the event is in the project", facts: read({ found: true, groupId: "42" }), messageId: "captured" }],
  fail: [
    { name: "no test event was sent (no --send-test-events)", facts: { sentryEventReadBack: { checked: false, reason: "No test event sent: pass --send-test-events to send one to Sentry" } }, expect: { status: "skip", messageId: "notRead" } },
    { name: "no token to read it back: a failure naming what to set", facts: { sentryEventReadBack: { checked: true, configured: false, missing: ["SENTRY_AUTH_TOKEN", "SENTRY_PROJECT"], eventId } }, expect: { status: "fail", messageId: "notConfigured", data: { missing: "SENTRY_AUTH_TOKEN, SENTRY_PROJECT" }, message: /project:read/ } },
    { name: "still 404 when the time is up: accepted, then dropped", facts: read({ found: false, status: 404, error: "Event not found", waitedMs: 8000, attempts: 17 }), expect: { status: "fail", messageId: "notFound", data: { eventId, seconds: "8.0", attempts: 17 } } },
    { name: "token refused", facts: read({ found: false, status: 403, error: "You do not have permission to perform this action." }), expect: { status: "fail", messageId: "refused", data: { status: 403 } } },
    { name: "no answer", facts: read({ found: false, status: null, error: "ECONNREFUSED" }), expect: { status: "fail", messageId: "unreachable" } },
  ],
});

describe("sentryEventReadBack gatherer (the monitoring emulator: events readable a moment after they are taken in)", () => {
  const TOKEN = "sntryu_FAKEreadbacktoken0000000000000000";
  const KEY = "fakesentrykey000000000000000001";
  let em: MonitoringEmulator;
  beforeAll(async () => {
    em = await startMonitoringEmulator({ sentryKey: KEY, datadogApiKey: "FAKE", sentryAuthToken: TOKEN, ingestDelayMs: 700 });
  });
  afterAll(() => em?.close());
  const ctx = (env: Record<string, string | undefined> = {}): FactContext => ({
    env: { SENTRY_DSN: em.sentryDsn, SENTRY_API_BASE: em.url, SENTRY_ORG: em.sentryOrg, SENTRY_PROJECT: em.sentryProjectSlug, SENTRY_AUTH_TOKEN: TOKEN, ...env },
    target: "production",
    config: defaultConfig(),
    signal: new AbortController().signal,
    sendTestEvents: true,
  });
  const timing = { timeoutMs: 3_000, intervalMs: 200 };

  it("polls through the 404s until the event is ingested, and the check passes", async () => {
    const sent = await gatherSentryTestEvent(ctx());
    const r = await gatherSentryEventReadBack(ctx(), sent, timing);
    expect(r).toMatchObject({ checked: true, configured: true, found: true });
    if (!r.checked || !r.configured) throw new Error("unreachable");
    expect(r.attempts).toBeGreaterThan(1);
    expect(r.waitedMs).toBeGreaterThanOrEqual(500);
    expect((await decide(check, { sentryEventReadBack: r })).status).toBe("pass");
  });

  it("gives up after the timeout when the event never becomes readable (sent to another project's DSN)", async () => {
    const other = await startMonitoringEmulator({ sentryKey: KEY, datadogApiKey: "FAKE" });
    try {
      const sent = await gatherSentryTestEvent(ctx({ SENTRY_DSN: other.sentryDsn }));
      expect(sent).toMatchObject({ sent: true, accepted: true });
      const r = await gatherSentryEventReadBack(ctx(), sent, { timeoutMs: 800, intervalMs: 200 });
      expect(r).toMatchObject({ found: false, status: 404, error: "Event not found" });
      expect((await decide(check, { sentryEventReadBack: r })).messageId).toBe("notFound");
    } finally {
      await other.close();
    }
  });

  it("stops at once on a refused token; reads nothing when no event was sent or accepted, or without a token", async () => {
    const sent = await gatherSentryTestEvent(ctx());
    expect(await gatherSentryEventReadBack(ctx({ SENTRY_AUTH_TOKEN: "sntryu_FAKEwrong" }), sent, timing)).toMatchObject({ found: false, status: 401, attempts: 1 });
    expect(await gatherSentryEventReadBack(ctx(), { sent: false, reason: "no flag" }, timing)).toEqual({ checked: false, reason: "no flag" });
    expect(await gatherSentryEventReadBack(ctx(), { sent: true, endpoint: "x", eventId, status: 401, accepted: false }, timing)).toMatchObject({ checked: false });
    expect(await gatherSentryEventReadBack(ctx({ SENTRY_AUTH_TOKEN: "" }), sent, timing)).toMatchObject({ checked: true, configured: false, missing: ["SENTRY_AUTH_TOKEN"] });
  });
});
