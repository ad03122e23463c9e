/**
 * The Stripe emulator's state store: the account's identity and clock, the
 * stores of prices, Checkout sessions, payment intents, charges, refunds,
 * disputes, webhook endpoints (and their secrets), events and the available
 * balance, the status new refunds end in, the idempotency records, the
 * injected failures, and `emitEvent`, which records an event and dispatches
 * it through the shared `WebhookDelivery`.
 */
import { signStripePayload } from "../../providers/stripe-signature.js";
import type { EmulatorResponse } from "../emulator-server.js";
import { exponentialBackoff, WebhookDelivery, type DeliveryRecord as SharedDeliveryRecord, type DeliveryTarget } from "../webhook-delivery.js";
import type { Charge, CheckoutSession, Dispute, LineItem, Metadata, PaymentIntent, Price, Refund, RefundStatus, StripeEvent, Token, WebhookEndpoint } from "./objects.js";
import { clone, noSuch } from "./params.js";
import { OrderedStore, randomToken } from "./store.js";
import { STRIPE_EMULATOR_API_VERSION, type DeliveryRecord, type InjectedError, type SeedPrice, type StripeEmulatorOptions } from "./types.js";

/** What a Checkout session keeps besides its Stripe object: its line items and what its payment intent gets. */
export interface SessionExtras {
  lineItems: LineItem[];
  paymentIntentMetadata: Metadata;
  paymentIntentDescription: string | null;
}

/** The first answer to an idempotent request, with what it was made of. */
export interface IdempotentEntry {
  method: string;
  path: string;
  body: string;
  response: EmulatorResponse;
}

export interface StripeState {
  readonly livemode: boolean;
  readonly accountId: string;
  readonly apiVersion: string;
  /** Unix seconds when the emulator started (the account's `created`). */
  readonly startedAt: number;
  /** The server's URL once it listens; a Checkout session's `url` starts with it. */
  baseUrl: string;
  nowMs(): number;
  nowSeconds(): number;
  readonly endpoints: OrderedStore<WebhookEndpoint>;
  readonly endpointSecrets: Map<string, string>;
  readonly sessions: OrderedStore<CheckoutSession>;
  readonly sessionExtras: Map<string, SessionExtras>;
  readonly paymentIntents: OrderedStore<PaymentIntent>;
  readonly charges: OrderedStore<Charge>;
  readonly refunds: OrderedStore<Refund>;
  readonly disputes: OrderedStore<Dispute>;
  /** The account's publishable key; `otherAccountKeys`: publishable keys of other accounts Stripe knows. */
  readonly publishableKey: string;
  readonly otherAccountKeys: Set<string>;
  /** Tokens by id, per account: this account's (retrievable with the secret key), and those other accounts' keys created. */
  readonly tokens: Map<string, Token>;
  readonly otherAccountTokens: Map<string, Token>;
  /** The status a new refund ends its request in (the control API's refund outcome; default succeeded). */
  refundOutcome: RefundStatus;
  readonly events: OrderedStore<StripeEvent>;
  readonly prices: Map<string, Price>;
  /** Available balance per currency, in cents. */
  readonly available: Map<string, number>;
  readonly idempotency: Map<string, IdempotentEntry>;
  readonly injected: (InjectedError & { left: number })[];
  readonly delivery: WebhookDelivery;
  /** Adds to (or, negative, takes from) the available balance. */
  credit(currency: string, amount: number): void;
  addPrice(seed: SeedPrice): Price;
  /** Records an event and dispatches it to the endpoints subscribed to its type (not waiting for the deliveries). */
  emitEvent(type: string, object: unknown, previousAttributes?: Record<string, unknown>, request?: StripeEvent["request"]): StripeEvent;
  /** The endpoint, or Stripe's 404. */
  endpoint(id: string): WebhookEndpoint;
  /** Every delivery attempt so far, oldest first, in the emulator's shape. */
  deliveries(): DeliveryRecord[];
}

const asStripeRecord = ({ targetId, ...rest }: SharedDeliveryRecord): DeliveryRecord => ({ ...rest, endpointId: targetId });

function subscribed(endpoint: WebhookEndpoint, type: string): boolean {
  return endpoint.status === "enabled" && (endpoint.enabled_events.includes("*") || endpoint.enabled_events.includes(type));
}

function stripeDelivery(options: StripeEmulatorOptions, nowMs: () => number, endpoints: OrderedStore<WebhookEndpoint>, endpointSecrets: Map<string, string>, events: OrderedStore<StripeEvent>): WebhookDelivery {
  return new WebhookDelivery({
    protocol: {
      sign: signStripePayload,
      headers: (signature) => ({
        "content-type": "application/json; charset=utf-8",
        "stripe-signature": signature,
        "user-agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        accept: "*/*; q=0.5, application/xml",
      }),
      retryDelayMs: exponentialBackoff(options.retryDelayMs ?? 100),
    },
    retries: options.deliveryRetries ?? 3,
    timeoutMs: options.deliveryTimeoutMs ?? 5000,
    now: nowMs,
    allowNonLoopback: options.allowNonLoopbackDelivery ?? false,
    stillDeliverable: (endpointId, type) => {
      const endpoint = endpoints.get(endpointId);
      if (!endpoint || !subscribed(endpoint, type)) return undefined;
      return { id: endpoint.id, url: endpoint.url, secret: endpointSecrets.get(endpoint.id)! };
    },
    onAttempt: (record) => {
      if (!record.ok) return;
      const event = events.get(record.eventId);
      if (event && event.pending_webhooks > 0) event.pending_webhooks--;
    },
  });
}

export function createStripeState(options: StripeEmulatorOptions): StripeState {
  const livemode = options.secretKey.includes("_live_");
  const apiVersion = options.apiVersion ?? STRIPE_EMULATOR_API_VERSION;
  const clock = options.clock ?? { now: () => new Date() };
  const nowMs = () => clock.now().getTime();
  const nowSeconds = () => Math.floor(nowMs() / 1000);

  const endpoints = new OrderedStore<WebhookEndpoint>();
  const endpointSecrets = new Map<string, string>();
  const events = new OrderedStore<StripeEvent>();
  const prices = new Map<string, Price>();
  const available = new Map<string, number>();
  const delivery = stripeDelivery(options, nowMs, endpoints, endpointSecrets, events);

  function addPrice(seed: SeedPrice): Price {
    const price: Price = {
      id: seed.id,
      object: "price",
      active: seed.active ?? true,
      billing_scheme: "per_unit",
      created: nowSeconds(),
      custom_unit_amount: null,
      currency: seed.currency.toLowerCase(),
      livemode,
      lookup_key: seed.lookup_key ?? null,
      metadata: seed.metadata ?? {},
      nickname: seed.nickname ?? null,
      product: seed.product ?? `prod_${randomToken(14)}`,
      recurring: null,
      tax_behavior: "unspecified",
      tiers_mode: null,
      transform_quantity: null,
      type: "one_time",
      unit_amount: seed.unit_amount,
      unit_amount_decimal: String(seed.unit_amount),
    };
    prices.set(price.id, price);
    return price;
  }

  function emitEvent(type: string, object: unknown, previousAttributes?: Record<string, unknown>, request: StripeEvent["request"] = { id: null, idempotency_key: null }): StripeEvent {
    const targets: DeliveryTarget[] = endpoints
      .values()
      .filter((e) => subscribed(e, type))
      .map((e) => ({ id: e.id, url: e.url, secret: endpointSecrets.get(e.id)! }));
    const event: StripeEvent = {
      id: `evt_${randomToken(24)}`,
      object: "event",
      api_version: apiVersion,
      created: nowSeconds(),
      data: { object: clone(object), ...(previousAttributes ? { previous_attributes: clone(previousAttributes) } : {}) },
      livemode,
      pending_webhooks: targets.length,
      request,
      type,
    };
    events.add(event);
    // Each endpoint gets the event at its own api_version (the account's when it pins none).
    const byVersion = new Map<string, DeliveryTarget[]>();
    for (const target of targets) {
      const version = endpoints.get(target.id)?.api_version ?? apiVersion;
      byVersion.set(version, [...(byVersion.get(version) ?? []), target]);
    }
    for (const [version, group] of byVersion) delivery.dispatch(event, JSON.stringify({ ...event, api_version: version }, null, 2), group);
    return event;
  }

  const state: StripeState = {
    livemode,
    accountId: options.accountId ?? `acct_${randomToken(16)}`,
    apiVersion,
    startedAt: nowSeconds(),
    baseUrl: "",
    nowMs,
    nowSeconds,
    endpoints,
    endpointSecrets,
    sessions: new OrderedStore<CheckoutSession>(),
    sessionExtras: new Map<string, SessionExtras>(),
    paymentIntents: new OrderedStore<PaymentIntent>(),
    charges: new OrderedStore<Charge>(),
    refunds: new OrderedStore<Refund>(),
    disputes: new OrderedStore<Dispute>(),
    publishableKey: options.publishableKey ?? options.secretKey.replace(/^(sk|rk)_/, "pk_"),
    otherAccountKeys: new Set(options.otherAccountPublishableKeys ?? []),
    tokens: new Map<string, Token>(),
    otherAccountTokens: new Map<string, Token>(),
    refundOutcome: "succeeded",
    events,
    prices,
    available,
    idempotency: new Map<string, IdempotentEntry>(),
    injected: [],
    delivery,
    credit: (currency, amount) => void available.set(currency, (available.get(currency) ?? 0) + amount),
    addPrice,
    emitEvent,
    endpoint(id) {
      const endpoint = endpoints.get(id);
      if (!endpoint) throw noSuch("webhook_endpoint", id);
      return endpoint;
    },
    deliveries: () => delivery.log.map(asStripeRecord),
  };
  for (const p of options.prices ?? []) addPrice(p);
  return state;
}
