import { createHash } from "node:crypto";
/**
 * Signed deliveries a provider can really send but PostgreSQL cannot store as they are (a NUL byte, a lone
 * surrogate), and ones past the app's depth and size bounds: each is stored and applied, or refused with a 4xx that
 * says why; never a 500 (which the provider would retry for days).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { request } from "undici";
import { signCalendlyPayload } from "../../src/providers/calendly-signature.js";
import { signStripePayload } from "../../src/providers/stripe-signature.js";
import { MAX_JSON_DEPTH } from "../../src/core/intake/sanitize.js";
import { createTestDatabase, type TestDatabase } from "../support/db.js";
import { startTestApp, TEST_CALENDLY_KEY, TEST_STRIPE_SECRET, type TestApp } from "../support/app.js";
import { calendlyInviteeCreated, newInviteeUri, stripeCheckoutCompleted } from "../support/webhook-fixtures.js";

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

const FREE = "https://api.calendly.com/event_types/ada-intro-call";
const PAID = "https://api.calendly.com/event_types/ada-build-session";

async function deliver(provider: "calendly" | "stripe", body: string) {
  const headers: Record<string, string> =
    provider === "calendly" ? { "calendly-webhook-signature": signCalendlyPayload(body, TEST_CALENDLY_KEY) } : { "stripe-signature": await signStripePayload(body, TEST_STRIPE_SECRET) };
  const res = await request(`${app.url}/api/webhooks/${provider}`, { method: "POST", body, headers: { "content-type": "application/json", ...headers } });
  const text = await res.body.text();
  return { status: res.statusCode, json: JSON.parse(text) as Record<string, unknown> };
}

async function storedPayload(providerEventId: string): Promise<string> {
  const row = await t.db.prisma.webhookEvent.findFirstOrThrow({ where: { providerEventId } });
  return JSON.stringify(row.payload);
}

describe("what jsonb cannot hold is replaced, and the delivery is applied", () => {
  it("a NUL byte in an invitee's answer: 200 processed, the booking confirmed, the answer stored without the NUL", async () => {
    const uri = newInviteeUri();
    const body = calendlyInviteeCreated({ eventTypeUri: FREE, inviteeUri: uri, email: "nul@example.com", name: "Nul\u0000 Byte" });
    body.payload.questions_and_answers = [{ question: "What would you like to cover?", answer: "ship\u0000it", position: 0 }];
    const raw = JSON.stringify(body);
    expect(raw).toContain("\\u0000");
    const r = await deliver("calendly", raw);
    expect(r.status).toBe(200);
    expect(r.json.outcome).toBe("processed");
    const booking = await t.db.prisma.booking.findUniqueOrThrow({ where: { calendlyInviteeUri: uri } });
    expect(booking.status).toBe("CONFIRMED");
    expect(booking.inviteeEmail).toBe("nul@example.com");
    expect(booking.inviteeName).toBe("Nul Byte");
    const stored = await storedPayload(`invitee.created:${uri}`);
    expect(stored).toContain('"answer":"shipit"');
    expect(stored).not.toContain("\\u0000");
    // The event's row and the delivery's log line keep the signed body's hash; the log says what was replaced.
    const sha256 = createHash("sha256").update(raw).digest("hex");
    expect((await t.db.prisma.webhookEvent.findFirstOrThrow({ where: { providerEventId: `invitee.created:${uri}` } })).rawSha256).toBe(sha256);
    const line = app.logs.find((l) => l.booking === booking.id);
    // Three NULs: the answer, the name and the first name Calendly derives from it.
    expect(line?.sanitized).toEqual({ nul: 3, loneSurrogates: 0 });
    expect(line?.rawSha256).toBe(sha256);
    // A redelivery of the same body is a duplicate, not a second booking.
    const again = await deliver("calendly", raw);
    expect(again.status).toBe(200);
    expect(again.json.outcome).toBe("duplicate");
  });

  it("a lone surrogate in an invitee's name: 200 processed, the name stored with U+FFFD", async () => {
    const uri = newInviteeUri();
    const body = calendlyInviteeCreated({ eventTypeUri: FREE, inviteeUri: uri, name: "Zo\uD83D Lone\uDE00" });
    const r = await deliver("calendly", JSON.stringify(body));
    expect(r.status).toBe(200);
    expect(r.json.outcome).toBe("processed");
    const booking = await t.db.prisma.booking.findUniqueOrThrow({ where: { calendlyInviteeUri: uri } });
    expect(booking.status).toBe("CONFIRMED");
    expect(booking.inviteeName).toBe("Zo\uFFFD Lone\uFFFD");
    expect(await storedPayload(`invitee.created:${uri}`)).toContain("Zo\uFFFD Lone\uFFFD");
  });

  it("a lone surrogate in a Stripe customer's name: the payment is recorded and the booking confirmed", async () => {
    const uri = newInviteeUri();
    const created = await deliver("calendly", JSON.stringify(calendlyInviteeCreated({ eventTypeUri: PAID, inviteeUri: uri })));
    expect(created.json.outcome).toBe("processed");
    const bookingId = created.json.bookingId as string;
    const event = stripeCheckoutCompleted({ bookingId, calendlyInviteeUri: uri, amountCents: 9900 });
    (event.data.object.customer_details as { name: string }).name = "Payer \uDC00\u0000";
    const r = await deliver("stripe", JSON.stringify(event));
    expect(r.status).toBe(200);
    expect(r.json.outcome).toBe("processed");
    const booking = await t.db.prisma.booking.findUniqueOrThrow({ where: { id: bookingId } });
    expect([booking.status, booking.paymentStatus]).toEqual(["CONFIRMED", "PAID"]);
    expect(await storedPayload(event.id)).toContain('"name":"Payer \uFFFD"');
  });

  it("NUL and lone surrogates in object keys are replaced too", async () => {
    const uri = newInviteeUri();
    const body = calendlyInviteeCreated({ eventTypeUri: FREE, inviteeUri: uri }) as unknown as { payload: Record<string, unknown> };
    body.payload["custom\u0000field\uD800"] = "x";
    const r = await deliver("calendly", JSON.stringify(body));
    expect(r.status).toBe(200);
    expect(r.json.outcome).toBe("processed");
    expect(await storedPayload(`invitee.created:${uri}`)).toContain('"customfield\uFFFD":"x"');
  });
});

describe("depth and size bounds are answered 4xx", () => {
  it(`a field nested 5,000 deep: 400 naming the bound (${MAX_JSON_DEPTH}), nothing stored`, async () => {
    const uri = newInviteeUri();
    const raw = JSON.stringify(calendlyInviteeCreated({ eventTypeUri: FREE, inviteeUri: uri })).replace('"answer":"Shipping my first product"', `"answer":${"[".repeat(5000)}1${"]".repeat(5000)}`);
    const before = await t.db.prisma.webhookEvent.count();
    const r = await deliver("calendly", raw);
    expect(r.status).toBe(400);
    expect(r.json.error).toBe("invalid_payload");
    expect((r.json.issues as string[]).join(" ")).toContain(`${MAX_JSON_DEPTH}`);
    expect(await t.db.prisma.webhookEvent.count()).toBe(before);
    expect(await t.db.prisma.booking.count({ where: { calendlyInviteeUri: uri } })).toBe(0);
  });

  it("the same depth in a Stripe event: 400, not 500", async () => {
    const event = stripeCheckoutCompleted({ calendlyInviteeUri: newInviteeUri(), amountCents: 9900 });
    const raw = JSON.stringify(event).replace('"mode":"payment"', `"deep":${'{"a":'.repeat(5000)}1${"}".repeat(5000)},"mode":"payment"`);
    const r = await deliver("stripe", raw);
    expect(r.status).toBe(400);
    expect(r.json.error).toBe("invalid_payload");
  });

  it("a body as deep as the bound allows is accepted", async () => {
    const uri = newInviteeUri();
    // The answer sits at depth 4 (body → payload → questions_and_answers → [0] → answer).
    const nesting = MAX_JSON_DEPTH - 4;
    const raw = JSON.stringify(calendlyInviteeCreated({ eventTypeUri: FREE, inviteeUri: uri })).replace('"answer":"Shipping my first product"', `"answer":${"[".repeat(nesting)}1${"]".repeat(nesting)}`);
    const r = await deliver("calendly", raw);
    expect(r.status).toBe(200);
    expect(r.json.outcome).toBe("processed");
  });

  it("a 300 kB invitee URI: 400 naming the field, nothing stored", async () => {
    const uri = `https://api.calendly.com/scheduled_events/x/invitees/${"a".repeat(300_000)}`;
    const before = await t.db.prisma.webhookEvent.count();
    const r = await deliver("calendly", JSON.stringify(calendlyInviteeCreated({ eventTypeUri: FREE, inviteeUri: uri })));
    expect(r.status).toBe(400);
    expect(r.json.error).toBe("invalid_payload");
    expect((r.json.issues as string[]).some((i) => i.startsWith("payload.uri:"))).toBe(true);
    expect(await t.db.prisma.webhookEvent.count()).toBe(before);
  });

  it("a 300 kB URI in an event type the intake only records: 400, not 500", async () => {
    const r = await deliver("calendly", JSON.stringify({ event: "routing_form_submission.created", created_at: new Date().toISOString(), payload: { uri: `https://api.calendly.com/x/${"b".repeat(300_000)}` } }));
    expect(r.status).toBe(400);
    expect(r.json.error).toBe("invalid_payload");
  });

  it("a 300 kB Stripe event id: 400 naming the field", async () => {
    const event = stripeCheckoutCompleted({ calendlyInviteeUri: newInviteeUri(), amountCents: 9900, eventId: `evt_${"c".repeat(300_000)}` });
    const r = await deliver("stripe", JSON.stringify(event));
    expect(r.status).toBe(400);
    expect(r.json.error).toBe("invalid_payload");
    expect((r.json.issues as string[]).some((i) => i.startsWith("id:"))).toBe(true);
  });

  it("a 300 kB booking id in a Stripe session's metadata: 400, not 500", async () => {
    const event = stripeCheckoutCompleted({ bookingId: "d".repeat(300_000), amountCents: 9900 });
    const r = await deliver("stripe", JSON.stringify(event));
    expect(r.status).toBe(400);
    expect(r.json.error).toBe("invalid_payload");
  });

  it("ids as long as the providers allow are accepted", async () => {
    // Stripe: object ids up to 255 characters; Calendly documents no length (bookflow allows 1,024).
    const uri = `https://api.calendly.com/scheduled_events/x/invitees/${"e".repeat(1024 - 53)}`;
    expect(uri.length).toBe(1024);
    const created = await deliver("calendly", JSON.stringify(calendlyInviteeCreated({ eventTypeUri: PAID, inviteeUri: uri })));
    expect(created.status).toBe(200);
    expect(created.json.outcome).toBe("processed");
    // (The invitee URI is not in the metadata here: Stripe's metadata values stop at 500 characters.)
    const event = stripeCheckoutCompleted({ bookingId: created.json.bookingId as string, amountCents: 9900, eventId: `evt_${"f".repeat(251)}`, sessionId: `cs_${"g".repeat(252)}` });
    const paid = await deliver("stripe", JSON.stringify(event));
    expect(paid.status).toBe(200);
    expect(paid.json.outcome).toBe("processed");
  });
});
