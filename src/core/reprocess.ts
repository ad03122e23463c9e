/**
 * `bookings reprocess`: read what Calendly and Stripe say about a booking,
 * compute what would change (a pure diff), and apply it through the same
 * webhook intake as the webhooks (src/core/webhook-intake.ts), with the
 * providers' truth turned into webhook bodies by src/core/provider-truth.ts.
 * The same status rules, emails and idempotency therefore hold, and a second
 * run finds nothing to change.
 *
 * What it repairs:
 * - a lost Calendly cancellation (invitee.canceled) → CANCELLED, email, refund per policy (by the intake);
 * - a lost Stripe payment (checkout.session.completed / payment_intent.succeeded) → PAID;
 *   the two in the order they happened (a payment after the cancellation is refunded in full);
 * - a CANCELLED/PAID booking whose refund failed earlier (and that the policy refunds) → refund → REFUNDED;
 *   the refund is a durable intent (intents.ts), recorded before Stripe is asked, so a run killed
 *   after Stripe's answer is finished by the app's sweep or the next run, never asked twice;
 * - a refund made in Stripe (dashboard) for a CANCELLED/PAID booking → REFUNDED;
 * - a paid booking missing its payment intent id → recorded.
 * What it only reports (a person decides): a booking CANCELLED here but active in
 * Calendly (CANCELLED is final), a payment for a free booking, a refund of a
 * booking that still takes place, a partial refund, a moved start time, and a
 * cancel that was the first half of a Calendly reschedule (`bookings reconcile
 * --fix` moves the booking).
 */
import { z } from "zod";
import type { PrismaClient } from "../generated/prisma/client.js";
import type { CalendlyInvitee, CalendlyScheduledEvent } from "../providers/calendly/schemas.js";
import { recordAudit } from "./audit.js";
import { countedRefunds, markRefunded, money, refundedAmount, refundIdempotencyKey, type CancelSubject, type RefundReader, type RefundTruth } from "./cancellation.js";
import { createIntentWorker, OPERATOR_LEASE_MS, performNow, recordIntents, refundIntent } from "./intents.js";
import type { BookingPolicy, Clock, PaymentsGateway } from "./ports.js";
import { calendlyEventFromApi, checkoutCompletedFromApi, paymentIntentSucceededFromApi, type CheckoutSessionTruth, type PaymentIntentTruth } from "./provider-truth.js";
import { formatState, refundDecision, sameState, stateAfterCancellation, stateAfterPayment, type BookingState } from "./status-rules.js";
import type { WebhookIntake, WebhookSource } from "./webhook-intake.js";

// ---------------------------------------------------------------------------
// Provider responses (checked at the boundary)

export const checkoutSessionTruthSchema = z.looseObject({
  id: z.string().min(1),
  object: z.literal("checkout.session").optional(),
  payment_status: z.string(),
  status: z.string().nullish(),
  amount_total: z.number().int().nullish(),
  currency: z.string().nullish(),
  metadata: z.record(z.string(), z.string()).nullish(),
  client_reference_id: z.string().nullish(),
  payment_intent: z.union([z.string(), z.looseObject({ id: z.string() })]).nullish(),
  customer_details: z.looseObject({ email: z.string().nullish(), name: z.string().nullish() }).nullish(),
  livemode: z.boolean().optional(),
  created: z.number().int().optional(),
});

export const paymentIntentTruthSchema = z.looseObject({
  id: z.string().min(1),
  amount: z.number().int(),
  amount_received: z.number().int().nullish(),
  currency: z.string(),
  status: z.string(),
  metadata: z.record(z.string(), z.string()).nullish(),
  livemode: z.boolean().optional(),
  created: z.number().int().optional(),
});

export const refundTruthSchema = z.looseObject({
  id: z.string().min(1),
  amount: z.number().int(),
  status: z.string().nullable(),
  created: z.number().int().optional(),
});

// ---------------------------------------------------------------------------
// Reading the truth

export interface StripeReader extends RefundReader {
  retrieveCheckoutSession(id: string): Promise<CheckoutSessionTruth & { status?: string | null | undefined }>;
  retrievePaymentIntent(id: string): Promise<PaymentIntentTruth>;
}

export interface CalendlyReader {
  getScheduledEvent(uri: string): Promise<CalendlyScheduledEvent>;
  listEventInvitees(eventUri: string): AsyncIterable<CalendlyInvitee>;
}

/** The booking columns reprocess reads: what a cancellation reads, and the Checkout session. */
export interface ReprocessSubject extends CancelSubject {
  stripeCheckoutSessionId: string | null;
}

export interface CalendlyTruth {
  event: CalendlyScheduledEvent;
  /** The booking's invitee (by URI, else by email); null when Calendly lists none. */
  invitee: CalendlyInvitee | null;
}

export interface StripeTruth {
  session: (CheckoutSessionTruth & { status?: string | null | undefined }) | null;
  paymentIntent: PaymentIntentTruth | null;
  refunds: RefundTruth[];
}

export interface ProviderTruth {
  /** null: the booking has no Calendly event. */
  calendly: CalendlyTruth | null;
  /** null: the booking has no Stripe ids (nothing to look up). */
  stripe: StripeTruth | null;
}

export async function readCalendlyTruth(b: Pick<ReprocessSubject, "calendlyEventUri" | "calendlyInviteeUri" | "inviteeEmail">, calendly: CalendlyReader): Promise<CalendlyTruth | null> {
  if (!b.calendlyEventUri) return null;
  const event = await calendly.getScheduledEvent(b.calendlyEventUri);
  let invitee: CalendlyInvitee | null = null;
  let byEmail: CalendlyInvitee | null = null;
  for await (const i of calendly.listEventInvitees(b.calendlyEventUri)) {
    if (b.calendlyInviteeUri && i.uri === b.calendlyInviteeUri) {
      invitee = i;
      break;
    }
    if (!byEmail && i.email.toLowerCase() === b.inviteeEmail.toLowerCase()) byEmail = i;
  }
  return { event, invitee: invitee ?? byEmail };
}

export async function readStripeTruth(b: Pick<ReprocessSubject, "stripeCheckoutSessionId" | "stripePaymentIntentId">, stripe: StripeReader): Promise<StripeTruth | null> {
  if (!b.stripeCheckoutSessionId && !b.stripePaymentIntentId) return null;
  const session = b.stripeCheckoutSessionId ? await stripe.retrieveCheckoutSession(b.stripeCheckoutSessionId) : null;
  const piId = b.stripePaymentIntentId ?? paymentIntentIdOf(session);
  const paymentIntent = piId ? await stripe.retrievePaymentIntent(piId) : null;
  const refunds = piId ? await stripe.listRefunds(piId) : [];
  return { session, paymentIntent, refunds };
}

function paymentIntentIdOf(session: CheckoutSessionTruth | null): string | null {
  const pi = session?.payment_intent;
  if (!pi) return null;
  return typeof pi === "string" ? pi : pi.id;
}

// ---------------------------------------------------------------------------
// The plan (pure)

export type ReprocessChange =
  | {
      kind: "apply-event";
      provider: WebhookSource;
      eventType: string;
      providerEventId: string;
      body: Record<string, unknown>;
      from: BookingState;
      /** The state the intake is expected to leave (a refund by the intake included). */
      to: BookingState;
      summary: string;
    }
  | {
      kind: "refund";
      paymentIntentId: string;
      amountCents: number;
      idempotencyKey: string;
      reason: string;
      from: BookingState;
      to: BookingState;
      summary: string;
    }
  | {
      kind: "mark-refunded";
      refundIds: string[];
      amountCents: number;
      from: BookingState;
      to: BookingState;
      summary: string;
    };

export interface ReprocessNote {
  /** attention: a disagreement reprocess does not repair; info: context. */
  level: "attention" | "info";
  message: string;
}

export interface ReprocessPlan {
  bookingId: string;
  before: BookingState;
  /** The state when every change applies as expected. */
  after: BookingState;
  changes: ReprocessChange[];
  notes: ReprocessNote[];
}

export interface ReprocessContext {
  policy: BookingPolicy;
  now: Date;
  /** `<PROVIDER>:<providerEventId>` of the WebhookEvents already recorded (the intake answers those "duplicate"). */
  recordedEvents: ReadonlySet<string>;
  /** Recorded refund failures for the booking (decides the refund's idempotency key). */
  refundFailures: number;
  /** Manual processing is on: the intake holds events instead of applying them. */
  manualProcessing: boolean;
}

export function recordedEventKey(provider: "CALENDLY" | "STRIPE", providerEventId: string): string {
  return `${provider}:${providerEventId}`;
}

const seconds = (s: number | undefined): Date | null => (s === undefined ? null : new Date(s * 1000));

export function planReprocess(b: ReprocessSubject, truth: ProviderTruth, ctx: ReprocessContext): ReprocessPlan {
  const before: BookingState = { status: b.status, paymentStatus: b.paymentStatus };
  const notes: ReprocessNote[] = [];
  const changes: ReprocessChange[] = [];
  const refunds = truth.stripe?.refunds ?? [];
  const refunded = refundedAmount(refunds);
  const fullyRefunded = refunded > 0 && refunded >= b.amountCents;

  type Candidate = { kind: "cancel" | "pay" | "ids"; at: number; make: (from: BookingState) => ReprocessChange | null };
  const candidates: Candidate[] = [];

  // Calendly
  const cal = truth.calendly;
  if (cal) {
    const invitee = cal.invitee;
    if (!invitee) notes.push({ level: "attention", message: `Calendly lists no invitee ${b.calendlyInviteeUri ?? b.inviteeEmail} on the event ${cal.event.uri}.` });
    const canceled = invitee ? invitee.status === "canceled" : cal.event.status === "canceled";
    const rescheduledTo = invitee?.rescheduled ? (invitee.new_invitee ?? null) : null;
    if (canceled && b.status !== "CANCELLED" && rescheduledTo) {
      // A reschedule cancels the old invitee; the booking moves, it is not cancelled.
      notes.push({ level: "attention", message: `Calendly rescheduled this invitee to ${rescheduledTo}, and the booking did not move: \`bookflow bookings reconcile --fix\` moves it (payment kept, nothing refunded).` });
    } else if (canceled && b.status !== "CANCELLED" && invitee) {
      const cancellation = invitee.cancellation ?? cal.event.cancellation ?? null;
      const at = new Date(cancellation?.created_at ?? invitee.updated_at);
      candidates.push({
        kind: "cancel",
        at: at.getTime(),
        make: (from) => {
          const to = stateAfterCancellation(from);
          if (!to) return null;
          let after = to;
          let refundNote = "";
          if (to.paymentStatus === "PAID") {
            const d = refundDecision({ ...b, ...to }, at, ctx.policy);
            if (fullyRefunded || d.refund) after = { status: "CANCELLED", paymentStatus: "REFUNDED" };
            refundNote = fullyRefunded ? "; Stripe already refunded it" : `; ${d.reason}`;
          }
          const body = calendlyEventFromApi("invitee.canceled", invitee, cal.event);
          return {
            kind: "apply-event",
            provider: "calendly",
            eventType: "invitee.canceled",
            providerEventId: `invitee.canceled:${invitee.uri}`,
            body,
            from,
            to: after,
            summary: `Calendly: canceled at ${at.toISOString()}${cancellation?.reason ? ` ("${cancellation.reason}")` : ""} → ${formatState(after)}, cancellation email${refundNote}`,
          };
        },
      });
    }
    if (!canceled && b.status === "CANCELLED") {
      notes.push({ level: "attention", message: "Calendly shows the meeting active, but the booking is CANCELLED here (CANCELLED is final): cancel the event in Calendly, or have the invitee book again." });
    }
    const start = Date.parse(cal.event.start_time);
    if (Number.isFinite(start) && start !== b.startTime.getTime()) {
      notes.push({ level: "attention", message: `Calendly's start time is ${cal.event.start_time}, the booking's ${b.startTime.toISOString()} (rescheduled?): not changed by reprocess.` });
    }
  }

  // Stripe
  const st = truth.stripe;
  if (st) {
    const session = st.session;
    const pi = st.paymentIntent;
    const sessionPaid = session?.payment_status === "paid";
    const piPaid = pi?.status === "succeeded";
    const paidAt = seconds(pi?.created) ?? seconds(session?.created) ?? ctx.now;
    if ((sessionPaid || piPaid) && (b.paymentStatus === "UNPAID" || b.paymentStatus === "PROCESSING")) {
      candidates.push({
        kind: "pay",
        at: paidAt.getTime(),
        make: (from) => {
          const to = stateAfterPayment(from);
          if (!to) return null;
          // A payment after the cancellation is refunded in full by the intake (see status-rules.ts).
          const after: BookingState = from.status === "CANCELLED" ? { status: "CANCELLED", paymentStatus: "REFUNDED" } : to;
          const body = sessionPaid ? checkoutCompletedFromApi(session!, Math.floor(ctx.now.getTime() / 1000)) : paymentIntentSucceededFromApi(pi!, Math.floor(ctx.now.getTime() / 1000));
          return {
            kind: "apply-event",
            provider: "stripe",
            eventType: String(body.type),
            providerEventId: String(body.id),
            body,
            from,
            to: after,
            summary: `Stripe: paid (${sessionPaid ? `Checkout session ${session!.id}` : `payment intent ${pi!.id}`}) → ${formatState(after)}${from.status === "CANCELLED" ? ", paid after the cancellation: full refund" : ", confirmation and receipt emails"}`,
          };
        },
      });
    } else if ((sessionPaid || piPaid) && b.paymentStatus === "NOT_REQUIRED") {
      notes.push({ level: "attention", message: "Stripe shows a payment for this free booking: look at it in Stripe (refund it there if it was a mistake)." });
    } else if (sessionPaid && (b.paymentStatus === "PAID" || b.paymentStatus === "REFUNDED") && !b.stripePaymentIntentId && paymentIntentIdOf(session)) {
      candidates.push({
        kind: "ids",
        at: paidAt.getTime(),
        make: (from) => {
          const body = checkoutCompletedFromApi(session!, Math.floor(ctx.now.getTime() / 1000));
          return { kind: "apply-event", provider: "stripe", eventType: "checkout.session.completed", providerEventId: String(body.id), body, from, to: from, summary: `Stripe: record the payment intent ${paymentIntentIdOf(session)} on the booking` };
        },
      });
    }
    if (!sessionPaid && !piPaid && b.paymentStatus === "PAID") {
      notes.push({ level: "attention", message: `The booking is PAID here, but Stripe shows ${session ? `the Checkout session ${session.id} ${session.payment_status}` : ""}${session && pi ? " and " : ""}${pi ? `the payment intent ${pi.id} ${pi.status}` : ""}.` });
    }
    if (refunded > 0 && !fullyRefunded) {
      notes.push({ level: "attention", message: `Stripe shows a partial refund (${money(refunded, b.currency)} of ${money(b.amountCents, b.currency)}): finish or settle it in Stripe; reprocess does not change the booking for it.` });
    }
  } else if (b.paymentStatus === "UNPAID") {
    notes.push({ level: "info", message: "The booking has no Stripe Checkout session or payment intent recorded: nothing to look up in Stripe." });
  }

  // Apply the provider events in the order they happened.
  let state = before;
  candidates.sort((x, y) => x.at - y.at);
  for (const c of candidates) {
    const change = c.make(state);
    if (!change || change.kind !== "apply-event") continue;
    const key = recordedEventKey(change.provider === "calendly" ? "CALENDLY" : "STRIPE", change.providerEventId);
    if (ctx.recordedEvents.has(key)) {
      notes.push({
        level: "attention",
        message: `${change.summary} — but the event ${change.providerEventId} is already recorded, so the intake would ignore it as a duplicate (a HELD event is applied when held events are released; see its outcome with \`bookflow bookings show\`).`,
      });
      continue;
    }
    changes.push(change);
    state = change.to;
  }

  // Refunds of a booking that is (or becomes) CANCELLED/PAID without a refund by the intake.
  if (state.status === "CANCELLED" && state.paymentStatus === "PAID") {
    if (fullyRefunded) {
      const to: BookingState = { status: "CANCELLED", paymentStatus: "REFUNDED" };
      const ids = countedRefunds(refunds).map((r) => r.id);
      changes.push({ kind: "mark-refunded", refundIds: ids, amountCents: refunded, from: state, to, summary: `Stripe already refunded it (${ids.join(", ")}) → ${formatState(to)}` });
      state = to;
    } else if (refunded === 0 && sameState(before, state)) {
      // Already CANCELLED/PAID before this run: the refund that should have followed (policy) is due now.
      const pi = st?.paymentIntent ?? null;
      const cancelledAt = b.cancelledAt ?? ctx.now;
      const paidAt = seconds(pi?.created);
      const d = refundDecision(b, cancelledAt, ctx.policy, { paidAfterCancellation: !!b.cancelledAt && !!paidAt && paidAt > b.cancelledAt });
      const piId = b.stripePaymentIntentId ?? pi?.id ?? null;
      if (!d.refund) {
        notes.push({ level: "info", message: `Cancelled and PAID, not refunded: ${d.reason}` });
      } else if (!piId) {
        notes.push({ level: "attention", message: `${d.reason} But the booking has no Stripe payment intent to refund: refund it in the Stripe dashboard, then run reprocess again to record it.` });
      } else {
        const to: BookingState = { status: "CANCELLED", paymentStatus: "REFUNDED" };
        changes.push({
          kind: "refund",
          paymentIntentId: piId,
          amountCents: d.amountCents,
          idempotencyKey: refundIdempotencyKey(b.id, ctx.refundFailures),
          reason: d.reason,
          from: state,
          to,
          summary: `Stripe: refund ${money(d.amountCents, b.currency)} of ${piId} (${d.reason}) → ${formatState(to)}`,
        });
        state = to;
      }
    }
  }
  if (state.status !== "CANCELLED" && state.paymentStatus === "PAID" && fullyRefunded) {
    notes.push({ level: "attention", message: "Stripe shows the payment refunded, but the booking still takes place (CONFIRMED/PAID): cancel it (`bookflow bookings cancel`) or settle it in Stripe." });
  }
  if (b.paymentStatus === "REFUNDED" && st && refunded === 0) {
    notes.push({ level: "attention", message: "The booking is REFUNDED here, but Stripe shows no refund for its payment intent." });
  }
  if (ctx.manualProcessing && changes.some((c) => c.kind === "apply-event")) {
    notes.push({ level: "attention", message: "Manual processing is on: the intake will HOLD these events instead of applying them (turn it off, or release held events, to apply them)." });
  }
  return { bookingId: b.id, before, after: state, changes, notes };
}

// ---------------------------------------------------------------------------
// Apply

export interface ReprocessApplyDeps {
  prisma: PrismaClient;
  /** The intake, built with the same (guarded) payments gateway. */
  intake: WebhookIntake;
  payments: PaymentsGateway | null;
  refunds: RefundReader | null;
  actor: string;
  clock: Clock;
  /** How long to wait for a refund another process has claimed (default: the operator lease and 5 s). */
  waitMs?: number;
}

export interface ChangeOutcome {
  change: string;
  status: "done" | "failed" | "not-applied";
  detail: string;
}

export interface ReprocessOutcome {
  bookingId: string;
  /** Every change applied and the booking in the planned state. */
  complete: boolean;
  outcomes: ChangeOutcome[];
  after: BookingState | null;
}

export async function applyReprocess(plan: ReprocessPlan, deps: ReprocessApplyDeps): Promise<ReprocessOutcome> {
  const { prisma, actor } = deps;
  const outcomes: ChangeOutcome[] = [];
  for (const change of plan.changes) {
    try {
      if (change.kind === "apply-event") {
        const r = await deps.intake.receive(change.provider, change.body);
        const status = r.outcome === "processed" ? "done" : r.outcome === "invalid" ? "failed" : "not-applied";
        outcomes.push({ change: change.summary, status, detail: `intake: ${r.outcome}: ${r.message}${r.issues?.length ? ` (${r.issues.join("; ")})` : ""}` });
        if (status === "failed") break;
      } else if (change.kind === "mark-refunded") {
        const done = await markRefunded(prisma, { bookingId: plan.bookingId, actor, refundId: change.refundIds.join(", "), amountCents: change.amountCents, reason: "Refunded in Stripe; recorded by reprocess." });
        outcomes.push({ change: change.summary, status: "done", detail: done ? "recorded REFUNDED" : "already recorded" });
      } else {
        if (!deps.payments || !deps.refunds) {
          outcomes.push({ change: change.summary, status: "failed", detail: "no Stripe client to refund with" });
          break;
        }
        // The refund is an intent, recorded before Stripe is asked: killed after Stripe's answer and before the
        // booking is marked, the app's sweep (or a run again) finds the intent, reads Stripe's refunds first and records
        // the one made instead of leaving the booking PAID.
        const [intent] = await recordIntents(
          prisma,
          [refundIntent({ bookingId: plan.bookingId, params: { paymentIntentId: change.paymentIntentId, amountCents: change.amountCents, reason: `${change.reason} (bookflow bookings reprocess)` }, actor, reason: change.reason, source: `reprocess:${change.idempotencyKey}` })],
          deps.clock.now(),
        );
        const refunds = deps.refunds;
        const worker = createIntentWorker({ prisma, clock: deps.clock, leaseMs: OPERATOR_LEASE_MS, payments: { ...deps.payments, listRefunds: (pi: string) => refunds.listRefunds(pi) } });
        const done = intent ? await performNow(worker, intent.id, deps.waitMs ?? OPERATOR_LEASE_MS + 5000) : null;
        if (!done) {
          outcomes.push({ change: change.summary, status: "failed", detail: "the refund could not be recorded" });
          break;
        }
        const status = done.status === "done" ? "done" : "failed";
        outcomes.push({ change: change.summary, status, detail: status === "done" ? done.message : `Stripe refund ${done.status === "failed" ? "failed" : "not made yet"}: ${done.message}` });
        if (status === "failed") break;
      }
    } catch (err) {
      outcomes.push({ change: change.summary, status: "failed", detail: (err instanceof Error ? err.message : String(err)).split("\n")[0]!.slice(0, 500) });
      break;
    }
  }
  for (const change of plan.changes.slice(outcomes.length)) outcomes.push({ change: change.summary, status: "not-applied", detail: "not attempted: an earlier change failed" });

  const row = await prisma.booking.findUnique({ where: { id: plan.bookingId }, select: { status: true, paymentStatus: true } });
  const after = row ? { status: row.status, paymentStatus: row.paymentStatus } : null;
  const complete = outcomes.every((o) => o.status === "done") && !!after && sameState(after, plan.after);
  await recordAudit(prisma, {
    actor,
    action: "booking.reprocess",
    target: plan.bookingId,
    reason: plan.changes.map((c) => c.summary).join("; ").slice(0, 1000),
    before: plan.before,
    after: { ...(after ?? {}), expected: plan.after, complete, outcomes: outcomes.map((o) => `${o.status}: ${o.change} — ${o.detail}`) },
  });
  return { bookingId: plan.bookingId, complete, outcomes, after };
}
