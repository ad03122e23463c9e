/**
 * The Stripe emulator: the part of Stripe's v1 API bookflow uses (account,
 * balance, webhook endpoints, Checkout sessions, payment intents, charges,
 * refunds, prices, events), form-encoded requests and JSON answers in
 * Stripe's shapes, Stripe's error bodies and statuses, Bearer key auth,
 * Idempotency-Key replay, and webhook deliveries signed with each endpoint's
 * secret through the Stripe SDK (`signStripePayload`).
 *
 * Tests and the sandbox drive what a customer would do in the browser through
 * the control API: methods on the returned object, or the same under
 * `/_control` over HTTP (no auth). `completeCheckout` pays a session and emits
 * `checkout.session.completed` then `payment_intent.succeeded`; refunds emit
 * `refund.created` and `charge.refunded`.
 *
 * Control routes (JSON, no auth): `POST /_control/checkout/sessions/:id/complete`
 * (body `{ customerName?, customerEmail? }`), `POST /_control/checkout/sessions/:id/expire`,
 * `POST /_control/events` `{ type, object }`, `GET /_control/deliveries`,
 * `POST /_control/idle`, `GET /_control/webhook_endpoints` (with secrets),
 * `POST /_control/seed/payments` `{ n, amount?, currency?, createdFrom?, spacingSeconds?, withCheckoutSessions? }`,
 * `POST /_control/prices` `{ id, unit_amount, currency, active? }`. The hosted
 * Checkout page a session's `url` points to (`/c/pay/:id`) pays on submit and
 * redirects to `success_url`.
 */
import { startEmulator, type Route, type RunningEmulator } from "../emulator-server.js";
import type { Charge, CheckoutSession, PaymentIntent, Price, Refund, StripeEvent, WebhookEndpoint } from "./objects.js";
import { StripeApiError, clone, noSuch } from "./params.js";
import { randomToken } from "./store.js";
import { createStripeState } from "./state.js";
import { createPayment, newSession } from "./payments.js";
import { accountRoutes } from "./routes/account.js";
import { chargeRoutes } from "./routes/charges.js";
import { checkoutPageRoutes } from "./routes/checkout-page.js";
import { checkoutSessionRoutes } from "./routes/checkout-sessions.js";
import { eventRoutes } from "./routes/events.js";
import { paymentIntentRoutes } from "./routes/payment-intents.js";
import { priceRoutes } from "./routes/prices.js";
import { refundRoutes } from "./routes/refunds.js";
import { webhookEndpointRoutes } from "./routes/webhook-endpoints.js";
import { authenticateWith, control, createPipeline, notFound } from "./pipeline.js";
import type {
  CompleteCheckoutOptions,
  CompletedCheckout,
  DeliveryRecord,
  InjectedError,
  SeededPayments,
  SeedPaymentsOptions,
  SeedPrice,
  SeedRefundsOptions,
  StripeEmulatorOptions,
} from "./types.js";

export type { Charge, CheckoutSession, LineItem, PaymentIntent, Price, Refund, StripeEvent, StripeList, WebhookEndpoint } from "./objects.js";
export type {
  CompleteCheckoutOptions,
  CompletedCheckout,
  DeliveryRecord,
  InjectedError,
  SeededPayments,
  SeedPaymentsOptions,
  SeedPrice,
  SeedRefundsOptions,
  StripeEmulatorOptions,
} from "./types.js";
export { MAX_WEBHOOK_ENDPOINTS, STRIPE_EMULATOR_API_VERSION } from "./types.js";
export { StripeApiError } from "./params.js";

export interface StripeEmulator extends Omit<RunningEmulator, "close"> {
  secretKey: string;
  accountId: string;
  livemode: boolean;
  apiVersion: string;
  /** Pays an open Checkout session, creates its payment intent and charge, and emits and delivers the two events. */
  completeCheckout(sessionId: string, options?: CompleteCheckoutOptions): Promise<CompletedCheckout>;
  /** Expires an open Checkout session and emits `checkout.session.expired`. */
  expireCheckout(sessionId: string): Promise<{ session: CheckoutSession; event: StripeEvent }>;
  /** Stores an event of any type for an object and delivers it to subscribed endpoints. */
  emitEvent(type: string, object: unknown, previousAttributes?: Record<string, unknown>): StripeEvent;
  /** Every delivery attempt so far, oldest first. */
  deliveries(): DeliveryRecord[];
  /** Resolves when no delivery is in flight or waiting for a retry. */
  idle(): Promise<void>;
  /** Bulk succeeded payments (payment intents and charges; optionally completed Checkout sessions), emitting no events. */
  seedPayments(n: number, options?: SeedPaymentsOptions): SeededPayments;
  /** Bulk full refunds of succeeded payment intents (refunds, charges updated), emitting no events; returns the refund ids. */
  seedRefunds(paymentIntentIds: readonly string[], options?: SeedRefundsOptions): string[];
  addPrice(price: SeedPrice): Price;
  /** The next matching request(s) fail with this Stripe error (e.g. a 402 card_error). */
  failNext(injected: InjectedError): void;
  /** Webhook endpoints including their signing secrets (what the dashboard shows). */
  webhookEndpoints(): (WebhookEndpoint & { secret: string })[];
  /** Replaces an endpoint's signing secret, as rolling it in the dashboard does (a receiver still holding the old one then rejects every delivery). */
  setWebhookSecret(endpointId: string, secret: string): void;
  events(): StripeEvent[];
  getCheckoutSession(id: string): CheckoutSession | undefined;
  getPaymentIntent(id: string): PaymentIntent | undefined;
  /** Stops pending delivery retries and the server. */
  close(): Promise<void>;
}

// ---------------------------------------------------------------- the emulator

export async function startStripeEmulator(options: StripeEmulatorOptions): Promise<StripeEmulator> {
  const { secretKey } = options;
  if (!/^(sk|rk)_(test|live)_\S+$/.test(secretKey ?? "")) {
    throw new Error("startStripeEmulator: secretKey must be a Stripe secret key (sk_test_… or sk_live_…)");
  }
  const state = createStripeState(options);
  const { livemode, accountId, apiVersion, nowSeconds } = state;
  const { endpoints, endpointSecrets, sessions, sessionExtras, paymentIntents, charges, refunds, events, injected, delivery } = state;
  const { credit, addPrice, emitEvent } = state;

  // ---- payments

  function completeSession(session: CheckoutSession, options: CompleteCheckoutOptions, created: number): { paymentIntent: PaymentIntent; charge: Charge } {
    const extras = sessionExtras.get(session.id)!;
    const email = session.customer_email ?? options.customerEmail ?? "customer@example.com";
    const name = options.customerName ?? null;
    const { paymentIntent, charge } = createPayment(state, {
      amount: session.amount_total,
      currency: session.currency,
      metadata: extras.paymentIntentMetadata,
      email,
      name,
      description: extras.paymentIntentDescription,
      created,
    });
    session.status = "complete";
    session.payment_status = "paid";
    session.url = null;
    session.payment_intent = paymentIntent.id;
    session.customer_details = { email, name, phone: null, address: null, tax_exempt: "none", tax_ids: [] };
    return { paymentIntent, charge };
  }

  function openSession(id: string): CheckoutSession {
    const session = sessions.get(id);
    if (!session) throw noSuch("checkout.session", id);
    if (session.status !== "open") {
      throw new StripeApiError(400, `Checkout session ${id} is ${session.status}; only an open session can be completed or expired.`, { code: "checkout_session_not_open" });
    }
    return session;
  }

  async function completeCheckout(sessionId: string, opts: CompleteCheckoutOptions = {}): Promise<CompletedCheckout> {
    const session = openSession(sessionId);
    const { paymentIntent, charge } = completeSession(session, opts, nowSeconds());
    paymentIntents.add(paymentIntent);
    charges.add(charge);
    credit(charge.currency, charge.amount);
    const completed = emitEvent("checkout.session.completed", session);
    const succeeded = emitEvent("payment_intent.succeeded", paymentIntent);
    return { session: clone(session), paymentIntent: clone(paymentIntent), charge: clone(charge), events: [clone(completed), clone(succeeded)] };
  }

  async function expireCheckout(sessionId: string): Promise<{ session: CheckoutSession; event: StripeEvent }> {
    const session = openSession(sessionId);
    session.status = "expired";
    session.url = null;
    const event = emitEvent("checkout.session.expired", session);
    return { session: clone(session), event: clone(event) };
  }

  function seedPayments(n: number, opts: SeedPaymentsOptions = {}): SeededPayments {
    const spacing = opts.spacingSeconds ?? 1;
    const from = opts.createdFrom ?? nowSeconds() - Math.max(0, n - 1) * spacing;
    const currency = (opts.currency ?? "usd").toLowerCase();
    const newIntents: PaymentIntent[] = [];
    const newCharges: Charge[] = [];
    const newSessions: CheckoutSession[] = [];
    for (let i = 0; i < n; i++) {
      const amount = typeof opts.amount === "function" ? opts.amount(i) : (opts.amount ?? 5000);
      const metadata = opts.metadata?.(i) ?? {};
      const created = from + i * spacing;
      if (opts.withCheckoutSessions) {
        const session = newSession(state, { amount, currency, metadata, created, email: `customer${i}@example.com` });
        sessionExtras.set(session.id, { lineItems: [], paymentIntentMetadata: metadata, paymentIntentDescription: null });
        const { paymentIntent, charge } = completeSession(session, {}, created);
        newSessions.push(session);
        newIntents.push(paymentIntent);
        newCharges.push(charge);
      } else {
        const { paymentIntent, charge } = createPayment(state, { amount, currency, metadata, email: null, name: null, description: null, created });
        newIntents.push(paymentIntent);
        newCharges.push(charge);
      }
      credit(currency, amount);
    }
    paymentIntents.addMany(newIntents);
    charges.addMany(newCharges);
    sessions.addMany(newSessions);
    return { paymentIntentIds: newIntents.map((p) => p.id), checkoutSessionIds: newSessions.map((s) => s.id) };
  }

  function seedRefunds(paymentIntentIds: readonly string[], opts: SeedRefundsOptions = {}): string[] {
    const created = opts.created ?? nowSeconds();
    const made: Refund[] = [];
    for (const piId of paymentIntentIds) {
      const pi = paymentIntents.get(piId);
      const charge = pi?.status === "succeeded" && pi.latest_charge ? charges.get(pi.latest_charge) : undefined;
      if (!charge) throw new StripeApiError(400, `No succeeded payment intent ${piId} to refund.`);
      const amount = charge.amount - charge.amount_refunded;
      if (amount <= 0) continue;
      charge.amount_refunded += amount;
      charge.refunded = true;
      credit(charge.currency, -amount);
      made.push({
        id: `re_${randomToken(24)}`, object: "refund", amount, balance_transaction: `txn_${randomToken(24)}`, charge: charge.id, created,
        currency: charge.currency, metadata: {}, payment_intent: piId, reason: "requested_by_customer", receipt_number: null, status: "succeeded",
      });
    }
    refunds.addMany(made);
    return made.map((r) => r.id);
  }

  const pipeline = createPipeline(state);
  const routes: Route[] = [
    ...accountRoutes(state, pipeline, options.account),
    ...webhookEndpointRoutes(state, pipeline),
    ...checkoutSessionRoutes(state, pipeline),
    ...paymentIntentRoutes(state, pipeline),
    ...chargeRoutes(state, pipeline),
    ...refundRoutes(state, pipeline),
    ...priceRoutes(state, pipeline),
    ...eventRoutes(state, pipeline),
    ...checkoutPageRoutes(state, completeCheckout),
    // ---- control API (no auth)
    {
      method: "POST",
      path: "/_control/checkout/sessions/:id/complete",
      handler: control(async (req) => {
        const body = (req.body && typeof req.body === "object" ? req.body : {}) as CompleteCheckoutOptions;
        const done = await completeCheckout(req.params.id!, body);
        return { session: done.session, payment_intent: done.paymentIntent, charge: done.charge, events: done.events };
      }),
    },
    {
      method: "POST",
      path: "/_control/checkout/sessions/:id/expire",
      handler: control(async (req) => expireCheckout(req.params.id!)),
    },
    {
      method: "POST",
      path: "/_control/events",
      handler: control((req) => {
        const body = req.body as { type?: unknown; object?: unknown; previous_attributes?: Record<string, unknown> } | undefined;
        if (typeof body?.type !== "string" || typeof body.object !== "object") throw new StripeApiError(400, "Give { type, object }.");
        return emitEvent(body.type, body.object, body.previous_attributes);
      }),
    },
    { method: "GET", path: "/_control/deliveries", handler: control(() => ({ data: state.deliveries() })) },
    {
      method: "POST",
      path: "/_control/idle",
      handler: control(async () => {
        await delivery.idle();
        return { pending: delivery.pendingCount };
      }),
    },
    { method: "GET", path: "/_control/webhook_endpoints", handler: control(() => ({ data: webhookEndpoints() })) },
    {
      method: "POST",
      path: "/_control/webhook_endpoints/:id/secret",
      handler: control((req) => {
        const secret = (req.body as { secret?: unknown } | undefined)?.secret;
        if (typeof secret !== "string") throw new StripeApiError(400, "Give { secret: \"whsec_…\" }.");
        setWebhookSecret(req.params.id!, secret);
        return { id: req.params.id, rolled: true };
      }),
    },
    {
      method: "POST",
      path: "/_control/seed/payments",
      handler: control((req) => {
        const body = (req.body ?? {}) as { n?: unknown; amount?: unknown; currency?: unknown; createdFrom?: unknown; spacingSeconds?: unknown; withCheckoutSessions?: unknown };
        const n = Number(body.n);
        if (!Number.isSafeInteger(n) || n < 0 || n > 1_000_000) throw new StripeApiError(400, "Give { n } between 0 and 1000000.");
        const seeded = seedPayments(n, {
          ...(typeof body.amount === "number" ? { amount: body.amount } : {}),
          ...(typeof body.currency === "string" ? { currency: body.currency } : {}),
          ...(typeof body.createdFrom === "number" ? { createdFrom: body.createdFrom } : {}),
          ...(typeof body.spacingSeconds === "number" ? { spacingSeconds: body.spacingSeconds } : {}),
          withCheckoutSessions: body.withCheckoutSessions === true,
        });
        return { count: seeded.paymentIntentIds.length, first: seeded.paymentIntentIds[0] ?? null, last: seeded.paymentIntentIds.at(-1) ?? null };
      }),
    },
    {
      method: "POST",
      path: "/_control/prices",
      handler: control((req) => {
        const body = req.body as Partial<SeedPrice> | undefined;
        if (typeof body?.id !== "string" || typeof body.unit_amount !== "number" || typeof body.currency !== "string") throw new StripeApiError(400, "Give { id, unit_amount, currency }.");
        return addPrice(body as SeedPrice);
      }),
    },
  ];

  function setWebhookSecret(endpointId: string, secret: string): void {
    state.endpoint(endpointId);
    if (!/^whsec_\S+$/.test(secret)) throw new StripeApiError(400, "A webhook signing secret starts with whsec_.");
    endpointSecrets.set(endpointId, secret);
  }

  function webhookEndpoints(): (WebhookEndpoint & { secret: string })[] {
    return endpoints.values().map((e) => ({ ...clone(e), secret: endpointSecrets.get(e.id)! }));
  }

  const server = await startEmulator({
    name: "stripe",
    routes,
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.faults ? { faults: options.faults } : {}),
    ...(options.random ? { random: options.random } : {}),
    authenticate: authenticateWith(secretKey),
    notFound,
  });
  state.baseUrl = server.url;

  return {
    name: server.name,
    url: server.url,
    port: server.port,
    server: server.server,
    requestLog: server.requestLog,
    setFaults: server.setFaults,
    secretKey,
    accountId,
    livemode,
    apiVersion,
    completeCheckout,
    expireCheckout,
    emitEvent: (type, object, previousAttributes) => clone(emitEvent(type, object, previousAttributes)),
    deliveries: () => state.deliveries(),
    idle: () => delivery.idle(),
    seedPayments,
    seedRefunds,
    addPrice: (price) => clone(addPrice(price)),
    failNext(spec) {
      injected.push({ ...spec, left: spec.times ?? 1 });
    },
    webhookEndpoints,
    setWebhookSecret,
    events: () => events.values().map(clone),
    getCheckoutSession: (id) => {
      const s = sessions.get(id);
      return s ? clone(s) : undefined;
    },
    getPaymentIntent: (id) => {
      const p = paymentIntents.get(id);
      return p ? clone(p) : undefined;
    },
    async close() {
      await delivery.close();
      await server.close();
    },
  };
}
