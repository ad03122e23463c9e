/**
 * `bookings reconcile --fix`: applies the safe repairs, each audited.
 *
 * Three of them re-apply the providers' CURRENT truth (read again at apply
 * time, not what the scan saw) through the same intake as the webhooks
 * (src/core/provider-truth.ts builds the bodies), so the status rules, the
 * queued emails and the idempotency are the webhooks' own:
 * - missing_in_db → invitee.created,
 * - paid_not_recorded → checkout.session.completed (payment_intent.succeeded when no Checkout session paid it),
 * - cancelled_not_recorded → invitee.canceled.
 * The intake runs WITHOUT a payments gateway and with `refunds: "report"`: a
 * repair never moves money (a refund the policy would make is neither made nor
 * recorded as an intent for the app's worker; it is reported).
 * - reschedule_not_recorded → invitee.created of the new invitee (with old_invitee): the booking moves,
 * - checkout_expired → checkout.session.expired (the booking is cancelled, its Calendly slot released),
 * - refunded_not_recorded → charge.refunded from the charge (REFUNDED or PARTIALLY_REFUNDED; no money moves),
 * - dispute_open → charge.dispute.created.
 * One writes to a provider: slot_not_released cancels the Calendly event of a
 * booking bookflow itself cancelled for a Checkout never paid (nothing else).
 *
 * Every repair that changed a booking writes one AuditLog entry
 * `booking.reconcile.<kind>` with the operator as actor. Re-running is safe:
 * a repair that finds nothing to do answers "unchanged".
 */
import type Stripe from "stripe";
import type { PrismaClient } from "../generated/prisma/client.js";
import type { SqlClient } from "../db/sql.js";
import { recordAudit } from "../core/audit.js";
import {
  calendlyEventFromApi,
  chargeRefundedFromApi,
  checkoutCompletedFromApi,
  checkoutExpiredFromApi,
  disputeCreatedFromApi,
  paymentIntentSucceededFromApi,
  type ChargeTruth,
  type CheckoutSessionTruth,
  type DisputeTruth,
  type PaymentIntentTruth,
} from "../core/provider-truth.js";
import type { Disagreement } from "../core/reconcile.js";
import type { RepairOutcome, RepairResult } from "../core/reconcile-repairs.js";
import { createCalendlyScheduling } from "../providers/calendly-scheduling.js";
import { PAYMENT_RECORDED, type BookingState } from "../core/status-rules.js";
import { createWebhookIntake, type IntakeResult } from "../core/webhook-intake.js";
import type { CalendlyClient } from "../providers/calendly/client.js";
import type { CalendlyInvitee } from "../providers/calendly/schemas.js";
import { withStripeRetry, type Sleep } from "../providers/stripe-retry.js";

export interface RepairDeps {
  prisma: PrismaClient;
  sql: SqlClient;
  calendly: CalendlyClient;
  stripe: Stripe;
  actor: string;
  sleep: Sleep;
}

// ---------------------------------------------------------------- the rest

async function readState(sql: SqlClient, bookingId: string): Promise<BookingState | null> {
  const [row] = await sql.query<BookingState>(`SELECT status::text AS status, "paymentStatus"::text AS "paymentStatus" FROM "Booking" WHERE id = $1`, [bookingId]);
  return row ?? null;
}

async function bookingIdByInvitee(sql: SqlClient, inviteeUri: string): Promise<string | null> {
  const [row] = await sql.query<{ id: string }>(`SELECT id FROM "Booking" WHERE "calendlyInviteeUri" = $1`, [inviteeUri]);
  return row?.id ?? null;
}

async function calendlyTruth(calendly: CalendlyClient, eventUri: string, inviteeUri: string | null) {
  const event = await calendly.getScheduledEvent(eventUri);
  const invitees: CalendlyInvitee[] = [];
  for await (const inv of calendly.listEventInvitees(eventUri, { count: 100 })) invitees.push(inv);
  const invitee = inviteeUri ? invitees.find((i) => i.uri === inviteeUri) : invitees.length === 1 ? invitees[0] : undefined;
  return { event, invitee };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Applies the repairs in order (planRepairs), each independently: one that
 * fails is reported and the others still run. `onResult` sees each as it ends.
 */
export async function applyRepairs(steps: readonly Disagreement[], deps: RepairDeps, onResult?: (r: RepairResult) => void): Promise<RepairResult[]> {
  // No payments gateway: a repair never moves money. Calendly, to release the slot of a booking never paid.
  const intake = createWebhookIntake({ prisma: deps.prisma, sql: deps.sql, scheduling: createCalendlyScheduling(deps.calendly), refunds: "report" });
  const results: RepairResult[] = [];
  for (const d of steps) {
    let r: RepairResult;
    try {
      r = await repairOne(d, deps, intake);
    } catch (err) {
      r = result(d, "failed", `not repaired: ${errorText(err)}`);
    }
    results.push(r);
    onResult?.(r);
  }
  return results;
}

function result(d: Disagreement, outcome: RepairOutcome, message: string, extra: Partial<RepairResult> = {}): RepairResult {
  return {
    kind: d.kind,
    bookingId: d.bookingId,
    calendlyInviteeUri: d.calendlyInviteeUri,
    stripePaymentIntentId: d.stripePaymentIntentId,
    outcome,
    message,
    intakeOutcome: null,
    before: d.database,
    after: null,
    ...extra,
  };
}

type Intake = ReturnType<typeof createWebhookIntake>;

async function repairOne(d: Disagreement, deps: RepairDeps, intake: Intake): Promise<RepairResult> {
  switch (d.kind) {
    case "missing_in_db":
      return repairMissing(d, deps, intake);
    case "paid_not_recorded":
      return repairPaid(d, deps, intake);
    case "cancelled_not_recorded":
      return repairCancelled(d, deps, intake);
    case "refunded_not_recorded":
      return repairRefunded(d, deps, intake);
    case "reschedule_not_recorded":
      return repairRescheduled(d, deps, intake);
    case "checkout_expired":
      return repairExpired(d, deps, intake);
    case "dispute_open":
      return repairDispute(d, deps, intake);
    case "slot_not_released":
      return repairSlot(d, deps);
    case "stuck_pending":
      return result(d, "failed", "stuck_pending is reported only, never repaired");
  }
}

/** Audits an intake-based repair once the booking shows it took effect; else reports why not. */
async function settle(d: Disagreement, deps: RepairDeps, r: IntakeResult, bookingId: string | null, tookEffect: (s: BookingState) => boolean): Promise<RepairResult> {
  const after = bookingId ? await readState(deps.sql, bookingId) : null;
  const extra = { bookingId, intakeOutcome: r.outcome, after };
  if (!after || !tookEffect(after)) return result(d, "failed", `not repaired: the intake answered ${r.outcome}: ${r.message}`, extra);
  if (r.outcome !== "processed") return result(d, "unchanged", `already in place (${r.message})`, extra);
  await recordAudit(deps.prisma, {
    actor: deps.actor,
    action: `booking.reconcile.${d.kind}`,
    target: bookingId!,
    reason: `bookings reconcile --fix: ${r.eventType} ${r.providerEventId ?? ""} through the intake: ${r.message}`.trim(),
    before: d.database,
    after: { ...after, ...(d.calendlyInviteeUri ? { calendlyInviteeUri: d.calendlyInviteeUri } : {}), ...(d.stripePaymentIntentId ? { stripePaymentIntentId: d.stripePaymentIntentId } : {}) },
  });
  return result(d, "repaired", r.message, extra);
}

async function repairMissing(d: Disagreement, deps: RepairDeps, intake: Intake): Promise<RepairResult> {
  if (!d.calendlyEventUri) return result(d, "failed", "no Calendly event URI to read the invitee from");
  const { event, invitee } = await calendlyTruth(deps.calendly, d.calendlyEventUri, d.calendlyInviteeUri);
  if (!invitee) return result(d, "failed", `Calendly no longer lists invitee ${d.calendlyInviteeUri ?? "(the event's only invitee)"} on ${d.calendlyEventUri}`);
  if (invitee.status !== "active" || event.status !== "active") return result(d, "unchanged", "the invitee was cancelled in Calendly since the scan: no booking to create");
  const r = await intake.receive("calendly", calendlyEventFromApi("invitee.created", invitee, event));
  const bookingId = r.bookingId ?? (await bookingIdByInvitee(deps.sql, invitee.uri));
  const settled = await settle({ ...d, calendlyInviteeUri: invitee.uri }, deps, r, bookingId, () => true);
  if (settled.outcome === "repaired" && r.checkoutNeeded) {
    settled.message += " It has no Stripe Checkout session yet (the app creates one when the webhook arrives; reconcile does not): send the customer a payment link.";
  }
  return { ...settled, calendlyInviteeUri: invitee.uri };
}

async function repairPaid(d: Disagreement, deps: RepairDeps, intake: Intake): Promise<RepairResult> {
  const piId = d.stripePaymentIntentId;
  if (!piId || !d.bookingId) return result(d, "failed", "no payment intent or booking to record");
  const retry = { sleep: deps.sleep };
  const pi = (await withStripeRetry(`GET /v1/payment_intents/${piId}`, () => deps.stripe.paymentIntents.retrieve(piId), retry)) as unknown as PaymentIntentTruth;
  if (pi.status !== "succeeded") return result(d, "failed", `payment intent ${piId} is ${pi.status} now, not succeeded: nothing to record`);
  const sessions = await withStripeRetry("GET /v1/checkout/sessions", () => deps.stripe.checkout.sessions.list({ payment_intent: piId, limit: 1 }), retry);
  const session = (sessions.data as unknown as CheckoutSessionTruth[]).find((s) => s.payment_status === "paid");
  // The booking is known here; a payment whose metadata does not name it still refers to it.
  const withBooking = <T extends { metadata?: Record<string, string> | null }>(o: T): T => {
    const m = o.metadata ?? {};
    return m.booking_id || m.calendly_invitee_uri ? o : { ...o, metadata: { ...m, booking_id: d.bookingId! } };
  };
  const body = session ? checkoutCompletedFromApi(withBooking(session)) : paymentIntentSucceededFromApi(withBooking(pi));
  const r = await intake.receive("stripe", body);
  const settled = await settle(d, deps, r, d.bookingId, (s) => PAYMENT_RECORDED.includes(s.paymentStatus));
  if (settled.outcome === "repaired" && settled.after?.status === "CANCELLED" && settled.after.paymentStatus === "PAID") {
    settled.message += " The booking is cancelled and now PAID: its refund is due. Reconcile makes no refunds: refund it in Stripe, then `bookflow bookings reconcile --fix` records it.";
  }
  return { ...settled, stripePaymentIntentId: piId };
}

async function repairCancelled(d: Disagreement, deps: RepairDeps, intake: Intake): Promise<RepairResult> {
  if (!d.calendlyEventUri || !d.bookingId) return result(d, "failed", "no Calendly event or booking to cancel");
  const { event, invitee } = await calendlyTruth(deps.calendly, d.calendlyEventUri, d.calendlyInviteeUri);
  if (!invitee) return result(d, "failed", `Calendly no longer lists invitee ${d.calendlyInviteeUri ?? "?"} on ${d.calendlyEventUri}`);
  if (invitee.status !== "canceled" && event.status !== "canceled") return result(d, "unchanged", "the invitee is active in Calendly now: nothing to cancel");
  const r = await intake.receive("calendly", calendlyEventFromApi("invitee.canceled", invitee, event));
  const settled = await settle(d, deps, r, d.bookingId, (s) => s.status === "CANCELLED");
  if (settled.outcome === "repaired" && settled.after?.paymentStatus === "PAID" && /full refund/i.test(r.message)) {
    settled.message += " Reconcile makes no refunds: refund it in Stripe, then `bookflow bookings reconcile --fix` records it.";
  }
  return settled;
}

async function repairRefunded(d: Disagreement, deps: RepairDeps, intake: Intake): Promise<RepairResult> {
  const piId = d.stripePaymentIntentId;
  if (!d.bookingId || !piId) return result(d, "failed", "no booking or payment intent to record the refund on");
  const retry = { sleep: deps.sleep };
  const pi = await withStripeRetry(`GET /v1/payment_intents/${piId}`, () => deps.stripe.paymentIntents.retrieve(piId), retry);
  const chargeId = typeof pi.latest_charge === "string" ? pi.latest_charge : pi.latest_charge?.id;
  if (!chargeId) return result(d, "failed", `payment intent ${piId} has no charge to read the refunds from`);
  const charge = (await withStripeRetry(`GET /v1/charges/${chargeId}`, () => deps.stripe.charges.retrieve(chargeId), retry)) as unknown as ChargeTruth;
  if (!charge.amount_refunded) return result(d, "unchanged", `charge ${chargeId} shows nothing refunded now`);
  const r = await intake.receive("stripe", chargeRefundedFromApi({ ...charge, metadata: { ...(charge.metadata ?? {}), booking_id: d.bookingId } }));
  return settle(d, deps, r, d.bookingId, (s) => ["REFUNDED", "PARTIALLY_REFUNDED", "DISPUTED"].includes(s.paymentStatus));
}

async function repairRescheduled(d: Disagreement, deps: RepairDeps, intake: Intake): Promise<RepairResult> {
  if (!d.bookingId || !d.newInviteeUri) return result(d, "failed", "no booking or new invitee to move it to");
  const newEventUri = d.newInviteeUri.slice(0, d.newInviteeUri.indexOf("/invitees/"));
  if (!newEventUri) return result(d, "failed", `${d.newInviteeUri} is not a Calendly invitee URI`);
  const { event, invitee } = await calendlyTruth(deps.calendly, newEventUri, d.newInviteeUri);
  if (!invitee) return result(d, "failed", `Calendly does not list the new invitee ${d.newInviteeUri} on ${newEventUri}`);
  const r = await intake.receive("calendly", calendlyEventFromApi("invitee.created", { ...invitee, old_invitee: invitee.old_invitee ?? d.calendlyInviteeUri }, event));
  const moved = await settle(d, deps, r, d.bookingId, () => true);
  const [row] = await deps.sql.query<{ calendlyInviteeUri: string | null }>(`SELECT "calendlyInviteeUri" FROM "Booking" WHERE id = $1`, [d.bookingId]);
  if (row?.calendlyInviteeUri !== d.newInviteeUri) return result(d, "failed", `not repaired: the booking is still on ${row?.calendlyInviteeUri ?? "?"} (the intake answered ${r.outcome}: ${r.message})`);
  return moved;
}

async function repairExpired(d: Disagreement, deps: RepairDeps, intake: Intake): Promise<RepairResult> {
  const id = d.stripeCheckoutSessionId;
  if (!d.bookingId || !id) return result(d, "failed", "no booking or Checkout session");
  const session = (await withStripeRetry(`GET /v1/checkout/sessions/${id}`, () => deps.stripe.checkout.sessions.retrieve(id), { sleep: deps.sleep })) as unknown as CheckoutSessionTruth & { status?: string | null };
  if (session.status !== "expired") return result(d, "unchanged", `Checkout session ${id} is ${session.status ?? "?"} now, not expired`);
  const r = await intake.receive("stripe", checkoutExpiredFromApi({ ...session, metadata: { ...(session.metadata ?? {}), booking_id: d.bookingId } }));
  return settle(d, deps, r, d.bookingId, (s) => s.status === "CANCELLED");
}

async function repairDispute(d: Disagreement, deps: RepairDeps, intake: Intake): Promise<RepairResult> {
  const id = d.stripeDisputeId;
  if (!d.bookingId || !id) return result(d, "failed", "no booking or dispute");
  const dispute = (await withStripeRetry(`GET /v1/disputes/${id}`, () => deps.stripe.disputes.retrieve(id), { sleep: deps.sleep })) as unknown as DisputeTruth;
  const r = await intake.receive("stripe", disputeCreatedFromApi(dispute));
  return settle(d, deps, r, d.bookingId, (s) => s.paymentStatus === "DISPUTED" || dispute.status === "won" || dispute.status === "lost");
}

async function repairSlot(d: Disagreement, deps: RepairDeps): Promise<RepairResult> {
  if (!d.bookingId || !d.calendlyEventUri) return result(d, "failed", "no booking or Calendly event");
  const { alreadyCanceled } = await createCalendlyScheduling(deps.calendly).cancelEvent(d.calendlyEventUri, "The booking was cancelled: its payment was never completed.");
  if (alreadyCanceled) return result(d, "unchanged", "the Calendly event is cancelled already", { after: d.database });
  await recordAudit(deps.prisma, {
    actor: deps.actor,
    action: "booking.reconcile.slot_not_released",
    target: d.bookingId,
    reason: `bookings reconcile --fix: cancelled Calendly event ${d.calendlyEventUri} of a booking bookflow cancelled (Checkout never paid)`,
    before: { calendly: "active" },
    after: { calendly: "canceled" },
  });
  return result(d, "repaired", `cancelled Calendly event ${d.calendlyEventUri}: the slot is free again`, { after: d.database });
}
