import { describe, expect, it } from "vitest";
import type { Action, ParsedEvent } from "../../src/core/intake/events.js";
import type { CreatedRead, DeferredRow, ExistingRead, Snapshot } from "../../src/core/intake/model.js";
import { parseWebhook } from "../../src/core/intake/parse.js";
import { planCancel, planCreated, planExisting, planPayment, planUnlocked, planUnmatchedPayment, type PlanContext } from "../../src/core/intake/plan.js";
import { planChargeRefunded, planCheckoutEnded, planDispute, planMove, planNoShow, planRefundUpdated } from "../../src/core/intake/plan-booking.js";
import type { WebhookProviderId } from "../../src/providers/webhook-providers.js";
import {
  calendlyInviteeCanceled,
  calendlyInviteeCreated,
  stripeCheckoutCompleted,
  stripeEvent,
  stripePaymentIntentSucceeded,
} from "../support/webhook-fixtures.js";

/**
 * The intake's pure planners, as tables: a parsed event (built from the
 * providers' documented payload shapes) and the rows read, in; the write and
 * the answer, out. No database.
 */

const INVITEE = "https://api.calendly.com/scheduled_events/EV1/invitees/INV1";
const EVENT_TYPE = "https://api.calendly.com/event_types/build-session";
const START = "2030-03-10T10:00:00.000Z";
const NOW = new Date("2030-03-01T10:00:00.000Z");

function parsed(provider: WebhookProviderId, body: unknown): ParsedEvent {
  const r = parseWebhook(provider, body);
  if (!r.ok) throw new Error(`fixture does not parse: ${r.issues.join("; ")}`);
  return r.event;
}

function actionOf<K extends Action["kind"]>(ev: ParsedEvent, kind: K): Extract<Action, { kind: K }> {
  if (ev.action.kind !== kind) throw new Error(`expected a ${kind} action, got ${ev.action.kind}`);
  return ev.action as Extract<Action, { kind: K }>;
}

const payEvent = (o: Partial<Parameters<typeof stripeCheckoutCompleted>[0]> = {}) =>
  parsed("stripe", stripeCheckoutCompleted({ calendlyInviteeUri: INVITEE, amountCents: 9900, sessionId: "cs_test_1", paymentIntentId: "pi_test_1", ...o }));
const cancelEvent = (o: Partial<Parameters<typeof calendlyInviteeCanceled>[0]> = {}) =>
  parsed("calendly", calendlyInviteeCanceled({ eventTypeUri: EVENT_TYPE, inviteeUri: INVITEE, startTime: START, ...o }));
const createdEvent = () => parsed("calendly", calendlyInviteeCreated({ eventTypeUri: EVENT_TYPE, inviteeUri: INVITEE, email: "ada@example.com", name: "Ada L", startTime: START }));

function booking(over: Partial<Snapshot> = {}): Snapshot {
  return {
    id: "b1",
    status: "PENDING",
    paymentStatus: "UNPAID",
    amountCents: 9900,
    currency: "usd",
    startTime: new Date(START),
    stripeCheckoutSessionId: null,
    stripePaymentIntentId: null,
    cancellationReason: null,
    cancelledBy: null,
    cancelledAt: null,
    sessionTypeId: "st1",
    endTime: new Date(Date.parse(START) + 3_600_000),
    calendlyEventUri: "https://api.calendly.com/scheduled_events/EV1",
    calendlyInviteeUri: INVITEE,
    previousInviteeUris: [],
    reviewReason: null,
    stripeRefundId: null,
    refundedCents: 0,
    stripeDisputeId: null,
    disputeStatus: null,
    noShowAt: null,
    noShowChangedAt: null,
    ...over,
  };
}

/** The kinds of the emails a write queues. */
const kinds = (emails: readonly { kind: string }[] | undefined) => (emails ?? []).map((e) => e.kind);
/** The event rows the refunds due after the commit are tied to. */
const refundRows = (d: { after: readonly { kind: string; eventRowId: string }[] }) => d.after.filter((a) => a.kind === "refund").map((a) => a.eventRowId);

const ctx = (over: Partial<PlanContext> = {}): PlanContext => ({ now: NOW, policy: { refundWindowHours: 24 }, rowId: "row-1", held: false, newBookingId: "new-1", ...over });

describe("planPayment", () => {
  const cases: { name: string; from: Partial<Snapshot>; pay?: Partial<Parameters<typeof stripeCheckoutCompleted>[0]>; to: string; emails: string[]; audits: string[]; refund?: number; warning?: RegExp }[] = [
    { name: "confirms and pays a pending booking", from: {}, to: "CONFIRMED/PAID", emails: ["CONFIRMATION", "RECEIPT"], audits: ["booking.paid"] },
    { name: "pays a pending booking with a warning when the amount is short", from: {}, pay: { amountCents: 5000 }, to: "CONFIRMED/PAID", emails: ["CONFIRMATION", "RECEIPT"], audits: ["booking.paid"], warning: /does not cover/ },
    { name: "pays with a warning when the currency differs", from: {}, pay: { currency: "eur" }, to: "CONFIRMED/PAID", emails: ["CONFIRMATION", "RECEIPT"], audits: ["booking.paid"], warning: /eur does not cover/ },
    { name: "keeps money paid after a cancellation and refunds it in full", from: { status: "CANCELLED", cancelledAt: NOW }, to: "CANCELLED/PAID", emails: ["RECEIPT"], audits: ["booking.paid"], refund: 9900 },
    { name: "changes nothing on a booking already paid", from: { status: "CONFIRMED", paymentStatus: "PAID", stripeCheckoutSessionId: "cs_test_1", stripePaymentIntentId: "pi_test_1" }, to: "CONFIRMED/PAID", emails: [], audits: [] },
    { name: "changes nothing on a refunded booking", from: { status: "CANCELLED", paymentStatus: "REFUNDED", stripeCheckoutSessionId: "cs_test_1", stripePaymentIntentId: "pi_test_1" }, to: "CANCELLED/REFUNDED", emails: [], audits: [] },
    { name: "records a payment for a free booking as an anomaly", from: { status: "CONFIRMED", paymentStatus: "NOT_REQUIRED", amountCents: 0 }, to: "CONFIRMED/NOT_REQUIRED", emails: [], audits: ["booking.payment_anomaly"], warning: /takes no payment/ },
  ];
  it.each(cases)("$name", (c) => {
    const ev = payEvent(c.pay);
    const plan = planPayment(booking(c.from), actionOf(ev, "payment"), "stripe checkout.session.completed evt_1");
    expect(`${plan.next.status}/${plan.next.paymentStatus}`).toBe(c.to);
    expect(plan.emails).toEqual(c.emails);
    expect(plan.audits.map((a) => a.action)).toEqual(c.audits);
    expect(plan.refund?.amountCents).toBe(c.refund);
    if (c.warning) expect(plan.warning).toMatch(c.warning);
    else expect(plan.warning).toBeNull();
  });

  it("writes the Stripe ids it learns, and only those", () => {
    const plan = planPayment(booking(), actionOf(payEvent(), "payment"), "ref");
    expect(plan.patch).toEqual({ status: "CONFIRMED", paymentStatus: "PAID", stripeCheckoutSessionId: "cs_test_1", stripePaymentIntentId: "pi_test_1" });
    const again = planPayment(booking({ status: "CONFIRMED", paymentStatus: "PAID", stripeCheckoutSessionId: "cs_test_1", stripePaymentIntentId: "pi_test_1" }), actionOf(payEvent(), "payment"), "ref");
    expect(again.patch).toEqual({});
  });

  it("reads a payment_intent.succeeded as a payment of amount_received", () => {
    const ev = parsed("stripe", stripePaymentIntentSucceeded({ calendlyInviteeUri: INVITEE, amountCents: 9900, paymentIntentId: "pi_test_2" }));
    const plan = planPayment(booking(), actionOf(ev, "payment"), "ref");
    expect(plan.patch).toEqual({ status: "CONFIRMED", paymentStatus: "PAID", stripePaymentIntentId: "pi_test_2" });
  });
});

describe("planCancel", () => {
  const hoursBeforeStart = (h: number) => new Date(Date.parse(START) - h * 3_600_000).toISOString();
  const cases: { name: string; from: Partial<Snapshot>; at?: string; to: string; emails: string[]; audits: string[]; refund?: number }[] = [
    { name: "cancels a pending booking, nothing to refund", from: {}, to: "CANCELLED/UNPAID", emails: ["CANCELLATION"], audits: ["booking.cancelled"] },
    { name: "cancels a free booking", from: { status: "CONFIRMED", paymentStatus: "NOT_REQUIRED", amountCents: 0 }, to: "CANCELLED/NOT_REQUIRED", emails: ["CANCELLATION"], audits: ["booking.cancelled"] },
    { name: "refunds a paid booking cancelled outside the window", from: { status: "CONFIRMED", paymentStatus: "PAID" }, at: hoursBeforeStart(48), to: "CANCELLED/PAID", emails: ["CANCELLATION"], audits: ["booking.cancelled"], refund: 9900 },
    { name: "declines the refund inside the no-refund window", from: { status: "CONFIRMED", paymentStatus: "PAID" }, at: hoursBeforeStart(2), to: "CANCELLED/PAID", emails: ["CANCELLATION"], audits: ["booking.cancelled", "booking.refund_declined"] },
    { name: "changes nothing on a booking already cancelled", from: { status: "CANCELLED" }, to: "CANCELLED/UNPAID", emails: [], audits: [] },
  ];
  it.each(cases)("$name", (c) => {
    const ev = cancelEvent(c.at ? { canceledAt: c.at } : {});
    const plan = planCancel(booking(c.from), actionOf(ev, "invitee.canceled"), NOW, { refundWindowHours: 24 }, "ref");
    expect(`${plan.next.status}/${plan.next.paymentStatus}`).toBe(c.to);
    expect(plan.emails).toEqual(c.emails);
    expect(plan.audits.map((a) => a.action)).toEqual(c.audits);
    expect(plan.refund?.amountCents).toBe(c.refund);
  });

  it("records who cancelled, why and when (Calendly's cancellation object)", () => {
    const at = "2030-03-02T09:00:00.000Z";
    const ev = cancelEvent({ canceledBy: "Ada L", cancelerType: "invitee", reason: "Travel", canceledAt: at });
    const plan = planCancel(booking(), actionOf(ev, "invitee.canceled"), NOW, { refundWindowHours: 24 }, "ref");
    expect(plan.patch).toEqual({ status: "CANCELLED", paymentStatus: "UNPAID", cancellationReason: "Travel", cancelledBy: "Ada L (invitee)", cancelledAt: new Date(at) });
    expect(plan.audits[0]!.reason).toBe("ref: Travel");
  });
});

describe("planUnlocked / planUnmatchedPayment", () => {
  const cases: { name: string; ev: () => ParsedEvent; recordOnly?: { outcome: string; correlationKey?: string | null }; action?: string }[] = [
    { name: "records a Stripe event type the intake does not act on", ev: () => parsed("stripe", stripeEvent("invoice.paid")), recordOnly: { outcome: "IGNORED" } },
    { name: "records a Calendly event type the intake does not act on", ev: () => parsed("calendly", { event: "routing_form_submission.created", payload: { uri: "https://api.calendly.com/routing_form_submissions/R1" } }), recordOnly: { outcome: "IGNORED" } },
    { name: "records an incomplete payment intent under its invitee", ev: () => parsed("stripe", stripePaymentIntentSucceeded({ calendlyInviteeUri: INVITEE, amountCents: 9900, status: "processing" })), recordOnly: { outcome: "IGNORED", correlationKey: INVITEE } },
    { name: "sends a Checkout completed with a delayed payment (unpaid) to its booking's lock", ev: () => payEvent({ paymentStatus: "unpaid" }), action: "payment" },
    { name: "sends a paid Checkout session to its booking's lock", ev: () => payEvent(), action: "payment" },
    { name: "sends invitee.created to its booking's lock", ev: createdEvent, action: "invitee.created" },
    { name: "sends invitee.canceled to its booking's lock", ev: () => cancelEvent(), action: "invitee.canceled" },
  ];
  it.each(cases)("$name", (c) => {
    const first = planUnlocked(c.ev());
    if (c.recordOnly) {
      expect("recordOnly" in first && first.recordOnly.record).toMatchObject(c.recordOnly);
      expect("recordOnly" in first && first.recordOnly.result.outcome).toBe("ignored");
    } else {
      expect("action" in first && first.action.kind).toBe(c.action);
    }
  });

  it("ignores a payment that names no booking, saying what is missing", () => {
    const plan = planUnmatchedPayment(parsed("stripe", stripeCheckoutCompleted({ amountCents: 9900 })));
    expect(plan.record).toEqual({ outcome: "IGNORED", error: "no booking_id or calendly_invitee_uri in the metadata" });
    expect(plan.result).toMatchObject({ outcome: "ignored", bookingId: null });
  });
});

function existingRead(over: Partial<ExistingRead> = {}, found: Partial<Snapshot> | null = {}): ExistingRead {
  const none = Object.fromEntries([...Object.keys(booking()), "version", "inviteeEmail"].map((k) => [k, null])) as { [K in Exclude<keyof ExistingRead, "got" | "manual" | "seen">]: null };
  const row = found === null ? none : { version: "4711", ...booking(found), inviteeEmail: "ada@example.com" };
  return { got: true, manual: false, seen: false, ...row, ...over };
}

describe("planExisting", () => {
  it("answers a repeat 'duplicate' and writes nothing", () => {
    const ev = payEvent();
    expect(planExisting(ev, actionOf(ev, "payment"), INVITEE, existingRead({ seen: true }), ctx())).toEqual({ kind: "duplicate" });
  });

  it("holds the event under manual processing", () => {
    const ev = payEvent();
    const d = planExisting(ev, actionOf(ev, "payment"), INVITEE, existingRead({ manual: true }), ctx());
    expect(d.kind === "write" && d.writes).toEqual({ record: { id: "row-1", outcome: "HELD", correlationKey: INVITEE } });
    expect(d.kind === "write" && d.result.outcome).toBe("held");
  });

  it("applies a released HELD event whatever the setting, under its own row", () => {
    const ev = payEvent();
    const d = planExisting(ev, actionOf(ev, "payment"), INVITEE, existingRead({ seen: true, manual: true }), ctx({ held: true, rowId: "held-row" }));
    expect(d.kind === "write" && d.writes.record).toMatchObject({ id: "held-row", outcome: "PROCESSED", bookingId: "b1" });
  });

  it("defers a payment whose booking does not exist yet, re-checking that on the write", () => {
    const ev = payEvent({ bookingId: "b9" });
    const d = planExisting(ev, actionOf(ev, "payment"), INVITEE, existingRead({}, null), ctx());
    expect(d.kind === "write" && d.writes).toEqual({
      record: { id: "row-1", outcome: "DEFERRED", correlationKey: INVITEE },
      staleIf: { bookingExists: { id: "b9", inviteeUri: INVITEE } },
    });
    expect(d.kind === "write" && d.result).toMatchObject({ outcome: "deferred", bookingId: null });
  });

  it("updates the booking on its row version, queues the emails to the invitee and answers processed", () => {
    const ev = payEvent();
    const d = planExisting(ev, actionOf(ev, "payment"), INVITEE, existingRead(), ctx());
    if (d.kind !== "write") throw new Error("expected a write");
    expect(d.writes.record).toEqual({ id: "row-1", outcome: "PROCESSED", bookingId: "b1", correlationKey: INVITEE, error: null });
    expect(d.writes.updateBooking).toMatchObject({ id: "b1", version: "4711", patch: { status: "CONFIRMED", paymentStatus: "PAID" } });
    expect(d.writes.effects).toMatchObject({ bookingId: "b1", to: "ada@example.com" });
    expect(kinds(d.writes.effects?.emails)).toEqual(["CONFIRMATION", "RECEIPT"]);
    expect(d.result).toMatchObject({ outcome: "processed", provider: "stripe", eventType: "checkout.session.completed", bookingId: "b1" });
    expect(d.after).toEqual([]);
  });

  it("hands a refund due to the orchestrator, tied to the event's row", () => {
    const ev = cancelEvent({ canceledAt: "2030-03-01T00:00:00.000Z" });
    const d = planExisting(ev, actionOf(ev, "invitee.canceled"), INVITEE, existingRead({}, { status: "CONFIRMED", paymentStatus: "PAID", stripePaymentIntentId: "pi_test_1" }), ctx());
    expect(d.kind === "write" && d.after).toEqual([{ kind: "refund", due: expect.objectContaining({ bookingId: "b1", paymentIntentId: "pi_test_1", amountCents: 9900 }), eventRowId: "row-1" }]);
  });
});

function createdRead(over: Partial<CreatedRead> = {}): CreatedRead {
  return { got: true, manual: false, seen: false, stId: "st1", builderId: "bu1", priceCents: 9900, currency: "usd", title: "Build session", stripePriceId: "price_1", userId: null, deferred: null, ...over };
}

const deferredRow = (id: string, provider: DeferredRow["provider"], payload: unknown, receivedMs: number): DeferredRow => ({ id, provider, payload, receivedMs });

describe("planCreated", () => {
  const planFor = (read: CreatedRead, c = ctx()) => {
    const ev = createdEvent();
    const d = planCreated(ev, actionOf(ev, "invitee.created"), read, c);
    if (d.kind !== "write") throw new Error("expected a write");
    return d;
  };

  it("answers a repeat 'duplicate'", () => {
    const ev = createdEvent();
    expect(planCreated(ev, actionOf(ev, "invitee.created"), createdRead({ seen: true }), ctx())).toEqual({ kind: "duplicate" });
  });

  it("ignores an event type no session type has, saying how to fix it", () => {
    const d = planFor(createdRead({ stId: null, builderId: null, priceCents: null, currency: null, title: null, stripePriceId: null }));
    expect(d.writes).toEqual({ record: { id: "row-1", outcome: "IGNORED", correlationKey: INVITEE, error: `unknown Calendly event type ${EVENT_TYPE}` } });
    expect(d.result.message).toMatch(/Link it to a session type/);
  });

  it("creates a free booking CONFIRMED/NOT_REQUIRED with a confirmation email", () => {
    const d = planFor(createdRead({ priceCents: 0 }));
    expect(d.writes.createBooking).toMatchObject({ id: "new-1", builderId: "bu1", inviteeEmail: "ada@example.com", inviteeName: "Ada L" });
    expect(d.writes.createBooking!.state).toMatchObject({ status: "CONFIRMED", paymentStatus: "NOT_REQUIRED", amountCents: 0, sessionTypeId: "st1", calendlyInviteeUri: INVITEE });
    expect(d.writes.effects).toMatchObject({ bookingId: "new-1", to: "ada@example.com" });
    expect(kinds(d.writes.effects?.emails)).toEqual(["CONFIRMATION"]);
    expect(d.writes.effects!.audits.map((a) => a.action)).toEqual(["booking.created"]);
    expect(d.result).toMatchObject({ outcome: "processed", bookingId: "new-1", message: "Free booking created and confirmed." });
    expect(d.result.checkoutNeeded).toBeUndefined();
  });

  it("creates a paid booking PENDING/UNPAID and asks for its Checkout session", () => {
    const d = planFor(createdRead());
    expect(d.writes.createBooking!.state).toMatchObject({ status: "PENDING", paymentStatus: "UNPAID", amountCents: 9900, currency: "usd" });
    expect(kinds(d.writes.effects!.emails)).toEqual([]);
    expect(d.writes.staleIf).toEqual({ deferredOtherThan: { key: INVITEE, ids: [] } });
    expect(d.result.checkoutNeeded).toEqual({ bookingId: "new-1" });
    expect(d.result.checkoutDetails).toEqual({ bookingId: "new-1", calendlyInviteeUri: INVITEE, amountCents: 9900, currency: "usd", productName: "Build session", customerEmail: "ada@example.com", stripePriceId: "price_1" });
  });

  const payment = stripeCheckoutCompleted({ calendlyInviteeUri: INVITEE, amountCents: 9900, paymentIntentId: "pi_test_3" });
  const cancel = calendlyInviteeCanceled({ eventTypeUri: EVENT_TYPE, inviteeUri: INVITEE, startTime: START, canceledAt: "2030-03-01T00:00:00.000Z" });
  const cases: { name: string; deferred: DeferredRow[]; to: string; applied: string[]; emails: string[]; refunds: string[] }[] = [
    { name: "applies a deferred payment: CONFIRMED/PAID", deferred: [deferredRow("d1", "STRIPE", payment, 1)], to: "CONFIRMED/PAID", applied: ["d1"], emails: ["CONFIRMATION", "RECEIPT"], refunds: [] },
    { name: "reads a deferred payload stored as JSON text", deferred: [deferredRow("d1", "STRIPE", JSON.stringify(payment), 1)], to: "CONFIRMED/PAID", applied: ["d1"], emails: ["CONFIRMATION", "RECEIPT"], refunds: [] },
    { name: "applies payment then cancellation in arrival order: refund due", deferred: [deferredRow("d2", "CALENDLY", cancel, 2), deferredRow("d1", "STRIPE", payment, 1)], to: "CANCELLED/PAID", applied: ["d1", "d2"], emails: ["CONFIRMATION", "RECEIPT", "CANCELLATION"], refunds: ["d2"] },
    { name: "applies cancellation then payment in arrival order: paid after cancel, refund due", deferred: [deferredRow("d1", "STRIPE", payment, 2), deferredRow("d2", "CALENDLY", cancel, 1)], to: "CANCELLED/PAID", applied: ["d2", "d1"], emails: ["CANCELLATION", "RECEIPT"], refunds: ["d1"] },
    { name: "leaves a deferred event that no longer parses", deferred: [deferredRow("d1", "STRIPE", { id: "not-an-event" }, 1)], to: "PENDING/UNPAID", applied: [], emails: [], refunds: [] },
  ];
  it.each(cases)("$name", (c) => {
    const d = planFor(createdRead({ deferred: c.deferred }));
    const state = d.writes.createBooking!.state;
    expect(`${state.status}/${state.paymentStatus}`).toBe(c.to);
    expect(d.writes.applied).toEqual({ ids: c.applied, bookingId: "new-1" });
    expect(kinds(d.writes.effects!.emails)).toEqual(c.emails);
    expect(refundRows(d)).toEqual(c.refunds);
    // The write re-checks that no other deferred event arrived after the read.
    expect(d.writes.staleIf?.deferredOtherThan?.key).toBe(INVITEE);
    expect([...d.writes.staleIf!.deferredOtherThan!.ids].sort()).toEqual(c.deferred.map((x) => x.id).sort());
    for (const a of d.writes.effects!.audits.slice(1)) expect(a.reason).toMatch(/\(deferred, applied on booking creation\)$/);
  });
});

describe("the lifecycle planners, one event on one booking", () => {
  const at = (iso: string) => new Date(iso);
  const ref = "ref";
  const money = (o: Record<string, unknown>) => ({ paymentIntentId: "pi_test_1", bookingId: null, ...o });

  it.each([
    ["a delayed payment on a pending booking: PENDING/PROCESSING, no email", {}, "PENDING/PROCESSING", [], ["booking.payment_processing"]],
    ["a delayed payment on a paid booking: nothing", { status: "CONFIRMED", paymentStatus: "PAID" }, "CONFIRMED/PAID", [], []],
  ] as const)("planPayment (processing): %s", (_name, from, to, emails, audits) => {
    const plan = planPayment(booking(from), actionOf(payEvent({ paymentStatus: "unpaid", paymentIntentId: "pi_test_1" }), "payment"), ref);
    expect(`${plan.next.status}/${plan.next.paymentStatus}`).toBe(to);
    expect(plan.emails).toEqual(emails);
    expect(plan.audits.map((a) => a.action)).toEqual(audits);
  });

  it.each([
    ["expired, pending, its own session: cancelled, email, slot released", "expired", { stripeCheckoutSessionId: "cs_test_1" }, "CANCELLED/UNPAID", ["CANCELLATION"], true],
    ["expired, another session of the booking: nothing", "expired", { stripeCheckoutSessionId: "cs_test_newer" }, "PENDING/UNPAID", [], false],
    ["expired, already paid: nothing", "expired", { status: "CONFIRMED", paymentStatus: "PAID", stripeCheckoutSessionId: "cs_test_1" }, "CONFIRMED/PAID", [], false],
    ["delayed payment failed: cancelled, email, slot released", "payment-failed", { paymentStatus: "PROCESSING", stripeCheckoutSessionId: "cs_test_1" }, "CANCELLED/UNPAID", ["CANCELLATION"], true],
    ["delayed payment failed after a cancellation: CANCELLED/UNPAID, no second email", "payment-failed", { status: "CANCELLED", paymentStatus: "PROCESSING", stripeCheckoutSessionId: "cs_test_1" }, "CANCELLED/UNPAID", [], false],
  ] as const)("planCheckoutEnded: %s", (_name, why, from, to, emails, release) => {
    const plan = planCheckoutEnded(booking(from), { kind: "checkout-ended", why, bookingId: "b1", inviteeUri: INVITEE, checkoutSessionId: "cs_test_1" }, NOW, ref);
    expect(`${plan.next.status}/${plan.next.paymentStatus}`).toBe(to);
    expect(plan.emails).toEqual(emails);
    expect(!!plan.release).toBe(release);
  });

  it.each([
    ["a full refund of a booking that stands: CONFIRMED/REFUNDED", { status: "CONFIRMED", paymentStatus: "PAID" }, 9900, "CONFIRMED/REFUNDED", "booking.refunded_outside"],
    ["a partial refund of a booking that stands: CONFIRMED/PARTIALLY_REFUNDED", { status: "CONFIRMED", paymentStatus: "PAID" }, 2000, "CONFIRMED/PARTIALLY_REFUNDED", "booking.refunded_outside"],
    ["bookflow's pending refund settling: CANCELLED/REFUNDED", { status: "CANCELLED", paymentStatus: "REFUND_PENDING" }, 9900, "CANCELLED/REFUNDED", "booking.refunded"],
    ["a refund of a disputed charge: stays DISPUTED, the amount recorded", { status: "CONFIRMED", paymentStatus: "DISPUTED" }, 9900, "CONFIRMED/DISPUTED", "booking.refunded_outside"],
  ] as const)("planChargeRefunded: %s", (_name, from, refunded, to, audit) => {
    const plan = planChargeRefunded(booking(from), money({ kind: "charge-refunded", chargeId: "ch_1", amountCents: 9900, refundedCents: refunded, currency: "usd" }) as never, ref);
    expect(`${plan.next.status}/${plan.next.paymentStatus}`).toBe(to);
    expect(plan.next.refundedCents).toBe(refunded);
    expect(plan.audits.map((a) => a.action)).toEqual([audit]);
  });

  it("planChargeRefunded: a smaller figure arriving late changes nothing", () => {
    const plan = planChargeRefunded(booking({ status: "CONFIRMED", paymentStatus: "REFUNDED", refundedCents: 9900 }), money({ kind: "charge-refunded", chargeId: "ch_1", amountCents: 9900, refundedCents: 3000, currency: "usd" }) as never, ref);
    expect(plan.patch).toEqual({});
  });

  it.each([
    ["succeeded: REFUNDED", "succeeded", "CANCELLED/REFUNDED", null],
    ["failed: back to CANCELLED/PAID, a warning", "failed", "CANCELLED/PAID", /still owed a refund/],
    ["canceled: back to CANCELLED/PAID, a warning", "canceled", "CANCELLED/PAID", /still owed a refund/],
    ["pending: stays REFUND_PENDING", "pending", "CANCELLED/REFUND_PENDING", null],
    ["requires_action: stays REFUND_PENDING", "requires_action", "CANCELLED/REFUND_PENDING", null],
  ] as const)("planRefundUpdated: %s", (_name, status, to, warning) => {
    const plan = planRefundUpdated(booking({ status: "CANCELLED", paymentStatus: "REFUND_PENDING", stripeRefundId: "re_1" }), money({ kind: "refund-updated", refundId: "re_1", status, amountCents: 9900 }) as never, ref);
    expect(`${plan.next.status}/${plan.next.paymentStatus}`).toBe(to);
    if (warning) expect(plan.warning).toMatch(warning);
    else expect(plan.warning).toBeNull();
  });

  it("planRefundUpdated: another refund than the booking's is left to charge.refunded", () => {
    const plan = planRefundUpdated(booking({ status: "CANCELLED", paymentStatus: "REFUND_PENDING", stripeRefundId: "re_1" }), money({ kind: "refund-updated", refundId: "re_other", status: "failed", amountCents: 9900 }) as never, ref);
    expect(plan.patch).toEqual({});
  });

  it.each([
    ["opened on a paid booking: DISPUTED", { status: "CONFIRMED", paymentStatus: "PAID" }, false, "needs_response", "CONFIRMED/DISPUTED"],
    ["won: back to PAID", { status: "CONFIRMED", paymentStatus: "DISPUTED", stripeDisputeId: "dp_1" }, true, "won", "CONFIRMED/PAID"],
    ["won after a partial refund: back to PARTIALLY_REFUNDED", { status: "CONFIRMED", paymentStatus: "DISPUTED", stripeDisputeId: "dp_1", refundedCents: 2000 }, true, "won", "CONFIRMED/PARTIALLY_REFUNDED"],
    ["lost: stays DISPUTED", { status: "CONFIRMED", paymentStatus: "DISPUTED", stripeDisputeId: "dp_1" }, true, "lost", "CONFIRMED/DISPUTED"],
    ["lost, its opening never seen: DISPUTED", { status: "CONFIRMED", paymentStatus: "PAID" }, true, "lost", "CONFIRMED/DISPUTED"],
    ["opened after it closed won (late): nothing", { status: "CONFIRMED", paymentStatus: "PAID", stripeDisputeId: "dp_1", disputeStatus: "won" }, false, "needs_response", "CONFIRMED/PAID"],
  ] as const)("planDispute: %s", (_name, from, closed, status, to) => {
    const plan = planDispute(booking(from), { kind: "dispute", disputeId: "dp_1", paymentIntentId: "pi_test_1", bookingId: null, chargeId: "ch_1", status, closed }, ref);
    expect(`${plan.next.status}/${plan.next.paymentStatus}`).toBe(to);
  });

  it.each([
    ["marked", { noShowAt: null, noShowChangedAt: null }, true, "2030-03-10T11:00:00.000Z", "2030-03-10T11:00:00.000Z"],
    ["removed", { noShowAt: at("2030-03-10T11:00:00.000Z"), noShowChangedAt: at("2030-03-10T11:00:00.000Z") }, false, "2030-03-10T12:00:00.000Z", null],
    ["an older mark after a newer removal: not applied", { noShowAt: null, noShowChangedAt: at("2030-03-10T12:00:00.000Z") }, true, "2030-03-10T11:00:00.000Z", null],
  ] as const)("planNoShow: %s", (_name, from, marked, when, noShowAt) => {
    const plan = planNoShow(booking(from), { kind: "no-show", inviteeUri: INVITEE, marked, at: at(when) }, NOW, ref);
    expect(plan.next.noShowAt?.toISOString() ?? null).toBe(noShowAt);
  });

  it.each([
    ["same session type: moved, one RESCHEDULED email, nothing to review", { sessionTypeId: "st1", priceCents: 9900, currency: "usd" }, null],
    ["another session type at the same price: moved onto it", { sessionTypeId: "st2", priceCents: 9900, currency: "usd" }, null],
    ["another price: moved, kept on its session type and amount, for review", { sessionTypeId: "st3", priceCents: 0, currency: "usd" }, /priced 0 usd/],
    ["an event type no session type has: moved, for review", { sessionTypeId: null, priceCents: null, currency: null }, /no session type has/],
  ] as const)("planMove: %s", (_name, target, review) => {
    const created = parsed("calendly", calendlyInviteeCreated({ eventTypeUri: EVENT_TYPE, inviteeUri: "https://api.calendly.com/scheduled_events/EV2/invitees/INV2", startTime: "2030-03-12T10:00:00.000Z" }));
    const plan = planMove(booking({ status: "CONFIRMED", paymentStatus: "PAID" }), actionOf(created, "invitee.created"), target, ref);
    expect(plan.next).toMatchObject({ status: "CONFIRMED", paymentStatus: "PAID", calendlyInviteeUri: "https://api.calendly.com/scheduled_events/EV2/invitees/INV2", previousInviteeUris: [INVITEE] });
    expect(plan.next.startTime.toISOString()).toBe("2030-03-12T10:00:00.000Z");
    expect(plan.emails).toEqual(["RESCHEDULED"]);
    expect(plan.refund).toBeNull();
    expect(plan.next.sessionTypeId).toBe(target.sessionTypeId === "st2" ? "st2" : "st1");
    if (review) expect(plan.next.reviewReason).toMatch(review);
    else expect(plan.next.reviewReason).toBeNull();
  });
});
