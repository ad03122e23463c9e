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
import { startEmulator, type EmulatorRequest, type EmulatorResponse, type RunningEmulator } from "../emulator-server.js";
import type { Charge, CheckoutSession, LineItem, Metadata, PaymentIntent, Price, Refund, StripeEvent, StripeList, WebhookEndpoint } from "./objects.js";
import {
  StripeApiError,
  missing,
  invalid,
  noSuch,
  allowOnly,
  str,
  int,
  bool,
  obj,
  list,
  expandList,
  metadataParam,
  applyMetadata,
  urlParam,
  EMAIL,
  EVENT_TYPE,
  REFUND_REASONS,
  money,
  escapeHtml,
  clone,
  type Params,
} from "./params.js";
import { randomToken, stripeId } from "./store.js";
import { createStripeState } from "./state.js";
import { authenticateWith, control, createPipeline, LIST_PARAMS, listAnswer, listQuery, notFound, respond } from "./pipeline.js";
import {
  MAX_WEBHOOK_ENDPOINTS,
  type CompleteCheckoutOptions,
  type CompletedCheckout,
  type DeliveryRecord,
  type InjectedError,
  type SeededPayments,
  type SeedPaymentsOptions,
  type SeedPrice,
  type SeedRefundsOptions,
  type StripeEmulatorOptions,
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
  const { livemode, accountId, apiVersion, startedAt, nowSeconds } = state;
  const { endpoints, endpointSecrets, sessions, sessionExtras, paymentIntents, charges, refunds, events, prices, available, injected, delivery } = state;
  const { credit, addPrice, emitEvent } = state;
  const { api, requestInfo } = createPipeline(state);

  // ---- payments

  function createPayment(input: {
    amount: number;
    currency: string;
    metadata: Metadata;
    email: string | null;
    name: string | null;
    description: string | null;
    created: number;
  }): { paymentIntent: PaymentIntent; charge: Charge } {
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

  function completeSession(session: CheckoutSession, options: CompleteCheckoutOptions, created: number): { paymentIntent: PaymentIntent; charge: Charge } {
    const extras = sessionExtras.get(session.id)!;
    const email = session.customer_email ?? options.customerEmail ?? "customer@example.com";
    const name = options.customerName ?? null;
    const { paymentIntent, charge } = createPayment({
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
        const session = newSession({ amount, currency, metadata, created, email: `customer${i}@example.com` });
        sessionExtras.set(session.id, { lineItems: [], paymentIntentMetadata: metadata, paymentIntentDescription: null });
        const { paymentIntent, charge } = completeSession(session, {}, created);
        newSessions.push(session);
        newIntents.push(paymentIntent);
        newCharges.push(charge);
      } else {
        const { paymentIntent, charge } = createPayment({ amount, currency, metadata, email: null, name: null, description: null, created });
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

  function newSession(input: { amount: number; currency: string; metadata: Metadata; created: number; email: string | null }): CheckoutSession {
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

  // ---- helpers for handlers

  function expandSession(session: CheckoutSession, expand: string[]): unknown {
    const out: Record<string, unknown> = clone(session) as unknown as Record<string, unknown>;
    for (const field of expand) {
      if (field === "payment_intent" && session.payment_intent) out.payment_intent = clone(paymentIntents.get(session.payment_intent)!);
      else if (field === "line_items") out.line_items = lineItemsList(session.id, 100);
      else if (field !== "payment_intent") throw invalid("expand", `This property cannot be expanded (${field}).`);
    }
    return out;
  }

  function lineItemsList(sessionId: string, limit: number): StripeList<LineItem> {
    const items = sessionExtras.get(sessionId)?.lineItems ?? [];
    return { object: "list", data: clone(items.slice(0, limit)), has_more: items.length > limit, url: `/v1/checkout/sessions/${sessionId}/line_items` };
  }

  function expandPaymentIntent(pi: PaymentIntent, expand: string[]): unknown {
    const out: Record<string, unknown> = clone(pi) as unknown as Record<string, unknown>;
    for (const field of expand) {
      if (field === "latest_charge") out.latest_charge = pi.latest_charge ? clone(charges.get(pi.latest_charge) ?? null) : null;
      else throw invalid("expand", `This property cannot be expanded (${field}).`);
    }
    return out;
  }


  function endpointAnswer(endpoint: WebhookEndpoint): WebhookEndpoint {
    return clone(endpoint);
  }

  function enabledEventsParam(params: Params, required: boolean): string[] | undefined {
    const value = list(params, "enabled_events");
    if (value === undefined) {
      if (required) throw missing("enabled_events");
      return undefined;
    }
    if (value.length === 0) throw invalid("enabled_events", "enabled_events must include at least one event type.");
    return value.map((v, i) => {
      if (typeof v !== "string" || !EVENT_TYPE.test(v)) throw invalid(`enabled_events[${i}]`, `Invalid enabled_events[${i}]: ${String(v)} is not an event type.`);
      return v;
    });
  }

  function lineItemsParam(params: Params, currencyHint: string | undefined): LineItem[] {
    const raw = list(params, "line_items");
    if (!raw || raw.length === 0) throw missing("line_items");
    return raw.map((item, i) => {
      const p = `line_items[${i}]`;
      if (typeof item !== "object" || item === null) throw invalid(p, `Invalid hash: ${p}`);
      const li = item as Params;
      allowOnly(li, ["price", "price_data", "quantity", "adjustable_quantity", "dynamic_tax_rates", "tax_rates"]);
      const quantity = int(li, "quantity", `${p}[quantity]`, { min: 1 });
      if (quantity === undefined) throw missing(`${p}[quantity]`);
      const priceId = str(li, "price", `${p}[price]`);
      const priceData = obj(li, "price_data", `${p}[price_data]`);
      let price: Price;
      let description: string;
      if (priceId && priceData) throw invalid(`${p}[price]`, `You may only specify one of these parameters: ${p}[price], ${p}[price_data].`);
      if (priceId) {
        const found = prices.get(priceId);
        if (!found) throw invalid(`${p}[price]`, `No such price: '${priceId}'`, "resource_missing");
        if (!found.active) throw invalid(`${p}[price]`, "The price specified is inactive. This field only accepts active prices.");
        price = found;
        description = found.nickname ?? found.product;
      } else if (priceData) {
        allowOnly(priceData, ["currency", "unit_amount", "unit_amount_decimal", "product", "product_data", "tax_behavior", "recurring"]);
        const currency = str(priceData, "currency", `${p}[price_data][currency]`);
        if (!currency) throw missing(`${p}[price_data][currency]`);
        const unitAmount = int(priceData, "unit_amount", `${p}[price_data][unit_amount]`, { min: 0 });
        if (unitAmount === undefined) throw missing(`${p}[price_data][unit_amount]`);
        const productData = obj(priceData, "product_data", `${p}[price_data][product_data]`);
        const product = str(priceData, "product", `${p}[price_data][product]`);
        if (!productData && !product) throw missing(`${p}[price_data][product_data]`);
        const name = productData ? str(productData, "name", `${p}[price_data][product_data][name]`) : undefined;
        if (productData && !name) throw missing(`${p}[price_data][product_data][name]`);
        price = addPrice({ id: `price_${randomToken(24)}`, unit_amount: unitAmount, currency, product: product ?? `prod_${randomToken(14)}` });
        price.active = false;
        description = name ?? product!;
      } else {
        throw new StripeApiError(400, `You must specify either \`price\` or \`price_data\` in ${p}.`, { code: "parameter_missing", param: `${p}[price]` });
      }
      if (currencyHint && price.currency !== currencyHint) {
        throw invalid(`${p}[price]`, `All line items must use the same currency; ${p} is in ${price.currency}, not ${currencyHint}.`);
      }
      currencyHint ??= price.currency;
      const total = price.unit_amount * quantity;
      return {
        id: `li_${randomToken(24)}`,
        object: "item",
        amount_discount: 0,
        amount_subtotal: total,
        amount_tax: 0,
        amount_total: total,
        currency: price.currency,
        description,
        price: clone(price),
        quantity,
      } satisfies LineItem;
    });
  }

  const CHECKOUT_PARAMS = [
    "mode", "line_items", "metadata", "client_reference_id", "customer_email", "customer", "payment_intent_data", "success_url", "cancel_url",
    "expires_at", "payment_method_types", "locale", "ui_mode", "return_url", "allow_promotion_codes", "billing_address_collection",
    "phone_number_collection", "customer_creation", "submit_type", "expand", "currency", "automatic_tax", "consent_collection", "custom_fields",
    "custom_text", "invoice_creation", "payment_method_collection", "shipping_address_collection", "tax_id_collection", "discounts",
  ] as const;

  function createSession(req: EmulatorRequest, params: Params): EmulatorResponse {
    allowOnly(params, CHECKOUT_PARAMS);
    const mode = str(params, "mode");
    if (!mode) throw missing("mode");
    if (mode !== "payment") {
      throw invalid("mode", mode === "subscription" || mode === "setup" ? `The emulator supports mode=payment only, not ${mode}.` : `Invalid mode: must be one of payment, setup, or subscription`);
    }
    const currency = str(params, "currency")?.toLowerCase();
    const lineItems = lineItemsParam(params, currency);
    const metadata = metadataParam(params) ?? {};
    const pid = obj(params, "payment_intent_data");
    if (pid) allowOnly(pid, ["metadata", "description", "receipt_email", "capture_method", "setup_future_usage", "statement_descriptor", "statement_descriptor_suffix", "transfer_data", "application_fee_amount", "on_behalf_of", "shipping", "transfer_group"]);
    const piMetadata = (pid && metadataParam(pid, "metadata")) ?? {};
    const customerEmail = str(params, "customer_email");
    if (customerEmail !== undefined && !EMAIL.test(customerEmail)) throw invalid("customer_email", `Invalid email address: ${customerEmail}`, "email_invalid");
    const clientReferenceId = str(params, "client_reference_id");
    if (clientReferenceId !== undefined && clientReferenceId.length > 200) throw invalid("client_reference_id", "client_reference_id can be at most 200 characters long.");
    const successUrl = urlParam(params, "success_url");
    const cancelUrl = urlParam(params, "cancel_url");
    const amount = lineItems.reduce((sum, li) => sum + li.amount_total, 0);
    const sessionCurrency = lineItems[0]!.currency;
    if (sessionCurrency === "usd" && amount < 50) {
      throw invalid("line_items", "The Checkout Session's total amount due must add up to at least $0.50 usd", "amount_too_small");
    }
    const created = nowSeconds();
    const session = newSession({ amount, currency: sessionCurrency, metadata, created, email: customerEmail ?? null });
    const expiresAt = int(params, "expires_at");
    if (expiresAt !== undefined) {
      if (expiresAt < created + 30 * 60 || expiresAt > created + 24 * 3600) throw invalid("expires_at", "expires_at must be between 30 minutes and 24 hours from now.");
      session.expires_at = expiresAt;
    }
    session.client_reference_id = clientReferenceId ?? null;
    session.success_url = successUrl ?? null;
    session.cancel_url = cancelUrl ?? null;
    session.customer = str(params, "customer") ?? null;
    session.locale = str(params, "locale") ?? null;
    sessions.add(session);
    sessionExtras.set(session.id, { lineItems, paymentIntentMetadata: piMetadata, paymentIntentDescription: pid ? (str(pid, "description") ?? null) : null });
    return respond(200, expandSession(session, expandList(params)));
  }

  /**
   * `POST /v1/payment_intents` (added for the scenarios' staging driver, which pays with Stripe's test
   * cards): with `confirm=true` and a test payment method `pm_card_…` the intent succeeds at once (a
   * charge, `payment_intent.succeeded` and `charge.succeeded`); `pm_card_chargeDeclined` is declined
   * (402 card_error); without confirm it waits for a payment method.
   */
  function createPaymentIntent(req: EmulatorRequest, params: Params): EmulatorResponse {
    allowOnly(params, [
      "amount", "currency", "metadata", "description", "receipt_email", "payment_method", "confirm", "automatic_payment_methods",
      "payment_method_types", "customer", "expand", "statement_descriptor", "statement_descriptor_suffix", "return_url", "off_session",
    ]);
    const amount = int(params, "amount", "amount", { min: 1 });
    if (amount === undefined) throw missing("amount");
    const currency = str(params, "currency")?.toLowerCase();
    if (!currency) throw missing("currency");
    if (currency === "usd" && amount < 50) throw invalid("amount", "Amount must be at least $0.50 usd", "amount_too_small");
    const metadata = metadataParam(params) ?? {};
    const email = str(params, "receipt_email") ?? null;
    if (email !== null && !EMAIL.test(email)) throw invalid("receipt_email", `Invalid email address: ${email}`, "email_invalid");
    const paymentMethod = str(params, "payment_method");
    const confirm = bool(params, "confirm") ?? false;
    const created = nowSeconds();
    const description = str(params, "description") ?? null;
    if (confirm && !paymentMethod) throw missing("payment_method");
    if (!confirm) {
      const piId = `pi_${randomToken(24)}`;
      const pending: PaymentIntent = {
        id: piId, object: "payment_intent", amount, amount_capturable: 0, amount_received: 0, canceled_at: null, capture_method: "automatic_async",
        client_secret: `${piId}_secret_${randomToken(25)}`, confirmation_method: "automatic", created, currency, customer: str(params, "customer") ?? null,
        description, latest_charge: null, livemode, metadata, payment_method: paymentMethod ?? null, payment_method_types: ["card"], receipt_email: email,
        status: "requires_payment_method",
      };
      paymentIntents.add(pending);
      return respond(200, expandPaymentIntent(pending, expandList(params)));
    }
    if (!/^pm_card_[A-Za-z]+$/.test(paymentMethod!)) throw invalid("payment_method", `No such PaymentMethod: '${paymentMethod}' (the emulator knows Stripe's test methods, e.g. pm_card_visa)`, "resource_missing");
    if (paymentMethod === "pm_card_chargeDeclined") {
      throw new StripeApiError(402, "Your card was declined.", { type: "card_error", code: "card_declined", param: "payment_method" });
    }
    const { paymentIntent, charge } = createPayment({ amount, currency, metadata, email, name: null, description, created });
    paymentIntent.payment_method = paymentMethod!;
    paymentIntents.add(paymentIntent);
    charges.add(charge);
    credit(currency, amount);
    const request = requestInfo(req);
    emitEvent("payment_intent.succeeded", paymentIntent, undefined, request);
    emitEvent("charge.succeeded", charge, undefined, request);
    return respond(200, expandPaymentIntent(paymentIntent, expandList(params)));
  }

  function createRefund(req: EmulatorRequest, params: Params): EmulatorResponse {
    allowOnly(params, ["payment_intent", "charge", "amount", "reason", "metadata", "expand", "instructions_email", "refund_application_fee", "reverse_transfer"]);
    const piId = str(params, "payment_intent");
    const chargeId = str(params, "charge");
    if (!piId && !chargeId) throw new StripeApiError(400, "One of the following params should be provided for this request: payment_intent or charge.", { code: "parameter_missing", param: "payment_intent" });
    let charge: Charge | undefined;
    let pi: PaymentIntent | undefined;
    if (piId) {
      pi = paymentIntents.get(piId);
      if (!pi) throw noSuch("payment_intent", piId, "payment_intent");
      if (pi.status !== "succeeded" || !pi.latest_charge) {
        throw invalid("payment_intent", `This PaymentIntent (${pi.id}) does not have a successful charge to refund.`, "payment_intent_unexpected_state");
      }
      charge = charges.get(pi.latest_charge)!;
      if (chargeId && chargeId !== charge.id) throw invalid("charge", `Charge ${chargeId} does not belong to PaymentIntent ${pi.id}.`);
    } else {
      charge = charges.get(chargeId!);
      if (!charge) throw noSuch("charge", chargeId!, "charge");
      pi = paymentIntents.get(charge.payment_intent);
    }
    const reason = str(params, "reason");
    if (reason !== undefined && !(REFUND_REASONS as readonly string[]).includes(reason)) {
      throw invalid("reason", `Invalid reason: must be one of ${REFUND_REASONS.join(", ")}`);
    }
    const metadata = metadataParam(params) ?? {};
    const remaining = charge.amount - charge.amount_refunded;
    if (remaining <= 0) throw invalid("charge", `Charge ${charge.id} has already been refunded.`, "charge_already_refunded");
    const amount = int(params, "amount", "amount", { min: 1 }) ?? remaining;
    if (amount > remaining) {
      throw invalid("amount", `Refund amount (${money(amount, charge.currency)}) is greater than unrefunded amount on charge (${money(remaining, charge.currency)})`);
    }
    const refund: Refund = {
      id: `re_${randomToken(24)}`,
      object: "refund",
      amount,
      balance_transaction: `txn_${randomToken(24)}`,
      charge: charge.id,
      created: nowSeconds(),
      currency: charge.currency,
      metadata,
      payment_intent: charge.payment_intent,
      reason: (reason as Refund["reason"]) ?? null,
      receipt_number: null,
      status: "succeeded",
    };
    const previous = { amount_refunded: charge.amount_refunded, refunded: charge.refunded };
    charge.amount_refunded += amount;
    charge.refunded = charge.amount_refunded >= charge.amount;
    credit(charge.currency, -amount);
    refunds.add(refund);
    const request = requestInfo(req);
    emitEvent("refund.created", refund, undefined, request);
    emitEvent("charge.refunded", charge, previous, request);
    const out: Record<string, unknown> = clone(refund) as unknown as Record<string, unknown>;
    for (const field of expandList(params)) {
      if (field === "charge") out.charge = clone(charge);
      else if (field === "payment_intent") out.payment_intent = pi ? clone(pi) : null;
      else throw invalid("expand", `This property cannot be expanded (${field}).`);
    }
    return respond(200, out);
  }

  function accountAnswer(): Record<string, unknown> {
    return {
      id: accountId,
      object: "account",
      business_profile: { name: "Bookflow Sandbox", support_email: null, url: null },
      business_type: "company",
      capabilities: { card_payments: "active", transfers: "active" },
      charges_enabled: true,
      country: "US",
      created: startedAt,
      default_currency: "usd",
      details_submitted: true,
      email: "owner@example.com",
      metadata: {},
      payouts_enabled: true,
      settings: { dashboard: { display_name: "Bookflow Sandbox", timezone: "Etc/UTC" } },
      type: "standard",
      ...(options.account ?? {}),
    };
  }

  const routes = [
    { method: "GET", path: "/v1/account", handler: api(() => respond(200, accountAnswer())) },
    {
      method: "GET",
      path: "/v1/accounts/:id",
      handler: api((req) => {
        if (req.params.id !== accountId) {
          throw new StripeApiError(403, `The provided key does not have access to account '${req.params.id}' (or that account does not exist).`, { type: "invalid_request_error", code: "account_invalid" });
        }
        return respond(200, accountAnswer());
      }),
    },
    {
      method: "GET",
      path: "/v1/balance",
      handler: api(() => {
        const currencies = available.size > 0 ? [...available.keys()] : ["usd"];
        return respond(200, {
          object: "balance",
          available: currencies.map((currency) => ({ amount: available.get(currency) ?? 0, currency, source_types: { card: available.get(currency) ?? 0 } })),
          pending: currencies.map((currency) => ({ amount: 0, currency, source_types: { card: 0 } })),
          livemode,
        });
      }),
    },
    // ---- webhook endpoints
    {
      method: "GET",
      path: "/v1/webhook_endpoints",
      handler: api((_req, params) => {
        allowOnly(params, LIST_PARAMS);
        return respond(200, listAnswer("/v1/webhook_endpoints", endpoints.list(listQuery(params))));
      }),
    },
    {
      method: "POST",
      path: "/v1/webhook_endpoints",
      handler: api((_req, params) => {
        allowOnly(params, ["url", "enabled_events", "description", "metadata", "api_version", "connect", "expand"]);
        const url = urlParam(params, "url");
        if (!url) throw missing("url");
        const enabledEvents = enabledEventsParam(params, true)!;
        if (endpoints.size >= MAX_WEBHOOK_ENDPOINTS) {
          throw new StripeApiError(400, `You have reached the maximum of ${MAX_WEBHOOK_ENDPOINTS} ${livemode ? "live" : "test"} webhook endpoints.`, { code: "webhook_endpoint_limit" });
        }
        const endpoint: WebhookEndpoint = {
          id: `we_${randomToken(24)}`,
          object: "webhook_endpoint",
          api_version: str(params, "api_version") ?? null,
          application: null,
          created: nowSeconds(),
          description: str(params, "description") ?? null,
          enabled_events: enabledEvents,
          livemode,
          metadata: metadataParam(params) ?? {},
          status: "enabled",
          url,
        };
        const secret = `whsec_${randomToken(32)}`;
        endpoints.add(endpoint);
        endpointSecrets.set(endpoint.id, secret);
        return respond(200, { ...endpointAnswer(endpoint), secret });
      }),
    },
    {
      method: "GET",
      path: "/v1/webhook_endpoints/:id",
      handler: api((req, params) => {
        allowOnly(params, ["expand"]);
        return respond(200, endpointAnswer(state.endpoint(req.params.id!)));
      }),
    },
    {
      method: "POST",
      path: "/v1/webhook_endpoints/:id",
      handler: api((req, params) => {
        allowOnly(params, ["url", "enabled_events", "description", "metadata", "disabled", "expand"]);
        const endpoint = state.endpoint(req.params.id!);
        const url = urlParam(params, "url");
        const enabledEvents = enabledEventsParam(params, false);
        const disabled = bool(params, "disabled");
        const description = str(params, "description");
        const metadata = metadataParam(params);
        if (url !== undefined) endpoint.url = url;
        if (enabledEvents !== undefined) endpoint.enabled_events = enabledEvents;
        if (disabled !== undefined) endpoint.status = disabled ? "disabled" : "enabled";
        if (description !== undefined) endpoint.description = description === "" ? null : description;
        endpoint.metadata = applyMetadata(endpoint.metadata, metadata);
        return respond(200, endpointAnswer(endpoint));
      }),
    },
    {
      method: "DELETE",
      path: "/v1/webhook_endpoints/:id",
      handler: api((req) => {
        const endpoint = state.endpoint(req.params.id!);
        endpoints.delete(endpoint.id);
        endpointSecrets.delete(endpoint.id);
        return respond(200, { id: endpoint.id, object: "webhook_endpoint", deleted: true });
      }),
    },
    // ---- checkout sessions
    { method: "POST", path: "/v1/checkout/sessions", handler: api(createSession) },
    {
      method: "GET",
      path: "/v1/checkout/sessions",
      handler: api((_req, params) => {
        allowOnly(params, [...LIST_PARAMS, "payment_intent", "status", "customer", "customer_details", "payment_link", "subscription"]);
        const pi = str(params, "payment_intent");
        const status = str(params, "status");
        const customer = str(params, "customer");
        const details = obj(params, "customer_details");
        const email = details ? str(details, "email", "customer_details[email]") : undefined;
        const filters: ((s: CheckoutSession) => boolean)[] = [];
        if (pi !== undefined) filters.push((s) => s.payment_intent === pi);
        if (status !== undefined) filters.push((s) => s.status === status);
        if (customer !== undefined) filters.push((s) => s.customer === customer);
        if (email !== undefined) filters.push((s) => s.customer_details?.email === email);
        const filter = filters.length ? (s: CheckoutSession) => filters.every((f) => f(s)) : undefined;
        return respond(200, listAnswer("/v1/checkout/sessions", sessions.list({ ...listQuery(params), filter })));
      }),
    },
    {
      method: "GET",
      path: "/v1/checkout/sessions/:id",
      handler: api((req, params) => {
        allowOnly(params, ["expand"]);
        const session = sessions.get(req.params.id!);
        if (!session) throw noSuch("checkout.session", req.params.id!);
        return respond(200, expandSession(session, expandList(params)));
      }),
    },
    {
      method: "GET",
      path: "/v1/checkout/sessions/:id/line_items",
      handler: api((req, params) => {
        allowOnly(params, LIST_PARAMS);
        if (!sessions.has(req.params.id!)) throw noSuch("checkout.session", req.params.id!);
        return respond(200, lineItemsList(req.params.id!, int(params, "limit", "limit", { min: 1, max: 100 }) ?? 10));
      }),
    },
    {
      method: "POST",
      path: "/v1/checkout/sessions/:id/expire",
      handler: api((req) => {
        const session = sessions.get(req.params.id!);
        if (!session) throw noSuch("checkout.session", req.params.id!);
        if (session.status !== "open") throw invalid("session", `Only Checkout Sessions with a status of \`open\` can be expired; this one is ${session.status}.`);
        session.status = "expired";
        session.url = null;
        emitEvent("checkout.session.expired", session, undefined, requestInfo(req));
        return respond(200, clone(session));
      }),
    },
    // ---- payment intents, charges, refunds, prices
    { method: "POST", path: "/v1/payment_intents", handler: api(createPaymentIntent) },
    {
      method: "GET",
      path: "/v1/payment_intents",
      handler: api((_req, params) => {
        allowOnly(params, [...LIST_PARAMS, "customer"]);
        const customer = str(params, "customer");
        const filter = customer !== undefined ? (p: PaymentIntent) => p.customer === customer : undefined;
        return respond(200, listAnswer("/v1/payment_intents", paymentIntents.list({ ...listQuery(params), filter })));
      }),
    },
    {
      method: "GET",
      path: "/v1/payment_intents/:id",
      handler: api((req, params) => {
        allowOnly(params, ["expand", "client_secret"]);
        const pi = paymentIntents.get(req.params.id!);
        if (!pi) throw noSuch("payment_intent", req.params.id!);
        return respond(200, expandPaymentIntent(pi, expandList(params)));
      }),
    },
    {
      method: "GET",
      path: "/v1/charges/:id",
      handler: api((req, params) => {
        allowOnly(params, ["expand"]);
        const charge = charges.get(req.params.id!);
        if (!charge) throw noSuch("charge", req.params.id!);
        return respond(200, clone(charge));
      }),
    },
    { method: "POST", path: "/v1/refunds", handler: api(createRefund) },
    {
      method: "GET",
      path: "/v1/refunds",
      handler: api((_req, params) => {
        allowOnly(params, [...LIST_PARAMS, "payment_intent", "charge"]);
        const pi = str(params, "payment_intent");
        const charge = str(params, "charge");
        const filter =
          pi !== undefined || charge !== undefined ? (r: Refund) => (pi === undefined || r.payment_intent === pi) && (charge === undefined || r.charge === charge) : undefined;
        return respond(200, listAnswer("/v1/refunds", refunds.list({ ...listQuery(params), filter })));
      }),
    },
    {
      method: "GET",
      path: "/v1/refunds/:id",
      handler: api((req, params) => {
        allowOnly(params, ["expand"]);
        const refund = refunds.get(req.params.id!);
        if (!refund) throw noSuch("refund", req.params.id!);
        return respond(200, clone(refund));
      }),
    },
    {
      method: "GET",
      path: "/v1/prices/:id",
      handler: api((req, params) => {
        allowOnly(params, ["expand"]);
        const price = prices.get(req.params.id!);
        if (!price) throw noSuch("price", req.params.id!);
        return respond(200, clone(price));
      }),
    },
    // ---- events
    {
      method: "GET",
      path: "/v1/events",
      handler: api((_req, params) => {
        allowOnly(params, [...LIST_PARAMS, "type", "types", "delivery_success"]);
        const type = str(params, "type");
        const types = list(params, "types")?.map(String);
        const matchers: RegExp[] = [...(type ? [type] : []), ...(types ?? [])].map(
          (t) => new RegExp(`^${t.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join("[a-z_.]*")}$`),
        );
        const deliverySuccess = bool(params, "delivery_success");
        const filter =
          matchers.length || deliverySuccess !== undefined
            ? (e: StripeEvent) => (matchers.length === 0 || matchers.some((m) => m.test(e.type))) && (deliverySuccess === undefined || (e.pending_webhooks === 0) === deliverySuccess)
            : undefined;
        return respond(200, listAnswer("/v1/events", events.list({ ...listQuery(params), filter })));
      }),
    },
    {
      method: "GET",
      path: "/v1/events/:id",
      handler: api((req, params) => {
        allowOnly(params, ["expand"]);
        const event = events.get(req.params.id!);
        if (!event) throw noSuch("event", req.params.id!);
        return respond(200, clone(event));
      }),
    },
    // ---- the hosted Checkout page (no auth): a button that pays the session
    {
      method: "GET",
      path: "/c/pay/:id",
      handler: (req: EmulatorRequest): EmulatorResponse => {
        const session = sessions.get(req.params.id!);
        if (!session) return { status: 404, body: "<h1>Checkout session not found</h1>", headers: { "content-type": "text/html; charset=utf-8" } };
        const html =
          session.status === "open"
            ? `<!doctype html><title>Pay (sandbox)</title><h1>Pay ${escapeHtml(money(session.amount_total, session.currency))}</h1>` +
              `<form method="post"><button type="submit">Pay (sandbox)</button></form>`
            : `<!doctype html><title>Checkout</title><h1>This Checkout session is ${escapeHtml(session.status)}.</h1>`;
        return { status: 200, body: html, headers: { "content-type": "text/html; charset=utf-8" } };
      },
    },
    {
      method: "POST",
      path: "/c/pay/:id",
      handler: async (req: EmulatorRequest): Promise<EmulatorResponse> => {
        try {
          const { session } = await completeCheckout(req.params.id!);
          const target = session.success_url?.replace("{CHECKOUT_SESSION_ID}", session.id);
          if (target) return { status: 303, body: "", headers: { location: target } };
          return { status: 200, body: "<h1>Paid.</h1>", headers: { "content-type": "text/html; charset=utf-8" } };
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          return { status: err instanceof StripeApiError ? err.status : 500, body: `<h1>${escapeHtml(message)}</h1>`, headers: { "content-type": "text/html; charset=utf-8" } };
        }
      },
    },
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
