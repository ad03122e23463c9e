import { afterAll, beforeAll, describe, expect, it } from "vitest";
import check from "../../../checks/monitoring/sentry-test-event.js";
import { defaultConfig } from "../../../src/config/bookflow-config.js";
import { gatherSentryTestEvent } from "../../../src/engine/facts/monitoring.js";
import type { FactContext } from "../../../src/engine/facts/types.js";
import { checkTester } from "../../support/check-tester.js";
import { closedPort, localServer, type LocalServer } from "./local-server.js";

const endpoint = "https://o1.ingest.sentry.io/api/42/envelope/";
const eventId = "0123456789abcdef0123456789abcdef";

checkTester(check, {
  pass: [{ name: "accepted", facts: { sentryTestEvent: { sent: true, endpoint, eventId, status: 200, accepted: true } } }],
  fail: [
    { name: "--send-test-events not given", facts: { sentryTestEvent: { sent: false, reason: "No test event sent: pass --send-test-events to send one to Sentry" } }, expect: { status: "skip", messageId: "notSent", data: { reason: expect.stringContaining("--send-test-events") } } },
    { name: "rejected key", facts: { sentryTestEvent: { sent: true, endpoint, eventId, status: 401, accepted: false, error: "invalid api key" } }, expect: { status: "fail", messageId: "refusedWithError", data: { status: 401, error: "invalid api key" } } },
    { name: "rate limited", facts: { sentryTestEvent: { sent: true, endpoint, eventId, status: 429, accepted: false, error: "HTTP 429" } }, expect: { status: "fail", messageId: "refusedWithError", data: { status: 429 } } },
    { name: "unreachable", facts: { sentryTestEvent: { sent: true, endpoint, eventId, status: null, accepted: false, error: "ECONNREFUSED" } }, expect: { status: "fail", messageId: "unreachableWithError", data: { error: "ECONNREFUSED" } } },
  ],
});

describe("sentryTestEvent gatherer (a Sentry host on 127.0.0.1)", () => {
  const KEY = "abcdef0123456789abcdef0123456789";
  let sentry: LocalServer;
  beforeAll(async () => {
    sentry = await localServer((req) => {
      const auth = String(req.headers["x-sentry-auth"] ?? "");
      if (!auth.includes(`sentry_key=${KEY}`)) return { status: 401, body: { detail: "invalid api key" } };
      if (req.url === "/api/7/envelope/") return { status: 200, body: { id: "x" } };
      return { status: 404, body: { detail: "project not found" } };
    });
  });
  afterAll(() => sentry.close());

  const ctx = (env: Record<string, string | undefined>, sendTestEvents = true): FactContext => ({ env, target: "staging", config: defaultConfig(), signal: new AbortController().signal, sendTestEvents });

  it("sends nothing without --send-test-events", async () => {
    const before = sentry.seen.length;
    const r = await gatherSentryTestEvent(ctx({ SENTRY_DSN: `http://${KEY}@127.0.0.1:${sentry.port}/7` }, false));
    expect(r).toEqual({ sent: false, reason: expect.stringMatching(/--send-test-events/) });
    expect(sentry.seen.length).toBe(before);
  });

  it("says why nothing was sent when SENTRY_DSN is unset or malformed", async () => {
    expect(await gatherSentryTestEvent(ctx({}))).toMatchObject({ sent: false, reason: expect.stringMatching(/SENTRY_DSN is not set/) });
    expect(await gatherSentryTestEvent(ctx({ SENTRY_DSN: `http://${KEY}@example.com/7` }))).toMatchObject({ sent: false, reason: expect.stringMatching(/must use https/) });
  });

  it("POSTs an envelope with the key in X-Sentry-Auth, and reports it accepted", async () => {
    const r = await gatherSentryTestEvent(ctx({ SENTRY_DSN: `http://${KEY}@127.0.0.1:${sentry.port}/7` }));
    expect(r).toMatchObject({ sent: true, status: 200, accepted: true, endpoint: `http://127.0.0.1:${sentry.port}/api/7/envelope/` });
    const req = sentry.seen.at(-1)!;
    expect(req.method).toBe("POST");
    expect(req.headers["content-type"]).toBe("application/x-sentry-envelope");
    expect(req.headers["x-sentry-auth"]).toMatch(/^Sentry sentry_version=7, sentry_key=abcdef0123456789abcdef0123456789/);
    const [header, item, event] = req.body.split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(item).toEqual({ type: "event" });
    expect(header!.event_id).toBe(r.sent && r.eventId);
    expect(event).toMatchObject({ event_id: header!.event_id, level: "info", platform: "node" });
  });

  it("reports Sentry's refusal with its status and detail", async () => {
    expect(await gatherSentryTestEvent(ctx({ SENTRY_DSN: `http://0000000000000000@127.0.0.1:${sentry.port}/7` }))).toMatchObject({ sent: true, status: 401, accepted: false, error: "invalid api key" });
    expect(await gatherSentryTestEvent(ctx({ SENTRY_DSN: `http://${KEY}@127.0.0.1:${sentry.port}/8` }))).toMatchObject({ status: 404, accepted: false, error: "project not found" });
  });

  it("reports an unreachable host as a value, not a failed fact", async () => {
    const port = await closedPort();
    expect(await gatherSentryTestEvent(ctx({ SENTRY_DSN: `http://${KEY}@127.0.0.1:${port}/7` }))).toMatchObject({ sent: true, status: null, accepted: false, error: expect.stringMatching(/ECONNREFUSED/) });
  });
});
