import type { Context } from "../context.js";
import { applyCancellation, countRefundFailures, planCancellation, type CancelFacts, type CancelOutcome, type CancelPlan, type RefundMode, type RefundTruth } from "../core/cancellation.js";
import type { Booking } from "../generated/prisma/client.js";
import { resolveOneBooking } from "./booking-lookup.js";
import { openCheckedDatabase } from "./database.js";
import { outboxFromEnv } from "./outbox.js";
import { policyFromEnv } from "./refund-policy.js";
import { stripeReader } from "./stripe-reader.js";

/**
 * `bookings cancel` as a use case (the rules are src/core/cancellation.ts):
 * `planBookingCancel` finds the booking, reads what is already done (the
 * Calendly event, Stripe's refunds, the cancellation email, earlier refund
 * failures) and plans the rest; the prepared plan's `apply` cancels in
 * Calendly, refunds, sets CANCELLED, sends the email, audits each step. A
 * rerun after a failure plans only what is left (no second refund or email).
 */
export interface CancelInput {
  booking: string;
  reason: string;
  refund: RefundMode;
  actor: string;
}

export interface PreparedCancel {
  booking: Booking;
  plan: CancelPlan;
  apply(): Promise<CancelOutcome>;
}

export async function planBookingCancel(ctx: Context, input: CancelInput): Promise<PreparedCancel> {
  const policy = policyFromEnv(ctx.env);
  const db = await openCheckedDatabase(ctx, "look the booking up");
  const b = await resolveOneBooking(db, input.booking, "bookings cancel");

  const calendly = b.calendlyEventUri ? await ctx.clients.calendly() : null;
  const needsStripe = b.paymentStatus === "PAID" && !!(b.stripePaymentIntentId || b.stripeCheckoutSessionId);
  const stripe = needsStripe ? await ctx.clients.stripe() : null;
  const reader = stripe ? stripeReader(stripe) : null;
  let paymentIntentId = b.stripePaymentIntentId;
  const calendlyEventStatus = calendly && b.calendlyEventUri ? (await calendly.getScheduledEvent(b.calendlyEventUri)).status : null;
  let refunds: RefundTruth[] | null = null;
  let paidAt: Date | null = null;
  if (reader) {
    if (!paymentIntentId && b.stripeCheckoutSessionId) {
      const pi = (await reader.retrieveCheckoutSession(b.stripeCheckoutSessionId)).payment_intent;
      paymentIntentId = typeof pi === "string" ? pi : (pi?.id ?? null);
    }
    if (paymentIntentId) {
      const intent = await reader.retrievePaymentIntent(paymentIntentId);
      paidAt = intent.created !== undefined ? new Date(intent.created * 1000) : null;
      refunds = await reader.listRefunds(paymentIntentId);
    }
  }
  const email = await db.prisma.emailMessage.findUnique({ where: { bookingId_kind_dedupeKey: { bookingId: b.id, kind: "CANCELLATION", dedupeKey: "" } }, select: { status: true } });
  const facts: CancelFacts = { calendlyEventStatus, refunds, paidAt, cancellationEmail: email?.status ?? null, refundFailures: await countRefundFailures(db.prisma, b.id) };
  const plan = planCancellation({ ...b, stripePaymentIntentId: paymentIntentId }, facts, { reason: input.reason, refund: input.refund, now: ctx.clock.now(), policy });

  const apply = async (): Promise<CancelOutcome> => {
    let payments = null;
    if (stripe && plan.refund.action === "refund") {
      const { createStripePayments } = await import("../providers/stripe-payments.js");
      payments = createStripePayments(stripe);
    }
    const outbox = plan.email.action === "send" ? await outboxFromEnv(ctx, db) : null;
    return applyCancellation(plan, { prisma: db.prisma, calendly, payments, refunds: reader, outbox, actor: input.actor, clock: ctx.clock });
  };
  return { booking: b, plan, apply };
}
