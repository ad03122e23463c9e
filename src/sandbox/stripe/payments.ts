/**
 * Building the Stripe objects both the API routes and the control API make:
 * a succeeded payment intent with its charge, and a new open Checkout session
 * (its `url` is the hosted Checkout page).
 */
import type { Charge, CheckoutSession, Metadata, PaymentIntent } from "./objects.js";
import type { StripeState } from "./state.js";
import { randomToken, stripeId } from "./store.js";

export interface PaymentInput {
  amount: number;
  currency: string;
  metadata: Metadata;
  email: string | null;
  name: string | null;
  description: string | null;
  created: number;
}

/** A succeeded payment: its intent and its one captured charge (not stored). */
export function createPayment(state: Pick<StripeState, "livemode">, input: PaymentInput): { paymentIntent: PaymentIntent; charge: Charge } {
  const { livemode } = state;
  const piId = `pi_${randomToken(24)}`;
  const charge: Charge = {
    id: `ch_${randomToken(24)}`,
    object: "charge",
    amount: input.amount,
    amount_captured: input.amount,
    amount_refunded: 0,
    billing_details: { email: input.email, name: input.name },
    captured: true,
    created: input.created,
    currency: input.currency,
    livemode,
    metadata: { ...input.metadata },
    paid: true,
    payment_intent: piId,
    refunded: false,
    status: "succeeded",
  };
  const paymentIntent: PaymentIntent = {
    id: piId,
    object: "payment_intent",
    amount: input.amount,
    amount_capturable: 0,
    amount_received: input.amount,
    canceled_at: null,
    capture_method: "automatic_async",
    client_secret: `${piId}_secret_${randomToken(25)}`,
    confirmation_method: "automatic",
    created: input.created,
    currency: input.currency,
    customer: null,
    description: input.description,
    latest_charge: charge.id,
    livemode,
    metadata: { ...input.metadata },
    payment_method: `pm_${randomToken(24)}`,
    payment_method_types: ["card"],
    receipt_email: input.email,
    status: "succeeded",
  };
  return { paymentIntent, charge };
}

/** A new open Checkout session (not stored). */
export function newSession(state: Pick<StripeState, "livemode" | "baseUrl">, input: { amount: number; currency: string; metadata: Metadata; created: number; email: string | null }): CheckoutSession {
  const { livemode } = state;
  const id = stripeId("cs", livemode, 58);
  return {
    id,
    object: "checkout.session",
    amount_subtotal: input.amount,
    amount_total: input.amount,
    cancel_url: null,
    client_reference_id: null,
    created: input.created,
    currency: input.currency,
    customer: null,
    customer_details: null,
    customer_email: input.email,
    expires_at: input.created + 24 * 3600,
    livemode,
    locale: null,
    metadata: input.metadata,
    mode: "payment",
    payment_intent: null,
    payment_method_types: ["card"],
    payment_status: "unpaid",
    status: "open",
    success_url: null,
    ui_mode: "hosted",
    url: `${state.baseUrl}/c/pay/${id}`,
  };
}
