import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { request } from "undici";
import { signCalendlyPayload } from "../../src/providers/calendly-signature.js";
import { signStripePayload } from "../../src/providers/stripe-signature.js";
import { createTestDatabase, type TestDatabase } from "../support/db.js";
import { startTestApp, TEST_CALENDLY_KEY, TEST_STRIPE_SECRET, type TestApp } from "../support/app.js";
import { calendlyInviteeCreated, stripeCheckoutCompleted } from "../support/webhook-fixtures.js";

let t: TestDatabase;
let app: TestApp;

beforeAll(async () => {
  t = await createTestDatabase({ seed: true });
  app = await startTestApp(t.db);
});
afterAll(async () => {
  await app?.close();
  await t?.drop();
});

async function post(path: string, body: string | Buffer, headers: Record<string, string> = {}) {
  const res = await request(`${app.url}${path}`, { method: "POST", body, headers: { "content-type": "application/json", ...headers } });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

const freeType = "https://api.calendly.com/event_types/ada-intro-call";

describe("POST /api/webhooks/calendly", () => {
  it("accepts a correctly signed invitee.created and records the booking (200 processed)", async () => {
    const body = JSON.stringify(calendlyInviteeCreated({ eventTypeUri: freeType, email: "first@example.com" }));
    const r = await post("/api/webhooks/calendly", body, { "calendly-webhook-signature": signCalendlyPayload(body, TEST_CALENDLY_KEY) });
    expect(r.status).toBe(200);
    expect(r.json.outcome).toBe("processed");
    const booking = await t.db.prisma.booking.findUniqueOrThrow({ where: { id: r.json.bookingId as string } });
    expect(booking.status).toBe("CONFIRMED");
    expect(r.headers["access-control-allow-origin"]).toBeUndefined();
  });

  it("answers a repeated delivery 200 with outcome duplicate", async () => {
    const body = JSON.stringify(calendlyInviteeCreated({ eventTypeUri: freeType, email: "dup@example.com" }));
    const sig = signCalendlyPayload(body, TEST_CALENDLY_KEY);
    expect((await post("/api/webhooks/calendly", body, { "calendly-webhook-signature": sig })).json.outcome).toBe("processed");
    const again = await post("/api/webhooks/calendly", body, { "calendly-webhook-signature": sig });
    expect(again.status).toBe(200);
    expect(again.json.outcome).toBe("duplicate");
  });

  it.each([
    ["missing signature", () => ({}), "missing_header"],
    ["malformed signature", () => ({ "calendly-webhook-signature": "garbage" }), "malformed_header"],
    ["stale signature", (b: string) => ({ "calendly-webhook-signature": signCalendlyPayload(b, TEST_CALENDLY_KEY, Math.floor(Date.now() / 1000) - 3600) }), "stale_timestamp"],
    ["signature with the wrong key", (b: string) => ({ "calendly-webhook-signature": signCalendlyPayload(b, "some_other_key_FAKE") }), "bad_signature"],
  ])("rejects a %s with 401 and records nothing", async (_name, headers, reason) => {
    const before = await t.db.prisma.webhookEvent.count();
    const body = JSON.stringify(calendlyInviteeCreated({ eventTypeUri: freeType }));
    const r = await post("/api/webhooks/calendly", body, headers(body));
    expect(r.status).toBe(401);
    expect(r.json.reason).toBe(reason);
    expect(await t.db.prisma.webhookEvent.count()).toBe(before);
  });

  it("answers malformed JSON (correctly signed) with 400", async () => {
    const body = '{"event": "invitee.created", "payload": {';
    const r = await post("/api/webhooks/calendly", body, { "calendly-webhook-signature": signCalendlyPayload(body, TEST_CALENDLY_KEY) });
    expect(r.status).toBe(400);
    expect(r.json.error).toBe("malformed_json");
  });

  it("answers a signed payload that fails validation with 400 and the issues", async () => {
    const body = JSON.stringify({ event: "invitee.created", payload: { email: 42 } });
    const r = await post("/api/webhooks/calendly", body, { "calendly-webhook-signature": signCalendlyPayload(body, TEST_CALENDLY_KEY) });
    expect(r.status).toBe(400);
    expect(r.json.error).toBe("invalid_payload");
    expect(Array.isArray(r.json.issues)).toBe(true);
  });

  it("answers the checklist's test body ({event: test}) as ignored, not 5xx", async () => {
    const body = JSON.stringify({ event: "test", payload: {} });
    const r = await post("/api/webhooks/calendly", body, { "calendly-webhook-signature": signCalendlyPayload(body, TEST_CALENDLY_KEY) });
    expect(r.status).toBeLessThan(500);
  });

  it("refuses a body over 1 MiB with 413", async () => {
    const body = Buffer.alloc(1024 * 1024 + 10, 0x20);
    const r = await post("/api/webhooks/calendly", body, { "calendly-webhook-signature": "t=1,v1=00" });
    expect(r.status).toBe(413);
  });

  it("sends no CORS allowance on a preflight to a webhook route", async () => {
    const res = await request(`${app.url}/api/webhooks/calendly`, { method: "OPTIONS", headers: { origin: "https://evil.example", "access-control-request-method": "POST" } });
    await res.body.text();
    expect(res.statusCode).toBe(405);
    expect(res.headers["access-control-allow-origin"]).toBeUndefined();
  });
});

describe("POST /api/webhooks/stripe", () => {
  it("accepts a correctly signed event (200) and rejects unsigned and wrongly signed ones (401)", async () => {
    const body = JSON.stringify(stripeCheckoutCompleted({ calendlyInviteeUri: "https://api.calendly.com/scheduled_events/x/invitees/not-yet", amountCents: 9900 }));
    const good = await post("/api/webhooks/stripe", body, { "stripe-signature": await signStripePayload(body, TEST_STRIPE_SECRET) });
    expect(good.status).toBe(200);
    expect(good.json.outcome).toBe("deferred");
    const unsigned = await post("/api/webhooks/stripe", body);
    expect(unsigned.status).toBe(401);
    expect(unsigned.json.reason).toBe("missing_header");
    const wrong = await post("/api/webhooks/stripe", body, { "stripe-signature": await signStripePayload(body, "whsec_FAKE_wrong_secret") });
    expect(wrong.status).toBe(401);
    expect(wrong.json.reason).toBe("bad_signature");
  });

  it("answers malformed JSON with 400, not 5xx", async () => {
    const body = "not json at all";
    const r = await post("/api/webhooks/stripe", body, { "stripe-signature": await signStripePayload(body, TEST_STRIPE_SECRET) });
    expect([400]).toContain(r.status);
  });
});

describe("rate limiting", () => {
  it("answers 429 with Retry-After past the per-client limit", async () => {
    const limited = await startTestApp(t.db, { rateLimitPerMinute: 5 });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) {
        const res = await request(`${limited.url}/api/webhooks/calendly`, { method: "POST", body: "{}" });
        statuses.push(res.statusCode);
        if (res.statusCode === 429) expect(Number(res.headers["retry-after"])).toBeGreaterThanOrEqual(1);
        await res.body.text();
      }
      expect(statuses.slice(0, 5).every((s) => s === 401)).toBe(true);
      expect(statuses.slice(5)).toEqual([429, 429, 429]);
    } finally {
      await limited.close();
    }
  });
});

describe("rate limiting counts only deliveries that fail the signature check", () => {
  async function send(url: string, provider: "calendly" | "stripe", body: string, headers: Record<string, string> = {}) {
    const res = await request(`${url}/api/webhooks/${provider}`, { method: "POST", body, headers: { "content-type": "application/json", ...headers } });
    const json = (await res.body.json()) as Record<string, unknown>;
    return { status: res.statusCode, json };
  }

  it("junk from an address uses up its limit; correctly signed deliveries from the same address still go through", async () => {
    const limited = await startTestApp(t.db, { rateLimitPerMinute: 2 });
    try {
      const junk = [];
      for (let i = 0; i < 3; i++) junk.push((await send(limited.url, "calendly", "{}", { "calendly-webhook-signature": "t=1,v1=00" })).status);
      expect(junk).toEqual([401, 401, 429]);
      for (let i = 0; i < 3; i++) {
        const body = JSON.stringify(calendlyInviteeCreated({ eventTypeUri: freeType }));
        const r = await send(limited.url, "calendly", body, { "calendly-webhook-signature": signCalendlyPayload(body, TEST_CALENDLY_KEY) });
        expect([r.status, r.json.outcome]).toEqual([200, "processed"]);
      }
      const stripeBody = JSON.stringify(stripeCheckoutCompleted({ calendlyInviteeUri: "https://api.calendly.com/scheduled_events/x/invitees/limited", amountCents: 9900 }));
      const paid = await send(limited.url, "stripe", stripeBody, { "stripe-signature": await signStripePayload(stripeBody, TEST_STRIPE_SECRET) });
      expect(paid.status).toBe(200);
      // Still limited for junk.
      expect((await send(limited.url, "calendly", "{}")).status).toBe(429);
    } finally {
      await limited.close();
    }
  });

  it("behind a trusted proxy, each forwarded client has its own limit; without the proxy trusted, they share the socket's", async () => {
    const proxied = await startTestApp(t.db, { rateLimitPerMinute: 1, trustedProxies: [{ address: "127.0.0.1", prefix: 32, family: 4 }] });
    const direct = await startTestApp(t.db, { rateLimitPerMinute: 1 });
    try {
      const from = (ip: string) => ({ "x-forwarded-for": `198.51.100.250, ${ip}` });
      expect((await send(proxied.url, "calendly", "{}", from("203.0.113.1"))).status).toBe(401);
      expect((await send(proxied.url, "calendly", "{}", from("203.0.113.1"))).status).toBe(429);
      expect((await send(proxied.url, "calendly", "{}", from("203.0.113.2"))).status).toBe(401);
      expect((await send(direct.url, "calendly", "{}", from("203.0.113.1"))).status).toBe(401);
      expect((await send(direct.url, "calendly", "{}", from("203.0.113.2"))).status).toBe(429);
    } finally {
      await proxied.close();
      await direct.close();
    }
  });
});

describe("public routes", () => {
  it("GET /api/health reports the database up, the version and the commit", async () => {
    const res = await request(`${app.url}/api/health`);
    const json = (await res.body.json()) as { status: string; database: { up: boolean; latencyMs: number }; commit: string };
    expect(res.statusCode).toBe(200);
    expect(json.status).toBe("ok");
    expect(json.database.up).toBe(true);
    expect(json.commit).toBe("abc123");
    expect(res.headers["strict-transport-security"]).toContain("max-age=");
  });

  it("GET /api/marketplace/builders lists visible builders with active session types only", async () => {
    await t.db.prisma.builderProfile.update({ where: { slug: "grace-hopper" }, data: { visible: false } });
    try {
      const res = await request(`${app.url}/api/marketplace/builders`, { headers: { origin: "https://app.example.test" } });
      const json = (await res.body.json()) as { builders: { slug: string; sessionTypes: { free: boolean }[] }[] };
      expect(json.builders.map((b) => b.slug)).toEqual(["ada-lovelace"]);
      expect(json.builders[0]!.sessionTypes.map((s) => s.free).sort()).toEqual([false, true]);
      expect(res.headers["access-control-allow-origin"]).toBe("https://app.example.test");
    } finally {
      await t.db.prisma.builderProfile.update({ where: { slug: "grace-hopper" }, data: { visible: true } });
    }
  });

  it("GET /api/builders/:slug answers 200 for a visible builder and 404 otherwise", async () => {
    const ok = await request(`${app.url}/api/builders/ada-lovelace`);
    expect(ok.statusCode).toBe(200);
    expect(((await ok.body.json()) as { builder: { slug: string } }).builder.slug).toBe("ada-lovelace");
    const missing = await request(`${app.url}/api/builders/nobody-here`);
    await missing.body.text();
    expect(missing.statusCode).toBe(404);
  });

  it("answers unknown paths 404 and wrong methods 405 with Allow", async () => {
    const a = await request(`${app.url}/nope`);
    await a.body.text();
    expect(a.statusCode).toBe(404);
    const b = await request(`${app.url}/api/webhooks/stripe`);
    await b.body.text();
    expect(b.statusCode).toBe(405);
    expect(b.headers.allow).toBe("POST");
  });

  it("logs one JSON line per request with latency and outcome", async () => {
    const entry = app.logs.find((l) => l.msg === "request" && l.path === "/api/webhooks/calendly" && l.status === 401);
    expect(entry).toBeDefined();
    expect(typeof entry!.latencyMs).toBe("number");
    expect(String(entry!.outcome)).toMatch(/^signature_/);
  });
});
