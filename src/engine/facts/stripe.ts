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

/**
 * `stripePublishableKeyAccount`: a PII token created with STRIPE_PUBLISHABLE_KEY (`POST /v1/tokens`,
 * `pii[id_number]=000000000`, which a publishable key may do in test and live mode; the token is never
 * used) and retrieved with STRIPE_SECRET_KEY (`GET /v1/tokens/{id}`): found means the same account,
 * `resource_missing` another account's key.
 */
export type StripePublishableKeyAccountFact =
  | { outcome: "same-account"; tokenId: string; livemode: boolean }
  | { outcome: "other-account"; tokenId: string; reason: string }
  | { outcome: "key-refused"; status: number; reason: string };

/** `stripeWebhookEndpoints`: every webhook endpoint of the account (in the key's mode). */
export type StripeWebhookEndpointFact = Pick<Stripe.WebhookEndpoint, "id" | "url" | "status" | "enabled_events" | "livemode">;

/** A price as `GET /v1/prices/{id}` returns it, trimmed to what the checks compare. */
export type StripePriceFact = Pick<Stripe.Price, "id" | "active" | "unit_amount" | "currency" | "livemode">;

/** `stripePrices`: the price of every active session type that names one, by id; null when Stripe has no such price. */
export type StripePricesFact = Record<string, StripePriceFact | null>;

/** How far back `stripeUndeliveredEvents` reads (Stripe retries a failing delivery for up to three days; a day shows a current failure). */
export const UNDELIVERED_WINDOW_SECONDS = 24 * 3600;
/** At most this many undelivered events are read (enough to say how many and since when). */
const UNDELIVERED_MAX = 1000;

/** An event Stripe has not yet delivered to every endpoint subscribed to it (`pending_webhooks > 0`). */
export type StripeUndeliveredEvent = Pick<Stripe.Event, "id" | "type" | "created" | "pending_webhooks">;

/**
 * `stripeUndeliveredEvents`: Stripe's own delivery signal, `GET /v1/events?delivery_success=false`
 * over the window (`created[gte]`), read at `readAt` (unix seconds).
 */
export interface StripeUndeliveredEventsFact {
  readAt: number;
  since: number;
  events: StripeUndeliveredEvent[];
  /** More than UNDELIVERED_MAX matched: `events` holds the newest ones. */
  truncated: boolean;
}

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

export const stripeUndeliveredEventsFact = defineFact({
  name: "stripeUndeliveredEvents",
  needs: ["stripeClient"],
  async gather(_ctx, deps): Promise<StripeUndeliveredEventsFact> {
    const stripe = await deps.stripeClient();
    const readAt = Math.floor(Date.now() / 1000);
    const since = readAt - UNDELIVERED_WINDOW_SECONDS;
    const events: StripeUndeliveredEvent[] = [];
    let truncated = false;
    try {
      for await (const e of stripe.events.list({ created: { gte: since }, delivery_success: false, limit: 100 })) {
        if (events.length >= UNDELIVERED_MAX) {
          truncated = true;
          break;
        }
        if (e.pending_webhooks > 0) events.push({ id: e.id, type: e.type, created: e.created, pending_webhooks: e.pending_webhooks });
      }
    } catch (err) {
      throw stripeProviderError(err, "GET /v1/events", { access: "this read" });
    }
    return { readAt, since, events, truncated };
  },
});

export const stripePublishableKeyAccountFact = defineFact({
  name: "stripePublishableKeyAccount",
  needs: ["stripeClient"],
  async gather(ctx, deps): Promise<StripePublishableKeyAccountFact> {
    const { stripePublishableFromEnv } = await import("../../providers/from-env.js");
    const publishable = await stripePublishableFromEnv(ctx.env);
    let token: Stripe.Token;
    try {
      token = await publishable.tokens.create({ pii: { id_number: "000000000" } });
    } catch (err) {
      if (isSdkError(err) && (err.type === "StripeAuthenticationError" || err.statusCode === 401)) {
        return { outcome: "key-refused", status: 401, reason: typeof err.message === "string" ? err.message : err.type };
      }
      throw stripeProviderError(err, "POST /v1/tokens (with STRIPE_PUBLISHABLE_KEY)", { access: "creating a token" });
    }
    const stripe = await deps.stripeClient();
    try {
      const found = await stripe.tokens.retrieve(token.id);
      return { outcome: "same-account", tokenId: found.id, livemode: found.livemode };
    } catch (err) {
      if (isSdkError(err) && err.statusCode === 404 && (err as { code?: unknown }).code === "resource_missing") {
        return { outcome: "other-account", tokenId: token.id, reason: typeof err.message === "string" ? err.message : "resource_missing" };
      }
      throw stripeProviderError(err, "GET /v1/tokens/{id}", { access: "this read" });
    }
  },
});
