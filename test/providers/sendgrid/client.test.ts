import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { ProviderError } from "../../../src/errors.js";
import { createSendGridClient, DOMAIN_PAGE_SIZE, MAX_DOMAIN_PAGES, MAX_SUPPRESSION_PAGES, SUPPRESSION_PAGE_SIZE } from "../../../src/providers/sendgrid/client.js";
import { startSendGridEmulator, type SendGridEmulator } from "../../../src/sandbox/sendgrid/emulator.js";

const API_KEY = "SG.client-test.s3cr3t-key-value";
const TEMPLATE_ID = "d-11112222333344445555666677778888";

let emulator: SendGridEmulator;
/** A server that answers every request with `nextBody` as JSON (for wrong shapes). */
let odd: Server;
let oddUrl: string;
let nextBody: unknown = {};

beforeAll(async () => {
  emulator = await startSendGridEmulator({
    apiKey: API_KEY,
    scopes: ["mail.send", "templates.read", "whitelabel.read", "whitelabel.update"],
    extraKeys: [{ apiKey: "SG.mail-only.key", scopes: ["mail.send"] }],
    templates: [
      {
        id: TEMPLATE_ID,
        name: "Booking confirmed",
        versions: [
          { id: "ver-old", active: 0, subject: "Old" },
          { id: "ver-new", active: 1, subject: "Booked: {{name}}" },
        ],
      },
    ],
    verifiedSenders: [{ from_email: "bookings@example.com", verified: true }],
    domains: [{ id: 12, domain: "example.com", subdomain: "em77", valid: true }],
  });
  odd = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(nextBody));
  });
  await new Promise<void>((resolve) => odd.listen(0, "127.0.0.1", resolve));
  oddUrl = `http://127.0.0.1:${(odd.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await emulator.close();
  await new Promise<void>((resolve) => odd.close(() => resolve()));
});
afterEach(() => {
  emulator.setFaults({});
  vi.restoreAllMocks();
});

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(ProviderError);
    return err as ProviderError;
  }
  throw new Error("expected a ProviderError");
}

function expectNoKey(err: ProviderError, key = API_KEY): void {
  for (const text of [err.message, err.hint ?? "", String(err.stack), JSON.stringify(err)]) expect(text).not.toContain(key);
}

describe("createSendGridClient against the emulator", () => {
  it("reads scopes, a template, verified senders and authenticated domains, and validates a domain", async () => {
    const client = await createSendGridClient({ apiKey: API_KEY, baseUrl: emulator.url });
    expect(await client.getScopes()).toEqual(["mail.send", "templates.read", "whitelabel.read", "whitelabel.update"]);

    const template = await client.getTemplate(TEMPLATE_ID);
    expect(template).toMatchObject({ id: TEMPLATE_ID, name: "Booking confirmed", generation: "dynamic" });
    expect(template.versions.find((v) => v.active === 1)).toMatchObject({ id: "ver-new", subject: "Booked: {{name}}" });

    expect(await client.listVerifiedSenders()).toEqual([expect.objectContaining({ from_email: "bookings@example.com", verified: true })]);

    const [domain] = await client.listAuthenticatedDomains();
    expect(domain).toMatchObject({ id: 12, domain: "example.com", subdomain: "em77", valid: true });
    expect(domain!.dns.mail_cname).toEqual({ valid: true, type: "cname", host: "em77.example.com", data: "u77.wl.sendgrid.net" });

    expect(await client.validateDomain(12)).toEqual(expect.objectContaining({ id: 12, valid: true, validation_results: expect.objectContaining({ dkim1: { valid: true, reason: null } }) }));
  });

  it("turns 401 into a ProviderError with the status and SendGrid's message, never the key", async () => {
    const wrongKey = "SG.wrong-key.not-accepted-anywhere";
    const client = await createSendGridClient({ apiKey: wrongKey, baseUrl: emulator.url });
    const err = await failure(client.getScopes());
    expect(err).toMatchObject({ provider: "sendgrid", endpoint: "GET /v3/scopes", status: 401, code: "PROVIDER_ERROR" });
    expect(err.message).toContain("The provided authorization grant is invalid, expired, or revoked");
    expect(err.hint).toMatch(/SENDGRID_API_KEY/);
    expectNoKey(err, wrongKey);
  });

  it("turns 404 and 403 into ProviderErrors naming the endpoint", async () => {
    const client = await createSendGridClient({ apiKey: API_KEY, baseUrl: emulator.url });
    const missing = await failure(client.getTemplate("d-missing"));
    expect(missing).toMatchObject({ status: 404, endpoint: "GET /v3/templates/d-missing" });

    const mailOnly = await createSendGridClient({ apiKey: "SG.mail-only.key", baseUrl: emulator.url });
    const forbidden = await failure(mailOnly.listAuthenticatedDomains());
    expect(forbidden).toMatchObject({ status: 403, endpoint: "GET /v3/whitelabel/domains" });
    expect(forbidden.message).toContain("access forbidden");
  });

  it("reports a wrong shape as 'unexpected response' with the offending field", async () => {
    const client = await createSendGridClient({ apiKey: API_KEY, baseUrl: oddUrl });
    nextBody = { scopes: "mail.send" };
    const scopes = await failure(client.getScopes());
    expect(scopes.endpoint).toBe("GET /v3/scopes");
    expect(scopes.message).toMatch(/unexpected response: .*scopes/);
    expect(scopes.status).toBeUndefined();

    nextBody = { id: TEMPLATE_ID, name: "x", generation: "dynamic", versions: [{ id: "v", active: "yes" }] };
    expect((await failure(client.getTemplate(TEMPLATE_ID))).message).toMatch(/unexpected response: .*versions\.0\.active/);

    nextBody = { results: [] };
    expect((await failure(client.listAuthenticatedDomains())).message).toMatch(/unexpected response/);
    expectNoKey(scopes);
  });

  it("reads every page of authenticated domains: a sending domain on page 2 is found", async () => {
    const many = Array.from({ length: 120 }, (_, i) => ({ id: i + 1, domain: i === 119 ? "bookings.example.net" : `d${i + 1}.example.org`, subdomain: `em${i + 1}`, valid: true }));
    const big = await startSendGridEmulator({ apiKey: API_KEY, domains: many });
    try {
      const client = await createSendGridClient({ apiKey: API_KEY, baseUrl: big.url });
      const domains = await client.listAuthenticatedDomains();
      expect(domains).toHaveLength(120);
      expect(domains.find((d) => d.domain === "bookings.example.net")).toMatchObject({ id: 120, valid: true });
      expect(big.requestLog.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual(["GET /v3/whitelabel/domains 200", "GET /v3/whitelabel/domains 200"]);
    } finally {
      await big.close();
    }
  });

  it("stops reading domains after MAX_DOMAIN_PAGES full pages, with an explicit error rather than a partial list", async () => {
    const client = await createSendGridClient({ apiKey: API_KEY, baseUrl: oddUrl });
    nextBody = Array.from({ length: DOMAIN_PAGE_SIZE }, (_, i) => ({ id: i, domain: `d${i}.example.org`, subdomain: "em1", valid: true, dns: {} }));
    const err = await failure(client.listAuthenticatedDomains());
    expect(err.endpoint).toBe("GET /v3/whitelabel/domains");
    expect(err.message).toContain(`more than ${MAX_DOMAIN_PAGES * DOMAIN_PAGE_SIZE} authenticated domains`);
    expect(err.hint).toBeTruthy();
  });

  it("accepts what SendGrid's spec lets it omit: template versions, sender fields, validation fields", async () => {
    const client = await createSendGridClient({ apiKey: API_KEY, baseUrl: oddUrl });
    nextBody = { id: TEMPLATE_ID, name: "No versions yet", generation: "dynamic", updated_at: "2026-01-01 00:00:00" };
    expect((await client.getTemplate(TEMPLATE_ID)).versions).toEqual([]);
    nextBody = { id: TEMPLATE_ID, name: "x", generation: "dynamic", updated_at: "2026-01-01 00:00:00", versions: [{ name: "draft" }] };
    expect((await client.getTemplate(TEMPLATE_ID)).versions).toEqual([expect.objectContaining({ name: "draft", active: 0 })]);
    nextBody = { results: [{ from_email: "a@example.com" }, { nickname: "no address" }, { from_email: "b@example.com", verified: true }] };
    expect((await client.listVerifiedSenders()).map(({ from_email, verified }) => ({ from_email, verified }))).toEqual([
      { from_email: "a@example.com", verified: false },
      { from_email: "b@example.com", verified: true },
    ]);
    nextBody = {};
    expect(await client.listVerifiedSenders()).toEqual([]);
    expect(await client.validateDomain(1)).toEqual({ valid: false, validation_results: {} });
  });

  it("reports a body that is not JSON as an unexpected response", async () => {
    emulator.setFaults({ rateMalformed: 1 });
    const client = await createSendGridClient({ apiKey: API_KEY, baseUrl: emulator.url });
    const err = await failure(client.listVerifiedSenders());
    expect(err.message).toMatch(/unexpected response: expected JSON/);
  });

  it("reports an unreachable server without the key, and prints nothing for a key without the SG. prefix", async () => {
    const warn = vi.spyOn(console, "warn");
    const odd = "not-a-sendgrid-key-123";
    const client = await createSendGridClient({ apiKey: odd, baseUrl: "http://127.0.0.1:9", timeoutMs: 2_000 });
    const err = await failure(client.getScopes());
    expect(err.status).toBeUndefined();
    expect(err.message).toContain("could not reach SendGrid");
    expectNoKey(err, odd);
    expect(warn).not.toHaveBeenCalled();

    const viaEmulator = await createSendGridClient({ apiKey: odd, baseUrl: emulator.url });
    expect((await failure(viaEmulator.getScopes())).status).toBe(401);
  });

  it("sends the key as a Bearer token to the configured base URL", async () => {
    const before = emulator.requestLog.length;
    const client = await createSendGridClient({ apiKey: API_KEY, baseUrl: emulator.url });
    await client.getScopes();
    const [entry] = emulator.requestLog.slice(before);
    expect(entry).toMatchObject({ method: "GET", path: "/v3/scopes", status: 200 });
    expect(entry!.headers.authorization).toBe(`Bearer ${API_KEY}`);
  });
});

describe("delivery stats and suppression lists", () => {
  it("a key without the stats scope is a ProviderError with SendGrid's 403 and a hint, never the key", async () => {
    const client = await createSendGridClient({ apiKey: API_KEY, baseUrl: emulator.url });
    const err = await failure(client.getGlobalStats({ startDate: "2027-01-14", endDate: "2027-01-15" }));
    expect(err).toMatchObject({ status: 403, endpoint: "GET /v3/stats" });
    expect(err.message).toMatch(/access forbidden/);
    expect(err.hint).toMatch(/lacks a scope/);
    expect(JSON.stringify(err)).not.toContain(API_KEY);
  });

  it("stats in a shape SendGrid does not answer are refused, naming the field", async () => {
    nextBody = [{ date: "2027-01-15", stats: [{ metrics: { delivered: "many" } }] }];
    const client = await createSendGridClient({ apiKey: API_KEY, baseUrl: oddUrl });
    expect((await failure(client.getGlobalStats({ startDate: "2027-01-15", endDate: "2027-01-15" }))).message).toMatch(/0\.stats\.0\.metrics\.delivered/);
  });

  it("missing counters are 0 and a day without metrics counts nothing (the spec requires neither)", async () => {
    nextBody = [{ date: "2027-01-15", stats: [{ metrics: { requests: 3 } }, {}] }];
    const client = await createSendGridClient({ apiKey: API_KEY, baseUrl: oddUrl });
    const [day] = await client.getGlobalStats({ startDate: "2027-01-15", endDate: "2027-01-15" });
    expect(day!.stats[0]!.metrics).toMatchObject({ requests: 3, delivered: 0, bounces: 0, blocks: 0 });
    expect(day!.stats[1]!.metrics).toBeUndefined();
  });

  it("stops after MAX_SUPPRESSION_PAGES full pages and says the list is truncated", async () => {
    nextBody = Array.from({ length: SUPPRESSION_PAGE_SIZE }, (_, i) => ({ created: 1, email: `r${i}@example.org`, reason: "550", status: "5.1.1" }));
    const client = await createSendGridClient({ apiKey: API_KEY, baseUrl: oddUrl });
    const r = await client.listSuppressions("bounces", { startTime: 0, endTime: 10 });
    expect(r.truncated).toBe(true);
    expect(r.entries).toHaveLength(SUPPRESSION_PAGE_SIZE * MAX_SUPPRESSION_PAGES);
  });
});
