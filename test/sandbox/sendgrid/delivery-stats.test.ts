import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createSendGridClient } from "../../../src/providers/sendgrid/client.js";
import { startSendGridEmulator, type SendGridEmulator } from "../../../src/sandbox/sendgrid/emulator.js";

/**
 * The SendGrid emulator's delivery figures: counters kept from the sends it
 * accepts (sandbox-mode sends are not counted), per UTC day in the shape of
 * `GET /v3/stats`, the bounce and block lists, and the control API that makes
 * recipients bounce or be blocked.
 */

const API_KEY = "SG.FAKE-delivery-stats.key";
const NO_STATS_KEY = "SG.FAKE-no-stats.key";
const FROM = "bookings@example.com";
let now = new Date("2027-01-15T10:00:00Z");
let emulator: SendGridEmulator;

async function api(path: string, init: { method?: string; body?: unknown; apiKey?: string } = {}): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${emulator.url}${path}`, {
    method: init.method ?? "GET",
    headers: { authorization: `Bearer ${init.apiKey ?? API_KEY}`, "content-type": "application/json" },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

const send = (to: string[], options: { sandbox?: boolean; cc?: string[] } = {}) =>
  api("/v3/mail/send", {
    method: "POST",
    body: {
      personalizations: [{ to: to.map((email) => ({ email })), ...(options.cc ? { cc: options.cc.map((email) => ({ email })) } : {}) }],
      from: { email: FROM },
      subject: "Your booking",
      content: [{ type: "text/plain", value: "Booked." }],
      ...(options.sandbox ? { mail_settings: { sandbox_mode: { enable: true } } } : {}),
    },
  });

type Day = { date: string; stats: { metrics: Record<string, number> }[] };

beforeAll(async () => {
  emulator = await startSendGridEmulator({ apiKey: API_KEY, extraKeys: [{ apiKey: NO_STATS_KEY, scopes: ["mail.send"] }], clock: { now: () => now } });
});
afterAll(() => emulator.close());
beforeEach(async () => {
  now = new Date("2027-01-15T10:00:00Z");
  expect((await api("/_control/delivery-outcomes", { method: "DELETE" })).status).toBe(204);
  expect((await api("/_control/stats", { method: "DELETE" })).status).toBe(204);
  emulator.failSends(0);
});

describe("GET /v3/stats", () => {
  it("counts each recipient of accepted sends per UTC day, every day of the range listed, with every StatsAdvancedGlobalStats counter", async () => {
    expect((await send(["ana@example.org", "ben@example.org"], { cc: ["cy@example.org"] })).status).toBe(202);
    now = new Date("2027-01-16T00:30:00Z");
    expect((await send(["dee@example.org"])).status).toBe(202);
    const r = await api("/v3/stats?start_date=2027-01-14&end_date=2027-01-16&aggregated_by=day");
    expect(r.status).toBe(200);
    const days = r.json as Day[];
    expect(days.map((d) => d.date)).toEqual(["2027-01-14", "2027-01-15", "2027-01-16"]);
    expect(days[0]!.stats[0]!.metrics).toMatchObject({ requests: 0, delivered: 0 });
    expect(days[1]!.stats[0]!.metrics).toMatchObject({ requests: 3, processed: 3, delivered: 3, bounces: 0, blocks: 0 });
    expect(days[2]!.stats[0]!.metrics).toMatchObject({ requests: 1, delivered: 1 });
    expect(Object.keys(days[1]!.stats[0]!.metrics).sort()).toEqual(
      ["blocks", "bounce_drops", "bounces", "clicks", "deferred", "delivered", "invalid_emails", "opens", "processed", "requests", "spam_report_drops", "spam_reports", "unique_clicks", "unique_opens", "unsubscribe_drops", "unsubscribes"].sort(),
    );
  });

  it("does not count sandbox-mode sends, refused sends or failed sends", async () => {
    expect((await send(["ana@example.org"], { sandbox: true })).status).toBe(200);
    emulator.failSends(1);
    expect((await send(["ben@example.org"])).status).toBe(500);
    expect((await api("/v3/mail/send", { method: "POST", body: { personalizations: [{ to: [{ email: "cy@example.org" }] }], from: { email: "nobody@unverified.test" }, subject: "x", content: [{ type: "text/plain", value: "x" }] } })).status).toBe(403);
    expect(emulator.deliveryStats().totals.requests).toBe(0);
  });

  it("end_date defaults to today; limit and offset page through the days", async () => {
    await send(["ana@example.org"]);
    const all = (await api("/v3/stats?start_date=2027-01-13")).json as Day[];
    expect(all.map((d) => d.date)).toEqual(["2027-01-13", "2027-01-14", "2027-01-15"]);
    const page = (await api("/v3/stats?start_date=2027-01-13&limit=1&offset=2")).json as Day[];
    expect(page.map((d) => d.date)).toEqual(["2027-01-15"]);
  });

  it("answers SendGrid's 400 to a missing or malformed date or an unknown aggregation, and 403 to a key without stats.read", async () => {
    for (const [query, field] of [
      ["", "start_date"],
      ["?start_date=15-01-2027", "start_date"],
      ["?start_date=2027-02-30", "start_date"],
      ["?start_date=2027-01-15&end_date=2027-01-14", "end_date"],
      ["?start_date=2027-01-15&aggregated_by=year", "aggregated_by"],
      ["?start_date=2027-01-15&aggregated_by=week", "aggregated_by"],
      ["?start_date=2027-01-15&limit=0", "limit"],
    ] as const) {
      const r = await api(`/v3/stats${query}`);
      expect(r.status, query).toBe(400);
      expect(r.json, query).toMatchObject({ errors: [{ field }] });
    }
    expect(await api("/v3/stats?start_date=2027-01-15", { apiKey: NO_STATS_KEY })).toMatchObject({ status: 403, json: { errors: [{ message: "access forbidden" }] } });
  });
});

describe("bounces and blocks (POST /_control/delivery-outcomes)", () => {
  it("a bounce rule bounces the matching recipients: counted, on the bounce list with reason and status; later mail to them is dropped", async () => {
    const rule = await api("/_control/delivery-outcomes", { method: "POST", body: { match: "@bounce.example", outcome: "bounce" } });
    expect(rule).toMatchObject({ status: 200, json: { rules: [{ match: "@bounce.example", outcome: "bounce" }] } });
    await send(["ana@bounce.example", "ben@example.org", "Cy@Bounce.Example"]);
    await send(["ana@bounce.example"]);
    expect(emulator.deliveryStats().totals).toMatchObject({ requests: 4, processed: 3, delivered: 1, bounces: 2, bounce_drops: 1 });
    const list = await api("/v3/suppression/bounces");
    expect(list.status).toBe(200);
    expect(list.json).toEqual([
      { created: Math.floor(now.getTime() / 1000), email: "ana@bounce.example", reason: expect.stringMatching(/^550 5\.1\.1 /), status: "5.1.1" },
      { created: Math.floor(now.getTime() / 1000), email: "Cy@Bounce.Example", reason: expect.stringMatching(/^550 5\.1\.1 /), status: "5.1.1" },
    ]);
  });

  it("a block rule blocks with the given reason; later mail is still attempted (blocks are not suppressed); the last matching rule wins", async () => {
    emulator.setDeliveryOutcome({ match: "*", outcome: "block", reason: "554 5.7.1 Service unavailable; Client host blocked", status: "5.7.1" });
    emulator.setDeliveryOutcome({ match: "vip@example.org", outcome: "deliver" });
    await send(["ana@example.org", "vip@example.org"]);
    await send(["ana@example.org"]);
    expect(emulator.deliveryStats().totals).toMatchObject({ requests: 3, processed: 3, delivered: 1, blocks: 2, bounce_drops: 0 });
    expect((await api("/v3/suppression/blocks")).json).toEqual([{ created: expect.any(Number), email: "ana@example.org", reason: "554 5.7.1 Service unavailable; Client host blocked", status: "5.7.1" }]);
    await api("/_control/delivery-outcomes", { method: "DELETE" });
    await send(["ana@example.org"]);
    expect(emulator.deliveryStats().totals).toMatchObject({ delivered: 2, blocks: 2 });
  });

  it("the lists filter by start_time/end_time (inclusive) and email prefix, newest first, paged by limit/offset", async () => {
    emulator.setDeliveryOutcome({ match: "*", outcome: "bounce" });
    await send(["old@example.org"]);
    const oldAt = Math.floor(now.getTime() / 1000);
    now = new Date(now.getTime() + 3600_000);
    await send(["new@example.org", "newer@example.org"]);
    const newAt = Math.floor(now.getTime() / 1000);
    const emails = async (q: string) => ((await api(`/v3/suppression/bounces${q}`)).json as { email: string }[]).map((e) => e.email);
    expect(await emails(`?start_time=${newAt}`)).toEqual(["new@example.org", "newer@example.org"]);
    expect(await emails(`?start_time=${oldAt}&end_time=${oldAt}`)).toEqual(["old@example.org"]);
    expect((await emails(""))[2]).toBe("old@example.org");
    expect(await emails("?email=old")).toEqual(["old@example.org"]);
    expect(await emails("?limit=1&offset=2")).toEqual(["old@example.org"]);
    for (const q of ["?limit=501", "?limit=0", "?offset=-1", "?start_time=yesterday"]) expect((await api(`/v3/suppression/bounces${q}`)).status, q).toBe(400);
    expect((await api("/v3/suppression/blocks", { apiKey: NO_STATS_KEY })).status).toBe(403);
  });

  it("refuses a rule it cannot read, saying what to give", async () => {
    for (const body of [{}, { match: "nobody", outcome: "bounce" }, { match: "*", outcome: "explode" }, { match: "*", outcome: "bounce", reason: 550 }]) {
      const r = await api("/_control/delivery-outcomes", { method: "POST", body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect((r.json as { errors: { message: string }[] }).errors[0]!.message).toMatch(/^Give \{ "match"/);
    }
  });

  it("GET /_control/stats gives the totals and both lists; DELETE forgets them", async () => {
    emulator.setDeliveryOutcome({ match: "ana@example.org", outcome: "bounce" });
    await send(["ana@example.org", "ben@example.org"]);
    expect((await api("/_control/stats")).json).toMatchObject({ totals: { requests: 2, delivered: 1, bounces: 1 }, bounces: [{ email: "ana@example.org" }], blocks: [] });
    await api("/_control/stats", { method: "DELETE" });
    expect((await api("/_control/stats")).json).toMatchObject({ totals: { requests: 0 }, bounces: [], blocks: [] });
  });
});

describe("bookflow's client reads the emulator's figures", () => {
  it("getGlobalStats and listSuppressions, every page", async () => {
    emulator.setDeliveryOutcome({ match: "*", outcome: "bounce" });
    // 501 bounced recipients: two pages of the bounce list.
    for (let batch = 0; batch < 6; batch++) await send(Array.from({ length: batch < 5 ? 100 : 1 }, (_, i) => `r${batch}-${i}@example.org`));
    const client = await createSendGridClient({ apiKey: API_KEY, baseUrl: emulator.url, timeoutMs: 5000 });
    const days = await client.getGlobalStats({ startDate: "2027-01-14", endDate: "2027-01-15" });
    expect(days.map((d) => [d.date, d.stats[0]!.metrics?.bounces])).toEqual([
      ["2027-01-14", 0],
      ["2027-01-15", 501],
    ]);
    const t = Math.floor(now.getTime() / 1000);
    const bounces = await client.listSuppressions("bounces", { startTime: t - 60, endTime: t });
    expect(bounces.entries).toHaveLength(501);
    expect(bounces.truncated).toBe(false);
    expect((await client.listSuppressions("blocks", { startTime: t - 60, endTime: t })).entries).toEqual([]);
  });
});
