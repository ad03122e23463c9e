/**
 * Stripe deliveries → parsed events. The envelope (`{ id, type, data: { object } }`)
 * is enough to record any event; the Checkout session of
 * checkout.session.completed / async_payment_succeeded and the PaymentIntent of
 * payment_intent.succeeded are read as payments (webhook-payloads.ts has the
 * schemas, after Stripe's documented objects).
 */
import type { z } from "zod";
import {
  formatIssues,
  stripeChargeSchema,
  stripeCheckoutSessionSchema,
  stripeDisputeSchema,
  stripeEnvelopeSchema,
  stripePaymentIntentSchema,
  stripeRefundSchema,
  type StripeCharge,
  type StripeCheckoutSession,
  type StripeDispute,
  type StripePaymentIntent,
  type StripeRefund,
} from "../webhook-payloads.js";
import type { Action, ChargeRefunded, CheckoutEnded, Dispute, ParseResult, Payment, RefundUpdated } from "./events.js";
import { nonEmpty, stringField } from "./parse-fields.js";

const OBJECT_PATH = ["data", "object"];

export function parseStripe(body: unknown): ParseResult {
  const env = stripeEnvelopeSchema.safeParse(body);
  if (!env.success) {
    const id = stringField(body, "id");
    return { ok: false, type: stringField(body, "type"), providerEventId: id === "unknown" ? null : id, issues: formatIssues(env.error) };
  }
  const { type, id } = env.data;
  const base = { provider: "stripe" as const, type, providerEventId: id, body };
  const read = <S extends z.ZodType>(schema: S, toAction: (o: z.infer<S>) => Action): ParseResult => {
    const o = schema.safeParse(env.data.data.object);
    if (!o.success) return { ok: false, type, providerEventId: id, issues: formatIssues(o.error, OBJECT_PATH) };
    return { ok: true, event: { ...base, action: toAction(o.data) } };
  };
  switch (type) {
    case "checkout.session.completed":
    case "checkout.session.async_payment_succeeded":
      return read(stripeCheckoutSessionSchema, sessionPayment);
    case "checkout.session.expired":
      return read(stripeCheckoutSessionSchema, (s) => checkoutEnded(s, "expired"));
    case "checkout.session.async_payment_failed":
      return read(stripeCheckoutSessionSchema, (s) => checkoutEnded(s, "payment-failed"));
    case "payment_intent.succeeded":
      return read(stripePaymentIntentSchema, intentPayment);
    case "charge.refunded":
      return read(stripeChargeSchema, chargeRefunded);
    case "refund.updated":
    case "refund.failed":
    case "charge.refund.updated":
      return read(stripeRefundSchema, refundUpdated);
    case "charge.dispute.created":
    case "charge.dispute.closed":
      return read(stripeDisputeSchema, (d) => dispute(d, type === "charge.dispute.closed"));
    default:
      return { ok: true, event: { ...base, action: { kind: "other" } } };
  }
}

function sessionPayment(s: StripeCheckoutSession): Payment {
  return {
    kind: "payment",
    bookingId: nonEmpty(s.metadata?.booking_id) ?? nonEmpty(s.client_reference_id),
    inviteeUri: nonEmpty(s.metadata?.calendly_invitee_uri),
    paid: s.payment_status === "paid",
    // Delayed methods complete the session "unpaid"; async_payment_succeeded follows with "paid".
    processing: s.payment_status === "unpaid",
    checkoutSessionId: s.id,
    paymentIntentId: s.payment_intent ?? null,
    amountCents: s.amount_total ?? null,
    currency: s.currency ?? null,
  };
}

function intentPayment(pi: StripePaymentIntent): Payment {
  return {
    kind: "payment",
    bookingId: nonEmpty(pi.metadata?.booking_id),
    inviteeUri: nonEmpty(pi.metadata?.calendly_invitee_uri),
    paid: pi.status === "succeeded",
    processing: false,
    checkoutSessionId: null,
    paymentIntentId: pi.id,
    amountCents: pi.amount_received ?? pi.amount,
    currency: pi.currency,
  };
}

function checkoutEnded(s: StripeCheckoutSession, why: CheckoutEnded["why"]): CheckoutEnded {
  return {
    kind: "checkout-ended",
    why,
    bookingId: nonEmpty(s.metadata?.booking_id) ?? nonEmpty(s.client_reference_id),
    inviteeUri: nonEmpty(s.metadata?.calendly_invitee_uri),
    checkoutSessionId: s.id,
  };
}

function chargeRefunded(c: StripeCharge): ChargeRefunded {
  return {
    kind: "charge-refunded",
    paymentIntentId: c.payment_intent ?? null,
    bookingId: nonEmpty(c.metadata?.booking_id),
    chargeId: c.id,
    amountCents: c.amount,
    refundedCents: c.amount_refunded,
    currency: c.currency,
  };
}

function refundUpdated(r: StripeRefund): RefundUpdated {
  return { kind: "refund-updated", refundId: r.id, paymentIntentId: r.payment_intent ?? null, bookingId: nonEmpty(r.metadata?.booking_id), status: r.status, amountCents: r.amount };
}

function dispute(d: StripeDispute, closed: boolean): Dispute {
  return { kind: "dispute", disputeId: d.id, paymentIntentId: d.payment_intent ?? null, bookingId: null, chargeId: d.charge ?? null, status: d.status, closed };
}
