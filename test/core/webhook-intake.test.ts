import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { attachCheckoutSession } from "../../src/core/bookings.js";
import type { CheckoutRequest, PaymentsGateway } from "../../src/core/ports.js";
import { createIntentWorker } from "../../src/core/intents.js";
import { ProviderError } from "../../src/errors.js";
import { createWebhookIntake, releaseHeldEvents, setManualProcessing, type WebhookIntake } from "../../src/core/webhook-intake.js";
import type { PrismaClient } from "../../src/generated/prisma/client.js";
import { createTestDatabase, type TestDatabase } from "../support/db.js";
import {
  calendlyInviteeCanceled,
  calendlyInviteeCreated,
  newInviteeUri,
  stripeCheckoutCompleted,
  stripeEvent,
  stripePaymentIntentSucceeded,
} from "../support/webhook-fixtures.js";

const FREE = "https://api.calendly.com/event_types/ada-intro-call";
const PAID = "https://api.calendly.com/event_types/ada-build-session"; // 9900 usd
const PAID_CENTS = 9900;

/** The payments port, recording refunds; can be told to fail. */
class RecordingPayments implements PaymentsGateway {
  refunds: { paymentIntentId: string; amountCents?: number | undefined; idempotencyKey: string }[] = [];
  failRefunds = false;
  /** Stripe refusing for good (a 400), rather than being unavailable. */
  refuseRefunds = false;
  async createCheckoutSession(req: CheckoutRequest) {
    return { id: `cs_test_${req.bookingId}`, url: null };
  }
  async refund(req: { paymentIntentId: string; amountCents?: number | undefined; idempotencyKey: string }) {
    if (this.failRefunds) throw new Error("stripe refund unavailable (test)");
    if (this.refuseRefunds) throw new ProviderError("stripe", "POST /v1/refunds", "Charge ch_1 has already been refunded.", 400);
    this.refunds.push(req);
    return { id: `re_test_${this.refunds.length}`, status: "succeeded" };
  }
}

let t: TestDatabase;
let prisma: PrismaClient;
let payments: RecordingPayments;
let intake: WebhookIntake;

beforeAll(async () => {
  t = await createTestDatabase({ seed: true, poolSize: 10 });
  prisma = t.db.prisma;
});
afterAll(async () => {
  await t?.drop();
});
beforeEach(() => {
  payments = new RecordingPayments();
  intake = createWebhookIntake({ prisma, sql: t.db.sql, payments });
});

const bookingByUri = (uri: string) => prisma.booking.findUniqueOrThrow({ where: { calendlyInviteeUri: uri } });
const emailsOf = async (bookingId: string) => (await prisma.emailMessage.findMany({ where: { bookingId } })).map((e) => e.kind).sort();
const auditsOf = async (bookingId: string) => (await prisma.auditLog.findMany({ where: { target: bookingId }, orderBy: { createdAt: "asc" } })).map((a) => a.action);
const inDays = (d: number) => new Date(Date.now() + d * 86_400_000).toISOString();

/** A paid booking, created and confirmed by a checkout.session.completed; returns its ids. */
async function paidBooking(startTime = inDays(7)) {
  const uri = newInviteeUri();
  const created = await intake.receive("calendly", calendlyInviteeCreated({ eventTypeUri: PAID, inviteeUri: uri, startTime }));
  const paymentIntentId = `pi_test_${Math.random().toString(36).slice(2)}`;
  const paid = await intake.receive("stripe", stripeCheckoutCompleted({ bookingId: created.bookingId!, calendlyInviteeUri: uri, amountCents: PAID_CENTS, paymentIntentId }));
  expect(paid.outcome).toBe("processed");
  return { uri, bookingId: created.bookingId!, paymentIntentId };
}

describe("invitee.created", () => {
  it("creates a free booking CONFIRMED/NOT_REQUIRED, queues a confirmation, audits and records the event", async () => {
    const uri = newInviteeUri();
    const body = calendlyInviteeCreated({ eventTypeUri: FREE, inviteeUri: uri, email: "returning.customer@example.com", name: "Returning Customer", startTime: "2030-03-01T10:00:00.000Z" });
    const r = await intake.receive("calendly", body);
    expect(r).toMatchObject({ outcome: "processed", provider: "calendly", eventType: "invitee.created", providerEventId: `invitee.created:${uri}` });
    expect(r.checkoutNeeded).toBeUndefined();

    const b = await bookingByUri(uri);
    const sessionType = await prisma.sessionType.findUniqueOrThrow({ where: { calendlyEventTypeUri: FREE } });
    const user = await prisma.user.findUniqueOrThrow({ where: { email: "returning.customer@example.com" } });
    expect(b).toMatchObject({
      id: r.bookingId,
      status: "CONFIRMED",
      paymentStatus: "NOT_REQUIRED",
      sessionTypeId: sessionType.id,
      builderId: sessionType.builderId,
      userId: user.id,
      inviteeEmail: "returning.customer@example.com",
      inviteeName: "Returning Customer",
      calendlyEventUri: body.payload.event,
      amountCents: 0,
      currency: "usd",
    });
    expect(b.startTime.toISOString()).toBe("2030-03-01T10:00:00.000Z");
    expect(b.endTime.toISOString()).toBe("2030-03-01T10:30:00.000Z");

    const emails = await prisma.emailMessage.findMany({ where: { bookingId: b.id } });
    expect(emails).toHaveLength(1);
    expect(emails[0]).toMatchObject({ kind: "CONFIRMATION", status: "QUEUED", to: "returning.customer@example.com", attempts: 0 });

    const audit = await prisma.auditLog.findMany({ where: { target: b.id } });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor: "webhook:calendly", action: "booking.created", before: null, after: expect.objectContaining({ status: "CONFIRMED", paymentStatus: "NOT_REQUIRED" }) });

    const ev = await prisma.webhookEvent.findUniqueOrThrow({ where: { provider_providerEventId: { provider: "CALENDLY", providerEventId: `invitee.created:${uri}` } } });
    expect(ev).toMatchObject({ outcome: "PROCESSED", type: "invitee.created", bookingId: b.id, error: null });
    expect(ev.processedAt).toBeInstanceOf(Date);
    expect(ev.payload).toEqual(body);
  });

  it("leaves userId empty when no user has the invitee's email", async () => {
    const r = await intake.receive("calendly", calendlyInviteeCreated({ eventTypeUri: FREE, email: "stranger@example.com" }));
    expect((await prisma.booking.findUniqueOrThrow({ where: { id: r.bookingId! } })).userId).toBeNull();
  });

  it("tags a booking with its run when utm_campaign is a bookflow run tag, and only then", async () => {
    const tagged = await intake.receive("calendly", calendlyInviteeCreated({ eventTypeUri: FREE, utmCampaign: "bookflow-run_7f3a" }));
    const plain = await intake.receive("calendly", calendlyInviteeCreated({ eventTypeUri: FREE, utmCampaign: "black-friday" }));
    expect((await prisma.booking.findUniqueOrThrow({ where: { id: tagged.bookingId! } })).runTag).toBe("bookflow-run_7f3a");
    expect((await prisma.booking.findUniqueOrThrow({ where: { id: plain.bookingId! } })).runTag).toBeNull();
  });

  it("creates a paid booking PENDING/UNPAID with no email yet and asks for a checkout session, also on a retried delivery", async () => {
    const uri = newInviteeUri();
    const body = calendlyInviteeCreated({ eventTypeUri: PAID, inviteeUri: uri });
    const r = await intake.receive("calendly", body);
    expect(r.outcome).toBe("processed");
    expect(r.checkoutNeeded).toEqual({ bookingId: r.bookingId });
    const b = await bookingByUri(uri);
    expect(b).toMatchObject({ status: "PENDING", paymentStatus: "UNPAID", amountCents: PAID_CENTS, currency: "usd", stripeCheckoutSessionId: null });
    expect(await emailsOf(b.id)).toEqual([]);

    const retry = await intake.receive("calendly", body);
    expect(retry).toMatchObject({ outcome: "duplicate", bookingId: b.id, checkoutNeeded: { bookingId: b.id } });

    expect(await attachCheckoutSession(prisma, b.id, "cs_test_attached")).toEqual({ attached: true });
    const after = await intake.receive("calendly", body);
    expect(after.outcome).toBe("duplicate");
    expect(after.checkoutNeeded).toBeUndefined();
  });

  it("ignores (and records) an event type no session type knows", async () => {
    const uri = newInviteeUri();
    const r = await intake.receive("calendly", calendlyInviteeCreated({ eventTypeUri: "https://api.calendly.com/event_types/unknown-type", inviteeUri: uri }));
    expect(r).toMatchObject({ outcome: "ignored", bookingId: null });
    expect(r.message).toContain("unknown-type");
    expect(await prisma.booking.count({ where: { calendlyInviteeUri: uri } })).toBe(0);
    const ev = await prisma.webhookEvent.findFirstOrThrow({ where: { providerEventId: `invitee.created:${uri}` } });
    expect(ev.outcome).toBe("IGNORED");
  });
});

describe("invitee.canceled", () => {
  it("cancels a free booking with reason, who and when, queues the cancellation email and audits", async () => {
    const uri = newInviteeUri();
    const created = await intake.receive("calendly", calendlyInviteeCreated({ eventTypeUri: FREE, inviteeUri: uri }));
    const r = await intake.receive(
      "calendly",
      calendlyInviteeCanceled({ eventTypeUri: FREE, inviteeUri: uri, reason: "Double booked", canceledBy: "Ada Lovelace", cancelerType: "host", canceledAt: "2029-12-01T09:00:00.000Z" }),
    );
    expect(r).toMatchObject({ outcome: "processed", bookingId: created.bookingId, providerEventId: `invitee.canceled:${uri}` });
    const b = await bookingByUri(uri);
    expect(b).toMatchObject({ status: "CANCELLED", paymentStatus: "NOT_REQUIRED", cancellationReason: "Double booked", cancelledBy: "Ada Lovelace (host)" });
    expect(b.cancelledAt?.toISOString()).toBe("2029-12-01T09:00:00.000Z");
    expect(await emailsOf(b.id)).toEqual(["CANCELLATION", "CONFIRMATION"]);
    expect(await auditsOf(b.id)).toEqual(["booking.created", "booking.cancelled"]);
    const audit = await prisma.auditLog.findFirstOrThrow({ where: { target: b.id, action: "booking.cancelled" } });
    expect(audit).toMatchObject({ actor: "webhook:calendly", before: { status: "CONFIRMED", paymentStatus: "NOT_REQUIRED" } });
    expect(payments.refunds).toEqual([]);
  });

  it("refunds a paid booking cancelled inside the refund window: REFUNDED, with the refund call and audit", async () => {
    const { uri, bookingId, paymentIntentId } = await paidBooking(inDays(7));
    const r = await intake.receive("calendly", calendlyInviteeCanceled({ eventTypeUri: PAID, inviteeUri: uri }));
    expect(r.outcome).toBe("processed");
    const intent = await prisma.effectIntent.findFirstOrThrow({ where: { bookingId } });
    // Stripe's Idempotency-Key is the intent's (one key for every attempt: this gateway cannot list refunds).
    expect(payments.refunds).toEqual([{ paymentIntentId, amountCents: PAID_CENTS, idempotencyKey: `intent:${intent.id}`, reason: expect.any(String), metadata: { bookflow_intent: intent.id } }]);
    expect(intent).toMatchObject({ kind: "REFUND", status: "DONE", attempts: 1, actor: "webhook:calendly", result: { refundId: "re_test_1", refundStatus: "succeeded" } });
    const b = await bookingByUri(uri);
    expect([b.status, b.paymentStatus]).toEqual(["CANCELLED", "REFUNDED"]);
    expect(await auditsOf(bookingId)).toEqual(["booking.created", "booking.paid", "booking.cancelled", "booking.refunded"]);
  });

  it("does not refund a paid booking cancelled inside the no-refund window: stays PAID", async () => {
    const { uri, bookingId } = await paidBooking(new Date(Date.now() + 2 * 3_600_000).toISOString());
    const r = await intake.receive("calendly", calendlyInviteeCanceled({ eventTypeUri: PAID, inviteeUri: uri }));
    expect(r.outcome).toBe("processed");
    expect(payments.refunds).toEqual([]);
    const b = await bookingByUri(uri);
    expect([b.status, b.paymentStatus]).toEqual(["CANCELLED", "PAID"]);
    expect(await auditsOf(bookingId)).toContain("booking.refund_declined");
  });

  it("honours the policy's refund window", async () => {
    intake = createWebhookIntake({ prisma, sql: t.db.sql, payments, policy: { refundWindowHours: 24 * 30 } });
    const { uri } = await paidBooking(inDays(7));
    await intake.receive("calendly", calendlyInviteeCanceled({ eventTypeUri: PAID, inviteeUri: uri }));
    expect(payments.refunds).toEqual([]);
    expect((await bookingByUri(uri)).paymentStatus).toBe("PAID");
  });

  it("keeps a refund Stripe could not take as a PENDING intent (event error says it is retried), and the sweep makes it once Stripe is back", async () => {
    const { uri, bookingId } = await paidBooking(inDays(7));
    payments.failRefunds = true;
    const r = await intake.receive("calendly", calendlyInviteeCanceled({ eventTypeUri: PAID, inviteeUri: uri }));
    expect(r.outcome).toBe("processed");
    expect(r.message).toMatch(/stripe refund unavailable.*retried automatically/);
    expect(await bookingByUri(uri)).toMatchObject({ status: "CANCELLED", paymentStatus: "PAID" });
    const pending = await prisma.effectIntent.findFirstOrThrow({ where: { bookingId } });
    expect(pending).toMatchObject({ status: "PENDING", attempts: 1, lastError: expect.stringContaining("stripe refund unavailable") });
    const ev = await prisma.webhookEvent.findFirstOrThrow({ where: { providerEventId: `invitee.canceled:${uri}` } });
    expect(ev.error).toContain("refund failed (attempt 1, retried automatically)");
    // Stripe is back; the sweep finds the intent due (its back-off is over) and makes the refund once.
    payments.failRefunds = false;
    await prisma.effectIntent.update({ where: { id: pending.id }, data: { nextAttemptAt: new Date(Date.now() - 1000) } });
    const worker = createIntentWorker({ prisma, payments });
    const swept = await worker.runDue({ bookingIds: [bookingId] });
    expect(swept).toMatchObject([{ id: pending.id, status: "done" }]);
    expect(await worker.runDue({ bookingIds: [bookingId] })).toEqual([]);
    expect(payments.refunds).toHaveLength(1);
    expect(await bookingByUri(uri)).toMatchObject({ paymentStatus: "REFUNDED" });
  });

  it("records a refund Stripe refuses (audit + event error, intent FAILED) and leaves the booking PAID without throwing", async () => {
    const { uri, bookingId } = await paidBooking(inDays(7));
    payments.refuseRefunds = true;
    const r = await intake.receive("calendly", calendlyInviteeCanceled({ eventTypeUri: PAID, inviteeUri: uri }));
    expect(r.outcome).toBe("processed");
    expect(r.message).toMatch(/already been refunded/);
    const b = await bookingByUri(uri);
    expect([b.status, b.paymentStatus]).toEqual(["CANCELLED", "PAID"]);
    const failure = await prisma.auditLog.findFirstOrThrow({ where: { target: bookingId, action: "booking.refund_failed" } });
    expect(failure.reason).toContain("already been refunded");
    expect(await prisma.effectIntent.findFirstOrThrow({ where: { bookingId } })).toMatchObject({ status: "FAILED" });
    const ev = await prisma.webhookEvent.findFirstOrThrow({ where: { providerEventId: `invitee.canceled:${uri}` } });
    expect(ev.error).toContain("refund failed");
  });

  it("without a payments gateway, leaves a refund-eligible booking PAID and says so", async () => {
    const { uri } = await paidBooking(inDays(7));
    const noPayments = createWebhookIntake({ prisma, sql: t.db.sql });
    const r = await noPayments.receive("calendly", calendlyInviteeCanceled({ eventTypeUri: PAID, inviteeUri: uri }));
    expect(r.message).toContain("No Stripe client is configured here, so the refund is left recorded");
    expect((await bookingByUri(uri)).paymentStatus).toBe("PAID");
    expect(await prisma.effectIntent.findFirstOrThrow({ where: { booking: { calendlyInviteeUri: uri } } })).toMatchObject({ status: "PENDING", attempts: 0 });
  });

  it("refunds a payment that arrives after the booking was cancelled unpaid (money is never lost)", async () => {
    const uri = newInviteeUri();
    const created = await intake.receive("calendly", calendlyInviteeCreated({ eventTypeUri: PAID, inviteeUri: uri, startTime: new Date(Date.now() + 3_600_000).toISOString() }));
    await intake.receive("calendly", calendlyInviteeCanceled({ eventTypeUri: PAID, inviteeUri: uri }));
    expect((await bookingByUri(uri)).status).toBe("CANCELLED");
    const r = await intake.receive("stripe", stripeCheckoutCompleted({ bookingId: created.bookingId!, calendlyInviteeUri: uri, amountCents: PAID_CENTS, paymentIntentId: "pi_test_late" }));
    expect(r.outcome).toBe("processed");
    const b = await bookingByUri(uri);
    expect([b.status, b.paymentStatus, b.stripePaymentIntentId]).toEqual(["CANCELLED", "REFUNDED", "pi_test_late"]);
    expect(payments.refunds).toHaveLength(1);
    expect(await emailsOf(b.id)).toEqual(["CANCELLATION", "RECEIPT"]);
  });
});

describe("payments", () => {
  it("checkout.session.completed confirms and marks paid, stores the Stripe ids, queues confirmation and receipt", async () => {
    const uri = newInviteeUri();
    const created = await intake.receive("calendly", calendlyInviteeCreated({ eventTypeUri: PAID, inviteeUri: uri }));
    const body = stripeCheckoutCompleted({ bookingId: created.bookingId!, calendlyInviteeUri: uri, amountCents: PAID_CENTS, sessionId: "cs_test_one", paymentIntentId: "pi_test_one" });
    const r = await intake.receive("stripe", body);
    expect(r).toMatchObject({ outcome: "processed", provider: "stripe", eventType: "checkout.session.completed", providerEventId: body.id, bookingId: created.bookingId });
    const b = await bookingByUri(uri);
    expect(b).toMatchObject({ status: "CONFIRMED", paymentStatus: "PAID", stripeCheckoutSessionId: "cs_test_one", stripePaymentIntentId: "pi_test_one" });
    expect(await emailsOf(b.id)).toEqual(["CONFIRMATION", "RECEIPT"]);
    const paidAudit = await prisma.auditLog.findFirstOrThrow({ where: { target: b.id, action: "booking.paid" } });
    expect(paidAudit).toMatchObject({ actor: "webhook:stripe", before: { status: "PENDING", paymentStatus: "UNPAID" } });
    const ev = await prisma.webhookEvent.findUniqueOrThrow({ where: { provider_providerEventId: { provider: "STRIPE", providerEventId: body.id } } });
    expect(ev).toMatchObject({ outcome: "PROCESSED", bookingId: b.id, type: "checkout.session.completed" });
  });

  it.each([
    ["checkout first", ["cs", "pi"]],
    ["payment intent first", ["pi", "cs"]],
  ])("both Stripe events for one payment give one receipt (%s)", async (_name, order) => {
    const uri = newInviteeUri();
    const created = await intake.receive("calendly", calendlyInviteeCreated({ eventTypeUri: PAID, inviteeUri: uri }));
    const ids = { bookingId: created.bookingId!, calendlyInviteeUri: uri, amountCents: PAID_CENTS, paymentIntentId: `pi_test_${order.join("")}_${Date.now()}` };
    const events = { cs: stripeCheckoutCompleted(ids), pi: stripePaymentIntentSucceeded(ids) };
    const results = [];
    for (const k of order) results.push(await intake.receive("stripe", events[k as "cs" | "pi"]));
    expect(results.map((r) => r.outcome)).toEqual(["processed", "processed"]);
    const b = await bookingByUri(uri);
    expect(b).toMatchObject({ status: "CONFIRMED", paymentStatus: "PAID", stripePaymentIntentId: ids.paymentIntentId, stripeCheckoutSessionId: events.cs.data.object.id });
    expect(await emailsOf(b.id)).toEqual(["CONFIRMATION", "RECEIPT"]);
    expect((await auditsOf(b.id)).filter((a) => a === "booking.paid")).toHaveLength(1);
  });

  it("matches a payment through client_reference_id / booking_id alone", async () => {
    const created = await intake.receive("calendly", calendlyInviteeCreated({ eventTypeUri: PAID }));
    const r = await intake.receive("stripe", stripePaymentIntentSucceeded({ bookingId: created.bookingId!, amountCents: PAID_CENTS }));
    expect(r).toMatchObject({ outcome: "processed", bookingId: created.bookingId });
    expect((await prisma.booking.findUniqueOrThrow({ where: { id: created.bookingId! } })).paymentStatus).toBe("PAID");
  });

  it("records a checkout.session.completed with a delayed payment (unpaid): the booking stays PENDING, payment PROCESSING, no email", async () => {
    const uri = newInviteeUri();
    const created = await intake.receive("calendly", calendlyInviteeCreated({ eventTypeUri: PAID, inviteeUri: uri }));
    const body = stripeCheckoutCompleted({ bookingId: created.bookingId!, calendlyInviteeUri: uri, amountCents: PAID_CENTS, paymentStatus: "unpaid" });
    const r = await intake.receive("stripe", body);
    expect(r).toMatchObject({ outcome: "processed", bookingId: created.bookingId });
    expect(r.message).toMatch(/payment processing/);
    expect(await bookingByUri(uri)).toMatchObject({ status: "PENDING", paymentStatus: "PROCESSING" });
    expect(await emailsOf(created.bookingId!)).toEqual([]);
    expect((await prisma.webhookEvent.findFirstOrThrow({ where: { providerEventId: body.id } })).outcome).toBe("PROCESSED");
  });

  it("ignores (and records) a payment with no booking reference", async () => {
    const body = stripePaymentIntentSucceeded({ amountCents: 500 });
    const r = await intake.receive("stripe", body);
    expect(r.outcome).toBe("ignored");
    expect((await prisma.webhookEvent.findFirstOrThrow({ where: { providerEventId: body.id } })).outcome).toBe("IGNORED");
  });

  it("flags a payment for a free booking as an anomaly without changing it", async () => {
    const uri = newInviteeUri();
    const created = await intake.receive("calendly", calendlyInviteeCreated({ eventTypeUri: FREE, inviteeUri: uri }));
    const body = stripePaymentIntentSucceeded({ calendlyInviteeUri: uri, amountCents: 100 });
    const r = await intake.receive("stripe", body);
    expect(r.outcome).toBe("processed");
    expect(await bookingByUri(uri)).toMatchObject({ status: "CONFIRMED", paymentStatus: "NOT_REQUIRED" });
    expect(await auditsOf(created.bookingId!)).toContain("booking.payment_anomaly");
    expect((await prisma.webhookEvent.findFirstOrThrow({ where: { providerEventId: body.id } })).error).toContain("takes no payment");
  });
});

describe("idempotency", () => {
  it("answers sequential repeats of each event type as duplicate with no second effect", async () => {
    const uri = newInviteeUri();
    const created = calendlyInviteeCreated({ eventTypeUri: PAID, inviteeUri: uri });
    const first = await intake.receive("calendly", created);
    const cs = stripeCheckoutCompleted({ bookingId: first.bookingId!, calendlyInviteeUri: uri, amountCents: PAID_CENTS });
    const pi = stripePaymentIntentSucceeded({ bookingId: first.bookingId!, calendlyInviteeUri: uri, amountCents: PAID_CENTS, paymentIntentId: cs.data.object.payment_intent as string });
    const canceled = calendlyInviteeCanceled({ eventTypeUri: PAID, inviteeUri: uri, startTime: inDays(1) });
    for (const [provider, body] of [["stripe", cs], ["stripe", pi], ["calendly", canceled]] as const) {
      expect((await intake.receive(provider, body)).outcome).toBe("processed");
    }
    const counts = async () => [
      await prisma.booking.count({ where: { calendlyInviteeUri: uri } }),
      await prisma.emailMessage.count({ where: { bookingId: first.bookingId! } }),
      await prisma.auditLog.count({ where: { target: first.bookingId! } }),
      await prisma.webhookEvent.count({ where: { bookingId: first.bookingId! } }),
    ];
    const before = await counts();
    const refundsBefore = payments.refunds.length;
    for (const [provider, body] of [["calendly", created], ["stripe", cs], ["stripe", pi], ["calendly", canceled]] as const) {
      const again = await intake.receive(provider, body);
      expect(again).toMatchObject({ outcome: "duplicate", bookingId: first.bookingId });
    }
    expect(await counts()).toEqual(before);
    expect(payments.refunds.length).toBe(refundsBefore);
  });

  it("turns 10 concurrent copies of invitee.created into one booking, one email, one event", async () => {
    const uri = newInviteeUri();
    const body = calendlyInviteeCreated({ eventTypeUri: FREE, inviteeUri: uri });
    const results = await Promise.all(Array.from({ length: 10 }, () => intake.receive("calendly", body)));
    expect(results.filter((r) => r.outcome === "processed")).toHaveLength(1);
    expect(results.filter((r) => r.outcome === "duplicate")).toHaveLength(9);
    const b = await bookingByUri(uri);
    expect(results.every((r) => r.bookingId === b.id)).toBe(true);
    expect(await prisma.emailMessage.count({ where: { bookingId: b.id } })).toBe(1);
    expect(await prisma.webhookEvent.count({ where: { providerEventId: `invitee.created:${uri}` } })).toBe(1);
    expect(await prisma.auditLog.count({ where: { target: b.id } })).toBe(1);
  });

  it("turns 10 concurrent copies of a payment (and of a cancellation) into one effect each", async () => {
    const uri = newInviteeUri();
    const created = await intake.receive("calendly", calendlyInviteeCreated({ eventTypeUri: PAID, inviteeUri: uri, startTime: inDays(5) }));
    const cs = stripeCheckoutCompleted({ bookingId: created.bookingId!, calendlyInviteeUri: uri, amountCents: PAID_CENTS });
    const paid = await Promise.all(Array.from({ length: 10 }, () => intake.receive("stripe", cs)));
    expect(paid.map((r) => r.outcome).sort()).toEqual(["processed", ...Array(9).fill("duplicate")].sort());
    const cancel = calendlyInviteeCanceled({ eventTypeUri: PAID, inviteeUri: uri });
    const cancelled = await Promise.all(Array.from({ length: 10 }, () => intake.receive("calendly", cancel)));
    expect(cancelled.filter((r) => r.outcome === "processed")).toHaveLength(1);
    expect(payments.refunds).toHaveLength(1);
    expect(await emailsOf(created.bookingId!)).toEqual(["CANCELLATION", "CONFIRMATION", "RECEIPT"]);
    expect(await auditsOf(created.bookingId!)).toEqual(["booking.created", "booking.paid", "booking.cancelled", "booking.refunded"]);
  });
});

describe("out-of-order deliveries", () => {
  it("defers payments that arrive before their booking and applies them when it is created", async () => {
    const uri = newInviteeUri();
    const ids = { calendlyInviteeUri: uri, amountCents: PAID_CENTS, paymentIntentId: `pi_test_early_${Date.now()}` };
    const cs = stripeCheckoutCompleted(ids);
    const pi = stripePaymentIntentSucceeded(ids);
    const r1 = await intake.receive("stripe", cs);
    const r2 = await intake.receive("stripe", pi);
    expect([r1.outcome, r2.outcome]).toEqual(["deferred", "deferred"]);
    const deferred = await prisma.webhookEvent.findMany({ where: { correlationKey: uri } });
    expect(deferred.map((e) => [e.outcome, e.bookingId, e.processedAt])).toEqual([
      ["DEFERRED", null, null],
      ["DEFERRED", null, null],
    ]);
    expect((await intake.receive("stripe", cs)).outcome).toBe("duplicate");

    const created = await intake.receive("calendly", calendlyInviteeCreated({ eventTypeUri: PAID, inviteeUri: uri }));
    expect(created.outcome).toBe("processed");
    expect(created.checkoutNeeded).toBeUndefined();
    const b = await bookingByUri(uri);
    expect(b).toMatchObject({ status: "CONFIRMED", paymentStatus: "PAID", stripePaymentIntentId: ids.paymentIntentId, stripeCheckoutSessionId: cs.data.object.id });
    expect(await emailsOf(b.id)).toEqual(["CONFIRMATION", "RECEIPT"]);
    const after = await prisma.webhookEvent.findMany({ where: { providerEventId: { in: [cs.id, pi.id] } } });
    expect(after.every((e) => e.outcome === "PROCESSED" && e.bookingId === b.id && e.processedAt !== null)).toBe(true);
    expect(await auditsOf(b.id)).toEqual(["booking.created", "booking.paid"]);
  });

  it("defers a cancellation that arrives first and cancels the booking on creation", async () => {
    const uri = newInviteeUri();
    const r = await intake.receive("calendly", calendlyInviteeCanceled({ eventTypeUri: FREE, inviteeUri: uri, reason: "changed my mind" }));
    expect(r.outcome).toBe("deferred");
    const created = await intake.receive("calendly", calendlyInviteeCreated({ eventTypeUri: FREE, inviteeUri: uri }));
    expect(created.outcome).toBe("processed");
    const b = await bookingByUri(uri);
    expect(b).toMatchObject({ status: "CANCELLED", paymentStatus: "NOT_REQUIRED", cancellationReason: "changed my mind" });
    expect(await emailsOf(b.id)).toEqual(["CANCELLATION", "CONFIRMATION"]);
    expect(await prisma.webhookEvent.count({ where: { correlationKey: uri, outcome: "DEFERRED" } })).toBe(0);
  });

  it("never loses a payment that races its booking (30 bookings, all deliveries concurrent)", async () => {
    const planned = Array.from({ length: 30 }, (_, i) => {
      const uri = newInviteeUri();
      const ids = { calendlyInviteeUri: uri, amountCents: PAID_CENTS, paymentIntentId: `pi_test_race_${i}_${Date.now()}` };
      return { uri, bodies: [["calendly", calendlyInviteeCreated({ eventTypeUri: PAID, inviteeUri: uri })], ["stripe", stripeCheckoutCompleted(ids)], ["stripe", stripePaymentIntentSucceeded(ids)]] as const };
    });
    await Promise.all(planned.flatMap((p) => p.bodies.map(([provider, body]) => intake.receive(provider, body))));
    for (const p of planned) {
      const b = await bookingByUri(p.uri);
      expect([b.status, b.paymentStatus]).toEqual(["CONFIRMED", "PAID"]);
      expect(await emailsOf(b.id)).toEqual(["CONFIRMATION", "RECEIPT"]);
    }
    expect(await prisma.webhookEvent.count({ where: { correlationKey: { in: planned.map((p) => p.uri) }, outcome: "DEFERRED" } })).toBe(0);
  });
});

describe("manual-processing mode", () => {
  it("holds events while on, and releaseHeldEvents applies them in arrival order", async () => {
    const uri = newInviteeUri();
    const ids = { calendlyInviteeUri: uri, amountCents: PAID_CENTS, paymentIntentId: `pi_test_held_${Date.now()}` };
    const created = calendlyInviteeCreated({ eventTypeUri: PAID, inviteeUri: uri });
    const cs = stripeCheckoutCompleted(ids);
    await setManualProcessing(prisma, true, "test:operator", "rollback drill");
    try {
      const results = [await intake.receive("stripe", cs), await intake.receive("calendly", created)];
      expect(results.map((r) => r.outcome)).toEqual(["held", "held"]);
      expect((await intake.receive("calendly", created)).outcome).toBe("duplicate");
      expect(await prisma.booking.count({ where: { calendlyInviteeUri: uri } })).toBe(0);
      expect(await prisma.webhookEvent.count({ where: { correlationKey: uri, outcome: "HELD" } })).toBe(2);
    } finally {
      await setManualProcessing(prisma, false, "test:operator");
    }
    expect(await prisma.auditLog.count({ where: { action: { startsWith: "webhooks.manual_processing" }, actor: "test:operator" } })).toBeGreaterThanOrEqual(2);

    const released = await releaseHeldEvents(intake);
    expect(released.results.map((r) => [r.eventType, r.outcome])).toEqual([
      ["checkout.session.completed", "deferred"],
      ["invitee.created", "processed"],
    ]);
    const b = await bookingByUri(uri);
    expect([b.status, b.paymentStatus]).toEqual(["CONFIRMED", "PAID"]);
    expect(await emailsOf(b.id)).toEqual(["CONFIRMATION", "RECEIPT"]);
    expect(await prisma.webhookEvent.count({ where: { outcome: { in: ["HELD", "DEFERRED"] }, correlationKey: uri } })).toBe(0);
    expect((await releaseHeldEvents(intake)).released).toBe(0);
  });
});

describe("invalid and unknown payloads", () => {
  it.each([
    ["calendly", { event: "invitee.created", payload: { email: 42 } }, "payload."],
    ["calendly", {}, "event"],
    ["calendly", "not an object", ""],
    ["calendly", { ...calendlyInviteeCreated({ eventTypeUri: FREE }), payload: { ...calendlyInviteeCreated({ eventTypeUri: FREE }).payload, scheduled_event: { uri: "x" } } }, "payload.scheduled_event.start_time"],
    ["stripe", { type: "checkout.session.completed", data: { object: {} } }, "id"],
    ["stripe", { ...stripeCheckoutCompleted({ amountCents: 1 }), data: { object: { object: "checkout.session" } } }, "data.object.id"],
    ["stripe", { ...stripePaymentIntentSucceeded({ amountCents: 1 }), data: { object: { id: "pi_1", amount: "ten" } } }, "data.object.amount"],
  ] as const)("answers a bad %s body as invalid with readable issues, recording nothing", async (provider, body, path) => {
    const before = await prisma.webhookEvent.count();
    const r = await intake.receive(provider, body);
    expect(r.outcome).toBe("invalid");
    expect(r.issues?.length).toBeGreaterThan(0);
    expect(r.issues!.some((i) => i.startsWith(path))).toBe(true);
    expect(await prisma.webhookEvent.count()).toBe(before);
  });

  it("ignores and records unknown event types (Calendly test body, Stripe invoice.paid)", async () => {
    const test = await intake.receive("calendly", { event: "test", payload: {} });
    expect(test).toMatchObject({ outcome: "ignored", eventType: "test" });
    expect(test.providerEventId).toMatch(/^test:/);
    const invoice = stripeEvent("invoice.paid");
    const r = await intake.receive("stripe", invoice);
    expect(r).toMatchObject({ outcome: "ignored", eventType: "invoice.paid", providerEventId: invoice.id });
    expect((await prisma.webhookEvent.findFirstOrThrow({ where: { providerEventId: invoice.id } })).outcome).toBe("IGNORED");
    expect((await intake.receive("stripe", invoice)).outcome).toBe("duplicate");
  });
});
