/**
 * The pure planners: given a parsed event and the rows its lock+read statement
 * read, decide the write (the event's outcome, the booking's new state, the
 * emails to queue, the audit entries, the refunds due after commit) and the
 * answer. No I/O, no clock, no random ids: the orchestrator hands in `now` and
 * the ids (PlanContext), so a planner's answer depends on its arguments alone.
 * Status rules come from status-rules.ts.
 */
import type { EmailKind } from "../../generated/prisma/enums.js";
import { assertTransition, initialState, type BookingState } from "../status-rules.js";
import { eventRef, type BookingAction, type CalendlyCreated, type ExistingAction, type ParsedEvent } from "./events.js";
import type { AfterCommit, AuditDraft, BookingRow, CreatedRead, Decision, DeferredRow, EmailDraft, ExistingRead, LockedRead, RecordOnly, RescheduleRead, Snapshot, VersionedBookingRow } from "./model.js";
import { parseWebhook } from "./parse.js";
import {
  planCancel,
  planChargeRefunded,
  planCheckoutEnded,
  planDispute,
  planMove,
  planNoShow,
  planPayment,
  planRefundUpdated,
  stateOf,
  type BookingPlan,
} from "./plan-booking.js";
import { providerOfDbValue } from "./provider.js";
import type { IntakeOutcome, IntakeResult } from "./types.js";
import type { BookingPolicy } from "../ports.js";

export { planCancel, planPayment, type BookingPlan } from "./plan-booking.js";

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

/** The intake's answer for a parsed event. */
export function answer(ev: ParsedEvent, outcome: IntakeOutcome, bookingId: string | null, message: string, extra: Partial<IntakeResult> = {}): IntakeResult {
  return { outcome, provider: ev.provider, eventType: ev.type, providerEventId: ev.providerEventId, bookingId, message, ...extra };
}

export function toSnapshot(b: BookingRow): Snapshot {
  const { inviteeEmail: _email, ...snapshot } = b as BookingRow & { version?: string };
  delete (snapshot as { version?: string }).version;
  return { ...snapshot, previousInviteeUris: [...(b.previousInviteeUris ?? [])], refundedCents: Number(b.refundedCents ?? 0), amountCents: Number(b.amountCents) };
}

/** The plan of one event on one booking, whatever its kind. */
export function planOn(current: Snapshot, a: ExistingAction, ev: ParsedEvent, now: Date, policy: BookingPolicy): BookingPlan {
  const ref = eventRef(ev);
  switch (a.kind) {
    case "payment":
      return planPayment(current, a, ref);
    case "invitee.canceled":
      return planCancel(current, a, now, policy, ref);
    case "no-show":
      return planNoShow(current, a, now, ref);
    case "checkout-ended":
      return planCheckoutEnded(current, a, now, ref);
    case "charge-refunded":
      return planChargeRefunded(current, a, ref);
    case "refund-updated":
      return planRefundUpdated(current, a, ref);
    case "dispute":
      return planDispute(current, a, ref);
  }
}

/** The emails a plan queues, each with what tells it apart from the booking's earlier ones of its kind. */
function drafts(kinds: readonly EmailKind[], emailKey: string | undefined): EmailDraft[] {
  return kinds.map((kind) => ({ kind, dedupeKey: kind === "RESCHEDULED" ? (emailKey ?? "") : "" }));
}

/** What a plan leaves to do after the commit, tied to the event row that caused it. */
function afterCommit(plan: BookingPlan, eventRowId: string): AfterCommit[] {
  const out: AfterCommit[] = [];
  if (plan.refund) out.push({ kind: "refund", due: plan.refund, eventRowId });
  if (plan.release) out.push({ kind: "release-slot", release: plan.release, eventRowId });
  return out;
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
  if (a.kind === "payment" && !a.paid && !a.processing) {
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
  const a = ev.action;
  if (a.kind === "charge-refunded" || a.kind === "refund-updated" || a.kind === "dispute") {
    const what = a.kind === "charge-refunded" ? `charge ${a.chargeId}` : a.kind === "refund-updated" ? `refund ${a.refundId}` : `dispute ${a.disputeId}`;
    const reason = a.paymentIntentId ? `no booking has payment intent ${a.paymentIntentId}` : `${what} names no payment intent`;
    return { record: { outcome: "IGNORED", error: reason }, result: answer(ev, "ignored", null, `The ${what} cannot be matched to a booking: ${reason}; recorded, nothing changed.`) };
  }
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
    after: [],
  };
}

/**
 * An event on a booking that exists (all but invitee.created), its booking read under `key`'s lock: DEFERRED when
 * the booking does not exist yet (kept for the invitee.created that creates it), else PROCESSED with the booking's
 * conditional update.
 */
export function planExisting(ev: ParsedEvent, a: ExistingAction, key: string, read: ExistingRead, ctx: PlanContext, formerInvitee = false): Decision {
  const gate = repeatOrHold(ev, key, read, ctx);
  if (gate) return gate;
  if (read.id === null) {
    const byId = "bookingId" in a ? a.bookingId : null;
    const inviteeUri = "inviteeUri" in a ? a.inviteeUri : null;
    return {
      kind: "write",
      writes: { record: { id: ctx.rowId, outcome: "DEFERRED", correlationKey: key }, staleIf: { bookingExists: { id: byId, inviteeUri, ...(formerInvitee ? { formerInvitee } : {}) } } },
      result: answer(ev, "deferred", null, `No booking for ${key} yet; the event is kept and applied when the booking is created.`),
      after: [],
    };
  }
  const row = read as VersionedBookingRow;
  const current = toSnapshot(row);
  const plan = planOn(current, a, ev, ctx.now, ctx.policy);
  return {
    kind: "write",
    // The update is conditional on the row version read: a change made meanwhile by a writer that does not
    // take the lock makes the intake retry rather than overwrite.
    writes: {
      record: { id: ctx.rowId, outcome: "PROCESSED", bookingId: current.id, correlationKey: key, error: plan.warning },
      updateBooking: { id: current.id, version: row.version, patch: plan.patch },
      effects: { bookingId: current.id, to: row.inviteeEmail, emails: drafts(plan.emails, plan.emailKey), audits: plan.audits },
    },
    result: answer(ev, "processed", current.id, plan.message),
    after: afterCommit(plan, ctx.rowId),
  };
}

/**
 * An invitee.created of a reschedule, read under the old invitee's lock and then the new one's: the old invitee's
 * booking moves to the new invitee, event and time (with the events deferred for the new invitee applied on top);
 * DEFERRED (under the old invitee) when that booking does not exist yet; a new booking when the old one was
 * really cancelled. docs/booking-lifecycle.md has the cases.
 */
export function planRescheduled(ev: ParsedEvent, a: CalendlyCreated & { oldInviteeUri: string }, read: RescheduleRead, ctx: PlanContext): Decision {
  const gate = repeatOrHold(ev, a.inviteeUri, read, ctx);
  if (gate) return gate;
  const old = read.old;
  if (old === null && read.movedFrom) {
    return {
      kind: "write",
      writes: { record: { id: ctx.rowId, outcome: "PROCESSED", correlationKey: a.inviteeUri, error: `the booking of ${a.oldInviteeUri} was moved already` } },
      result: answer(ev, "processed", null, `The booking of ${a.oldInviteeUri} was moved by another reschedule already; nothing to change.`),
      after: [],
    };
  }
  if (old === null) {
    return {
      kind: "write",
      writes: { record: { id: ctx.rowId, outcome: "DEFERRED", correlationKey: a.oldInviteeUri }, staleIf: { bookingExists: { id: null, inviteeUri: a.oldInviteeUri } } },
      result: answer(ev, "deferred", null, `No booking for ${a.oldInviteeUri} (the rescheduled invitee) yet; the event is kept and applied when that booking is created.`),
      after: [],
    };
  }
  if (old.status === "CANCELLED") return planCreated(ev, { ...a, oldInviteeUri: null }, read, ctx);
  const current = toSnapshot(old);
  const moved = planMove(current, a, { sessionTypeId: read.stId, priceCents: read.priceCents === null ? null : Number(read.priceCents), currency: read.currency }, eventRef(ev));
  const deferred = sortDeferred(read.deferred);
  const acc = applyDeferred({ state: moved.next, emails: drafts(moved.emails, moved.emailKey), audits: [...moved.audits], after: [], applied: [], warnings: moved.warning ? [moved.warning] : [] }, deferred, ctx);
  const patch = diffSnapshot(current, acc.state);
  return {
    kind: "write",
    writes: {
      record: { id: ctx.rowId, outcome: "PROCESSED", bookingId: current.id, correlationKey: a.inviteeUri, error: acc.warnings.join("; ") || null },
      staleIf: { deferredOtherThan: { key: a.inviteeUri, ids: deferred.map((d) => d.id) } },
      updateBooking: { id: current.id, version: old.version, patch },
      applied: { ids: acc.applied, bookingId: current.id },
      effects: { bookingId: current.id, to: old.inviteeEmail, emails: acc.emails, audits: acc.audits },
    },
    result: answer(ev, "processed", current.id, acc.applied.length ? `${moved.message} Applied ${acc.applied.length} deferred event(s).` : moved.message),
    after: acc.after,
  };
}

/** The columns whose values differ between two snapshots of one booking. */
function diffSnapshot(before: Snapshot, after: Snapshot): Partial<Snapshot> {
  const patch: Record<string, unknown> = {};
  for (const key of Object.keys(after) as (keyof Snapshot)[]) {
    const x = before[key];
    const y = after[key];
    const same = x instanceof Date && y instanceof Date ? x.getTime() === y.getTime() : JSON.stringify(x) === JSON.stringify(y);
    if (!same) patch[key] = y;
  }
  return patch as Partial<Snapshot>;
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

/** What a new or moved booking accumulates while the deferred events for it are applied. */
interface Accumulated {
  state: Snapshot;
  emails: EmailDraft[];
  audits: AuditDraft[];
  after: AfterCommit[];
  applied: string[];
  warnings: string[];
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
      after: [],
    };
  }
  const st: SessionTypeFound = { ...read, stId: read.stId, builderId: read.builderId!, priceCents: Number(read.priceCents), currency: read.currency!, title: read.title! };
  const deferred = sortDeferred(read.deferred);
  const start = initialState(st.priceCents);
  const booking = applyDeferred(newBooking(ev, a, st, start, ctx.newBookingId), deferred, ctx, { created: true });
  const bookingId = ctx.newBookingId;
  return {
    kind: "write",
    writes: {
      record: { id: ctx.rowId, outcome: "PROCESSED", bookingId, correlationKey: a.inviteeUri, error: booking.warnings.join("; ") || null },
      staleIf: { deferredOtherThan: { key: a.inviteeUri, ids: deferred.map((d) => d.id) } },
      createBooking: { id: bookingId, builderId: st.builderId, userId: st.userId, inviteeEmail: a.email, inviteeName: a.name, runTag: a.runTag, state: booking.state },
      applied: { ids: booking.applied, bookingId },
      effects: { bookingId, to: a.email, emails: booking.emails, audits: booking.audits },
    },
    result: createdAnswer(ev, a, st, start, booking, bookingId),
    after: booking.after,
  };
}

/** The deferred events, oldest first. */
function sortDeferred(rows: DeferredRow[] | null): DeferredRow[] {
  return [...(rows ?? [])].sort((x, y) => x.receivedMs - y.receivedMs || x.id.localeCompare(y.id));
}

function newBooking(ev: ParsedEvent, a: CalendlyCreated, st: SessionTypeFound, start: BookingState, bookingId: string): Accumulated {
  assertTransition(bookingId, null, start);
  const state: Snapshot = {
    id: bookingId,
    ...start,
    sessionTypeId: st.stId,
    amountCents: st.priceCents,
    currency: st.currency,
    startTime: a.startTime,
    endTime: a.endTime,
    calendlyEventUri: a.eventUri,
    calendlyInviteeUri: a.inviteeUri,
    previousInviteeUris: [],
    reviewReason: null,
    stripeCheckoutSessionId: null,
    stripePaymentIntentId: null,
    stripeRefundId: null,
    refundedCents: 0,
    stripeDisputeId: null,
    disputeStatus: null,
    cancellationReason: null,
    cancelledBy: null,
    cancelledAt: null,
    noShowAt: null,
    noShowChangedAt: null,
  };
  const emails = drafts(start.status === "CONFIRMED" ? ["CONFIRMATION"] : [], undefined);
  const audits: AuditDraft[] = [{ action: "booking.created", reason: eventRef(ev), before: null, after: { ...stateOf(start), inviteeUri: a.inviteeUri } }];
  return { state, emails, audits, after: [], applied: [], warnings: [] };
}

/**
 * Applies the deferred events (sorted oldest first) to the booking; ones that no longer parse are left as they are.
 * A deferred reschedule (invitee.created naming this booking's invitee as old_invitee) moves it, with its own
 * RESCHEDULED email: whatever the order the events arrived in, a booking gets one such email per move.
 */
function applyDeferred(acc: Accumulated, deferred: DeferredRow[], ctx: PlanContext, options: { created?: boolean } = {}): Accumulated {
  for (const d of deferred) {
    const payload: unknown = typeof d.payload === "string" ? JSON.parse(d.payload) : d.payload;
    const parsed = parseWebhook(providerOfDbValue(d.provider), payload);
    if (!parsed.ok) continue;
    const dev = parsed.event;
    const da = dev.action;
    if (da.kind === "other") continue;
    let plan: BookingPlan;
    if (da.kind === "invitee.created") {
      if (da.oldInviteeUri === null || da.oldInviteeUri !== acc.state.calendlyInviteeUri) continue;
      plan = planMove(acc.state, da, { sessionTypeId: acc.state.sessionTypeId, priceCents: acc.state.amountCents, currency: acc.state.currency }, eventRef(dev));
    } else {
      plan = planOn(acc.state, da, dev, ctx.now, ctx.policy);
    }
    acc.state = plan.next;
    for (const e of drafts(plan.emails, plan.emailKey)) if (!acc.emails.some((x) => x.kind === e.kind && x.dedupeKey === e.dedupeKey)) acc.emails.push(e);
    const when = options.created ? "on booking creation" : "on the reschedule";
    acc.audits.push(...plan.audits.map((x) => ({ ...x, reason: `${x.reason ?? ""} (deferred, applied ${when})`.trim() })));
    acc.after.push(...afterCommit(plan, d.id));
    if (plan.warning) acc.warnings.push(plan.warning);
    acc.applied.push(d.id);
  }
  return acc;
}

function createdAnswer(ev: ParsedEvent, a: CalendlyCreated, st: SessionTypeFound, start: BookingState, booking: Accumulated, bookingId: string): IntakeResult {
  const { state, applied } = booking;
  const needsCheckout = state.status === "PENDING" && state.paymentStatus === "UNPAID" && !state.stripeCheckoutSessionId;
  const label = start.paymentStatus === "UNPAID" ? "paid booking created, awaiting payment" : "free booking created and confirmed";
  const extra = applied.length ? `; applied ${applied.length} deferred event(s), now ${state.status}/${state.paymentStatus}` : "";
  const checkout: Partial<IntakeResult> = needsCheckout
    ? {
        checkoutNeeded: { bookingId },
        checkoutDetails: {
          bookingId,
          calendlyInviteeUri: state.calendlyInviteeUri,
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
