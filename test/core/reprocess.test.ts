import { describe, expect, it } from "vitest";
import { planReprocess, recordedEventKey, type CalendlyTruth, type ReprocessContext, type ReprocessSubject, type StripeTruth } from "../../src/core/reprocess.js";
import { parseWebhook } from "../../src/core/webhook-intake.js";
import type { CalendlyInvitee, CalendlyScheduledEvent } from "../../src/providers/calendly/schemas.js";

/**
 * What reprocess would change is a pure function of the booking and the
 * providers' truth. These tables cover each repair, the order of a payment and
 * a cancellation that were both lost, what is only reported, and that every
 * event it would apply is one the intake accepts. Applying it against the
 * sandbox is tested in test/commands/bookings-reprocess.test.ts.
 */

const NOW = new Date("2030-03-01T12:00:00Z");
const HOUR = 3_600_000;
const START = new Date(NOW.getTime() + 72 * HOUR);
const EVENT = "https://api.calendly.com/scheduled_events/ev1";
const INVITEE = `${EVENT}/invitees/in1`;
const sec = (d: Date) => Math.floor(d.getTime() / 1000);

function booking(over: Partial<ReprocessSubject> = {}): ReprocessSubject {
  return {
    id: "bk_1",
    status: "PENDING",
    paymentStatus: "UNPAID",
    amountCents: 14900,
    currency: "usd",
    startTime: START,
    cancelledAt: null,
    inviteeEmail: "jane@example.com",
    calendlyEventUri: EVENT,
    calendlyInviteeUri: INVITEE,
    stripeCheckoutSessionId: "cs_test_1",
    stripePaymentIntentId: null,
    ...over,
  };
}

function calendly(canceledAt?: Date, reason = "cannot make it"): CalendlyTruth {
  const cancellation = canceledAt ? { canceled_by: "Jane", reason, canceler_type: "invitee" as const, created_at: canceledAt.toISOString() } : null;
  const event = {
    uri: EVENT,
    name: "Paid code review",
    status: canceledAt ? "canceled" : "active",
    start_time: START.toISOString(),
    end_time: new Date(START.getTime() + HOUR).toISOString(),
    event_type: "https://api.calendly.com/event_types/grace-code-review",
    invitees_counter: { total: 1, active: canceledAt ? 0 : 1, limit: 1 },
    created_at: NOW.toISOString(),
    updated_at: NOW.toISOString(),
    event_memberships: [{ user: "https://api.calendly.com/users/u1" }],
    cancellation,
  } as CalendlyScheduledEvent;
  const invitee = {
    uri: INVITEE,
    email: "jane@example.com",
    name: "Jane",
    status: canceledAt ? "canceled" : "active",
    event: EVENT,
    created_at: NOW.toISOString(),
    updated_at: (canceledAt ?? NOW).toISOString(),
    cancellation,
  } as CalendlyInvitee;
  return { event, invitee };
}

function stripe(paidAt: Date | null, refunds: StripeTruth["refunds"] = []): StripeTruth {
  return {
    session: { id: "cs_test_1", payment_status: paidAt ? "paid" : "unpaid", status: paidAt ? "complete" : "open", amount_total: 14900, currency: "usd", metadata: { booking_id: "bk_1", calendly_invitee_uri: INVITEE }, payment_intent: paidAt ? "pi_1" : null, created: sec(NOW) - 60 },
    paymentIntent: paidAt ? { id: "pi_1", amount: 14900, amount_received: 14900, currency: "usd", status: "succeeded", metadata: { booking_id: "bk_1" }, created: sec(paidAt) } : null,
    refunds,
  };
}

const ctx = (over: Partial<ReprocessContext> = {}): ReprocessContext => ({ policy: { refundWindowHours: 24 }, now: NOW, recordedEvents: new Set(), refundFailures: 0, manualProcessing: false, ...over });

describe("planReprocess", () => {
  it("nothing to change when the providers agree", () => {
    const plan = planReprocess(booking({ status: "CONFIRMED", paymentStatus: "PAID", stripePaymentIntentId: "pi_1" }), { calendly: calendly(), stripe: stripe(NOW) }, ctx());
    expect(plan).toMatchObject({ changes: [], notes: [], after: { status: "CONFIRMED", paymentStatus: "PAID" } });
  });

  it("a lost payment: a checkout.session.completed with a deterministic id, CONFIRMED/PAID", () => {
    const plan = planReprocess(booking(), { calendly: calendly(), stripe: stripe(NOW) }, ctx());
    expect(plan.changes).toMatchObject([{ kind: "apply-event", provider: "stripe", eventType: "checkout.session.completed", providerEventId: "evt_bookflow_checkout_cs_test_1", to: { status: "CONFIRMED", paymentStatus: "PAID" } }]);
    expect(plan.after).toEqual({ status: "CONFIRMED", paymentStatus: "PAID" });
  });

  it("a lost payment known only by its payment intent: a payment_intent.succeeded", () => {
    const s = stripe(NOW);
    const plan = planReprocess(booking({ stripeCheckoutSessionId: null, stripePaymentIntentId: "pi_1" }), { calendly: calendly(), stripe: { ...s, session: null } }, ctx());
    expect(plan.changes).toMatchObject([{ eventType: "payment_intent.succeeded", providerEventId: "evt_bookflow_payment_intent_pi_1" }]);
  });

  it("a cancel that was Calendly's half of a reschedule is not applied as a cancellation: a note says the booking did not move", () => {
    const canceledAt = new Date(START.getTime() - 72 * HOUR);
    const truth = calendly(canceledAt, "Rescheduled");
    const moved = `https://api.calendly.com/scheduled_events/ev2/invitees/in2`;
    const rescheduled = { ...truth, invitee: { ...truth.invitee!, rescheduled: true, new_invitee: moved } };
    const plan = planReprocess(booking({ status: "CONFIRMED", paymentStatus: "PAID", stripePaymentIntentId: "pi_1" }), { calendly: rescheduled, stripe: stripe(NOW) }, ctx({ now: new Date(canceledAt.getTime() + HOUR) }));
    expect(plan.changes.filter((c) => c.kind === "apply-event" && c.eventType === "invitee.canceled")).toEqual([]);
    expect(plan.notes).toContainEqual({ level: "attention", message: expect.stringContaining(`rescheduled this invitee to ${moved}`) });
  });

  it.each([
    ["in the refund window: refunded by the intake", 72, "REFUNDED"],
    ["inside the no-refund window: stays PAID", 3, "PAID"],
  ] as const)("a lost cancellation of a paid booking %s", (_name, hoursBefore, paymentStatus) => {
    const canceledAt = new Date(START.getTime() - hoursBefore * HOUR);
    const plan = planReprocess(booking({ status: "CONFIRMED", paymentStatus: "PAID", stripePaymentIntentId: "pi_1" }), { calendly: calendly(canceledAt), stripe: stripe(NOW) }, ctx({ now: new Date(canceledAt.getTime() + HOUR) }));
    expect(plan.changes).toMatchObject([{ kind: "apply-event", provider: "calendly", eventType: "invitee.canceled", providerEventId: `invitee.canceled:${INVITEE}`, to: { status: "CANCELLED", paymentStatus } }]);
    expect(plan.changes.filter((c) => c.kind === "refund")).toEqual([]);
  });

  it("a payment and a cancellation both lost are applied in the order they happened", () => {
    const paidFirst = planReprocess(booking(), { calendly: calendly(new Date(NOW.getTime() + 2 * HOUR)), stripe: stripe(NOW) }, ctx());
    expect(paidFirst.changes.map((c) => c.kind === "apply-event" && c.eventType)).toEqual(["checkout.session.completed", "invitee.canceled"]);
    expect(paidFirst.after).toEqual({ status: "CANCELLED", paymentStatus: "REFUNDED" });

    const cancelledFirst = planReprocess(booking(), { calendly: calendly(NOW), stripe: stripe(new Date(NOW.getTime() + 2 * HOUR)) }, ctx());
    expect(cancelledFirst.changes.map((c) => c.kind === "apply-event" && c.eventType)).toEqual(["invitee.canceled", "checkout.session.completed"]);
    expect(cancelledFirst.changes[1]).toMatchObject({ from: { status: "CANCELLED", paymentStatus: "UNPAID" }, to: { status: "CANCELLED", paymentStatus: "REFUNDED" } });
    expect(cancelledFirst.changes[1]!.summary).toContain("paid after the cancellation");
  });

  it("every event it plans is one the intake accepts", () => {
    const plan = planReprocess(booking(), { calendly: calendly(new Date(NOW.getTime() + 2 * HOUR)), stripe: stripe(NOW) }, ctx());
    for (const c of plan.changes) {
      if (c.kind !== "apply-event") continue;
      const parsed = parseWebhook(c.provider, c.body);
      expect(parsed.ok, JSON.stringify(parsed)).toBe(true);
      if (parsed.ok) expect(parsed.event.providerEventId).toBe(c.providerEventId);
    }
  });

  it("a CANCELLED/PAID booking whose refund failed: a refund with a fresh key; refunded in Stripe meanwhile: recorded", () => {
    const b = booking({ status: "CANCELLED", paymentStatus: "PAID", stripePaymentIntentId: "pi_1", cancelledAt: new Date(START.getTime() - 48 * HOUR) });
    const due = planReprocess(b, { calendly: calendly(b.cancelledAt!), stripe: stripe(NOW) }, ctx({ refundFailures: 1 }));
    expect(due.changes).toMatchObject([{ kind: "refund", amountCents: 14900, paymentIntentId: "pi_1", idempotencyKey: "refund:bk_1:retry-1", to: { status: "CANCELLED", paymentStatus: "REFUNDED" } }]);
    const refunded = planReprocess(b, { calendly: calendly(b.cancelledAt!), stripe: stripe(NOW, [{ id: "re_1", amount: 14900, status: "succeeded" }]) }, ctx());
    expect(refunded.changes).toMatchObject([{ kind: "mark-refunded", refundIds: ["re_1"] }]);
  });

  it("a CANCELLED/PAID booking the policy does not refund: nothing to change, the reason as a note", () => {
    const b = booking({ status: "CANCELLED", paymentStatus: "PAID", stripePaymentIntentId: "pi_1", cancelledAt: new Date(START.getTime() - 2 * HOUR) });
    const plan = planReprocess(b, { calendly: calendly(b.cancelledAt!), stripe: stripe(NOW) }, ctx());
    expect(plan.changes).toEqual([]);
    expect(plan.notes).toMatchObject([{ level: "info", message: expect.stringContaining("No refund") }]);
  });

  it("an event already recorded (the intake would answer duplicate) is reported, not planned", () => {
    const plan = planReprocess(booking(), { calendly: calendly(), stripe: stripe(NOW) }, ctx({ recordedEvents: new Set([recordedEventKey("STRIPE", "evt_bookflow_checkout_cs_test_1")]) }));
    expect(plan.changes).toEqual([]);
    expect(plan.notes).toMatchObject([{ level: "attention", message: expect.stringContaining("already recorded") }]);
  });

  it.each([
    ["CANCELLED here, active in Calendly", booking({ status: "CANCELLED", paymentStatus: "UNPAID" }), calendly(), stripe(null), "CANCELLED is final"],
    ["a payment for a free booking", booking({ status: "CONFIRMED", paymentStatus: "NOT_REQUIRED", amountCents: 0 }), calendly(), stripe(NOW), "free booking"],
    ["a refund of a booking that still takes place", booking({ status: "CONFIRMED", paymentStatus: "PAID", stripePaymentIntentId: "pi_1" }), calendly(), stripe(NOW, [{ id: "re_1", amount: 14900, status: "succeeded" }]), "still takes place"],
    ["a partial refund", booking({ status: "CONFIRMED", paymentStatus: "PAID", stripePaymentIntentId: "pi_1" }), calendly(), stripe(NOW, [{ id: "re_1", amount: 100, status: "succeeded" }]), "partial refund"],
    ["a moved start time", booking({ status: "CONFIRMED", paymentStatus: "PAID", stripePaymentIntentId: "pi_1", startTime: new Date(START.getTime() + HOUR) }), calendly(), stripe(NOW), "rescheduled"],
  ] as const)("reports, and does not change: %s", (_name, b, cal, str, text) => {
    const plan = planReprocess(b, { calendly: cal, stripe: str }, ctx());
    expect(plan.changes).toEqual([]);
    expect(plan.notes.map((n) => n.message).join(" ")).toContain(text);
  });

  it("warns that manual processing would hold the events", () => {
    const plan = planReprocess(booking(), { calendly: calendly(), stripe: stripe(NOW) }, ctx({ manualProcessing: true }));
    expect(plan.changes).toHaveLength(1);
    expect(plan.notes).toMatchObject([{ level: "attention", message: expect.stringContaining("Manual processing is on") }]);
  });
});
