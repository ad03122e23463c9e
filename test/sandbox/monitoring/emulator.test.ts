import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { healthyDatadogMonitors, healthySentryRules, startMonitoringEmulator, type MonitoringEmulator } from "../../../src/sandbox/monitoring/emulator.js";

/**
 * The monitoring emulator against Sentry's and Datadog's documents
 * (fixtures/, copied from their API references): the shapes it answers, the
 * auth failures, filters and pagination, and the events it takes in becoming
 * readable only after a delay.
 */

const sentryDocs = JSON.parse(readFileSync(new URL("./fixtures/sentry-api.json", import.meta.url), "utf8")) as {
  issueAlertRules: Record<string, unknown>[];
  event: Record<string, unknown>;
  errors: Record<string, { status: number; body: unknown }>;
};
const datadogDocs = JSON.parse(readFileSync(new URL("./fixtures/datadog-monitors.json", import.meta.url), "utf8")) as { monitor: Record<string, unknown>; overallStates: string[]; errors: Record<string, { status: number; body: unknown }> };

const TOKEN = "sntryu_FAKEemulatortoken000000000000000000";
const NARROW_TOKEN = "sntryu_FAKEnarrowtoken0000000000000000000";
const KEY = "fakesentrypublickey0000000000001";
const DD_KEY = "FAKEddapikey000000000000000000";
const DD_APP = "FAKEddappkey00000000000000000000000000";

describe("monitoring emulator", () => {
  let em: MonitoringEmulator;
  let narrow: MonitoringEmulator;
  beforeAll(async () => {
    em = await startMonitoringEmulator({ sentryKey: KEY, sentryProjectId: "7", datadogApiKey: DD_KEY, datadogAppKey: DD_APP, sentryAuthToken: TOKEN, sentryRules: healthySentryRules(), datadogMonitors: healthyDatadogMonitors(), ingestDelayMs: 400 });
    narrow = await startMonitoringEmulator({ sentryKey: KEY, datadogApiKey: DD_KEY, datadogAppKey: DD_APP, datadogAppKeyScopes: ["dashboards_read"], sentryAuthToken: NARROW_TOKEN, sentryTokenScopes: ["org:read"] });
  });
  afterAll(async () => {
    await em?.close();
    await narrow?.close();
  });

  const get = async (base: string, path: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${base}${path}`, { headers });
    return { status: res.status, body: (await res.json()) as unknown, link: res.headers.get("link") };
  };
  const bearer = (t = TOKEN) => ({ authorization: `Bearer ${t}` });
  const rulesPath = (org = "bookflow", project = "bookflow-app") => `/api/0/projects/${org}/${project}/rules/`;

  describe("Sentry issue alert rules", () => {
    it("lists the rules with the documented fields (and no others)", async () => {
      const r = await get(em.url, rulesPath(), bearer());
      expect(r.status).toBe(200);
      const rules = r.body as Record<string, unknown>[];
      expect(rules.map((x) => x.name)).toEqual(["New issue in bookflow", "High-priority issue in bookflow"]);
      for (const rule of rules) expect(Object.keys(rule).sort()).toEqual(Object.keys(sentryDocs.issueAlertRules[0]!).sort());
    });

    it("answers the documented errors: no token, a wrong token, a token without the scope, an unknown project", async () => {
      expect(await get(em.url, rulesPath())).toMatchObject(sentryDocs.errors.notAuthenticated!);
      expect(await get(em.url, rulesPath(), bearer("sntryu_FAKEwrong"))).toMatchObject(sentryDocs.errors.invalidToken!);
      expect(await get(narrow.url, rulesPath(), bearer(NARROW_TOKEN))).toMatchObject(sentryDocs.errors.noPermission!);
      expect(await get(em.url, rulesPath("other-org"), bearer())).toMatchObject(sentryDocs.errors.notFound!);
      expect(await get(em.url, rulesPath("bookflow", "other"), bearer())).toMatchObject(sentryDocs.errors.notFound!);
      expect((await get(em.url, rulesPath("bookflow", "7"), bearer())).status).toBe(200);
    });

    it("pages with Link cursors, saying whether more results follow", async () => {
      const first = await get(em.url, `${rulesPath()}?per_page=1`, bearer());
      expect((first.body as { id: string }[]).map((x) => x.id)).toEqual(["101"]);
      expect(first.link).toMatch(/rel="next"; results="true"; cursor="0:1:0"/);
      const second = await get(em.url, `${rulesPath()}?per_page=1&cursor=0:1:0`, bearer());
      expect((second.body as { id: string }[]).map((x) => x.id)).toEqual(["102"]);
      expect(second.link).toMatch(/rel="next"; results="false"/);
    });

    it("the control API deletes one rule or all of them", async () => {
      const one = await fetch(`${em.url}/_control/sentry/rules/101`, { method: "DELETE" });
      expect(one.status).toBe(200);
      expect(em.sentryRules().map((r) => r.id)).toEqual(["102"]);
      expect((await fetch(`${em.url}/_control/sentry/rules/999`, { method: "DELETE" })).status).toBe(404);
      await fetch(`${em.url}/_control/sentry/rules`, { method: "DELETE" });
      expect(await get(em.url, rulesPath(), bearer())).toMatchObject({ status: 200, body: [] });
      em.setSentryRules(healthySentryRules());
    });
  });

  describe("Sentry events: ingested through the envelope endpoint, readable after a delay", () => {
    const eventId = "0123456789abcdef0123456789abcdef";
    const envelope = [JSON.stringify({ event_id: eventId }), JSON.stringify({ type: "event" }), JSON.stringify({ event_id: eventId, timestamp: Date.now() / 1000, level: "info", platform: "node", message: { formatted: "a test event" }, tags: { source: "test" } })].join("\n");

    it("answers 404 until the event is processed, then the event with the documented fields", async () => {
      const sent = await fetch(`${em.url}/api/7/envelope/`, { method: "POST", headers: { "x-sentry-auth": `Sentry sentry_version=7, sentry_key=${KEY}` }, body: envelope });
      expect(sent.status).toBe(200);
      const path = `/api/0/projects/bookflow/bookflow-app/events/${eventId}/`;
      expect(await get(em.url, path, bearer())).toMatchObject(sentryDocs.errors.eventNotFound!);
      await new Promise((r) => setTimeout(r, 450));
      const r = await get(em.url, path, bearer());
      expect(r.status).toBe(200);
      expect(Object.keys(r.body as object).sort()).toEqual(Object.keys(sentryDocs.event).sort());
      expect(r.body).toMatchObject({ eventID: eventId, message: "a test event", platform: "node", tags: expect.arrayContaining([{ key: "source", value: "test", _meta: null }]) });
    });

    it("an event it never took in stays 404; reading needs the token", async () => {
      expect(await get(em.url, `/api/0/projects/bookflow/bookflow-app/events/${"f".repeat(32)}/`, bearer())).toMatchObject(sentryDocs.errors.eventNotFound!);
      expect((await get(em.url, `/api/0/projects/bookflow/bookflow-app/events/${eventId}/`)).status).toBe(401);
    });

    it("refuses an envelope with a wrong key, and takes nothing in", async () => {
      const before = em.events().length;
      const r = await fetch(`${em.url}/api/7/envelope/`, { method: "POST", headers: { "x-sentry-auth": "Sentry sentry_key=wrong" }, body: envelope });
      expect(r.status).toBe(401);
      expect(em.events().length).toBe(before);
    });
  });

  describe("Datadog monitors", () => {
    const dd = (app = DD_APP, key = DD_KEY) => ({ "dd-api-key": key, "dd-application-key": app });

    it("lists monitors with the documented fields and states", async () => {
      const r = await get(em.url, "/api/v1/monitor", dd());
      expect(r.status).toBe(200);
      const monitors = r.body as Record<string, unknown>[];
      expect(monitors).toHaveLength(2);
      for (const m of monitors) {
        expect(Object.keys(m).sort()).toEqual(Object.keys(datadogDocs.monitor).sort());
        expect(datadogDocs.overallStates).toContain(m.overall_state);
      }
    });

    it("filters by name (a substring, ignoring case) and by monitor_tags (all of them)", async () => {
      expect(((await get(em.url, "/api/v1/monitor?name=webhook%20PROCESSING", dd())).body as { id: number }[]).map((m) => m.id)).toEqual([2001]);
      expect(((await get(em.url, "/api/v1/monitor?monitor_tags=bookflow:email-failures", dd())).body as { id: number }[]).map((m) => m.id)).toEqual([2002]);
      expect(((await get(em.url, "/api/v1/monitor?monitor_tags=service:bookflow,bookflow:email-failures", dd())).body as { id: number }[]).map((m) => m.id)).toEqual([2002]);
      expect((await get(em.url, "/api/v1/monitor?monitor_tags=bookflow:nothing", dd())).body).toEqual([]);
    });

    it("pages with page and page_size, refusing a page_size above 1000", async () => {
      expect(((await get(em.url, "/api/v1/monitor?page=0&page_size=1", dd())).body as { id: number }[]).map((m) => m.id)).toEqual([2001]);
      expect(((await get(em.url, "/api/v1/monitor?page=1&page_size=1", dd())).body as { id: number }[]).map((m) => m.id)).toEqual([2002]);
      expect((await get(em.url, "/api/v1/monitor?page_size=5000", dd())).status).toBe(400);
    });

    it("answers 403 Forbidden for a wrong API key, a missing or wrong application key, and one without monitors_read", async () => {
      expect(await get(em.url, "/api/v1/monitor", dd(DD_APP, "FAKEwrong"))).toMatchObject(datadogDocs.errors.forbidden!);
      expect(await get(em.url, "/api/v1/monitor", { "dd-api-key": DD_KEY })).toMatchObject(datadogDocs.errors.forbidden!);
      expect(await get(em.url, "/api/v1/monitor", dd("FAKEwrongapp"))).toMatchObject(datadogDocs.errors.forbidden!);
      expect(await get(narrow.url, "/api/v1/monitor", dd())).toMatchObject(datadogDocs.errors.forbidden!);
    });

    it("the control API deletes one monitor or all of them", async () => {
      expect((await fetch(`${em.url}/_control/datadog/monitors/2001`, { method: "DELETE" })).status).toBe(200);
      expect(em.datadogMonitors().map((m) => m.id)).toEqual([2002]);
      expect((await fetch(`${em.url}/_control/datadog/monitors/1`, { method: "DELETE" })).status).toBe(404);
      await fetch(`${em.url}/_control/datadog/monitors`, { method: "DELETE" });
      expect((await get(em.url, "/api/v1/monitor", dd())).body).toEqual([]);
      em.setDatadogMonitors(healthyDatadogMonitors());
    });
  });
});
