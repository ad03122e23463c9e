/**
 * `bookings reconcile`: the pure part. Given records from the three sources
 * (the database, Calendly, Stripe), decides which disagree and how, what a
 * person should do about each, and which of them `--fix` may repair. No I/O:
 * src/ops/reconcile-sources.ts streams the records in, page by page, and
 * src/core/reconcile-repairs.ts applies the repairs.
 *
 * The window is on the booking's START time (Calendly's scheduled event
 * `start_time`, `Booking.startTime`): [since, until), until open when absent.
 * Stripe objects are matched to bookings through their metadata
 * (`booking_id`, `calendly_invitee_uri`) or the payment intent id the booking
 * recorded, and count only when that booking starts in the window.
 *
 * Kinds (a booking can have several; `stuck_pending` only when it has no other):
 * - missing_in_db: an active Calendly invitee of a bookflow event type has no booking;
 * - paid_not_recorded: a succeeded Stripe payment intent for a booking that is not PAID (or REFUNDED) here;
 * - cancelled_not_recorded: cancelled in Calendly, not CANCELLED here;
 * - refunded_not_recorded: succeeded Stripe refunds for a booking that records less refunded here;
 * - reschedule_not_recorded: Calendly rescheduled the invitee (its old event canceled, `new_invitee` named), the booking did not move;
 * - slot_not_released: cancelled here, its Calendly event still active (the slot stays blocked);
 * - checkout_expired: PENDING/UNPAID, and its Stripe Checkout session has expired (the customer will not pay it);
 * - dispute_open: a dispute is open in Stripe on a booking's payment that is not DISPUTED here;
 * - stuck_pending: PENDING/UNPAID for longer than the threshold (created before now − threshold).
 */
import type { BookingStatus, PaymentStatus } from "../generated/prisma/enums.js";
import { MONEY_HELD, PAYMENT_RECORDED } from "./status-rules.js";

export const DISAGREEMENT_KINDS = [
  "missing_in_db",
  "paid_not_recorded",
  "reschedule_not_recorded",
  "cancelled_not_recorded",
  "checkout_expired",
  "refunded_not_recorded",
  "dispute_open",
  "slot_not_released",
  "stuck_pending",
] as const;
export type DisagreementKind = (typeof DISAGREEMENT_KINDS)[number];

/** Bookings starting in [since, until); `until` null: no upper bound. */
export interface ReconcileWindow {
  since: Date;
  until: Date | null;
}

export function inWindow(window: ReconcileWindow, start: Date): boolean {
  const t = start.getTime();
  return t >= window.since.getTime() && (window.until === null || t < window.until.getTime());
}

/** A booking row, as reconcile reads it. */
export interface BookingRecord {
  id: string;
  status: BookingStatus;
  paymentStatus: PaymentStatus;
  startTime: Date;
  createdAt: Date;
  amountCents: number;
  currency: string;
  inviteeEmail: string;
  calendlyEventUri: string | null;
  calendlyInviteeUri: string | null;
  stripeCheckoutSessionId: string | null;
  stripePaymentIntentId: string | null;
  /** What the booking records as refunded (charge.refunded). */
  refundedCents: number;
  /** Who cancelled it: "bookflow (unpaid)" when bookflow did, for a Checkout never paid. */
  cancelledBy: string | null;
}

/** The parts of a Calendly scheduled event reconcile reads (CalendlyScheduledEvent fits). */
export interface CalendlyEventRecord {
  uri: string;
  status: "active" | "canceled";
  start_time: string;
  event_type: string;
  invitees_counter: { total: number; active: number };
}

/** The parts of a Calendly invitee reconcile reads (CalendlyInvitee fits). */
export interface CalendlyInviteeRecord {
  uri: string;
  email: string;
  status: "active" | "canceled";
  /** Cancelled by a reschedule: the booking moves to `new_invitee`, it is not cancelled. */
  rescheduled?: boolean | undefined;
  new_invitee?: string | null | undefined;
}

/** The parts of a Stripe dispute reconcile reads (Stripe.Dispute fits). */
export interface DisputeRecord {
  id: string;
  status: string;
  amount: number;
  currency: string;
  payment_intent?: string | { id: string } | null;
}

/** The parts of a Stripe Checkout session reconcile reads (Stripe.Checkout.Session fits). */
export interface CheckoutSessionRecord {
  id: string;
  status?: string | null;
  payment_status: string;
}

/** The parts of a Stripe payment intent reconcile reads (Stripe.PaymentIntent fits). */
export interface PaymentRecord {
  id: string;
  status: string;
  amount: number;
  amount_received?: number | null;
  currency: string;
  metadata?: Record<string, string> | null;
}

/** The parts of a Stripe refund reconcile reads (Stripe.Refund fits). */
export interface RefundRecord {
  id: string;
  status?: string | null;
  amount: number;
  currency: string;
  payment_intent?: string | { id: string } | null;
}

export interface BookingState {
  status: BookingStatus;
  paymentStatus: PaymentStatus;
}

/** One disagreement, with stable field names (the `--json` output). */
export interface Disagreement {
  kind: DisagreementKind;
  /** null for missing_in_db (there is no booking). */
  bookingId: string | null;
  calendlyEventUri: string | null;
  calendlyInviteeUri: string | null;
  inviteeEmail: string | null;
  stripePaymentIntentId: string | null;
  stripeCheckoutSessionId: string | null;
  /** refunded_not_recorded: the succeeded refunds found, and their sum. */
  stripeRefundIds: string[];
  refundedCents: number | null;
  /** reschedule_not_recorded: the invitee Calendly moved the booking to. dispute_open: the dispute. */
  newInviteeUri?: string | undefined;
  stripeDisputeId?: string | undefined;
  /** The booking's (or the Calendly event's) start, ISO 8601. */
  startTime: string;
  /** The booking's state here (null when there is no booking). */
  database: BookingState | null;
  /** What the provider says, in a few words. */
  provider: string;
  suggestedAction: string;
  /** Whether `--fix` repairs it (decided once every source was read: see finalizeFindings). */
  fixable: boolean;
  notFixableReason: string | null;
  /** Internal, for fixability: the booking's amount, what it records refunded, who cancelled it. Not printed. */
  amountCents?: number | undefined;
  recordedRefundCents?: number | undefined;
  cancelledBy?: string | null | undefined;
}

function stateOf(b: BookingRecord): BookingState {
  return { status: b.status, paymentStatus: b.paymentStatus };
}

function base(kind: DisagreementKind, b: BookingRecord | null): Disagreement {
  return {
    kind,
    bookingId: b?.id ?? null,
    calendlyEventUri: b?.calendlyEventUri ?? null,
    calendlyInviteeUri: b?.calendlyInviteeUri ?? null,
    inviteeEmail: b?.inviteeEmail ?? null,
    stripePaymentIntentId: b?.stripePaymentIntentId ?? null,
    stripeCheckoutSessionId: b?.stripeCheckoutSessionId ?? null,
    stripeRefundIds: [],
    refundedCents: null,
    startTime: b ? b.startTime.toISOString() : "",
    database: b ? stateOf(b) : null,
    provider: "",
    suggestedAction: "",
    fixable: false,
    notFixableReason: null,
    amountCents: b?.amountCents,
    recordedRefundCents: b?.refundedCents,
    cancelledBy: b?.cancelledBy,
  };
}

// ---------------------------------------------------------------- Calendly

/**
 * Whether an event's invitees must be read to decide: a single-invitee event
 * with its booking(s) is decided from the event alone; an active event without
 * a booking needs its invitee (who is missing); a group event needs its
 * invitees when not every one has a booking or some cancelled while the event
 * goes on. A cancelled event without a booking needs nothing (nothing to create).
 */
export function calendlyEventNeedsInvitees(event: CalendlyEventRecord, bookings: readonly BookingRecord[]): boolean {
  const { total, active } = event.invitees_counter;
  if (bookings.length === 0) return event.status === "active";
  // Cancelled in Calendly while a booking stands here: a cancellation, or a reschedule (the invitee says which).
  if (event.status === "canceled" && bookings.some((b) => b.status !== "CANCELLED")) return true;
  if (total > 1) return bookings.length < total || (event.status === "active" && active < total);
  return false;
}

export interface CalendlyVerdict {
  disagreements: Disagreement[];
  /** Cancelled invitees that never had a booking: nothing to do, counted. */
  cancelledWithoutBooking: number;
}

/**
 * Compares one Calendly event (and, when calendlyEventNeedsInvitees said so,
 * its invitees) with the bookings recorded for it.
 */
export function classifyCalendlyEvent(event: CalendlyEventRecord, bookings: readonly BookingRecord[], invitees: readonly CalendlyInviteeRecord[] | null): CalendlyVerdict {
  const out: Disagreement[] = [];
  let cancelledWithoutBooking = 0;
  const cancelled = (b: BookingRecord, why: string) => {
    const d = base("cancelled_not_recorded", b);
    d.calendlyEventUri = event.uri;
    d.provider = why;
    d.suggestedAction = "Record the cancellation (invitee.canceled through the intake): `bookflow bookings reconcile --fix`, or `bookflow bookings reprocess <id>`.";
    if (b.paymentStatus === "PAID") d.suggestedAction += " The booking was paid: a refund may be due under the refund policy, and reconcile never moves money.";
    out.push(d);
  };
  if (invitees === null) {
    if (event.status === "canceled") for (const b of bookings) if (b.status !== "CANCELLED") cancelled(b, "calendly: event canceled");
    if (event.status === "active" && event.invitees_counter.total <= 1) for (const b of bookings) if (b.status === "CANCELLED") out.push(slotNotReleased(event, b));
    return { disagreements: out, cancelledWithoutBooking };
  }
  const byInvitee = new Map(bookings.filter((b) => b.calendlyInviteeUri).map((b) => [b.calendlyInviteeUri!, b]));
  for (const inv of invitees) {
    const b = byInvitee.get(inv.uri);
    const inviteeCancelled = inv.status === "canceled" || event.status === "canceled";
    if (!b) {
      if (inviteeCancelled) {
        cancelledWithoutBooking++;
        continue;
      }
      const d = base("missing_in_db", null);
      d.calendlyEventUri = event.uri;
      d.calendlyInviteeUri = inv.uri;
      d.inviteeEmail = inv.email;
      d.startTime = new Date(event.start_time).toISOString();
      d.provider = `calendly: invitee active (event type ${event.event_type})`;
      d.suggestedAction = "Create the booking from Calendly (invitee.created through the intake, which queues the confirmation email): `bookflow bookings reconcile --fix`.";
      out.push(d);
      continue;
    }
    if (inviteeCancelled && b.status !== "CANCELLED") {
      if (inv.rescheduled && inv.new_invitee) {
        const d = base("reschedule_not_recorded", b);
        d.calendlyEventUri = event.uri;
        d.newInviteeUri = inv.new_invitee;
        d.provider = `calendly: invitee rescheduled to ${inv.new_invitee}`;
        d.suggestedAction = "Move the booking to the new invitee and time (invitee.created with old_invitee through the intake): `bookflow bookings reconcile --fix`. Its payment stays; nothing is refunded.";
        out.push(d);
      } else cancelled(b, inv.status === "canceled" ? "calendly: invitee canceled" : "calendly: event canceled");
    }
    if (!inviteeCancelled && b.status === "CANCELLED" && event.invitees_counter.total <= 1) out.push(slotNotReleased(event, b));
  }
  // A booking of a cancelled event whose invitee was not listed (a listing filtered by status) is still cancelled there.
  if (event.status === "canceled") {
    const listed = new Set(invitees.map((i) => i.uri));
    for (const b of bookings) if (b.calendlyInviteeUri && !listed.has(b.calendlyInviteeUri) && b.status !== "CANCELLED") cancelled(b, "calendly: event canceled");
  }
  return { disagreements: out, cancelledWithoutBooking };
}

function slotNotReleased(event: CalendlyEventRecord, b: BookingRecord): Disagreement {
  const d = base("slot_not_released", b);
  d.calendlyEventUri = event.uri;
  d.provider = "calendly: event still active";
  d.suggestedAction =
    b.cancelledBy === "bookflow (unpaid)"
      ? "bookflow cancelled the booking (its Checkout was never paid) but the Calendly event is still on the calendar: `bookflow bookings reconcile --fix` cancels it in Calendly."
      : "The booking is cancelled here but not in Calendly: cancel the event in Calendly if the session is off, or look at the booking (`bookflow bookings show <id>`).";
  return d;
}

// ---------------------------------------------------------------- Stripe

function metadataOf(o: { metadata?: Record<string, string> | null }): Record<string, string> {
  return o.metadata ?? {};
}


/** The booking a payment intent is for: metadata booking_id, else calendly_invitee_uri, else the intent id the booking recorded. */
export function bookingForPayment(pi: PaymentRecord, candidates: readonly BookingRecord[]): BookingRecord | null {
  const m = metadataOf(pi);
  const id = m.booking_id?.trim();
  const invitee = m.calendly_invitee_uri?.trim();
  return (
    (id ? candidates.find((b) => b.id === id) : undefined) ??
    (invitee ? candidates.find((b) => b.calendlyInviteeUri === invitee) : undefined) ??
    candidates.find((b) => b.stripePaymentIntentId === pi.id) ??
    null
  );
}

/** Where to look a payment intent's booking up: ids, invitee URIs and intent ids of a page. */
export function paymentLookupKeys(pis: readonly PaymentRecord[]): { ids: string[]; inviteeUris: string[]; paymentIntentIds: string[] } {
  const ids = new Set<string>();
  const invitees = new Set<string>();
  for (const pi of pis) {
    const m = metadataOf(pi);
    if (m.booking_id?.trim()) ids.add(m.booking_id.trim());
    if (m.calendly_invitee_uri?.trim()) invitees.add(m.calendly_invitee_uri.trim());
  }
  return { ids: [...ids], inviteeUris: [...invitees], paymentIntentIds: pis.map((p) => p.id) };
}

export type StripeVerdict = { kind: "disagreement"; disagreement: Disagreement } | { kind: "agrees" } | { kind: "not_paid" } | { kind: "unmatched" } | { kind: "outside_window" };

/** A payment intent against its booking (bookingForPayment). */
export function classifyPayment(pi: PaymentRecord, booking: BookingRecord | null, window: ReconcileWindow): StripeVerdict {
  if (pi.status !== "succeeded") return { kind: "not_paid" };
  if (!booking) return { kind: "unmatched" };
  if (!inWindow(window, booking.startTime)) return { kind: "outside_window" };
  if (PAYMENT_RECORDED.includes(booking.paymentStatus)) return { kind: "agrees" };
  const d = base("paid_not_recorded", booking);
  d.stripePaymentIntentId = pi.id;
  d.provider = `stripe: payment intent succeeded, ${pi.amount_received ?? pi.amount} ${pi.currency}`;
  d.suggestedAction =
    booking.paymentStatus === "NOT_REQUIRED"
      ? "The booking takes no payment but Stripe holds one: look at it in Stripe (refund it there if it was a mistake); reconcile does not apply it."
      : "Record the payment (checkout.session.completed through the intake): `bookflow bookings reconcile --fix`, or `bookflow bookings reprocess <id>`.";
  if (booking.status === "CANCELLED" && booking.paymentStatus === "UNPAID") {
    d.suggestedAction += " The booking is cancelled: once recorded, the payment is due back in full (reconcile never refunds).";
  }
  return { kind: "disagreement", disagreement: d };
}

export function refundPaymentIntentId(r: RefundRecord): string | null {
  const pi = r.payment_intent;
  if (!pi) return null;
  return typeof pi === "string" ? pi : pi.id;
}

/** A refund against the booking of its payment intent (whether the booking records enough refunded is decided on the sum, in finalizeFindings). */
export function classifyRefund(refund: RefundRecord, booking: BookingRecord | null, window: ReconcileWindow): StripeVerdict {
  if (refund.status !== "succeeded") return { kind: "not_paid" };
  if (!booking) return { kind: "unmatched" };
  if (!inWindow(window, booking.startTime)) return { kind: "outside_window" };
  if (booking.paymentStatus === "REFUNDED") return { kind: "agrees" };
  const d = base("refunded_not_recorded", booking);
  d.stripePaymentIntentId = refundPaymentIntentId(refund) ?? booking.stripePaymentIntentId;
  d.stripeRefundIds = [refund.id];
  d.refundedCents = refund.amount;
  d.provider = `stripe: refunded ${refund.amount} ${refund.currency}`;
  return { kind: "disagreement", disagreement: d };
}

/** Dispute statuses that are still open (Stripe's Dispute.status): the money is held, the outcome not known. */
export const OPEN_DISPUTE_STATUSES = ["needs_response", "under_review", "warning_needs_response", "warning_under_review", "appeal_needs_response", "appeal_under_review"];

/** A dispute against the booking of its payment intent: open in Stripe and not DISPUTED here is a disagreement. */
export function classifyDispute(dispute: DisputeRecord, booking: BookingRecord | null, window: ReconcileWindow): StripeVerdict {
  if (!OPEN_DISPUTE_STATUSES.includes(dispute.status)) return { kind: "not_paid" };
  if (!booking) return { kind: "unmatched" };
  if (!inWindow(window, booking.startTime)) return { kind: "outside_window" };
  if (booking.paymentStatus === "DISPUTED") return { kind: "agrees" };
  const d = base("dispute_open", booking);
  d.stripePaymentIntentId = refundPaymentIntentId(dispute) ?? booking.stripePaymentIntentId;
  d.stripeDisputeId = dispute.id;
  d.provider = `stripe: dispute ${dispute.id} ${dispute.status}, ${dispute.amount} ${dispute.currency}`;
  d.suggestedAction = "Record the dispute (charge.dispute.created through the intake): `bookflow bookings reconcile --fix`; answer it in the Stripe dashboard before its deadline.";
  return { kind: "disagreement", disagreement: d };
}

/** A stuck PENDING/UNPAID booking whose Checkout session Stripe says has expired: cancel it as checkout.session.expired would. */
export function classifyExpiredCheckout(b: BookingRecord, session: CheckoutSessionRecord | null, window: ReconcileWindow): Disagreement | null {
  if (!session || session.status !== "expired" || b.status !== "PENDING" || b.paymentStatus !== "UNPAID" || !inWindow(window, b.startTime)) return null;
  const d = base("checkout_expired", b);
  d.stripeCheckoutSessionId = session.id;
  d.provider = `stripe: Checkout session ${session.id} expired unpaid`;
  d.suggestedAction = "Cancel the booking and release its Calendly slot (checkout.session.expired through the intake): `bookflow bookings reconcile --fix`.";
  return d;
}

// ---------------------------------------------------------------- the database

export function isStuckPending(b: BookingRecord, now: Date, stuckAfterMs: number): boolean {
  return b.status === "PENDING" && b.paymentStatus === "UNPAID" && b.createdAt.getTime() <= now.getTime() - stuckAfterMs;
}

export function classifyStuck(b: BookingRecord, now: Date, stuckAfterMs: number, window: ReconcileWindow): Disagreement | null {
  if (!isStuckPending(b, now, stuckAfterMs) || !inWindow(window, b.startTime)) return null;
  const d = base("stuck_pending", b);
  const minutes = Math.floor((now.getTime() - b.createdAt.getTime()) / 60_000);
  d.provider = `database: PENDING/UNPAID for ${formatMinutes(minutes)}${b.stripeCheckoutSessionId ? `, checkout ${b.stripeCheckoutSessionId}` : ", no checkout session"}`;
  d.suggestedAction = "Look at it with `bookflow bookings show <id>`: ask the customer to pay, or cancel it (`bookflow bookings cancel <id> --reason …`).";
  return d;
}

function formatMinutes(m: number): string {
  if (m < 120) return `${m} min`;
  if (m < 48 * 60) return `${Math.floor(m / 60)} h`;
  return `${Math.floor(m / 1440)} days`;
}

// ---------------------------------------------------------------- findings

function keyOf(d: Disagreement): string {
  return `${d.kind}|${d.bookingId ?? d.calendlyInviteeUri ?? d.calendlyEventUri ?? ""}`;
}

/**
 * The disagreements found so far, one per kind and booking (or Calendly
 * invitee): a second payment intent or refund for the same booking is merged
 * into the first. Holds only disagreements, never the scanned records.
 */
export class Findings {
  private readonly byKey = new Map<string, Disagreement>();
  private readonly bookingIds = new Set<string>();

  add(d: Disagreement): void {
    const key = keyOf(d);
    const seen = this.byKey.get(key);
    if (!seen) {
      this.byKey.set(key, d);
      if (d.bookingId && d.kind !== "stuck_pending") this.bookingIds.add(d.bookingId);
      return;
    }
    if (d.kind === "refunded_not_recorded") {
      for (const id of d.stripeRefundIds) {
        if (seen.stripeRefundIds.includes(id)) continue;
        seen.stripeRefundIds.push(id);
        seen.refundedCents = (seen.refundedCents ?? 0) + (d.refundedCents ?? 0);
      }
    }
  }

  /** Whether a booking already has a disagreement other than stuck_pending. */
  hasBooking(bookingId: string): boolean {
    return this.bookingIds.has(bookingId);
  }

  get size(): number {
    return this.byKey.size;
  }

  values(): Disagreement[] {
    return [...this.byKey.values()];
  }
}

export type KindCounts = Record<DisagreementKind, number>;

export function emptyCounts(): KindCounts {
  return Object.fromEntries(DISAGREEMENT_KINDS.map((k) => [k, 0])) as KindCounts;
}

/**
 * Once every source was read: drops stuck_pending where the booking has
 * another disagreement (which explains it), decides what --fix may repair and
 * why not, and sorts (kind, start time, booking / Calendly URI).
 */
export function finalizeFindings(all: readonly Disagreement[]): { disagreements: Disagreement[]; counts: KindCounts } {
  // Refunds the booking records already (charge.refunded applied): no disagreement. The new invitee of a reschedule
  // the booking did not follow is not a missing booking: the reschedule_not_recorded of its old invitee moves it.
  const movedTo = new Set(all.filter((d) => d.kind === "reschedule_not_recorded" && d.newInviteeUri).map((d) => d.newInviteeUri!));
  const recorded = all.filter(
    (d) => !(d.kind === "refunded_not_recorded" && (d.refundedCents ?? 0) <= (d.recordedRefundCents ?? 0)) && !(d.kind === "missing_in_db" && d.calendlyInviteeUri && movedTo.has(d.calendlyInviteeUri)),
  );
  const explained = new Set(recorded.filter((d) => d.kind !== "stuck_pending" && d.bookingId).map((d) => d.bookingId!));
  const list = recorded.filter((d) => !(d.kind === "stuck_pending" && d.bookingId && explained.has(d.bookingId))).map((d) => ({ ...d, stripeRefundIds: [...d.stripeRefundIds] }));
  const kindsOf = new Map<string, Set<DisagreementKind>>();
  for (const d of list) if (d.bookingId) (kindsOf.get(d.bookingId) ?? kindsOf.set(d.bookingId, new Set()).get(d.bookingId)!).add(d.kind);

  for (const d of list) {
    const kinds = d.bookingId ? (kindsOf.get(d.bookingId) ?? new Set<DisagreementKind>()) : new Set<DisagreementKind>();
    const refuse = (why: string) => {
      d.fixable = false;
      d.notFixableReason = why;
    };
    d.fixable = true;
    d.notFixableReason = null;
    switch (d.kind) {
      case "missing_in_db":
        break;
      case "paid_not_recorded":
        if (d.database?.paymentStatus === "NOT_REQUIRED") refuse("the booking takes no payment (free session type): a payment for it is an anomaly for a person to look at");
        break;
      case "cancelled_not_recorded":
        break;
      case "refunded_not_recorded": {
        const amount = d.amountCents ?? 0;
        const refunded = d.refundedCents ?? 0;
        const paidHere = d.database !== null && MONEY_HELD.includes(d.database.paymentStatus);
        const willBePaid = paidHere || (kinds.has("paid_not_recorded") && d.database?.paymentStatus === "UNPAID");
        if (!willBePaid) {
          refuse(`the booking's payment status is ${d.database?.paymentStatus ?? "?"}: a refund can be recorded only on a booking that took the payment`);
          d.suggestedAction = "Look at the booking and its payment in Stripe: the refund cannot be recorded on a booking that never took a payment.";
        } else {
          const what = refunded < amount ? `PARTIALLY_REFUNDED (${refunded} of ${amount})` : "REFUNDED";
          d.suggestedAction = `Record the refund made in Stripe as ${what} (charge.refunded through the intake; no money moves): \`bookflow bookings reconcile --fix\`.`;
        }
        break;
      }
      case "reschedule_not_recorded":
      case "checkout_expired":
      case "dispute_open":
        break;
      case "slot_not_released":
        if (d.cancelledBy !== "bookflow (unpaid)") refuse("the booking was not cancelled by bookflow for an unpaid Checkout: whether the session is off is a person's call");
        break;
      case "stuck_pending":
        refuse("reported only: only a person can tell an abandoned booking from a slow payment");
        break;
    }
  }

  const order = new Map(DISAGREEMENT_KINDS.map((k, i) => [k, i]));
  list.sort(
    (a, b) =>
      order.get(a.kind)! - order.get(b.kind)! ||
      a.startTime.localeCompare(b.startTime) ||
      (a.bookingId ?? a.calendlyInviteeUri ?? a.calendlyEventUri ?? "").localeCompare(b.bookingId ?? b.calendlyInviteeUri ?? b.calendlyEventUri ?? ""),
  );
  const counts = emptyCounts();
  for (const d of list) counts[d.kind]++;
  return { disagreements: list.map(({ amountCents: _amount, recordedRefundCents: _recorded, cancelledBy: _by, ...rest }) => rest), counts };
}

// ---------------------------------------------------------------- repairs

/** The repair --fix applies for a disagreement, in one line. */
export function describeRepair(d: Disagreement): string {
  switch (d.kind) {
    case "missing_in_db":
      return `missing_in_db: create the booking for Calendly invitee ${d.calendlyInviteeUri ?? d.calendlyEventUri} (${d.inviteeEmail ?? "?"}, ${d.startTime}) — invitee.created through the intake`;
    case "paid_not_recorded":
      return `paid_not_recorded: record payment ${d.stripePaymentIntentId} on booking ${d.bookingId} (${formatBookingState(d.database)} → PAID) — checkout.session.completed through the intake`;
    case "cancelled_not_recorded":
      return `cancelled_not_recorded: cancel booking ${d.bookingId} as Calendly did (${formatBookingState(d.database)} → CANCELLED) — invitee.canceled through the intake`;
    case "refunded_not_recorded":
      return `refunded_not_recorded: record on booking ${d.bookingId} the refunds made in Stripe (${d.stripeRefundIds.join(", ")}, ${d.refundedCents ?? 0} cents) — charge.refunded through the intake, no money moves`;
    case "reschedule_not_recorded":
      return `reschedule_not_recorded: move booking ${d.bookingId} to Calendly invitee ${d.newInviteeUri ?? "?"} — invitee.created (old_invitee) through the intake, payment kept`;
    case "checkout_expired":
      return `checkout_expired: cancel booking ${d.bookingId} (${formatBookingState(d.database)} → CANCELLED/UNPAID), Checkout ${d.stripeCheckoutSessionId} expired — checkout.session.expired through the intake, Calendly slot released`;
    case "dispute_open":
      return `dispute_open: record dispute ${d.stripeDisputeId ?? "?"} on booking ${d.bookingId} (→ DISPUTED) — charge.dispute.created through the intake`;
    case "slot_not_released":
      return `slot_not_released: cancel Calendly event ${d.calendlyEventUri} of cancelled booking ${d.bookingId} — the slot is freed`;
    case "stuck_pending":
      return `stuck_pending: booking ${d.bookingId} (reported only)`;
  }
}

function formatBookingState(s: BookingState | null): string {
  return s ? `${s.status}/${s.paymentStatus}` : "(none)";
}

/** The repairs --fix applies, in the order that keeps the status rules: create, pay, move, cancel, expire, refund, dispute, release. */
export function planRepairs(disagreements: readonly Disagreement[]): Disagreement[] {
  const order = new Map(DISAGREEMENT_KINDS.map((k, i) => [k, i]));
  return disagreements.filter((d) => d.fixable).sort((a, b) => order.get(a.kind)! - order.get(b.kind)!);
}

/**
 * Exit code of a reconcile: 0 when the three sources agree, or when --fix was
 * applied and repaired every disagreement; 1 otherwise (including --dry-run and
 * a --fix that left any, e.g. stuck_pending, unrepaired).
 */
export function reconcileExitCode(found: number, repaired: number | null): 0 | 1 {
  if (found === 0) return 0;
  return repaired !== null && repaired >= found ? 0 : 1;
}
