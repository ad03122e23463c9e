/**
 * One event, one booking: given the booking as read and the parsed event, the
 * booking's next state, the columns to write, the emails, the audit entries and
 * what is due after the commit (a refund, a Calendly slot to release). Pure:
 * the orchestrator hands in `now` and the policy. Status rules come from
 * status-rules.ts; docs/booking-lifecycle.md tells the story.
 */
import type { EmailKind } from "../../generated/prisma/enums.js";
import type { BookingPolicy } from "../ports.js";
import { assertTransition, MONEY_HELD, PAYMENT_RECORDED, refundDecision, stateAfter, stateAfterCancellation, stateAfterPayment, type BookingState, type TransitionName } from "../status-rules.js";
import type { CalendlyCanceled, CalendlyCreated, ChargeRefunded, CheckoutEnded, Dispute, NoShow, Payment, RefundUpdated } from "./events.js";
import type { AuditDraft, RefundDue, SlotRelease, Snapshot } from "./model.js";

/** One event's effect on one booking. */
export interface BookingPlan {
  next: Snapshot;
  /** Columns to write (empty: the booking is unchanged). */
  patch: Partial<Snapshot>;
  emails: EmailKind[];
  /** Tells apart this plan's RESCHEDULED email from the booking's earlier ones (the new invitee's URI). */
  emailKey?: string;
  audits: AuditDraft[];
  refund: RefundDue | null;
  release?: SlotRelease | null;
  message: string;
  /** Recorded on the WebhookEvent (processed, but a person should look). */
  warning: string | null;
}

export const stateOf = (s: BookingState): { status: string; paymentStatus: string } => ({ status: s.status, paymentStatus: s.paymentStatus });

/** Nothing changes (the message says why). */
export function unchanged(current: Snapshot, message: string, warning: string | null = null): BookingPlan {
  return { next: current, patch: {}, emails: [], audits: [], refund: null, message, warning };
}

/** The plan that writes `patch` (and moves the status pair when `to` is given, through a legal transition). */
function change(current: Snapshot, patch: Partial<Snapshot>, rest: Omit<BookingPlan, "next" | "patch">, to?: BookingState): BookingPlan {
  if (to) assertTransition(current.id, current, to);
  const full = to ? { ...patch, status: to.status, paymentStatus: to.paymentStatus } : patch;
  return { ...rest, next: { ...current, ...full }, patch: full };
}


// ---------------------------------------------------------------- payments

/** A payment on a booking: PAID (confirmed, or refund due when it was cancelled), PROCESSING, an anomaly, or nothing new. */
export function planPayment(current: Snapshot, pay: Payment, ref: string): BookingPlan {
  const ids: Partial<Snapshot> = {};
  if (pay.checkoutSessionId && current.stripeCheckoutSessionId !== pay.checkoutSessionId) ids.stripeCheckoutSessionId = pay.checkoutSessionId;
  if (pay.paymentIntentId && !current.stripePaymentIntentId) ids.stripePaymentIntentId = pay.paymentIntentId;
  const keep = { next: { ...current, ...ids }, patch: ids, emails: [], refund: null };

  if (PAYMENT_RECORDED.includes(current.paymentStatus)) {
    return { ...keep, audits: [], message: `Payment already recorded (${current.paymentStatus}); nothing to change.`, warning: null };
  }
  if (pay.processing) {
    const to = stateAfter("payment-processing", current);
    if (!to) return { ...keep, audits: [], message: `The payment is processing; the booking stays ${current.status}/${current.paymentStatus}.`, warning: null };
    const audit: AuditDraft = { action: "booking.payment_processing", reason: ref, before: stateOf(current), after: { ...stateOf(to), ...ids } };
    return change(current, ids, { emails: [], audits: [audit], refund: null, message: "Checkout completed with a delayed payment method: the booking stays PENDING, payment processing.", warning: null }, to);
  }
  const to = stateAfterPayment(current);
  if (!to) {
    // A payment for a booking that needs none (free): keep the money visible, change nothing else.
    const warning = `payment received for booking ${current.id} in state ${current.status}/${current.paymentStatus}, which takes no payment; not applied — check it in Stripe`;
    const audit: AuditDraft = { action: "booking.payment_anomaly", reason: `${ref}: ${warning}`, before: stateOf(current), after: stateOf(current) };
    return { ...keep, audits: [audit], message: `Payment recorded as an anomaly: ${warning}.`, warning };
  }
  const mismatch = paymentMismatch(current, pay);
  const audits: AuditDraft[] = [
    { action: "booking.paid", reason: mismatch ? `${ref}; warning: ${mismatch}` : ref, before: stateOf(current), after: { ...stateOf(to), ...ids } },
  ];
  if (current.status === "CANCELLED") {
    const next = { ...current, ...ids, ...to };
    const decision = refundDecision(next, current.cancelledAt ?? new Date(), { refundWindowHours: 0 }, { paidAfterCancellation: true });
    const refund = { bookingId: current.id, paymentIntentId: next.stripePaymentIntentId, amountCents: decision.amountCents, reason: decision.reason };
    return change(current, ids, { emails: ["RECEIPT"], audits, refund, message: "Payment received for a cancelled booking: recorded as PAID, refund due.", warning: mismatch }, to);
  }
  return change(current, ids, { emails: ["CONFIRMATION", "RECEIPT"], audits, refund: null, message: "Payment received: booking confirmed and paid.", warning: mismatch }, to);
}

/** A warning when the payment does not cover the booking (less money, or another currency); else null. */
function paymentMismatch(current: Snapshot, pay: Payment): string | null {
  const short = pay.amountCents !== null && pay.amountCents < current.amountCents;
  const otherCurrency = pay.currency !== null && pay.currency.toLowerCase() !== current.currency.toLowerCase();
  return short || otherCurrency ? `payment of ${pay.amountCents ?? "?"} ${pay.currency ?? "?"} does not cover the booking's ${current.amountCents} ${current.currency}` : null;
}

/**
 * A Checkout session that will not be paid (expired; delayed payment failed): the booking is cancelled and its
 * Calendly event cancelled after the commit, so the slot is free again. Only the booking's own session counts:
 * an older session of a booking that has a newer one (the invitee tried again) changes nothing.
 */
export function planCheckoutEnded(current: Snapshot, a: CheckoutEnded, now: Date, ref: string): BookingPlan {
  if (current.stripeCheckoutSessionId && current.stripeCheckoutSessionId !== a.checkoutSessionId) {
    return unchanged(current, `Checkout session ${a.checkoutSessionId} is not the booking's (${current.stripeCheckoutSessionId}); nothing to change.`);
  }
  const name: TransitionName = a.why === "expired" ? "checkout-expired" : "payment-failed";
  const to = stateAfter(name, current);
  if (!to) return unchanged(current, `The Checkout session ${a.why === "expired" ? "expired" : "payment failed"}, but the booking is ${current.status}/${current.paymentStatus}; nothing to change.`);
  const reason =
    a.why === "expired" ? "The payment was not completed before the Checkout session expired, so the slot was released." : "The payment failed, so the booking was cancelled and the slot released.";
  const alreadyCancelled = current.status === "CANCELLED";
  const patch: Partial<Snapshot> = alreadyCancelled ? {} : { cancellationReason: reason, cancelledBy: "bookflow (unpaid)", cancelledAt: now };
  if (!current.stripeCheckoutSessionId) patch.stripeCheckoutSessionId = a.checkoutSessionId;
  const audit: AuditDraft = { action: a.why === "expired" ? "booking.checkout_expired" : "booking.payment_failed", reason: `${ref}: ${reason}`, before: stateOf(current), after: stateOf(to) };
  const release = !alreadyCancelled && current.calendlyEventUri ? { bookingId: current.id, eventUri: current.calendlyEventUri, reason } : null;
  return change(current, patch, { emails: alreadyCancelled ? [] : ["CANCELLATION"], audits: [audit], refund: null, release, message: `Booking cancelled: ${reason}`, warning: null }, to);
}

// ---------------------------------------------------------------- Calendly

/** A cancellation of a booking: CANCELLED, with a refund due or declined when it was paid; nothing when already cancelled. */
export function planCancel(current: Snapshot, c: CalendlyCanceled, now: Date, policy: BookingPolicy, ref: string): BookingPlan {
  if (c.rescheduled) {
    const where = c.newInviteeUri ? ` to ${c.newInviteeUri}` : "";
    return unchanged(current, `The invitee rescheduled${where}: the booking is not cancelled; it moves when Calendly's invitee.created for the new time arrives.`);
  }
  const to = stateAfterCancellation(current);
  if (!to) return unchanged(current, `Booking already ${current.status}; nothing to change.`);
  const cancelledAt = c.at ?? now;
  const cancelledBy = c.canceledBy ? (c.cancelerType ? `${c.canceledBy} (${c.cancelerType})` : c.canceledBy) : c.cancelerType;
  const next: Snapshot = { ...current, ...to, cancellationReason: c.reason, cancelledBy, cancelledAt };
  const audits: AuditDraft[] = [{ action: "booking.cancelled", reason: c.reason ? `${ref}: ${c.reason}` : ref, before: stateOf(current), after: { ...stateOf(to), cancelledBy } }];
  let refund: RefundDue | null = null;
  let message = "Booking cancelled.";
  if (current.paymentStatus === "PAID") {
    const decision = refundDecision(next, cancelledAt, policy);
    message = `Booking cancelled. ${decision.reason}`;
    if (decision.refund) refund = { bookingId: current.id, paymentIntentId: next.stripePaymentIntentId, amountCents: decision.amountCents, reason: decision.reason };
    else audits.push({ action: "booking.refund_declined", reason: decision.reason, before: null, after: null });
  } else if (MONEY_HELD.includes(current.paymentStatus)) {
    message = `Booking cancelled. No automatic refund: the payment is ${current.paymentStatus}; decide in Stripe.`;
    audits.push({ action: "booking.refund_declined", reason: message, before: null, after: null });
  }
  return change(current, { cancellationReason: c.reason, cancelledBy, cancelledAt }, { emails: ["CANCELLATION"], audits, refund, message, warning: null }, to);
}

/** A no-show mark made or removed; a change older than the last one applied (it arrived late) changes nothing. */
export function planNoShow(current: Snapshot, a: NoShow, now: Date, ref: string): BookingPlan {
  const at = a.at ?? now;
  if (current.noShowChangedAt && at.getTime() < current.noShowChangedAt.getTime()) {
    return unchanged(current, `An older no-show change (${at.toISOString()}) than the one applied (${current.noShowChangedAt.toISOString()}); nothing to change.`);
  }
  if (a.marked === (current.noShowAt !== null)) return unchanged(current, a.marked ? "Already marked a no-show; nothing to change." : "Not marked a no-show; nothing to change.");
  const patch: Partial<Snapshot> = { noShowAt: a.marked ? at : null, noShowChangedAt: at };
  const audit: AuditDraft = { action: a.marked ? "booking.no_show" : "booking.no_show_removed", reason: ref, before: { noShowAt: current.noShowAt?.toISOString() ?? null }, after: { noShowAt: a.marked ? at.toISOString() : null } };
  return change(current, patch, { emails: [], audits: [audit], refund: null, message: a.marked ? "Invitee marked a no-show." : "No-show mark removed.", warning: null });
}

/**
 * A reschedule: the booking moves to the new invitee, event and time, keeping its status and payment. A move into
 * a session type with another price is not a silent upgrade or downgrade: the booking keeps its session type and
 * amount and is marked for review (`reviewReason`).
 */
export function planMove(current: Snapshot, a: CalendlyCreated, target: { sessionTypeId: string | null; priceCents: number | null; currency: string | null }, ref: string): BookingPlan {
  const patch: Partial<Snapshot> = {
    calendlyInviteeUri: a.inviteeUri,
    calendlyEventUri: a.eventUri,
    startTime: a.startTime,
    endTime: a.endTime,
    previousInviteeUris: [...current.previousInviteeUris, ...(current.calendlyInviteeUri ? [current.calendlyInviteeUri] : [])],
  };
  let warning: string | null = null;
  if (target.sessionTypeId === null) {
    warning = `rescheduled into Calendly event type ${a.eventTypeUri}, which no session type has; the booking keeps its session type`;
  } else if (target.sessionTypeId !== current.sessionTypeId) {
    const samePrice = Number(target.priceCents) === current.amountCents && (target.currency ?? "").toLowerCase() === current.currency.toLowerCase();
    if (samePrice) patch.sessionTypeId = target.sessionTypeId;
    else warning = `rescheduled into another session type priced ${target.priceCents} ${target.currency} (the booking's is ${current.amountCents} ${current.currency}); an operator decides whether to charge or refund the difference`;
  }
  if (warning) patch.reviewReason = warning;
  const from = current.startTime.toISOString();
  const audit: AuditDraft = {
    action: "booking.rescheduled",
    reason: warning ? `${ref}; needs review: ${warning}` : ref,
    before: { startTime: from, inviteeUri: current.calendlyInviteeUri },
    after: { startTime: a.startTime.toISOString(), inviteeUri: a.inviteeUri },
  };
  const message = `Booking rescheduled from ${from} to ${a.startTime.toISOString()}; its status and payment are unchanged${warning ? ` (needs review: ${warning})` : ""}.`;
  return change(current, patch, { emails: ["RESCHEDULED"], emailKey: a.inviteeUri, audits: [audit], refund: null, message, warning });
}

// ---------------------------------------------------------------- money after the payment

/** charge.refunded: what Stripe says is refunded of the charge (bookflow's refund settling, or one made elsewhere). */
export function planChargeRefunded(current: Snapshot, a: ChargeRefunded, ref: string): BookingPlan {
  const refunded = Math.max(current.refundedCents, a.refundedCents);
  if (refunded === current.refundedCents && current.paymentStatus !== "REFUND_PENDING") return unchanged(current, `Refund of ${refunded} already recorded; nothing to change.`);
  const full = refunded >= a.amountCents;
  const to = current.paymentStatus === "DISPUTED" ? null : full ? (stateAfter("refund", current) ?? stateAfter("refund-outside", current)) : stateAfter("partial-refund", current);
  const outside = current.paymentStatus !== "REFUND_PENDING" && current.status !== "CANCELLED";
  const audit: AuditDraft = {
    action: outside ? "booking.refunded_outside" : "booking.refunded",
    reason: `${ref}: Stripe reports ${refunded} of ${a.amountCents} ${a.currency} refunded on charge ${a.chargeId}${outside ? " (not asked for by bookflow)" : ""}`,
    before: { ...stateOf(current), refundedCents: current.refundedCents },
    after: { ...stateOf(to ?? current), refundedCents: refunded },
  };
  const label = full ? "refunded in full" : `partly refunded (${refunded} of ${a.amountCents})`;
  return change(current, { refundedCents: refunded }, { emails: [], audits: [audit], refund: null, message: `Charge ${label}; booking now ${(to ?? current).status}/${(to ?? current).paymentStatus}.`, warning: null }, to ?? undefined);
}

/**
 * refund.updated: a refund bookflow asked for settles (succeeded → REFUNDED) or fails (failed, canceled → back to
 * CANCELLED/PAID, where --stuck and reconcile show it). Refunds other than the booking's own are left to charge.refunded.
 */
export function planRefundUpdated(current: Snapshot, a: RefundUpdated, ref: string): BookingPlan {
  if (current.stripeRefundId && current.stripeRefundId !== a.refundId) return unchanged(current, `Refund ${a.refundId} is not the booking's (${current.stripeRefundId}); charge.refunded records refunds made elsewhere.`);
  if (a.status === "succeeded") {
    const refunded = Math.max(current.refundedCents, a.amountCents);
    const full = refunded >= current.amountCents;
    const to = current.paymentStatus === "PARTIALLY_REFUNDED" && !full ? null : stateAfter(full ? "refund" : "partial-refund", current);
    if (!to) return unchanged(current, `Refund ${a.refundId} succeeded; the booking is ${current.status}/${current.paymentStatus} already.`);
    const audit: AuditDraft = { action: "booking.refunded", reason: `${ref}: Stripe refund ${a.refundId} succeeded`, before: stateOf(current), after: stateOf(to) };
    const patch: Partial<Snapshot> = { stripeRefundId: a.refundId, refundedCents: refunded };
    return change(current, patch, { emails: [], audits: [audit], refund: null, message: `Refund ${a.refundId} succeeded: booking refunded.`, warning: null }, to);
  }
  if (a.status === "failed" || a.status === "canceled") {
    const to = stateAfter("refund-failed", current);
    if (!to) return unchanged(current, `Refund ${a.refundId} ${a.status}; the booking is ${current.status}/${current.paymentStatus}, nothing to change.`);
    const warning = `Stripe refund ${a.refundId} ${a.status}: the booking is back to CANCELLED/PAID and still owed a refund`;
    const audit: AuditDraft = { action: "booking.refund_failed", reason: `${ref}: ${warning}`, before: stateOf(current), after: stateOf(to) };
    return change(current, {}, { emails: [], audits: [audit], refund: null, message: `${warning}.`, warning }, to);
  }
  return unchanged(current, `Refund ${a.refundId} is ${a.status ?? "without a status"}; the booking stays ${current.status}/${current.paymentStatus} until Stripe settles it.`);
}

/** Dispute statuses that end with the money kept (Stripe's Dispute.status). */
const DISPUTE_KEPT = ["won", "prevented", "warning_closed"];

/** charge.dispute.created / closed: DISPUTED while open; won → back to what the payment was; lost → stays DISPUTED. */
export function planDispute(current: Snapshot, a: Dispute, ref: string): BookingPlan {
  const sameDispute = current.stripeDisputeId === a.disputeId;
  const closedAlready = sameDispute && current.disputeStatus !== null && (DISPUTE_KEPT.includes(current.disputeStatus) || current.disputeStatus === "lost");
  if (!a.closed && closedAlready) return unchanged(current, `Dispute ${a.disputeId} is closed (${current.disputeStatus}) already; nothing to change.`);
  const ids: Partial<Snapshot> = { stripeDisputeId: a.disputeId, disputeStatus: a.status };
  const kept = a.closed && DISPUTE_KEPT.includes(a.status);
  let to: BookingState | null;
  if (kept) to = current.paymentStatus === "DISPUTED" ? stateAfter("dispute-won", current, current.refundedCents > 0 ? "PARTIALLY_REFUNDED" : "PAID") : null;
  else to = current.paymentStatus === "DISPUTED" ? null : stateAfter("dispute", current);
  if (!to && sameDispute && current.disputeStatus === a.status) return unchanged(current, `Dispute ${a.disputeId} is ${a.status} already; nothing to change.`);
  const verb = !a.closed ? "opened" : kept ? `closed (${a.status}): the payment stands` : `closed (${a.status})`;
  const audit: AuditDraft = { action: a.closed ? "booking.dispute_closed" : "booking.disputed", reason: `${ref}: dispute ${a.disputeId} ${verb}`, before: stateOf(current), after: { ...stateOf(to ?? current), disputeStatus: a.status } };
  const warning = !kept ? `dispute ${a.disputeId} ${verb} on booking ${current.id}` : null;
  return change(current, ids, { emails: [], audits: [audit], refund: null, message: `Dispute ${verb}; booking now ${(to ?? current).status}/${(to ?? current).paymentStatus}.`, warning }, to ?? undefined);
}
