import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Action } from "../../src/core/intake/events.js";
import { parseWebhook } from "../../src/core/intake/parse.js";
import { createWebhookIntake } from "../../src/core/webhook-intake.js";
import { createTestDatabase, type TestDatabase } from "../support/db.js";
import { calendlyInviteeCreated, newInviteeUri } from "../support/webhook-fixtures.js";

/**
 * The intake read against Stripe's own example objects (stripe/openapi's fixtures3.json, copied into
 * test/sandbox/stripe/fixtures/stripe-objects.json), not against objects bookflow built: every event type the
 * intake acts on parses with Stripe's object as its `data.object`, and reads the fields Stripe put there. Then
 * Stripe's Checkout session, paid and carrying the booking's metadata, pays a real booking.
 */

const FIXTURES = JSON.parse(readFileSync(resolve(import.meta.dirname, "../sandbox/stripe/fixtures/stripe-objects.json"), "utf8")) as { objects: Record<string, Record<string, unknown>> };
const obj = (type: string) => structuredClone(FIXTURES.objects[type]!);
/** Stripe's example event, carrying `object` as the event type `type` would. */
const eventOf = (type: string, object: unknown) => ({ ...obj("event"), id: `evt_fixture_${type.replace(/\W/g, "_")}`, type, data: { object } });

describe("Stripe's example objects through the intake's parser", () => {
  const cases: [string, string, (a: Action) => void][] = [
    ["checkout.session.completed", "checkout.session", (a) => expect(a).toMatchObject({ kind: "payment", checkoutSessionId: obj("checkout.session").id, paymentIntentId: obj("checkout.session").payment_intent, paid: false, processing: true })],
    ["checkout.session.async_payment_succeeded", "checkout.session", (a) => expect(a).toMatchObject({ kind: "payment", checkoutSessionId: obj("checkout.session").id })],
    ["checkout.session.expired", "checkout.session", (a) => expect(a).toMatchObject({ kind: "checkout-ended", why: "expired", checkoutSessionId: obj("checkout.session").id })],
    ["checkout.session.async_payment_failed", "checkout.session", (a) => expect(a).toMatchObject({ kind: "checkout-ended", why: "payment-failed" })],
    ["payment_intent.succeeded", "payment_intent", (a) => expect(a).toMatchObject({ kind: "payment", paymentIntentId: obj("payment_intent").id, paid: false, amountCents: obj("payment_intent").amount_received ?? obj("payment_intent").amount })],
    ["charge.refunded", "charge", (a) => expect(a).toMatchObject({ kind: "charge-refunded", chargeId: obj("charge").id, paymentIntentId: obj("charge").payment_intent ?? null, refundedCents: obj("charge").amount_refunded })],
    ["refund.updated", "refund", (a) => expect(a).toMatchObject({ kind: "refund-updated", refundId: obj("refund").id, status: obj("refund").status, amountCents: obj("refund").amount })],
    ["refund.failed", "refund", (a) => expect(a).toMatchObject({ kind: "refund-updated", refundId: obj("refund").id })],
    ["charge.dispute.created", "dispute", (a) => expect(a).toMatchObject({ kind: "dispute", disputeId: obj("dispute").id, status: obj("dispute").status, closed: false, chargeId: obj("dispute").charge })],
    ["charge.dispute.closed", "dispute", (a) => expect(a).toMatchObject({ kind: "dispute", closed: true })],
  ];
  it.each(cases)("%s with Stripe's example %s", (type, objectType, check) => {
    const parsed = parseWebhook("stripe", eventOf(type, obj(objectType)));
    expect(parsed.ok, parsed.ok ? "" : parsed.issues.join("; ")).toBe(true);
    if (parsed.ok) check(parsed.event.action);
  });

  it("an event type the intake does not act on (Stripe's example event: a plan) is recorded as other", () => {
    const parsed = parseWebhook("stripe", obj("event"));
    expect(parsed.ok && parsed.event.action.kind).toBe("other");
  });
});

describe("Stripe's example Checkout session pays a booking", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase({ seed: true });
  });
  afterAll(async () => {
    await t?.drop();
  });

  it("paid, with the booking's metadata: the booking is CONFIRMED/PAID with Stripe's ids", async () => {
    const intake = createWebhookIntake({ prisma: t.db.prisma, sql: t.db.sql });
    const uri = newInviteeUri();
    const created = await intake.receive("calendly", calendlyInviteeCreated({ eventTypeUri: "https://api.calendly.com/event_types/grace-code-review", inviteeUri: uri }));
    const session: Record<string, unknown> = { ...obj("checkout.session"), payment_status: "paid", status: "complete", amount_total: 14900, currency: "usd", metadata: { booking_id: created.bookingId!, calendly_invitee_uri: uri } };
    const r = await intake.receive("stripe", eventOf("checkout.session.completed", session));
    expect(r.outcome, r.message).toBe("processed");
    const b = await t.db.prisma.booking.findUniqueOrThrow({ where: { id: created.bookingId! } });
    expect(b).toMatchObject({ status: "CONFIRMED", paymentStatus: "PAID", stripeCheckoutSessionId: session.id, stripePaymentIntentId: session.payment_intent });
  });
});
