import type { Context } from "../context.js";
import { countRefundFailures, guardedPayments, type RefundReader } from "../core/cancellation.js";
import type { PaymentsGateway } from "../core/ports.js";
import { applyReprocess, planReprocess, readCalendlyTruth, readStripeTruth, recordedEventKey, type ReprocessOutcome, type ReprocessPlan } from "../core/reprocess.js";
import { createWebhookIntake, isManualProcessing } from "../core/webhook-intake.js";
import type { Booking } from "../generated/prisma/client.js";
import { resolveOneBooking } from "./booking-lookup.js";
import { openCheckedDatabase } from "./database.js";
import { outboxFromEnv } from "./outbox.js";
import { policyFromEnv } from "./refund-policy.js";
import { stripeReader } from "./stripe-reader.js";

/**
 * `bookings reprocess` as a use case (the rules are src/core/reprocess.ts):
 * `planBookingReprocess` finds the booking, reads its truth from Calendly
 * (scheduled event, invitee) and Stripe (Checkout session, payment intent,
 * refunds) and plans what would change; the prepared plan's `apply` applies
 * it through the webhook intake, sends the emails the intake queued (when a
 * mailer is configured here) and audits. A second run plans nothing.
 */
export interface PreparedReprocess {
  booking: Booking;
  plan: ReprocessPlan;
  apply(): Promise<{ outcome: ReprocessOutcome; emails: Record<string, string> }>;
}

export async function planBookingReprocess(ctx: Context, input: { booking: string; actor: string }): Promise<PreparedReprocess> {
  const policy = policyFromEnv(ctx.env);
  const db = await openCheckedDatabase(ctx, "look the booking up");
  const b = await resolveOneBooking(db, input.booking, "bookings reprocess");

  const calendly = b.calendlyEventUri ? await ctx.clients.calendly() : null;
  const stripe = b.stripeCheckoutSessionId || b.stripePaymentIntentId ? await ctx.clients.stripe() : null;
  const reader = stripe ? stripeReader(stripe) : null;
  const truth = {
    calendly: calendly ? await readCalendlyTruth(b, calendly) : null,
    stripe: reader ? await readStripeTruth(b, reader) : null,
  };

  const possibleIds = [
    b.calendlyInviteeUri ? `invitee.canceled:${b.calendlyInviteeUri}` : null,
    b.stripeCheckoutSessionId ? `evt_bookflow_checkout_${b.stripeCheckoutSessionId}` : null,
    ...[b.stripePaymentIntentId, typeof truth.stripe?.session?.payment_intent === "string" ? truth.stripe.session.payment_intent : null].filter(Boolean).map((pi) => `evt_bookflow_payment_intent_${pi}`),
  ].filter((x): x is string => !!x);
  const recorded = await db.prisma.webhookEvent.findMany({ where: { providerEventId: { in: possibleIds } }, select: { provider: true, providerEventId: true } });
  const refundFailures = await countRefundFailures(db.prisma, b.id);
  const plan = planReprocess(b, truth, {
    policy,
    now: ctx.clock.now(),
    recordedEvents: new Set(recorded.map((e) => recordedEventKey(e.provider, e.providerEventId))),
    refundFailures,
    manualProcessing: await isManualProcessing(db.prisma),
  });

  const apply = async () => {
    let payments: PaymentsGateway | undefined;
    if (stripe && reader) {
      const { createStripePayments } = await import("../providers/stripe-payments.js");
      payments = guardedPayments(createStripePayments(stripe), reader as RefundReader, () => refundFailures);
    }
    const intake = createWebhookIntake({ prisma: db.prisma, sql: db.sql, policy, clock: ctx.clock, ...(payments ? { payments } : {}) });
    const outcome = await applyReprocess(plan, { prisma: db.prisma, intake, payments: payments ?? null, refunds: reader, actor: input.actor, clock: ctx.clock });
    // The intake queued the emails the changes call for; send them now when a mailer is configured here.
    const outbox = await outboxFromEnv(ctx, db).catch(() => null);
    if (outbox) await outbox.dispatch(b.id).catch(() => undefined);
    const emails = Object.fromEntries((await db.prisma.emailMessage.findMany({ where: { bookingId: b.id }, select: { kind: true, status: true } })).map((e) => [e.kind, e.status]));
    return { outcome, emails };
  };
  return { booking: b, plan, apply };
}
