import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultConfig } from "../../src/config/bookflow-config.js";
import { FactStore, gatherers } from "../../src/engine/facts/index.js";
import { startSendGridEmulator, type SendGridEmulator } from "../../src/sandbox/sendgrid/emulator.js";

const API_KEY = "SG.FAKE-facts-test.key-value";
const SENDING_DOMAIN = "bookings.example.net";

describe("SendGrid domain facts on an account with more authenticated domains than one page (against the emulator)", () => {
  let emulator: SendGridEmulator;
  beforeAll(async () => {
    // 120 domains; the sending domain is the last one, past the first page of any page size up to 119.
    const domains = Array.from({ length: 120 }, (_, i) => ({ id: i + 1, domain: i === 119 ? SENDING_DOMAIN : `d${i + 1}.example.org`, subdomain: `em${i + 1}`, valid: true }));
    emulator = await startSendGridEmulator({ apiKey: API_KEY, domains, verifiedSenders: [] });
  });
  afterAll(async () => emulator?.close());

  const store = () =>
    new FactStore(
      { env: { SENDGRID_API_KEY: API_KEY, SENDGRID_API_BASE: emulator.url, SENDGRID_FROM_EMAIL: `hello@${SENDING_DOMAIN}` }, target: "production", config: defaultConfig(), signal: new AbortController().signal },
      gatherers,
    );

  it("finds the sending domain on a later page and validates it", async () => {
    const facts = store();
    const [senders, validation] = await Promise.all([facts.get("sendgridSenders"), facts.get("sendgridDomainValidation")]);
    expect(senders.domains).toHaveLength(120);
    expect(validation.authenticatedDomain).toEqual({ id: 120, domain: SENDING_DOMAIN });
    expect(validation.validation?.valid).toBe(true);
  });
});

describe("sendgridDeliveryStats against the emulator", () => {
  let emulator: SendGridEmulator;
  const FROM = "bookings@example.com";
  beforeAll(async () => {
    emulator = await startSendGridEmulator({ apiKey: API_KEY, extraKeys: [{ apiKey: "SG.FAKE-stats-only.key", scopes: ["mail.send", "stats.read"] }] });
  });
  afterAll(async () => emulator?.close());

  const gather = (apiKey = API_KEY) =>
    new FactStore({ env: { SENDGRID_API_KEY: apiKey, SENDGRID_API_BASE: emulator.url, SENDGRID_FROM_EMAIL: FROM }, target: "production", config: defaultConfig(), signal: new AbortController().signal }, gatherers).get("sendgridDeliveryStats");

  async function send(to: string[]): Promise<void> {
    const res = await fetch(`${emulator.url}/v3/mail/send`, {
      method: "POST",
      headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ personalizations: to.map((email) => ({ to: [{ email }] })), from: { email: FROM }, subject: "Booked", content: [{ type: "text/plain", value: "Booked" }] }),
    });
    expect(res.status).toBe(202);
  }

  it("sums the window's stats and groups the bounces and blocks by reason, masking every address (in the reasons too)", async () => {
    emulator.setDeliveryOutcome({ match: "@gone.example", outcome: "bounce", reason: "550 5.1.1 <ada.lovelace@gone.example>: Recipient address rejected", status: "5.1.1" });
    emulator.setDeliveryOutcome({ match: "@strict.example", outcome: "block" });
    await send(["ada.lovelace@gone.example", "alan@gone.example", "grace@strict.example", "ok1@example.org", "ok2@example.org"]);
    const fact = await gather();
    if (!fact.readable) throw new Error("expected readable stats");
    expect(fact.windowHours).toBe(24);
    expect(fact.totals).toMatchObject({ requests: 5, processed: 5, delivered: 2, bounces: 2, blocks: 1 });
    expect(fact.bounces).toEqual({ count: 2, truncated: false, reasons: [{ reason: "550 5.1.1 <a***@gone.example>: Recipient address rejected", status: "5.1.1", count: 2, examples: ["a***@gone.example"] }] });
    expect(fact.blocks.reasons).toEqual([{ reason: expect.stringMatching(/^550 5\.7\.1 /), status: "5.7.1", count: 1, examples: ["g***@strict.example"] }]);
    expect(JSON.stringify(fact)).not.toMatch(/lovelace|alan@|grace@/);
  });

  it("a key without the suppression scopes is not read: the fact names what is missing", async () => {
    const fact = await gather("SG.FAKE-stats-only.key");
    expect(fact).toEqual({
      readable: false,
      missing: [
        { what: "GET /v3/suppression/bounces", scope: "suppression.bounces.read", permission: "Suppressions: Read Access" },
        { what: "GET /v3/suppression/blocks", scope: "suppression.blocks.read", permission: "Suppressions: Read Access" },
      ],
    });
  });
});

it("sendgridDeliveryStats: a key SendGrid refuses (403) for stats despite listing the scope lacks it all the same", async () => {
  // A SendGrid whose scope list says yes and whose stats endpoint says 403.
  const server = createServer((req, res) => {
    res.writeHead(req.url === "/v3/scopes" ? 200 : 403, { "content-type": "application/json" });
    res.end(JSON.stringify(req.url === "/v3/scopes" ? { scopes: ["mail.send", "stats.read", "suppression.read"] } : { errors: [{ message: "access forbidden", field: null }] }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const fact = await new FactStore({ env: { SENDGRID_API_KEY: API_KEY, SENDGRID_API_BASE: url }, target: "production", config: defaultConfig(), signal: new AbortController().signal }, gatherers).get("sendgridDeliveryStats");
    expect(fact).toEqual({ readable: false, missing: [expect.objectContaining({ scope: "stats.global.read" }), expect.objectContaining({ scope: "suppression.bounces.read" }), expect.objectContaining({ scope: "suppression.blocks.read" })] });
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
});
