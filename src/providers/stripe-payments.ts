/**
 * PaymentsGateway over the Stripe SDK: Checkout sessions for paid bookings and
 * refunds. Stripe's errors become ProviderError("stripe", endpoint, …).
 */
import type Stripe from "stripe";
import type { CheckoutRequest, PaymentsGateway } from "../core/ports.js";
import { z } from "zod";
import { ProviderError } from "../errors.js";

export const CHECKOUT_SESSIONS_ENDPOINT = "POST /v1/checkout/sessions";
const refundListSchema = z.looseObject({
  data: z.array(z.looseObject({ id: z.string().min(1), amount: z.number().int(), status: z.string().nullable(), created: z.number().int() })),
  has_more: z.boolean(),
});

export const REFUNDS_ENDPOINT = "POST /v1/refunds";

type RefundReason = "duplicate" | "fraudulent" | "requested_by_customer";

/**
 * Maps our refund reason to one of the three Stripe accepts, or undefined to
 * omit it (Stripe rejects any other value). The original reason is kept in the
 * refund's metadata either way.
 */
export function stripeRefundReason(reason: string | undefined): RefundReason | undefined {
  if (!reason) return undefined;
  const r = reason.trim().toLowerCase().replace(/[\s-]+/g, "_");
  if (r === "duplicate" || r === "fraudulent" || r === "requested_by_customer") return r;
  if (r.includes("duplicate")) return "duplicate";
  if (r.includes("fraud")) return "fraudulent";
  if (r.includes("customer") || r.includes("invitee")) return "requested_by_customer";
  return undefined;
}

/** The metadata a booking's Checkout session and payment intent carry; the webhook handler reads it back. */
export function bookingMetadata(req: Pick<CheckoutRequest, "bookingId" | "calendlyInviteeUri">): Record<string, string> {
  const metadata: Record<string, string> = { booking_id: req.bookingId };
  // Stripe metadata values are strings; an unknown invitee is left out rather than sent empty.
  if (req.calendlyInviteeUri) metadata.calendly_invitee_uri = req.calendlyInviteeUri;
  return metadata;
}

export function createStripePayments(stripe: Stripe): PaymentsGateway {
  return {
    async createCheckoutSession(req) {
      const metadata = bookingMetadata(req);
      const lineItem: Stripe.Checkout.SessionCreateParams.LineItem = req.stripePriceId
        ? { price: req.stripePriceId, quantity: 1 }
        : {
            quantity: 1,
            price_data: {
              currency: req.currency.toLowerCase(),
              unit_amount: req.amountCents,
              product_data: { name: req.productName },
            },
          };
      try {
        const session = await stripe.checkout.sessions.create({
          mode: "payment",
          line_items: [lineItem],
          customer_email: req.customerEmail,
          success_url: req.successUrl,
          cancel_url: req.cancelUrl,
          client_reference_id: req.bookingId,
          metadata,
          payment_intent_data: { metadata },
          ...(req.expiresAt ? { expires_at: Math.floor(req.expiresAt.getTime() / 1000) } : {}),
        }, req.idempotencyKey ? { idempotencyKey: req.idempotencyKey } : undefined);
        return { id: session.id, url: session.url ?? null };
      } catch (err) {
        throw toProviderError(err, CHECKOUT_SESSIONS_ENDPOINT);
      }
    },

    async refund(req) {
      const reason = stripeRefundReason(req.reason);
      const params: Stripe.RefundCreateParams = { payment_intent: req.paymentIntentId };
      if (req.amountCents !== undefined) params.amount = req.amountCents;
      if (reason) params.reason = reason;
      if (req.reason || req.metadata) params.metadata = { ...(req.reason ? { reason: req.reason } : {}), ...req.metadata };
      try {
        const refund = await stripe.refunds.create(params, { idempotencyKey: req.idempotencyKey });
        return { id: refund.id, status: refund.status ?? null };
      } catch (err) {
        throw toProviderError(err, REFUNDS_ENDPOINT);
      }
    },

    async listRefunds(paymentIntentId) {
      const out: { id: string; amount: number; status: string | null; created: number }[] = [];
      let startingAfter: string | undefined;
      // A payment has a handful of refunds at most: pages of 100, bounded.
      for (let page = 0; page < 10; page++) {
        let list: Stripe.ApiList<Stripe.Refund>;
        try {
          list = await stripe.refunds.list({ payment_intent: paymentIntentId, limit: 100, ...(startingAfter ? { starting_after: startingAfter } : {}) });
        } catch (err) {
          throw toProviderError(err, "GET /v1/refunds");
        }
        const parsed = refundListSchema.safeParse(list);
        if (!parsed.success) throw new ProviderError("stripe", "GET /v1/refunds", `unexpected answer: ${parsed.error.issues.slice(0, 3).map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
        out.push(...parsed.data.data);
        if (!parsed.data.has_more || parsed.data.data.length === 0) break;
        startingAfter = parsed.data.data.at(-1)!.id;
      }
      return out;
    },
  };
}

function toProviderError(err: unknown, endpoint: string): unknown {
  const e = err as { type?: unknown; message?: unknown; statusCode?: unknown; code?: unknown } | null;
  // Every error the SDK raises for a request is a StripeError with a Stripe… type.
  if (!e || typeof e.type !== "string" || !e.type.startsWith("Stripe")) return err;
  const status = typeof e.statusCode === "number" ? e.statusCode : undefined;
  const message = typeof e.message === "string" && e.message ? e.message : e.type;
  return new ProviderError("stripe", endpoint, message, status, hintFor(e.type, status));
}

function hintFor(type: string, status: number | undefined): string | undefined {
  if (type === "StripeAuthenticationError" || status === 401) return "Check STRIPE_SECRET_KEY: Stripe did not accept it.";
  if (type === "StripePermissionError" || status === 403) return "The Stripe key lacks permission for this call; use a secret key or widen the restricted key.";
  if (type === "StripeConnectionError") return "Stripe could not be reached; check the network (or STRIPE_API_BASE) and retry.";
  if (type === "StripeIdempotencyError") return "The same idempotency key was used with different parameters.";
  if (type === "StripeRateLimitError" || status === 429) return "Stripe rate-limited the request and did nothing; retry later with the same idempotency key.";
  if (type === "StripeAPIError" && status !== undefined && status >= 500) return "Stripe failed on its side; retrying with the same idempotency key replays its answer or completes the request.";
  return undefined;
}
