import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { ProviderError } from "../../../src/errors.js";
import { createSendGridClient } from "../../../src/providers/sendgrid/client.js";
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
