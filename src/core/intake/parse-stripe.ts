/**
 * Stripe deliveries → parsed events. The envelope (`{ id, type, data: { object } }`)
 * is enough to record any event; the Checkout session of
 * checkout.session.completed / async_payment_succeeded and the PaymentIntent of
 * payment_intent.succeeded are read as payments (webhook-payloads.ts has the
 * schemas, after Stripe's documented objects).
 */
import { formatIssues, stripeCheckoutSessionSchema, stripeEnvelopeSchema, stripePaymentIntentSchema, type StripeCheckoutSession, type StripePaymentIntent } from "../webhook-payloads.js";
import type { ParseResult, Payment } from "./events.js";
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
  if (type === "checkout.session.completed" || type === "checkout.session.async_payment_succeeded") {
    const o = stripeCheckoutSessionSchema.safeParse(env.data.data.object);
    if (!o.success) return { ok: false, type, providerEventId: id, issues: formatIssues(o.error, OBJECT_PATH) };
    return { ok: true, event: { ...base, action: sessionPayment(o.data) } };
  }
  if (type === "payment_intent.succeeded") {
    const o = stripePaymentIntentSchema.safeParse(env.data.data.object);
    if (!o.success) return { ok: false, type, providerEventId: id, issues: formatIssues(o.error, OBJECT_PATH) };
    return { ok: true, event: { ...base, action: intentPayment(o.data) } };
  }
  return { ok: true, event: { ...base, action: { kind: "other" } } };
}

function sessionPayment(s: StripeCheckoutSession): Payment {
  return {
    kind: "payment",
    bookingId: nonEmpty(s.metadata?.booking_id) ?? nonEmpty(s.client_reference_id),
    inviteeUri: nonEmpty(s.metadata?.calendly_invitee_uri),
    paid: s.payment_status === "paid",
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
    checkoutSessionId: null,
    paymentIntentId: pi.id,
    amountCents: pi.amount_received ?? pi.amount,
    currency: pi.currency,
  };
}
