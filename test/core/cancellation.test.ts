import { describe, expect, it } from "vitest";
import {
  cancelPlanSkips,
  cancelPlanSteps,
  guardedPayments,
  planCancellation,
  refundedAmount,
  refundIdempotencyKey,
  type CancelFacts,
  type CancelOptions,
  type CancelSubject,
  type RefundTruth,
} from "../../src/core/cancellation.js";
import type { PaymentsGateway } from "../../src/core/ports.js";
import { ProviderError } from "../../src/errors.js";

/**
 * The cancellation plan is pure: booking + what the providers say + the
 * operator's options in, the steps out. The apply side (Calendly, Stripe,
 * the outbox, a re-run after an interruption) is tested against the sandbox
 * in test/commands/bookings-cancel.test.ts.
 */

const NOW = new Date("2030-03-01T12:00:00Z");
const HOUR = 3_600_000;

function booking(over: Partial<CancelSubject> = {}): CancelSubject {
  return {
    id: "bk_1",
    status: "CONFIRMED",
    paymentStatus: "PAID",
    amountCents: 14900,
    currency: "usd",
    startTime: new Date(NOW.getTime() + 72 * HOUR),
    cancelledAt: null,
    inviteeEmail: "jane@example.com",
    calendlyEventUri: "https://api.calendly.com/scheduled_events/ev1",
    calendlyInviteeUri: "https://api.calendly.com/scheduled_events/ev1/invitees/in1",
    stripePaymentIntentId: "pi_1",
    ...over,
  };
}

function facts(over: Partial<CancelFacts> = {}): CancelFacts {
  return { calendlyEventStatus: "active", refunds: [], paidAt: null, cancellationEmail: null, refundFailures: 0, ...over };
}

const options = (over: Partial<CancelOptions> = {}): CancelOptions => ({ reason: "customer asked", refund: "policy", now: NOW, policy: { refundWindowHours: 24 }, ...over });

describe("planCancellation", () => {
  it("a free booking: cancel the Calendly event and the booking, no refund, send the email", () => {
    const plan = planCancellation(booking({ paymentStatus: "NOT_REQUIRED", amountCents: 0, stripePaymentIntentId: null }), facts({ refunds: null }), options());
    expect(plan).toMatchObject({
      calendly: { action: "cancel" },
      booking: { action: "cancel", to: { status: "CANCELLED", paymentStatus: "NOT_REQUIRED" } },
      refund: { action: "skip", code: "not_paid" },
      email: { action: "send" },
      after: { status: "CANCELLED", paymentStatus: "NOT_REQUIRED" },
    });
    expect(cancelPlanSteps(plan)).toHaveLength(3);
  });

  it("a paid booking in the refund window (policy): full refund keyed by the booking id", () => {
    const plan = planCancellation(booking(), facts(), options());
    expect(plan.refund).toMatchObject({ action: "refund", amountCents: 14900, code: "in_window", idempotencyKey: "refund:bk_1", paymentIntentId: "pi_1" });
    expect(plan.after).toEqual({ status: "CANCELLED", paymentStatus: "REFUNDED" });
  });

  it.each([
    ["policy, inside the no-refund window", { refund: "policy" }, { action: "skip", code: "outside_window" }, "PAID"],
    ["full, inside the no-refund window", { refund: "full" }, { action: "refund", code: "full", amountCents: 14900 }, "REFUNDED"],
    ["none", { refund: "none" }, { action: "skip", code: "none" }, "PAID"],
  ] as const)("--refund %s", (_name, opts, refund, paymentStatus) => {
    const plan = planCancellation(booking({ startTime: new Date(NOW.getTime() + 3 * HOUR) }), facts(), options(opts));
    expect(plan.refund).toMatchObject(refund);
    expect(plan.after).toEqual({ status: "CANCELLED", paymentStatus });
  });

  it("a re-run after a failed refund: only the refund is left, with a fresh key; the window is judged when it was cancelled, not now", () => {
    const b = booking({ status: "CANCELLED", cancelledAt: new Date(NOW.getTime() - 100 * HOUR), startTime: new Date(NOW.getTime() - 20 * HOUR) });
    const plan = planCancellation(b, facts({ calendlyEventStatus: "canceled", refundFailures: 2 }), options());
    expect(plan).toMatchObject({ calendly: { action: "skip" }, booking: { action: "skip" }, refund: { action: "refund", code: "in_window", idempotencyKey: "refund:bk_1:retry-2" }, email: { action: "send" } });
    expect(cancelPlanSteps(plan)).toHaveLength(2);
    expect(cancelPlanSkips(plan)).toHaveLength(2);
  });

  it("a refund Stripe already has is recorded, never repeated; a partial one is completed", () => {
    const done = planCancellation(booking({ status: "CANCELLED" }), facts({ refunds: [{ id: "re_1", amount: 14900, status: "succeeded" }] }), options({ refund: "full" }));
    expect(done.refund).toMatchObject({ action: "record", existingRefundIds: ["re_1"] });
    const partial = planCancellation(booking(), facts({ refunds: [{ id: "re_1", amount: 5000, status: "succeeded" }, { id: "re_2", amount: 9900, status: "failed" }] }), options({ refund: "full" }));
    expect(partial.refund).toMatchObject({ action: "refund", amountCents: 9900 });
  });

  it("a payment that arrived after the cancellation is refunded in full, whatever the window", () => {
    const cancelledAt = new Date(NOW.getTime() - 2 * HOUR);
    const b = booking({ status: "CANCELLED", cancelledAt, startTime: new Date(NOW.getTime() + 1 * HOUR) });
    const plan = planCancellation(b, facts({ calendlyEventStatus: "canceled", paidAt: new Date(cancelledAt.getTime() + 60_000) }), options());
    expect(plan.refund).toMatchObject({ action: "refund", code: "paid_after_cancellation" });
  });

  it("a paid booking without a payment intent cannot be refunded here: the step is blocked, saying what to do", () => {
    const plan = planCancellation(booking({ stripePaymentIntentId: null }), facts({ refunds: null }), options({ refund: "full" }));
    expect(plan.refund).toMatchObject({ action: "blocked", code: "no_payment_intent" });
    expect(plan.refund.note).toContain("Stripe dashboard");
  });

  it("a booking cancelled before it was paid: CANCELLED/UNPAID, nothing to refund", () => {
    const plan = planCancellation(booking({ status: "PENDING", paymentStatus: "UNPAID" }), facts({ refunds: null }), options());
    expect(plan).toMatchObject({ booking: { to: { status: "CANCELLED", paymentStatus: "UNPAID" } }, refund: { action: "skip", code: "not_paid" } });
  });

  it("everything done: no steps (the gate says nothing to do)", () => {
    const plan = planCancellation(booking({ status: "CANCELLED", paymentStatus: "REFUNDED" }), facts({ calendlyEventStatus: "canceled", cancellationEmail: "SENT" }), options());
    expect(cancelPlanSteps(plan)).toEqual([]);
    expect(cancelPlanSkips(plan)).toHaveLength(4);
  });

  it("a booking without a Calendly event skips that step", () => {
    expect(planCancellation(booking({ calendlyEventUri: null }), facts({ calendlyEventStatus: null }), options()).calendly).toMatchObject({ action: "skip" });
  });
});

describe("refunds that never repeat", () => {
  const refund = (id: string, amount: number, status: string | null): RefundTruth => ({ id, amount, status });

  it("counts succeeded and pending refunds, not failed or canceled ones", () => {
    expect(refundedAmount([refund("a", 100, "succeeded"), refund("b", 50, "pending"), refund("c", 999, "failed"), refund("d", 999, "canceled")])).toBe(150);
  });

  it("keys: the intake's key first, a fresh one after each recorded failure", () => {
    expect(refundIdempotencyKey("bk_9")).toBe("refund:bk_9");
    expect(refundIdempotencyKey("bk_9", 3)).toBe("refund:bk_9:retry-3");
  });

  function fakeStripe(existing: RefundTruth[], behaviour: (key: string) => { id: string; status: string } | Error) {
    const calls: string[] = [];
    const payments: PaymentsGateway = {
      createCheckoutSession: async () => ({ id: "cs_x", url: null }),
      refund: async (req) => {
        calls.push(req.idempotencyKey);
        const r = behaviour(req.idempotencyKey);
        if (r instanceof Error) throw r;
        existing.push({ id: r.id, amount: req.amountCents ?? 0, status: r.status });
        return r;
      },
    };
    return { payments, calls, reader: { listRefunds: async () => [...existing] } };
  }

  it("answers with the refund Stripe already has instead of creating another", async () => {
    const f = fakeStripe([refund("re_old", 14900, "succeeded")], () => ({ id: "re_new", status: "succeeded" }));
    const r = await guardedPayments(f.payments, f.reader, () => 0).refund({ paymentIntentId: "pi_1", amountCents: 14900, idempotencyKey: "refund:bk_1" });
    expect(r.id).toBe("re_old");
    expect(f.calls).toEqual([]);
  });

  it("rewrites the intake's key after recorded failures", async () => {
    const f = fakeStripe([], () => ({ id: "re_new", status: "succeeded" }));
    await guardedPayments(f.payments, f.reader, (id) => (id === "bk_1" ? 2 : 0)).refund({ paymentIntentId: "pi_1", amountCents: 100, idempotencyKey: "refund:bk_1" });
    expect(f.calls).toEqual(["refund:bk_1:retry-2"]);
  });

  it("an idempotency conflict (a refund in flight elsewhere) looks again and returns the refund that landed", async () => {
    const existing: RefundTruth[] = [];
    const f = fakeStripe(existing, () => {
      existing.push(refund("re_other", 100, "succeeded"));
      return new ProviderError("stripe", "POST /v1/refunds", "Keys for idempotent requests can only be used with the same parameters", 400);
    });
    const r = await guardedPayments(f.payments, f.reader, () => 0).refund({ paymentIntentId: "pi_1", amountCents: 100, idempotencyKey: "refund:bk_1" });
    expect(r.id).toBe("re_other");
  });

  it("other errors are the caller's", async () => {
    const f = fakeStripe([], () => new ProviderError("stripe", "POST /v1/refunds", "Insufficient funds", 400));
    await expect(guardedPayments(f.payments, f.reader, () => 0).refund({ paymentIntentId: "pi_1", amountCents: 100, idempotencyKey: "refund:bk_1" })).rejects.toThrow("Insufficient funds");
  });
});
