/**
 * Booking status and payment status rules, in one place.
 *
 * A booking's state is the pair (status, paymentStatus). Only these pairs are
 * valid states:
 *
 *   PENDING   / UNPAID              paid session type, waiting for the Stripe payment
 *   PENDING   / PROCESSING          Checkout completed with a delayed method; the money is not in yet
 *   CONFIRMED / NOT_REQUIRED        free session type, booked
 *   CONFIRMED / PAID                paid session type, paid
 *   CONFIRMED / PARTIALLY_REFUNDED  paid, part of it refunded outside bookflow (Stripe dashboard)
 *   CONFIRMED / REFUNDED            paid, refunded in full outside bookflow; the session still stands
 *   CONFIRMED / DISPUTED            paid, the charge is disputed
 *   CANCELLED / NOT_REQUIRED        free booking, cancelled
 *   CANCELLED / UNPAID              cancelled (or its Checkout expired, or its delayed payment failed) before it was paid
 *   CANCELLED / PROCESSING          cancelled while a delayed payment was on its way
 *   CANCELLED / PAID                cancelled after payment: refund-eligible, not yet refunded (or the refund failed)
 *   CANCELLED / REFUND_PENDING      refund asked for; Stripe has not settled it
 *   CANCELLED / PARTIALLY_REFUNDED  cancelled, part of the payment refunded
 *   CANCELLED / REFUNDED            cancelled and refunded
 *   CANCELLED / DISPUTED            cancelled, the charge is disputed
 *
 * The transitions between them are the table below; everything else is illegal.
 * Decisions taken for the edge cases:
 * - A no-op (same state to same state) is not a transition: `canTransition`
 *   answers false, and callers detect "nothing to do" before asking.
 * - CANCELLED is final for the booking status: a cancelled booking is never
 *   confirmed again (a new booking is made instead).
 * - REFUNDED is final for the payment status.
 * - A reschedule is not a transition: the booking keeps its state and moves to
 *   the new time (see docs/booking-lifecycle.md).
 * - Money received must never be lost: a payment arriving for a CANCELLED /
 *   UNPAID (or PROCESSING) booking is recorded as PAID while the status stays
 *   CANCELLED ("pay-after-cancel"). The booking is then refund-eligible, and it
 *   is refunded in full whatever the refund window (see `refundDecision`'s
 *   `paidAfterCancellation`): the customer paid for a booking that no longer existed.
 * - bookflow asks for a refund only of a cancelled booking (CANCELLED / PAID →
 *   REFUND_PENDING or REFUNDED). REFUNDED is recorded only when Stripe says the
 *   refund `succeeded`; a refund that fails or is canceled takes the booking
 *   back to CANCELLED / PAID, where `bookings list --stuck` and reconcile show it.
 * - Refunds and disputes made outside bookflow are facts, not requests: a
 *   dashboard refund of a CONFIRMED booking is recorded (CONFIRMED / REFUNDED or
 *   PARTIALLY_REFUNDED) and the session stays booked; a person decides whether
 *   it still takes place.
 * - A dispute won goes back to what the payment was (PAID, or PARTIALLY_REFUNDED
 *   when part was refunded); a dispute lost stays DISPUTED, with
 *   Booking.disputeStatus = "lost".
 * - A payment for a free booking (CONFIRMED / NOT_REQUIRED) is not a transition;
 *   the intake records it as an anomaly for a person to look at.
 * - PENDING / NOT_REQUIRED (the schema's column defaults) is not a valid state;
 *   bookings are always created with an explicit pair.
 */
import type { BookingStatus, PaymentStatus } from "../generated/prisma/enums.js";
import type { BookingPolicy } from "./ports.js";

export type { BookingStatus, PaymentStatus };

export const BOOKING_STATUSES = ["PENDING", "CONFIRMED", "CANCELLED"] as const satisfies readonly BookingStatus[];
export const PAYMENT_STATUSES = [
  "NOT_REQUIRED",
  "UNPAID",
  "PROCESSING",
  "PAID",
  "REFUND_PENDING",
  "PARTIALLY_REFUNDED",
  "REFUNDED",
  "DISPUTED",
] as const satisfies readonly PaymentStatus[];

/** Payment statuses that say the payment was recorded (whatever happened to the money since). */
export const PAYMENT_RECORDED: readonly PaymentStatus[] = ["PAID", "REFUND_PENDING", "PARTIALLY_REFUNDED", "REFUNDED", "DISPUTED"];

/** Payment statuses under which money of the customer's is (or may be) held: what a cancellation may owe back. */
export const MONEY_HELD: readonly PaymentStatus[] = ["PAID", "PARTIALLY_REFUNDED", "DISPUTED", "REFUND_PENDING"];

export interface BookingState {
  status: BookingStatus;
  paymentStatus: PaymentStatus;
}

export type TransitionName =
  | "book-free"
  | "book-paid"
  | "payment-processing"
  | "pay"
  | "pay-after-cancel"
  | "payment-failed"
  | "checkout-expired"
  | "cancel"
  | "refund-requested"
  | "refund"
  | "refund-failed"
  | "partial-refund"
  | "refund-outside"
  | "dispute"
  | "dispute-won";

export interface Transition {
  name: TransitionName;
  /** null: the booking does not exist yet (creation). */
  from: BookingState | null;
  to: BookingState;
}

const s = (status: BookingStatus, paymentStatus: PaymentStatus): BookingState => ({ status, paymentStatus });

/** Every legal transition. */
export const TRANSITIONS: readonly Transition[] = [
  { name: "book-free", from: null, to: s("CONFIRMED", "NOT_REQUIRED") },
  { name: "book-paid", from: null, to: s("PENDING", "UNPAID") },
  { name: "payment-processing", from: s("PENDING", "UNPAID"), to: s("PENDING", "PROCESSING") },
  { name: "pay", from: s("PENDING", "UNPAID"), to: s("CONFIRMED", "PAID") },
  { name: "pay", from: s("PENDING", "PROCESSING"), to: s("CONFIRMED", "PAID") },
  { name: "pay-after-cancel", from: s("CANCELLED", "UNPAID"), to: s("CANCELLED", "PAID") },
  { name: "pay-after-cancel", from: s("CANCELLED", "PROCESSING"), to: s("CANCELLED", "PAID") },
  { name: "payment-failed", from: s("PENDING", "PROCESSING"), to: s("CANCELLED", "UNPAID") },
  { name: "payment-failed", from: s("CANCELLED", "PROCESSING"), to: s("CANCELLED", "UNPAID") },
  { name: "checkout-expired", from: s("PENDING", "UNPAID"), to: s("CANCELLED", "UNPAID") },
  { name: "cancel", from: s("PENDING", "UNPAID"), to: s("CANCELLED", "UNPAID") },
  { name: "cancel", from: s("PENDING", "PROCESSING"), to: s("CANCELLED", "PROCESSING") },
  { name: "cancel", from: s("CONFIRMED", "NOT_REQUIRED"), to: s("CANCELLED", "NOT_REQUIRED") },
  { name: "cancel", from: s("CONFIRMED", "PAID"), to: s("CANCELLED", "PAID") },
  { name: "cancel", from: s("CONFIRMED", "PARTIALLY_REFUNDED"), to: s("CANCELLED", "PARTIALLY_REFUNDED") },
  { name: "cancel", from: s("CONFIRMED", "REFUNDED"), to: s("CANCELLED", "REFUNDED") },
  { name: "cancel", from: s("CONFIRMED", "DISPUTED"), to: s("CANCELLED", "DISPUTED") },
  { name: "refund-requested", from: s("CANCELLED", "PAID"), to: s("CANCELLED", "REFUND_PENDING") },
  { name: "refund", from: s("CANCELLED", "PAID"), to: s("CANCELLED", "REFUNDED") },
  { name: "refund", from: s("CANCELLED", "REFUND_PENDING"), to: s("CANCELLED", "REFUNDED") },
  { name: "refund", from: s("CANCELLED", "PARTIALLY_REFUNDED"), to: s("CANCELLED", "REFUNDED") },
  { name: "refund-failed", from: s("CANCELLED", "REFUND_PENDING"), to: s("CANCELLED", "PAID") },
  { name: "partial-refund", from: s("CONFIRMED", "PAID"), to: s("CONFIRMED", "PARTIALLY_REFUNDED") },
  { name: "partial-refund", from: s("CANCELLED", "PAID"), to: s("CANCELLED", "PARTIALLY_REFUNDED") },
  { name: "partial-refund", from: s("CANCELLED", "REFUND_PENDING"), to: s("CANCELLED", "PARTIALLY_REFUNDED") },
  { name: "refund-outside", from: s("CONFIRMED", "PAID"), to: s("CONFIRMED", "REFUNDED") },
  { name: "refund-outside", from: s("CONFIRMED", "PARTIALLY_REFUNDED"), to: s("CONFIRMED", "REFUNDED") },
  { name: "dispute", from: s("CONFIRMED", "PAID"), to: s("CONFIRMED", "DISPUTED") },
  { name: "dispute", from: s("CONFIRMED", "PARTIALLY_REFUNDED"), to: s("CONFIRMED", "DISPUTED") },
  { name: "dispute", from: s("CANCELLED", "PAID"), to: s("CANCELLED", "DISPUTED") },
  { name: "dispute", from: s("CANCELLED", "PARTIALLY_REFUNDED"), to: s("CANCELLED", "DISPUTED") },
  { name: "dispute", from: s("CANCELLED", "REFUND_PENDING"), to: s("CANCELLED", "DISPUTED") },
  { name: "dispute-won", from: s("CONFIRMED", "DISPUTED"), to: s("CONFIRMED", "PAID") },
  { name: "dispute-won", from: s("CONFIRMED", "DISPUTED"), to: s("CONFIRMED", "PARTIALLY_REFUNDED") },
  { name: "dispute-won", from: s("CANCELLED", "DISPUTED"), to: s("CANCELLED", "PAID") },
  { name: "dispute-won", from: s("CANCELLED", "DISPUTED"), to: s("CANCELLED", "PARTIALLY_REFUNDED") },
];

/** The valid (status, paymentStatus) pairs. */
export const VALID_STATES: readonly BookingState[] = [
  s("PENDING", "UNPAID"),
  s("PENDING", "PROCESSING"),
  s("CONFIRMED", "NOT_REQUIRED"),
  s("CONFIRMED", "PAID"),
  s("CONFIRMED", "PARTIALLY_REFUNDED"),
  s("CONFIRMED", "REFUNDED"),
  s("CONFIRMED", "DISPUTED"),
  s("CANCELLED", "NOT_REQUIRED"),
  s("CANCELLED", "UNPAID"),
  s("CANCELLED", "PROCESSING"),
  s("CANCELLED", "PAID"),
  s("CANCELLED", "REFUND_PENDING"),
  s("CANCELLED", "PARTIALLY_REFUNDED"),
  s("CANCELLED", "REFUNDED"),
  s("CANCELLED", "DISPUTED"),
];

export function sameState(a: BookingState | null, b: BookingState | null): boolean {
  if (a === null || b === null) return a === b;
  return a.status === b.status && a.paymentStatus === b.paymentStatus;
}

export function isValidState(state: BookingState): boolean {
  return VALID_STATES.some((v) => sameState(v, state));
}

export function formatState(state: BookingState | null): string {
  return state === null ? "(new)" : `${state.status}/${state.paymentStatus}`;
}

/** The legal transition from → to, or undefined. */
export function findTransition(from: BookingState | null, to: BookingState): Transition | undefined {
  return TRANSITIONS.find((t) => sameState(t.from, from) && sameState(t.to, to));
}

export function canTransition(from: BookingState | null, to: BookingState): boolean {
  return findTransition(from, to) !== undefined;
}

export class IllegalTransitionError extends Error {
  override name = "IllegalTransitionError";
  readonly code = "ILLEGAL_TRANSITION";
  constructor(
    readonly bookingId: string,
    readonly from: BookingState | null,
    readonly to: BookingState,
  ) {
    super(`Booking ${bookingId} cannot go from ${formatState(from)} to ${formatState(to)}: no such transition in the booking status rules.`);
  }
}

/** Returns the transition, or throws IllegalTransitionError naming the booking and both states. */
export function assertTransition(bookingId: string, from: BookingState | null, to: BookingState): Transition {
  const t = findTransition(from, to);
  if (!t) throw new IllegalTransitionError(bookingId, from, to);
  return t;
}

/** The state a new booking starts in. */
export function initialState(amountCents: number): BookingState {
  return amountCents > 0 ? s("PENDING", "UNPAID") : s("CONFIRMED", "NOT_REQUIRED");
}

/** Where a named transition takes the booking from here, or null when there is no such transition from here. */
export function stateAfter(name: TransitionName, from: BookingState, paymentStatus?: PaymentStatus): BookingState | null {
  const t = TRANSITIONS.find((x) => x.name === name && sameState(x.from, from) && (paymentStatus === undefined || x.to.paymentStatus === paymentStatus));
  return t ? t.to : null;
}

/** Where a payment takes the booking, or null when a payment is not a transition from here. */
export function stateAfterPayment(from: BookingState): BookingState | null {
  const to = from.status === "CANCELLED" ? s("CANCELLED", "PAID") : s("CONFIRMED", "PAID");
  return canTransition(from, to) ? to : null;
}

/** Where a cancellation takes the booking, or null when it cannot be cancelled (already cancelled). */
export function stateAfterCancellation(from: BookingState): BookingState | null {
  const to = s("CANCELLED", from.paymentStatus);
  return canTransition(from, to) ? to : null;
}

export type RefundReasonCode = "not_paid" | "in_window" | "outside_window" | "paid_after_cancellation";

export interface RefundDecision {
  refund: boolean;
  amountCents: number;
  code: RefundReasonCode;
  /** A sentence for people (audit log, command output). */
  reason: string;
}

export interface RefundableBooking extends BookingState {
  amountCents: number;
  startTime: Date;
}

/**
 * Whether a booking cancelled at `cancelledAt` is refunded: in full when it was
 * cancelled at least `policy.refundWindowHours` before its start, not at all
 * otherwise; never unless it is PAID. The booking's status is not looked at,
 * so a command can preview the decision before it cancels.
 * `paidAfterCancellation`: the payment arrived after the booking was cancelled,
 * which is always refunded in full.
 */
export function refundDecision(
  booking: RefundableBooking,
  cancelledAt: Date,
  policy: BookingPolicy,
  options: { paidAfterCancellation?: boolean } = {},
): RefundDecision {
  if (booking.paymentStatus !== "PAID") {
    return { refund: false, amountCents: 0, code: "not_paid", reason: `No refund: the payment status is ${booking.paymentStatus}, not PAID.` };
  }
  if (options.paidAfterCancellation) {
    return {
      refund: true,
      amountCents: booking.amountCents,
      code: "paid_after_cancellation",
      reason: "Full refund: the payment arrived after the booking had been cancelled.",
    };
  }
  const hoursBefore = (booking.startTime.getTime() - cancelledAt.getTime()) / 3_600_000;
  if (hoursBefore >= policy.refundWindowHours) {
    return {
      refund: true,
      amountCents: booking.amountCents,
      code: "in_window",
      reason: `Full refund: cancelled ${formatHours(hoursBefore)} before the start (the window is ${policy.refundWindowHours}h).`,
    };
  }
  return {
    refund: false,
    amountCents: 0,
    code: "outside_window",
    reason:
      hoursBefore >= 0
        ? `No refund: cancelled ${formatHours(hoursBefore)} before the start, inside the ${policy.refundWindowHours}h no-refund window.`
        : `No refund: cancelled ${formatHours(-hoursBefore)} after the start.`,
  };
}

function formatHours(h: number): string {
  return `${Math.round(h * 10) / 10}h`;
}
