import type Stripe from "stripe";
import { isStripeSdkError as isSdkError, stripeProviderError } from "../../providers/stripe-errors.js";
import { defineFact } from "./define.js";

/**
 * Stripe facts, read with STRIPE_SECRET_KEY through the Stripe SDK
 * (STRIPE_API_BASE points it at another API, e.g. the sandbox's emulator).
 * The run's client is a fact of its own, shared by the facts below.
 */

/** `stripeAccount`: whether Stripe accepts the key and in which mode (from `GET /v1/balance`), or why it refused it (401). */
export type StripeAccountFact = { authenticated: true; livemode: boolean } | { authenticated: false; status: number; reason: string };

/** `stripeWebhookEndpoints`: every webhook endpoint of the account (in the key's mode). */
export type StripeWebhookEndpointFact = Pick<Stripe.WebhookEndpoint, "id" | "url" | "status" | "enabled_events" | "livemode">;

/** A price as `GET /v1/prices/{id}` returns it, trimmed to what the checks compare. */
export type StripePriceFact = Pick<Stripe.Price, "id" | "active" | "unit_amount" | "currency" | "livemode">;

/** `stripePrices`: the price of every active session type that names one, by id; null when Stripe has no such price. */
export type StripePricesFact = Record<string, StripePriceFact | null>;

/** `stripeClient` (internal): the run's client (STRIPE_SECRET_KEY; a missing key is this fact's failure). */
export const stripeClientFact = defineFact({
  name: "stripeClient",
  internal: true,
  gather: (ctx) => ctx.clients.stripe(),
});

export const stripeAccountFact = defineFact({
  name: "stripeAccount",
  needs: ["stripeClient"],
  async gather(_ctx, deps): Promise<StripeAccountFact> {
    const stripe = await deps.stripeClient();
    try {
      const balance = await stripe.balance.retrieve();
      return { authenticated: true, livemode: balance.livemode };
    } catch (err) {
      if (isSdkError(err) && (err.type === "StripeAuthenticationError" || err.statusCode === 401)) {
        return { authenticated: false, status: 401, reason: typeof err.message === "string" ? err.message : err.type };
      }
      throw stripeProviderError(err, "GET /v1/balance", { access: "this read" });
    }
  },
});

export const stripeWebhookEndpointsFact = defineFact({
  name: "stripeWebhookEndpoints",
  needs: ["stripeClient"],
  async gather(_ctx, deps): Promise<StripeWebhookEndpointFact[]> {
    const stripe = await deps.stripeClient();
    const out: StripeWebhookEndpointFact[] = [];
    try {
      for await (const e of stripe.webhookEndpoints.list({ limit: 100 })) {
        out.push({ id: e.id, url: e.url, status: e.status, enabled_events: [...e.enabled_events], livemode: e.livemode });
      }
    } catch (err) {
      throw stripeProviderError(err, "GET /v1/webhook_endpoints", { access: "this read" });
    }
    return out;
  },
});

export const stripePricesFact = defineFact({
  name: "stripePrices",
  needs: ["activeSessionTypes", "stripeClient"],
  async gather(_ctx, deps): Promise<StripePricesFact> {
    const [sessionTypes, stripe] = await Promise.all([deps.activeSessionTypes(), deps.stripeClient()]);
    const ids = [...new Set(sessionTypes.flatMap((s) => (s.stripePriceId ? [s.stripePriceId] : [])))].sort();
    const entries = await Promise.all(
      ids.map(async (id): Promise<[string, StripePriceFact | null]> => {
        try {
          const p = await stripe.prices.retrieve(id);
          return [id, { id: p.id, active: p.active, unit_amount: p.unit_amount, currency: p.currency, livemode: p.livemode }];
        } catch (err) {
          if (isSdkError(err) && (err.statusCode === 404 || err.code === "resource_missing")) return [id, null];
          throw stripeProviderError(err, "GET /v1/prices/{id}", { access: "this read" });
        }
      }),
    );
    return Object.fromEntries(entries);
  },
});
