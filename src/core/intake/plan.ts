/**
 * The pure planners: given a parsed event and the rows its lock+read statement
 * read, decide the write (the event's outcome, the booking's new state, the
 * emails to queue, the audit entries, the refunds due after commit) and the
 * answer. No I/O, no clock, no random ids: the orchestrator hands in `now` and
 * the ids (PlanContext), so a planner's answer depends on its arguments alone.
 * Status rules come from status-rules.ts.
 */
import type { EmailKind } from "../../generated/prisma/enums.js";
import { DEFAULT_POLICY, type BookingPolicy } from "../ports.js";
import { assertTransition, initialState, refundDecision, stateAfterCancellation, stateAfterPayment, type BookingState } from "../status-rules.js";
import { eventRef, type BookingAction, type CalendlyCanceled, type CalendlyCreated, type ParsedEvent, type Payment } from "./events.js";
import type { AuditDraft, BookingRow, CreatedRead, Decision, DeferredRow, ExistingRead, LockedRead, RecordOnly, RefundAfterCommit, RefundDue, Snapshot, VersionedBookingRow } from "./model.js";
import { parseWebhook } from "./parse.js";
import { providerOfDbValue } from "./provider.js";
import type { IntakeOutcome, IntakeResult } from "./types.js";

export interface PlanContext {
  /** The intake clock's time: when a cancellation without its own time happened. */
  now: Date;
  policy: BookingPolicy;
  /** The id of the event's WebhookEvent row: the held row's when releasing one, else a fresh id. */
  rowId: string;
  /** A released HELD event: it has its own row already and is applied whatever the manual-processing setting. */
  held: boolean;
  /** The id a booking created by this event gets. */
  newBookingId: string;
}

/** One event's effect on one booking. */
export interface BookingPlan {
  next: Snapshot;
  /** Columns to write (empty: the booking is unchanged). */
  patch: Partial<Snapshot>;
  emails: EmailKind[];
  audits: AuditDraft[];
  refund: RefundDue | null;
  message: string;
  /** Recorded on the WebhookEvent (processed, but a person should look). */
  warning: string | null;
}

/** The intake's answer for a parsed event. */
export function answer(ev: ParsedEvent, outcome: IntakeOutcome, bookingId: string | null, message: string, extra: Partial<IntakeResult> = {}): IntakeResult {
  return { outcome, provider: ev.provider, eventType: ev.type, providerEventId: ev.providerEventId, bookingId, message, ...extra };
}

const stateOf = (s: BookingState): { status: string; paymentStatus: string } => ({ status: s.status, paymentStatus: s.paymentStatus });

export function toSnapshot(b: BookingRow): Snapshot {
  return {
    id: b.id,
    status: b.status,
    paymentStatus: b.paymentStatus,
    amountCents: b.amountCents,
    currency: b.currency,
    startTime: b.startTime,
    stripeCheckoutSessionId: b.stripeCheckoutSessionId,
    stripePaymentIntentId: b.stripePaymentIntentId,
    cancellationReason: b.cancellationReason,
    cancelledBy: b.cancelledBy,
    cancelledAt: b.cancelledAt,
  };
}

// ---------------------------------------------------------------- one event, one booking

/** A payment on a booking: PAID (confirmed, or refund due when it was cancelled), an anomaly, or nothing new. */
export function planPayment(current: Snapshot, pay: Payment, ref: string): BookingPlan {
  const ids: Partial<Snapshot> = {};
  if (pay.checkoutSessionId && current.stripeCheckoutSessionId !== pay.checkoutSessionId) ids.stripeCheckoutSessionId = pay.checkoutSessionId;
  if (pay.paymentIntentId && !current.stripePaymentIntentId) ids.stripePaymentIntentId = pay.paymentIntentId;
  const unchanged = { next: { ...current, ...ids }, patch: ids, emails: [], refund: null };

  if (current.paymentStatus === "PAID" || current.paymentStatus === "REFUNDED") {
    return { ...unchanged, audits: [], message: `Payment already recorded (${current.paymentStatus}); nothing to change.`, warning: null };
  }
  const to = stateAfterPayment(current);
  if (!to) {
    // A payment for a booking that needs none (free): keep the money visible, change nothing else.
    const warning = `payment received for booking ${current.id} in state ${current.status}/${current.paymentStatus}, which takes no payment; not applied — check it in Stripe`;
    const audit: AuditDraft = { action: "booking.payment_anomaly", reason: `${ref}: ${warning}`, before: stateOf(current), after: stateOf(current) };
    return { ...unchanged, audits: [audit], message: `Payment recorded as an anomaly: ${warning}.`, warning };
  }
  assertTransition(current.id, current, to);
  const mismatch = paymentMismatch(current, pay);
  const next: Snapshot = { ...current, ...ids, ...to };
  const patch: Partial<Snapshot> = { ...ids, ...to };
  const audits: AuditDraft[] = [
    { action: "booking.paid", reason: mismatch ? `${ref}; warning: ${mismatch}` : ref, before: stateOf(current), after: { ...stateOf(to), ...ids } },
  ];
  if (current.status === "CANCELLED") {
    const decision = refundDecision(next, current.cancelledAt ?? new Date(), DEFAULT_POLICY, { paidAfterCancellation: true });
    const refund = { bookingId: current.id, paymentIntentId: next.stripePaymentIntentId, amountCents: decision.amountCents, reason: decision.reason };
    return { next, patch, emails: ["RECEIPT"], audits, refund, message: "Payment received for a cancelled booking: recorded as PAID, refund due.", warning: mismatch };
  }
  return { next, patch, emails: ["CONFIRMATION", "RECEIPT"], audits, refund: null, message: "Payment received: booking confirmed and paid.", warning: mismatch };
}

/** A warning when the payment does not cover the booking (less money, or another currency); else null. */
function paymentMismatch(current: Snapshot, pay: Payment): string | null {
  const short = pay.amountCents !== null && pay.amountCents < current.amountCents;
  const otherCurrency = pay.currency !== null && pay.currency.toLowerCase() !== current.currency.toLowerCase();
  return short || otherCurrency ? `payment of ${pay.amountCents ?? "?"} ${pay.currency ?? "?"} does not cover the booking's ${current.amountCents} ${current.currency}` : null;
}

/** A cancellation of a booking: CANCELLED, with a refund due or declined when it was paid; nothing when already cancelled. */
export function planCancel(current: Snapshot, c: CalendlyCanceled, now: Date, policy: BookingPolicy, ref: string): BookingPlan {
  const to = stateAfterCancellation(current);
  if (!to) {
    return { next: current, patch: {}, emails: [], audits: [], refund: null, message: `Booking already ${current.status}; nothing to change.`, warning: null };
  }
  assertTransition(current.id, current, to);
  const cancelledAt = c.at ?? now;
  const cancelledBy = c.canceledBy ? (c.cancelerType ? `${c.canceledBy} (${c.cancelerType})` : c.canceledBy) : c.cancelerType;
  const patch: Partial<Snapshot> = { ...to, cancellationReason: c.reason, cancelledBy, cancelledAt };
  const next: Snapshot = { ...current, ...patch };
  const audits: AuditDraft[] = [
    { action: "booking.cancelled", reason: c.reason ? `${ref}: ${c.reason}` : ref, before: stateOf(current), after: { ...stateOf(to), cancelledBy } },
  ];
  let refund: RefundDue | null = null;
  let message = "Booking cancelled.";
  if (current.paymentStatus === "PAID") {
    const decision = refundDecision(next, cancelledAt, policy);
    message = `Booking cancelled. ${decision.reason}`;
    if (decision.refund) refund = { bookingId: current.id, paymentIntentId: next.stripePaymentIntentId, amountCents: decision.amountCents, reason: decision.reason };
    else audits.push({ action: "booking.refund_declined", reason: decision.reason, before: null, after: null });
  }
  return { next, patch, emails: ["CANCELLATION"], audits, refund, message, warning: null };
}

// ---------------------------------------------------------------- before the lock

/**
 * Events that change no booking are recorded alone, without taking a lock: event types the intake does not act
 * on, and payments that are not complete yet. Every other event needs its booking (lock, read, plan): `action`.
 */
export function planUnlocked(ev: ParsedEvent): { recordOnly: RecordOnly } | { action: BookingAction } {
  const a = ev.action;
  if (a.kind === "other") {
    return { recordOnly: { record: { outcome: "IGNORED" }, result: answer(ev, "ignored", null, `Event type ${ev.type} is not handled; recorded and ignored.`) } };
  }
  if (a.kind === "payment" && !a.paid) {
    return {
      recordOnly: {
        record: { outcome: "IGNORED", correlationKey: a.inviteeUri ?? a.bookingId },
        result: answer(ev, "ignored", a.bookingId, "The payment is not complete yet; recorded, booking unchanged."),
      },
    };
  }
  return { action: a };
}

/** A payment that names no booking (no lock key): recorded and ignored, with what is missing. */
export function planUnmatchedPayment(ev: ParsedEvent): RecordOnly {
  return {
    record: { outcome: "IGNORED", error: "no booking_id or calendly_invitee_uri in the metadata" },
    result: answer(ev, "ignored", null, "The payment carries no booking_id or calendly_invitee_uri metadata (or client_reference_id); it cannot be matched to a booking."),
  };
}

// ---------------------------------------------------------------- under the booking's lock

/** A repeat (answered "duplicate"), or held under manual processing; null: apply it. A released HELD event is neither. */
function repeatOrHold(ev: ParsedEvent, key: string, read: LockedRead, ctx: PlanContext): Decision | null {
  if (ctx.held) return null;
  if (read.seen) return { kind: "duplicate" };
  if (!read.manual) return null;
  return {
    kind: "write",
    writes: { record: { id: ctx.rowId, outcome: "HELD", correlationKey: key } },
    result: answer(ev, "held", null, "Manual processing is on: the event is recorded and held, not applied."),
    refunds: [],
  };
}

/**
 * A cancellation or a payment, its booking read under `key`'s lock: DEFERRED when the booking does not exist
 * yet (kept for the invitee.created that creates it), else PROCESSED with the booking's conditional update.
 */
export function planExisting(ev: ParsedEvent, a: CalendlyCanceled | Payment, key: string, read: ExistingRead, ctx: PlanContext): Decision {
  const gate = repeatOrHold(ev, key, read, ctx);
  if (gate) return gate;
  if (read.id === null) {
    const byId = a.kind === "payment" ? a.bookingId : null;
    return {
      kind: "write",
      writes: { record: { id: ctx.rowId, outcome: "DEFERRED", correlationKey: key }, staleIf: { bookingExists: { id: byId, inviteeUri: a.inviteeUri } } },
      result: answer(ev, "deferred", null, `No booking for ${key} yet; the event is kept and applied when the booking is created.`),
      refunds: [],
    };
  }
  const row = read as VersionedBookingRow;
  const current = toSnapshot(row);
  const plan = a.kind === "payment" ? planPayment(current, a, eventRef(ev)) : planCancel(current, a, ctx.now, ctx.policy, eventRef(ev));
  return {
    kind: "write",
    // The update is conditional on the row version read: a change made meanwhile by a writer that does not
    // take the lock makes the intake retry rather than overwrite.
    writes: {
      record: { id: ctx.rowId, outcome: "PROCESSED", bookingId: current.id, correlationKey: key, error: plan.warning },
      updateBooking: { id: current.id, version: row.version, patch: plan.patch },
      effects: { bookingId: current.id, to: row.inviteeEmail, emails: plan.emails, audits: plan.audits },
    },
    result: answer(ev, "processed", current.id, plan.message),
    refunds: plan.refund ? [{ due: plan.refund, eventRowId: ctx.rowId }] : [],
  };
}

/** The session type read for an invitee.created, when one has its Calendly event type. */
interface SessionTypeFound {
  stId: string;
  builderId: string;
  priceCents: number;
  currency: string;
  title: string;
  stripePriceId: string | null;
  userId: string | null;
}

/** A new booking and what it starts with, before and after the deferred events are applied to it. */
interface CreatedBooking {
  start: BookingState;
  state: Snapshot;
  emails: EmailKind[];
  audits: AuditDraft[];
  refunds: RefundAfterCommit[];
  applied: string[];
}

/**
 * An invitee.created, read under the invitee's lock: IGNORED when no session type has its Calendly event type,
 * else the booking is created (free: CONFIRMED; paid: PENDING, a Checkout session needed) with the deferred
 * events for it applied, oldest first, in the same write.
 */
export function planCreated(ev: ParsedEvent, a: CalendlyCreated, read: CreatedRead, ctx: PlanContext): Decision {
  const gate = repeatOrHold(ev, a.inviteeUri, read, ctx);
  if (gate) return gate;
  if (read.stId === null) {
    return {
      kind: "write",
      writes: { record: { id: ctx.rowId, outcome: "IGNORED", correlationKey: a.inviteeUri, error: `unknown Calendly event type ${a.eventTypeUri}` } },
      result: answer(ev, "ignored", null, `No session type has Calendly event type ${a.eventTypeUri}; no booking created. Link it to a session type and re-send the event.`),
      refunds: [],
    };
  }
  const st: SessionTypeFound = { ...read, stId: read.stId, builderId: read.builderId!, priceCents: Number(read.priceCents), currency: read.currency!, title: read.title! };
  const deferred = [...(read.deferred ?? [])].sort((x, y) => x.receivedMs - y.receivedMs || x.id.localeCompare(y.id));
  const booking = applyDeferred(newBooking(ev, a, st, ctx.newBookingId), deferred, ctx);
  const bookingId = ctx.newBookingId;
  return {
    kind: "write",
    writes: {
      record: { id: ctx.rowId, outcome: "PROCESSED", bookingId, correlationKey: a.inviteeUri },
      staleIf: { deferredOtherThan: { key: a.inviteeUri, ids: deferred.map((d) => d.id) } },
      createBooking: {
        id: bookingId,
        sessionTypeId: st.stId,
        builderId: st.builderId,
        userId: st.userId,
        inviteeEmail: a.email,
        inviteeName: a.name,
        startTime: a.startTime,
        endTime: a.endTime,
        calendlyEventUri: a.eventUri,
        calendlyInviteeUri: a.inviteeUri,
        runTag: a.runTag,
        state: booking.state,
      },
      applied: { ids: booking.applied, bookingId },
      effects: { bookingId, to: a.email, emails: booking.emails, audits: booking.audits },
    },
    result: createdAnswer(ev, a, st, booking, bookingId),
    refunds: booking.refunds,
  };
}

function newBooking(ev: ParsedEvent, a: CalendlyCreated, st: SessionTypeFound, bookingId: string): CreatedBooking {
  const start = initialState(st.priceCents);
  assertTransition(bookingId, null, start);
  const state: Snapshot = {
    id: bookingId,
    ...start,
    amountCents: st.priceCents,
    currency: st.currency,
    startTime: a.startTime,
    stripeCheckoutSessionId: null,
    stripePaymentIntentId: null,
    cancellationReason: null,
    cancelledBy: null,
    cancelledAt: null,
  };
  const emails: EmailKind[] = start.status === "CONFIRMED" ? ["CONFIRMATION"] : [];
  const audits: AuditDraft[] = [{ action: "booking.created", reason: eventRef(ev), before: null, after: { ...stateOf(start), inviteeUri: a.inviteeUri } }];
  return { start, state, emails, audits, refunds: [], applied: [] };
}

/** Applies the deferred events (sorted oldest first) to the new booking; ones that no longer parse are left as they are. */
function applyDeferred(booking: CreatedBooking, deferred: DeferredRow[], ctx: PlanContext): CreatedBooking {
  for (const d of deferred) {
    const payload: unknown = typeof d.payload === "string" ? JSON.parse(d.payload) : d.payload;
    const parsed = parseWebhook(providerOfDbValue(d.provider), payload);
    if (!parsed.ok) continue;
    const dev = parsed.event;
    const da = dev.action;
    if (da.kind === "other" || da.kind === "invitee.created") continue;
    const plan = da.kind === "payment" ? planPayment(booking.state, da, eventRef(dev)) : planCancel(booking.state, da, ctx.now, ctx.policy, eventRef(dev));
    booking.state = plan.next;
    for (const k of plan.emails) if (!booking.emails.includes(k)) booking.emails.push(k);
    booking.audits.push(...plan.audits.map((x) => ({ ...x, reason: `${x.reason ?? ""} (deferred, applied on booking creation)`.trim() })));
    if (plan.refund) booking.refunds.push({ due: plan.refund, eventRowId: d.id });
    booking.applied.push(d.id);
  }
  return booking;
}

function createdAnswer(ev: ParsedEvent, a: CalendlyCreated, st: SessionTypeFound, booking: CreatedBooking, bookingId: string): IntakeResult {
  const { start, state, applied } = booking;
  const needsCheckout = state.status === "PENDING" && state.paymentStatus === "UNPAID" && !state.stripeCheckoutSessionId;
  const label = start.paymentStatus === "UNPAID" ? "paid booking created, awaiting payment" : "free booking created and confirmed";
  const extra = applied.length ? `; applied ${applied.length} deferred event(s), now ${state.status}/${state.paymentStatus}` : "";
  const checkout: Partial<IntakeResult> = needsCheckout
    ? {
        checkoutNeeded: { bookingId },
        checkoutDetails: {
          bookingId,
          calendlyInviteeUri: a.inviteeUri,
          amountCents: state.amountCents,
          currency: state.currency,
          productName: st.title,
          customerEmail: a.email,
          stripePriceId: st.stripePriceId,
        },
      }
    : {};
  return answer(ev, "processed", bookingId, `${label[0]!.toUpperCase()}${label.slice(1)}${extra}.`, checkout);
}
