import { describe, expect, it } from "vitest";
import {
  assertTransition,
  BOOKING_STATUSES,
  canTransition,
  IllegalTransitionError,
  initialState,
  isValidState,
  PAYMENT_STATUSES,
  refundDecision,
  stateAfterCancellation,
  stateAfterPayment,
  type BookingState,
} from "../../src/core/status-rules.js";

const st = (pair: string): BookingState => {
  const [status, paymentStatus] = pair.split("/") as [BookingState["status"], BookingState["paymentStatus"]];
  return { status, paymentStatus };
};

// The legal transitions, written out independently of the implementation's table.
const LEGAL: [string | null, string][] = [
  [null, "CONFIRMED/NOT_REQUIRED"],
  [null, "PENDING/UNPAID"],
  ["PENDING/UNPAID", "CONFIRMED/PAID"],
  ["CANCELLED/UNPAID", "CANCELLED/PAID"],
  ["PENDING/UNPAID", "CANCELLED/UNPAID"],
  ["CONFIRMED/NOT_REQUIRED", "CANCELLED/NOT_REQUIRED"],
  ["CONFIRMED/PAID", "CANCELLED/PAID"],
  ["CANCELLED/PAID", "CANCELLED/REFUNDED"],
  // delayed payments
  ["PENDING/UNPAID", "PENDING/PROCESSING"],
  ["PENDING/PROCESSING", "CONFIRMED/PAID"],
  ["CANCELLED/PROCESSING", "CANCELLED/PAID"],
  ["PENDING/PROCESSING", "CANCELLED/UNPAID"],
  ["CANCELLED/PROCESSING", "CANCELLED/UNPAID"],
  ["PENDING/PROCESSING", "CANCELLED/PROCESSING"],
  // refunds that Stripe settles later, or that fail
  ["CANCELLED/PAID", "CANCELLED/REFUND_PENDING"],
  ["CANCELLED/REFUND_PENDING", "CANCELLED/REFUNDED"],
  ["CANCELLED/REFUND_PENDING", "CANCELLED/PAID"],
  // refunds made outside bookflow
  ["CONFIRMED/PAID", "CONFIRMED/PARTIALLY_REFUNDED"],
  ["CANCELLED/PAID", "CANCELLED/PARTIALLY_REFUNDED"],
  ["CANCELLED/REFUND_PENDING", "CANCELLED/PARTIALLY_REFUNDED"],
  ["CONFIRMED/PAID", "CONFIRMED/REFUNDED"],
  ["CONFIRMED/PARTIALLY_REFUNDED", "CONFIRMED/REFUNDED"],
  ["CANCELLED/PARTIALLY_REFUNDED", "CANCELLED/REFUNDED"],
  // cancelling what was refunded or disputed outside bookflow
  ["CONFIRMED/PARTIALLY_REFUNDED", "CANCELLED/PARTIALLY_REFUNDED"],
  ["CONFIRMED/REFUNDED", "CANCELLED/REFUNDED"],
  ["CONFIRMED/DISPUTED", "CANCELLED/DISPUTED"],
  // disputes, and disputes won
  ["CONFIRMED/PAID", "CONFIRMED/DISPUTED"],
  ["CONFIRMED/PARTIALLY_REFUNDED", "CONFIRMED/DISPUTED"],
  ["CANCELLED/PAID", "CANCELLED/DISPUTED"],
  ["CANCELLED/PARTIALLY_REFUNDED", "CANCELLED/DISPUTED"],
  ["CANCELLED/REFUND_PENDING", "CANCELLED/DISPUTED"],
  ["CONFIRMED/DISPUTED", "CONFIRMED/PAID"],
  ["CONFIRMED/DISPUTED", "CONFIRMED/PARTIALLY_REFUNDED"],
  ["CANCELLED/DISPUTED", "CANCELLED/PAID"],
  ["CANCELLED/DISPUTED", "CANCELLED/PARTIALLY_REFUNDED"],
];

const ALL_PAIRS = BOOKING_STATUSES.flatMap((s) => PAYMENT_STATUSES.map((p) => `${s}/${p}`));
const legalKey = new Set(LEGAL.map(([f, t]) => `${f ?? "(new)"} -> ${t}`));
const table = [null, ...ALL_PAIRS].flatMap((from) => ALL_PAIRS.map((to) => ({ from, to, legal: legalKey.has(`${from ?? "(new)"} -> ${to}`) })));

describe("booking status transitions", () => {
  it("covers all 25 × 24 (from, to) pairs, 35 of them legal", () => {
    expect(LEGAL).toHaveLength(35);
    expect(table).toHaveLength(25 * 24);
    expect(table.filter((r) => r.legal)).toHaveLength(LEGAL.length);
  });

  it.each(table.filter((r) => r.legal))("allows $from -> $to", ({ from, to }) => {
    const f = from === null ? null : st(from);
    expect(canTransition(f, st(to))).toBe(true);
    expect(() => assertTransition("bk_1", f, st(to))).not.toThrow();
  });

  it.each(table.filter((r) => !r.legal))("refuses $from -> $to", ({ from, to }) => {
    const f = from === null ? null : st(from);
    expect(canTransition(f, st(to))).toBe(false);
    let error: unknown;
    try {
      assertTransition("bk_42", f, st(to));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(IllegalTransitionError);
    const e = error as IllegalTransitionError;
    expect(e.code).toBe("ILLEGAL_TRANSITION");
    expect(e.bookingId).toBe("bk_42");
    expect(e.message).toContain("bk_42");
    expect(e.message).toContain(from ?? "(new)");
    expect(e.message).toContain(to);
  });

  it("has CANCELLED and REFUNDED as final states", () => {
    for (const to of ALL_PAIRS) {
      if (!to.startsWith("CANCELLED")) {
        for (const p of PAYMENT_STATUSES) expect(canTransition(st(`CANCELLED/${p}`), st(to))).toBe(false);
      }
      expect(canTransition(st("CANCELLED/REFUNDED"), st(to))).toBe(false);
    }
  });

  it("names the valid states", () => {
    expect(ALL_PAIRS.filter((p) => isValidState(st(p))).sort()).toEqual(
      [
        "PENDING/UNPAID",
        "PENDING/PROCESSING",
        "CONFIRMED/NOT_REQUIRED",
        "CONFIRMED/PAID",
        "CONFIRMED/PARTIALLY_REFUNDED",
        "CONFIRMED/REFUNDED",
        "CONFIRMED/DISPUTED",
        "CANCELLED/NOT_REQUIRED",
        "CANCELLED/UNPAID",
        "CANCELLED/PROCESSING",
        "CANCELLED/PAID",
        "CANCELLED/REFUND_PENDING",
        "CANCELLED/PARTIALLY_REFUNDED",
        "CANCELLED/REFUNDED",
        "CANCELLED/DISPUTED",
      ].sort(),
    );
  });

  it("derives the state after creation, payment and cancellation", () => {
    expect(initialState(0)).toEqual(st("CONFIRMED/NOT_REQUIRED"));
    expect(initialState(9900)).toEqual(st("PENDING/UNPAID"));
    expect(stateAfterPayment(st("PENDING/UNPAID"))).toEqual(st("CONFIRMED/PAID"));
    expect(stateAfterPayment(st("CANCELLED/UNPAID"))).toEqual(st("CANCELLED/PAID"));
    expect(stateAfterPayment(st("CONFIRMED/NOT_REQUIRED"))).toBeNull();
    expect(stateAfterPayment(st("CONFIRMED/PAID"))).toBeNull();
    expect(stateAfterCancellation(st("CONFIRMED/PAID"))).toEqual(st("CANCELLED/PAID"));
    expect(stateAfterCancellation(st("PENDING/UNPAID"))).toEqual(st("CANCELLED/UNPAID"));
    expect(stateAfterCancellation(st("CANCELLED/PAID"))).toBeNull();
  });
});

describe("refundDecision", () => {
  const start = new Date("2030-01-10T12:00:00Z");
  const paid = { ...st("CANCELLED/PAID"), amountCents: 9900, startTime: start };
  const policy = { refundWindowHours: 24 };
  const hoursBefore = (h: number) => new Date(start.getTime() - h * 3_600_000);

  it.each([
    { name: "well before the window", at: hoursBefore(72), refund: true, code: "in_window" },
    { name: "exactly at the window edge", at: hoursBefore(24), refund: true, code: "in_window" },
    { name: "just inside the no-refund window", at: hoursBefore(23.9), refund: false, code: "outside_window" },
    { name: "after the start", at: hoursBefore(-1), refund: false, code: "outside_window" },
  ])("decides a PAID booking cancelled $name", ({ at, refund, code }) => {
    const d = refundDecision(paid, at, policy);
    expect(d).toMatchObject({ refund, code, amountCents: refund ? 9900 : 0 });
    expect(d.reason.length).toBeGreaterThan(0);
  });

  it.each(["NOT_REQUIRED", "UNPAID", "REFUNDED"] as const)("never refunds a booking whose payment status is %s", (paymentStatus) => {
    expect(refundDecision({ ...paid, paymentStatus }, hoursBefore(100), policy)).toMatchObject({ refund: false, amountCents: 0, code: "not_paid" });
  });

  it("refunds a payment that arrived after the cancellation in full, whatever the window", () => {
    expect(refundDecision(paid, hoursBefore(1), policy, { paidAfterCancellation: true })).toMatchObject({ refund: true, amountCents: 9900, code: "paid_after_cancellation" });
  });

  it("uses the policy's window", () => {
    expect(refundDecision(paid, hoursBefore(30), { refundWindowHours: 48 }).refund).toBe(false);
    expect(refundDecision(paid, hoursBefore(30), { refundWindowHours: 12 }).refund).toBe(true);
  });
});
