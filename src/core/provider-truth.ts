/**
 * What Calendly and Stripe say about a booking, as the webhook bodies the
 * intake already knows how to apply. `bookings reprocess` and
 * `bookings reconcile --fix` re-apply the providers' current truth through the
 * same intake as the webhooks (so the same status rules, emails and
 * idempotency hold), and the scenarios' staging driver injects them.
 *
 * Ids are deterministic: the Calendly intake keys on the invitee URI and the
 * event type; the Stripe events get `evt_bookflow_<kind>_<object id>`, so
 * re-applying the same truth twice is a "duplicate" the second time.
 */
import type { CalendlyInvitee, CalendlyScheduledEvent } from "../providers/calendly/schemas.js";

export type CalendlyTruthEventType = "invitee.created" | "invitee.canceled";

/** A Calendly webhook body built from `GET /scheduled_events/{uuid}` and its invitee. */
export function calendlyEventFromApi(type: CalendlyTruthEventType, invitee: CalendlyInvitee, event: CalendlyScheduledEvent): Record<string, unknown> {
  const cancellation = invitee.cancellation ?? event.cancellation ?? null;
  return {
    event: type,
    created_at: type === "invitee.canceled" ? (cancellation?.created_at ?? invitee.updated_at) : invitee.created_at,
    created_by: event.event_memberships[0]?.user,
    payload: {
      ...invitee,
      event: event.uri,
      status: type === "invitee.canceled" ? "canceled" : invitee.status,
      ...(type === "invitee.canceled"
        ? { cancellation: cancellation ?? { canceled_by: "bookflow", reason: null, canceler_type: "host", created_at: invitee.updated_at } }
        : {}),
      scheduled_event: { ...event },
    },
  };
}

/** The parts of a Stripe Checkout session the intake reads (Stripe.Checkout.Session fits). */
export interface CheckoutSessionTruth {
  id: string;
  payment_status: string;
  amount_total?: number | null;
  currency?: string | null;
  metadata?: Record<string, string> | null;
  client_reference_id?: string | null;
  payment_intent?: string | { id: string } | null;
  customer_details?: { email?: string | null; name?: string | null } | null;
  livemode?: boolean;
  created?: number;
}

/** The parts of a Stripe payment intent the intake reads (Stripe.PaymentIntent fits). */
export interface PaymentIntentTruth {
  id: string;
  amount: number;
  amount_received?: number | null;
  currency: string;
  status: string;
  metadata?: Record<string, string> | null;
  livemode?: boolean;
  created?: number;
}

function stripeEvent(kind: string, type: string, object: { id: string; livemode?: boolean | undefined; created?: number | undefined; [key: string]: unknown }, nowSeconds: number): Record<string, unknown> {
  return {
    id: `evt_bookflow_${kind}_${object.id}`,
    object: "event",
    type,
    created: object.created ?? nowSeconds,
    livemode: object.livemode ?? false,
    pending_webhooks: 0,
    request: { id: null, idempotency_key: null },
    data: { object },
  };
}

/** A `checkout.session.completed` event from `GET /v1/checkout/sessions/{id}`. */
export function checkoutCompletedFromApi(session: CheckoutSessionTruth, nowSeconds = Math.floor(Date.now() / 1000)): Record<string, unknown> {
  const paymentIntent = typeof session.payment_intent === "object" && session.payment_intent ? session.payment_intent.id : (session.payment_intent ?? null);
  return stripeEvent("checkout", "checkout.session.completed", { ...session, payment_intent: paymentIntent }, nowSeconds);
}

/** A `payment_intent.succeeded` event from `GET /v1/payment_intents/{id}`. */
export function paymentIntentSucceededFromApi(intent: PaymentIntentTruth, nowSeconds = Math.floor(Date.now() / 1000)): Record<string, unknown> {
  return stripeEvent("payment_intent", "payment_intent.succeeded", { ...intent }, nowSeconds);
}

/** A `checkout.session.expired` event from `GET /v1/checkout/sessions/{id}` of an expired session. */
export function checkoutExpiredFromApi(session: CheckoutSessionTruth, nowSeconds = Math.floor(Date.now() / 1000)): Record<string, unknown> {
  return stripeEvent("checkout_expired", "checkout.session.expired", { ...session, payment_intent: null }, nowSeconds);
}

/** The parts of a Stripe charge the intake reads (Stripe.Charge fits). */
export interface ChargeTruth {
  id: string;
  amount: number;
  amount_refunded: number;
  currency: string;
  refunded: boolean;
  payment_intent?: string | { id: string } | null;
  metadata?: Record<string, string> | null;
  livemode?: boolean;
  created?: number;
}

/**
 * A `charge.refunded` event from `GET /v1/charges/{id}`: one per refunded amount (the event id carries it), so a
 * later, larger refund of the same charge is a new event and a repeat of this one is not.
 */
export function chargeRefundedFromApi(charge: ChargeTruth, nowSeconds = Math.floor(Date.now() / 1000)): Record<string, unknown> {
  const paymentIntent = typeof charge.payment_intent === "object" && charge.payment_intent ? charge.payment_intent.id : (charge.payment_intent ?? null);
  return stripeEvent(`refunded_${charge.amount_refunded}`, "charge.refunded", { ...charge, id: charge.id, payment_intent: paymentIntent }, nowSeconds);
}

/** The parts of a Stripe dispute the intake reads (Stripe.Dispute fits). */
export interface DisputeTruth {
  id: string;
  amount: number;
  currency: string;
  status: string;
  charge?: string | { id: string } | null;
  payment_intent?: string | { id: string } | null;
  livemode?: boolean;
  created?: number;
}

/** A `charge.dispute.created` event from `GET /v1/disputes/{id}`. */
export function disputeCreatedFromApi(dispute: DisputeTruth, nowSeconds = Math.floor(Date.now() / 1000)): Record<string, unknown> {
  const id = (x: string | { id: string } | null | undefined) => (typeof x === "object" && x ? x.id : (x ?? null));
  return stripeEvent("dispute", "charge.dispute.created", { ...dispute, charge: id(dispute.charge), payment_intent: id(dispute.payment_intent) }, nowSeconds);
}
