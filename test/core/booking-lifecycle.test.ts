import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { CheckoutRequest, PaymentsGateway } from "../../src/core/ports.js";
import { createWebhookIntake, type WebhookIntake } from "../../src/core/webhook-intake.js";
import type { PrismaClient } from "../../src/generated/prisma/client.js";
import { RecordingScheduling } from "../support/app.js";
import { createTestDatabase, type TestDatabase } from "../support/db.js";
import {
  calendlyInviteeCanceled,
  calendlyInviteeCreated,
  calendlyNoShow,
  calendlyReschedule,
  newInviteeUri,
  scheduledEventUriOf,
  stripeChargeRefunded,
  stripeCheckoutCompleted,
  stripeCheckoutSessionEvent,
  stripeDispute,
  stripeRefundUpdated,
} from "../support/webhook-fixtures.js";

/**
 * The booking lifecycle beyond the four happy events, on the real intake and a
 * real PostgreSQL: reschedules (both halves, either order, repeated, chained),
 * Checkout sessions that end unpaid, delayed payments, refund statuses, refunds
 * and disputes made outside bookflow, no-shows. Event bodies are shaped like
 * the providers' documented payloads (src/providers/webhook-events.ts).
 */

const FREE = "https://api.calendly.com/event_types/ada-intro-call";
const PAID = "https://api.calendly.com/event_types/ada-build-session"; // 9900 usd
const PAID_CENTS = 9900;

class RecordingPayments implements PaymentsGateway {
  refunds: { paymentIntentId: string; amountCents?: number | undefined; idempotencyKey: string }[] = [];
  /** The status Stripe answers a refund with. */
  refundStatus: string | null = "succeeded";
  async createCheckoutSession(req: CheckoutRequest) {
    return { id: `cs_test_${req.bookingId}`, url: null };
  }
  async refund(req: { paymentIntentId: string; amountCents?: number | undefined; idempotencyKey: string }) {
    this.refunds.push(req);
    return { id: `re_test_${req.idempotencyKey.replace(/\W/g, "")}`, status: this.refundStatus };
  }
}

let t: TestDatabase;
let prisma: PrismaClient;
let payments: RecordingPayments;
let scheduling: RecordingScheduling;
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
  scheduling = new RecordingScheduling();
  intake = createWebhookIntake({ prisma, sql: t.db.sql, payments, scheduling });
});

const inDays = (d: number) => {
  const x = new Date(Date.now() + d * 86_400_000);
  x.setUTCMinutes(0, 0, 0);
  return x.toISOString();
};
const booking = (id: string) => prisma.booking.findUniqueOrThrow({ where: { id } });
const emailsOf = async (bookingId: string) => (await prisma.emailMessage.findMany({ where: { bookingId } })).map((e) => e.kind).sort();
const auditsOf = async (bookingId: string) => (await prisma.auditLog.findMany({ where: { target: bookingId }, orderBy: { createdAt: "asc" } })).map((a) => a.action);
const stateOf = async (id: string) => {
  const b = await booking(id);
  return `${b.status}/${b.paymentStatus}`;
};
const send = (provider: "calendly" | "stripe", body: unknown) => intake.receive(provider, body);

/** A paid booking, created and paid; returns its ids. */
async function paidBooking(startTime = inDays(10)) {
  const uri = newInviteeUri();
  const created = await send("calendly", calendlyInviteeCreated({ eventTypeUri: PAID, inviteeUri: uri, startTime, email: "ada@example.com" }));
  const paymentIntentId = `pi_test_${Math.random().toString(36).slice(2)}`;
  const sessionId = `cs_test_${Math.random().toString(36).slice(2)}`;
  const paid = await send("stripe", stripeCheckoutCompleted({ bookingId: created.bookingId!, calendlyInviteeUri: uri, amountCents: PAID_CENTS, paymentIntentId, sessionId }));
  expect(paid.outcome).toBe("processed");
  return { uri, bookingId: created.bookingId!, paymentIntentId, sessionId, startTime };
}

/** A paid booking cancelled in the refund window: the refund is asked for with `payments.refundStatus`. */
async function cancelledWithRefund(status: string | null) {
  payments.refundStatus = status;
  const b = await paidBooking();
  const r = await send("calendly", calendlyInviteeCanceled({ eventTypeUri: PAID, inviteeUri: b.uri, startTime: b.startTime, canceledAt: new Date().toISOString() }));
  expect(r.outcome).toBe("processed");
  return b;
}

describe("reschedules (invitee.canceled rescheduled:true + invitee.created old_invitee)", () => {
  async function expectMoved(b: { bookingId: string; uri: string }, to: { uri: string; startTime: string }, rescheduledEmails = 1) {
    const row = await booking(b.bookingId);
    expect(row).toMatchObject({ status: "CONFIRMED", paymentStatus: "PAID", calendlyInviteeUri: to.uri, calendlyEventUri: scheduledEventUriOf(to.uri), cancelledAt: null, reviewReason: null });
    expect(row.startTime.toISOString()).toBe(to.startTime);
    expect(await emailsOf(b.bookingId)).toEqual(["CONFIRMATION", "RECEIPT", ...Array(rescheduledEmails).fill("RESCHEDULED")].sort());
    expect(payments.refunds).toEqual([]);
    expect(await prisma.booking.count({ where: { calendlyInviteeUri: to.uri } })).toBe(1);
    expect(await auditsOf(b.bookingId)).not.toContain("booking.cancelled");
  }

  it("moves a paid booking to the new time: still PAID, one RESCHEDULED email, no refund, no second booking (cancel half first)", async () => {
    const b = await paidBooking();
    const r = calendlyReschedule({ eventTypeUri: PAID, oldInviteeUri: b.uri, oldStartTime: b.startTime, newStartTime: inDays(12), email: "ada@example.com" });
    const cancelled = await send("calendly", r.canceled);
    expect(cancelled).toMatchObject({ outcome: "processed", bookingId: b.bookingId });
    expect(cancelled.message).toMatch(/rescheduled.*not cancelled/);
    expect(await stateOf(b.bookingId)).toBe("CONFIRMED/PAID");
    const created = await send("calendly", r.created);
    expect(created).toMatchObject({ outcome: "processed", bookingId: b.bookingId });
    expect(created.checkoutNeeded).toBeUndefined();
    await expectMoved(b, { uri: r.newInviteeUri, startTime: inDays(12) });
    expect((await booking(b.bookingId)).previousInviteeUris).toEqual([b.uri]);
    expect(await auditsOf(b.bookingId)).toContain("booking.rescheduled");
  });

  it("ends in the same state when the create half arrives first, and when every delivery is repeated", async () => {
    const b = await paidBooking();
    const r = calendlyReschedule({ eventTypeUri: PAID, oldInviteeUri: b.uri, newStartTime: inDays(13), email: "ada@example.com" });
    expect((await send("calendly", r.created)).outcome).toBe("processed");
    expect((await send("calendly", r.created)).outcome).toBe("duplicate");
    const late = await send("calendly", r.canceled);
    expect(late).toMatchObject({ outcome: "processed", bookingId: b.bookingId });
    expect((await send("calendly", r.canceled)).outcome).toBe("duplicate");
    await expectMoved(b, { uri: r.newInviteeUri, startTime: inDays(13) });
  });

  it("survives both halves and their repeats arriving at once", async () => {
    const b = await paidBooking();
    const r = calendlyReschedule({ eventTypeUri: PAID, oldInviteeUri: b.uri, newStartTime: inDays(14), email: "ada@example.com" });
    const results = await Promise.all([r.created, r.canceled, r.created, r.canceled].map((body) => send("calendly", body)));
    expect(results.map((x) => x.outcome).sort()).toEqual(["duplicate", "duplicate", "processed", "processed"]);
    await expectMoved(b, { uri: r.newInviteeUri, startTime: inDays(14) });
  });

  it("a reschedule of a reschedule: in order, and with the second one's create arriving before the first one's", async () => {
    for (const order of ["in order", "out of order"] as const) {
      const b = await paidBooking();
      const first = calendlyReschedule({ eventTypeUri: PAID, oldInviteeUri: b.uri, newStartTime: inDays(15), email: "ada@example.com" });
      const second = calendlyReschedule({ eventTypeUri: PAID, oldInviteeUri: first.newInviteeUri, newStartTime: inDays(16), email: "ada@example.com" });
      const bodies = order === "in order" ? [first.canceled, first.created, second.canceled, second.created] : [second.created, second.canceled, first.created, first.canceled];
      for (const body of bodies) expect(["processed", "deferred"]).toContain((await send("calendly", body)).outcome);
      await expectMoved(b, { uri: second.newInviteeUri, startTime: inDays(16) }, 2);
      expect((await booking(b.bookingId)).previousInviteeUris).toEqual([b.uri, first.newInviteeUri]);
      expect(await prisma.webhookEvent.count({ where: { outcome: "DEFERRED", correlationKey: { in: [b.uri, first.newInviteeUri, second.newInviteeUri] } } })).toBe(0);
    }
  });

  it("interleaved with the payment: a booking moved before it was paid is paid at its new time", async () => {
    const uri = newInviteeUri();
    const created = await send("calendly", calendlyInviteeCreated({ eventTypeUri: PAID, inviteeUri: uri, startTime: inDays(10) }));
    const r = calendlyReschedule({ eventTypeUri: PAID, oldInviteeUri: uri, newStartTime: inDays(11) });
    await send("calendly", r.canceled);
    await send("calendly", r.created);
    const paid = await send("stripe", stripeCheckoutCompleted({ bookingId: created.bookingId!, calendlyInviteeUri: uri, amountCents: PAID_CENTS, paymentIntentId: "pi_test_moved_then_paid" }));
    expect(paid).toMatchObject({ outcome: "processed", bookingId: created.bookingId });
    expect(await booking(created.bookingId!)).toMatchObject({ status: "CONFIRMED", paymentStatus: "PAID", calendlyInviteeUri: r.newInviteeUri });
    expect(await emailsOf(created.bookingId!)).toEqual(["CONFIRMATION", "RECEIPT", "RESCHEDULED"]);
  });

  it("a payment whose metadata names only the invitee the Checkout was opened for still finds the booking after it moved", async () => {
    const uri = newInviteeUri();
    const created = await send("calendly", calendlyInviteeCreated({ eventTypeUri: PAID, inviteeUri: uri, startTime: inDays(10) }));
    const r = calendlyReschedule({ eventTypeUri: PAID, oldInviteeUri: uri, newStartTime: inDays(11) });
    await send("calendly", r.created);
    const paid = await send("stripe", stripeCheckoutCompleted({ calendlyInviteeUri: uri, amountCents: PAID_CENTS, paymentIntentId: "pi_test_old_invitee_only" }));
    expect(paid).toMatchObject({ outcome: "processed", bookingId: created.bookingId });
    expect(await stateOf(created.bookingId!)).toBe("CONFIRMED/PAID");
  });

  it("a reschedule naming an invitee bookflow has no booking for is recorded and kept (2xx), nothing changed, with the reason; it applies when that booking arrives", async () => {
    const unknown = newInviteeUri();
    const r = calendlyReschedule({ eventTypeUri: FREE, oldInviteeUri: unknown, newStartTime: inDays(9) });
    const answer = await send("calendly", r.created);
    expect(answer).toMatchObject({ outcome: "deferred", bookingId: null });
    expect(answer.message).toContain(`No booking for ${unknown}`);
    expect(await prisma.booking.count({ where: { calendlyInviteeUri: { in: [unknown, r.newInviteeUri] } } })).toBe(0);
    expect(await prisma.webhookEvent.findFirstOrThrow({ where: { providerEventId: `invitee.created:${r.newInviteeUri}` } })).toMatchObject({ outcome: "DEFERRED", correlationKey: unknown });

    // The old invitee's invitee.created was only late: the booking is created where the reschedule put it.
    const late = await send("calendly", calendlyInviteeCreated({ eventTypeUri: FREE, inviteeUri: unknown, startTime: inDays(8) }));
    expect(late.outcome).toBe("processed");
    const b = await booking(late.bookingId!);
    expect(b).toMatchObject({ status: "CONFIRMED", paymentStatus: "NOT_REQUIRED", calendlyInviteeUri: r.newInviteeUri, previousInviteeUris: [unknown] });
    expect(b.startTime.toISOString()).toBe(inDays(9));
    expect(await emailsOf(b.id)).toEqual(["CONFIRMATION", "RESCHEDULED"]);
  });

  it("a reschedule into a session type with another price is moved but held for an operator: same session type and amount, a review reason", async () => {
    const b = await paidBooking();
    const before = await booking(b.bookingId);
    const r = calendlyReschedule({ eventTypeUri: FREE, oldInviteeUri: b.uri, newStartTime: inDays(17), email: "ada@example.com" });
    const answer = await send("calendly", r.created);
    expect(answer.outcome).toBe("processed");
    expect(answer.message).toMatch(/needs review/);
    const after = await booking(b.bookingId);
    expect(after).toMatchObject({ status: "CONFIRMED", paymentStatus: "PAID", sessionTypeId: before.sessionTypeId, amountCents: PAID_CENTS, calendlyInviteeUri: r.newInviteeUri });
    expect(after.reviewReason).toMatch(/another session type priced 0 usd.*9900 usd/);
    expect((await prisma.webhookEvent.findFirstOrThrow({ where: { providerEventId: `invitee.created:${r.newInviteeUri}` } })).error).toMatch(/priced 0/);
  });
});

describe("Checkout sessions that are never paid", () => {
  async function pendingBooking() {
    const uri = newInviteeUri();
    const created = await send("calendly", calendlyInviteeCreated({ eventTypeUri: PAID, inviteeUri: uri, startTime: inDays(6) }));
    const sessionId = `cs_test_${Math.random().toString(36).slice(2)}`;
    await prisma.booking.update({ where: { id: created.bookingId! }, data: { stripeCheckoutSessionId: sessionId } });
    return { uri, bookingId: created.bookingId!, sessionId };
  }

  it("checkout.session.expired cancels the booking, sends one cancellation email and releases the Calendly slot, once", async () => {
    const b = await pendingBooking();
    const body = stripeCheckoutSessionEvent("checkout.session.expired", { bookingId: b.bookingId, calendlyInviteeUri: b.uri, amountCents: PAID_CENTS, sessionId: b.sessionId });
    const r = await send("stripe", body);
    expect(r).toMatchObject({ outcome: "processed", bookingId: b.bookingId });
    expect(r.message).toMatch(/slot is free again/);
    expect((await send("stripe", body)).outcome).toBe("duplicate");
    expect(await booking(b.bookingId)).toMatchObject({ status: "CANCELLED", paymentStatus: "UNPAID", cancelledBy: "bookflow (unpaid)" });
    expect(await emailsOf(b.bookingId)).toEqual(["CANCELLATION"]);
    expect(scheduling.cancelled).toEqual([{ eventUri: scheduledEventUriOf(b.uri), reason: expect.stringMatching(/Checkout session expired/) }]);
    expect(await auditsOf(b.bookingId)).toEqual(expect.arrayContaining(["booking.checkout_expired", "booking.slot_released"]));
  });

  it("an expired session that is not the booking's (the invitee tried again), or of a paid booking, changes nothing", async () => {
    const b = await pendingBooking();
    const old = await send("stripe", stripeCheckoutSessionEvent("checkout.session.expired", { bookingId: b.bookingId, calendlyInviteeUri: b.uri, amountCents: PAID_CENTS, sessionId: "cs_test_an_older_one" }));
    expect(old.message).toMatch(/not the booking's/);
    const paid = await paidBooking();
    await send("stripe", stripeCheckoutSessionEvent("checkout.session.expired", { bookingId: paid.bookingId, calendlyInviteeUri: paid.uri, amountCents: PAID_CENTS, sessionId: paid.sessionId }));
    expect(await stateOf(b.bookingId)).toBe("PENDING/UNPAID");
    expect(await stateOf(paid.bookingId)).toBe("CONFIRMED/PAID");
    expect(scheduling.cancelled).toEqual([]);
  });

  it("a delayed payment: completed unpaid → PENDING/PROCESSING; async_payment_succeeded confirms it with its emails", async () => {
    const b = await pendingBooking();
    const o = { bookingId: b.bookingId, calendlyInviteeUri: b.uri, amountCents: PAID_CENTS, sessionId: b.sessionId, paymentIntentId: `pi_test_async_${b.bookingId.slice(0, 8)}` };
    expect((await send("stripe", stripeCheckoutCompleted({ ...o, paymentStatus: "unpaid" }))).outcome).toBe("processed");
    expect(await stateOf(b.bookingId)).toBe("PENDING/PROCESSING");
    expect(await emailsOf(b.bookingId)).toEqual([]);
    expect((await send("stripe", stripeCheckoutSessionEvent("checkout.session.async_payment_succeeded", o))).outcome).toBe("processed");
    expect(await stateOf(b.bookingId)).toBe("CONFIRMED/PAID");
    expect(await emailsOf(b.bookingId)).toEqual(["CONFIRMATION", "RECEIPT"]);
  });

  it("a delayed payment that fails cancels the booking as an expired checkout does", async () => {
    const b = await pendingBooking();
    const o = { bookingId: b.bookingId, calendlyInviteeUri: b.uri, amountCents: PAID_CENTS, sessionId: b.sessionId };
    await send("stripe", stripeCheckoutCompleted({ ...o, paymentStatus: "unpaid", paymentIntentId: "pi_test_async_fail" }));
    const r = await send("stripe", stripeCheckoutSessionEvent("checkout.session.async_payment_failed", o));
    expect(r.message).toMatch(/payment failed/);
    expect(await booking(b.bookingId)).toMatchObject({ status: "CANCELLED", paymentStatus: "UNPAID" });
    expect(await emailsOf(b.bookingId)).toEqual(["CANCELLATION"]);
    expect(scheduling.cancelled.map((c) => c.eventUri)).toEqual([scheduledEventUriOf(b.uri)]);
  });
});

describe("refund statuses", () => {
  it("REFUNDED only when Stripe says succeeded", async () => {
    const b = await cancelledWithRefund("succeeded");
    expect(await booking(b.bookingId)).toMatchObject({ status: "CANCELLED", paymentStatus: "REFUNDED", refundedCents: PAID_CENTS });
  });

  it("a pending refund is REFUND_PENDING until refund.updated says succeeded (a repeat changes nothing)", async () => {
    const b = await cancelledWithRefund("pending");
    const row = await booking(b.bookingId);
    expect(row).toMatchObject({ status: "CANCELLED", paymentStatus: "REFUND_PENDING" });
    expect(row.stripeRefundId).toMatch(/^re_test_/);
    const settled = stripeRefundUpdated({ refundId: row.stripeRefundId!, status: "succeeded", paymentIntentId: b.paymentIntentId, amountCents: PAID_CENTS });
    expect((await send("stripe", settled)).outcome).toBe("processed");
    expect((await send("stripe", settled)).outcome).toBe("duplicate");
    expect(await booking(b.bookingId)).toMatchObject({ paymentStatus: "REFUNDED", refundedCents: PAID_CENTS });
  });

  it("charge.refunded settles a pending refund too", async () => {
    const b = await cancelledWithRefund("requires_action");
    expect(await stateOf(b.bookingId)).toBe("CANCELLED/REFUND_PENDING");
    await send("stripe", stripeChargeRefunded({ paymentIntentId: b.paymentIntentId, amountCents: PAID_CENTS, refundedCents: PAID_CENTS }));
    expect(await stateOf(b.bookingId)).toBe("CANCELLED/REFUNDED");
  });

  it("a refund that fails later takes the booking back to CANCELLED/PAID, with refund_failed in the audit trail", async () => {
    const b = await cancelledWithRefund("pending");
    const { stripeRefundId } = await booking(b.bookingId);
    const r = await send("stripe", stripeRefundUpdated({ refundId: stripeRefundId!, status: "failed", paymentIntentId: b.paymentIntentId, amountCents: PAID_CENTS }));
    expect(r.message).toMatch(/still owed a refund/);
    expect(await stateOf(b.bookingId)).toBe("CANCELLED/PAID");
    expect(await auditsOf(b.bookingId)).toContain("booking.refund_failed");
  });

  it("a refund Stripe answers failed leaves the booking PAID", async () => {
    const b = await cancelledWithRefund("failed");
    expect(await stateOf(b.bookingId)).toBe("CANCELLED/PAID");
    expect(await auditsOf(b.bookingId)).toContain("booking.refund_failed");
  });
});

describe("refunds and disputes made outside bookflow", () => {
  it("charge.refunded, partial then full, on a booking that still stands: PARTIALLY_REFUNDED, then REFUNDED; a repeat changes nothing", async () => {
    const b = await paidBooking();
    const partial = stripeChargeRefunded({ paymentIntentId: b.paymentIntentId, amountCents: PAID_CENTS, refundedCents: 2500 });
    expect((await send("stripe", partial)).outcome).toBe("processed");
    expect(await booking(b.bookingId)).toMatchObject({ status: "CONFIRMED", paymentStatus: "PARTIALLY_REFUNDED", refundedCents: 2500 });
    expect((await send("stripe", partial)).outcome).toBe("duplicate");
    await send("stripe", stripeChargeRefunded({ paymentIntentId: b.paymentIntentId, amountCents: PAID_CENTS, refundedCents: PAID_CENTS }));
    expect(await booking(b.bookingId)).toMatchObject({ status: "CONFIRMED", paymentStatus: "REFUNDED", refundedCents: PAID_CENTS });
    expect(await auditsOf(b.bookingId)).toEqual(expect.arrayContaining(["booking.refunded_outside"]));
    // An older, smaller figure arriving late does not undo the newer one.
    await send("stripe", stripeChargeRefunded({ paymentIntentId: b.paymentIntentId, amountCents: PAID_CENTS, refundedCents: 1000 }));
    expect(await booking(b.bookingId)).toMatchObject({ paymentStatus: "REFUNDED", refundedCents: PAID_CENTS });
  });

  it("a refund for a charge bookflow does not know is recorded and answered, nothing changed, with the reason", async () => {
    const before = await prisma.booking.count({ where: { paymentStatus: { in: ["REFUNDED", "PARTIALLY_REFUNDED"] } } });
    const body = stripeChargeRefunded({ paymentIntentId: "pi_test_nobody_has_this", amountCents: 500, refundedCents: 500 });
    const r = await send("stripe", body);
    expect(r).toMatchObject({ outcome: "ignored", bookingId: null });
    expect(r.message).toContain("no booking has payment intent pi_test_nobody_has_this");
    expect(await prisma.webhookEvent.findFirstOrThrow({ where: { providerEventId: body.id } })).toMatchObject({ outcome: "IGNORED", error: "no booking has payment intent pi_test_nobody_has_this" });
    expect(await prisma.booking.count({ where: { paymentStatus: { in: ["REFUNDED", "PARTIALLY_REFUNDED"] } } })).toBe(before);
  });

  it("a dispute: DISPUTED while open, back to PAID when won; lost stays DISPUTED", async () => {
    const won = await paidBooking();
    await send("stripe", stripeDispute("charge.dispute.created", { disputeId: "dp_test_won", status: "needs_response", paymentIntentId: won.paymentIntentId, amountCents: PAID_CENTS }));
    expect(await booking(won.bookingId)).toMatchObject({ paymentStatus: "DISPUTED", stripeDisputeId: "dp_test_won", disputeStatus: "needs_response" });
    await send("stripe", stripeDispute("charge.dispute.closed", { disputeId: "dp_test_won", status: "won", paymentIntentId: won.paymentIntentId, amountCents: PAID_CENTS }));
    expect(await booking(won.bookingId)).toMatchObject({ status: "CONFIRMED", paymentStatus: "PAID", disputeStatus: "won" });

    const lost = await paidBooking();
    await send("stripe", stripeDispute("charge.dispute.created", { disputeId: "dp_test_lost", status: "needs_response", paymentIntentId: lost.paymentIntentId, amountCents: PAID_CENTS }));
    await send("stripe", stripeDispute("charge.dispute.closed", { disputeId: "dp_test_lost", status: "lost", paymentIntentId: lost.paymentIntentId, amountCents: PAID_CENTS }));
    expect(await booking(lost.bookingId)).toMatchObject({ paymentStatus: "DISPUTED", disputeStatus: "lost" });
    expect(await auditsOf(lost.bookingId)).toEqual(expect.arrayContaining(["booking.disputed", "booking.dispute_closed"]));
  });

  it("a dispute closed before its opening arrives ends the same as in order", async () => {
    const b = await paidBooking();
    await send("stripe", stripeDispute("charge.dispute.closed", { disputeId: "dp_test_late", status: "won", paymentIntentId: b.paymentIntentId, amountCents: PAID_CENTS }));
    await send("stripe", stripeDispute("charge.dispute.created", { disputeId: "dp_test_late", status: "needs_response", paymentIntentId: b.paymentIntentId, amountCents: PAID_CENTS }));
    expect(await booking(b.bookingId)).toMatchObject({ paymentStatus: "PAID", disputeStatus: "won" });
  });
});

describe("no-shows", () => {
  it("recorded on the booking, cleared by the mark's removal; an older change arriving late is not applied", async () => {
    const b = await paidBooking(inDays(-1));
    const at = new Date(Date.now() - 3_600_000).toISOString();
    const mark = calendlyNoShow("invitee_no_show.created", { inviteeUri: b.uri, createdAt: at });
    expect((await send("calendly", mark)).outcome).toBe("processed");
    expect((await booking(b.bookingId)).noShowAt?.toISOString()).toBe(at);
    expect((await send("calendly", mark)).outcome).toBe("duplicate");
    const removedAt = new Date(Date.now() - 1_800_000).toISOString();
    await send("calendly", calendlyNoShow("invitee_no_show.deleted", { inviteeUri: b.uri, createdAt: removedAt }));
    expect((await booking(b.bookingId)).noShowAt).toBeNull();
    const stale = await send("calendly", calendlyNoShow("invitee_no_show.created", { inviteeUri: b.uri, createdAt: new Date(Date.now() - 7_200_000).toISOString() }));
    expect(stale.message).toMatch(/older no-show change/);
    expect((await booking(b.bookingId)).noShowAt).toBeNull();
    expect(await auditsOf(b.bookingId)).toEqual(expect.arrayContaining(["booking.no_show", "booking.no_show_removed"]));
  });
});
