/**
 * The Stripe emulator's Checkout sessions: create (line items from stored
 * prices or `price_data`, payment intent data, URLs, expiry), list with
 * filters (`status`, `payment_intent`, `customer`, `customer_details[email]`,
 * `created`, cursors), retrieve with `expand`, line items, and expire
 * (`checkout.session.expired`; the session then has no payment intent and
 * cannot be completed).
 */
import type Stripe from "stripe";
import type { EmulatorResponse, Route } from "../../emulator-server.js";
import { HOSTED_UI_MODE, type CheckoutSession, type LineItem, type Price, type StripeList } from "../objects.js";
import { StripeApiError, allowOnly, clone, EMAIL, expandList, int, invalid, list, metadataParam, missing, noSuch, obj, str, urlParam, type Params } from "../params.js";
import { expireSession, newSession } from "../payments.js";
import { LIST_PARAMS, listAnswer, listQuery, respond, type Pipeline } from "../pipeline.js";
import type { StripeState } from "../state.js";
import { randomToken } from "../store.js";

const CHECKOUT_PARAMS = [
  "mode", "line_items", "metadata", "client_reference_id", "customer_email", "customer", "payment_intent_data", "success_url", "cancel_url",
  "expires_at", "payment_method_types", "locale", "ui_mode", "return_url", "allow_promotion_codes", "billing_address_collection",
  "phone_number_collection", "customer_creation", "submit_type", "expand", "currency", "automatic_tax", "consent_collection", "custom_fields",
  "custom_text", "invoice_creation", "payment_method_collection", "shipping_address_collection", "tax_id_collection", "discounts",
] as const;

/** The `status` a session list can be filtered by. */
const SESSION_STATUSES = ["complete", "expired", "open"] as const;
/** `ui_mode` values at the pinned API version (`hosted` and `embedded` were renamed `hosted_page` and `embedded_page`). */
const UI_MODES = ["elements", "embedded_page", "form", "hosted_page"] as const satisfies readonly Stripe.Checkout.SessionCreateParams.UiMode[];

function lineItemsParam(state: StripeState, params: Params, currencyHint: string | undefined): LineItem[] {
  const { prices, addPrice } = state;
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
      adjustable_quantity: null,
      amount_discount: 0,
      amount_subtotal: total,
      amount_tax: 0,
      amount_total: total,
      currency: price.currency,
      description,
      metadata: {},
      price: clone(price),
      quantity,
    } satisfies LineItem;
  });
}

function createSession(state: StripeState, params: Params): EmulatorResponse {
  const { nowSeconds, sessions, sessionExtras } = state;
  allowOnly(params, CHECKOUT_PARAMS);
  const mode = str(params, "mode");
  if (!mode) throw missing("mode");
  if (mode !== "payment") {
    throw invalid("mode", mode === "subscription" || mode === "setup" ? `The emulator supports mode=payment only, not ${mode}.` : `Invalid mode: must be one of payment, setup, or subscription`);
  }
  const uiMode = str(params, "ui_mode");
  if (uiMode !== undefined && uiMode !== HOSTED_UI_MODE) {
    throw invalid(
      "ui_mode",
      (UI_MODES as readonly string[]).includes(uiMode)
        ? `The emulator supports ui_mode=${HOSTED_UI_MODE} only, not ${uiMode}.`
        : `Invalid ui_mode: must be one of ${UI_MODES.join(", ")}`,
    );
  }
  const currency = str(params, "currency")?.toLowerCase();
  const lineItems = lineItemsParam(state, params, currency);
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
  const session = newSession(state, { amount, currency: sessionCurrency, metadata, created, email: customerEmail ?? null });
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
  return respond(200, expandSession(state, session, expandList(params)));
}

function expandSession(state: StripeState, session: CheckoutSession, expand: string[]): unknown {
  const { paymentIntents } = state;
  const out: Record<string, unknown> = clone(session) as unknown as Record<string, unknown>;
  for (const field of expand) {
    if (field === "payment_intent" && session.payment_intent) out.payment_intent = clone(paymentIntents.get(session.payment_intent)!);
    else if (field === "line_items") out.line_items = lineItemsList(state, session.id, 100);
    else if (field !== "payment_intent") throw invalid("expand", `This property cannot be expanded (${field}).`);
  }
  return out;
}

function lineItemsList(state: StripeState, sessionId: string, limit: number): StripeList<LineItem> {
  const { sessionExtras } = state;
  const items = sessionExtras.get(sessionId)?.lineItems ?? [];
  return { object: "list", data: clone(items.slice(0, limit)), has_more: items.length > limit, url: `/v1/checkout/sessions/${sessionId}/line_items` };
}

export function checkoutSessionRoutes(state: StripeState, { api, requestInfo }: Pipeline): Route[] {
  const { sessions, emitEvent } = state;
  return [
    { method: "POST", path: "/v1/checkout/sessions", handler: api((_req, params) => createSession(state, params)) },
    {
      method: "GET",
      path: "/v1/checkout/sessions",
      handler: api((_req, params) => {
        allowOnly(params, [...LIST_PARAMS, "payment_intent", "status", "customer", "customer_details", "payment_link", "subscription"]);
        const pi = str(params, "payment_intent");
        const status = str(params, "status");
        if (status !== undefined && !(SESSION_STATUSES as readonly string[]).includes(status)) throw invalid("status", `Invalid status: must be one of ${SESSION_STATUSES.join(", ")}`);
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
        return respond(200, expandSession(state, session, expandList(params)));
      }),
    },
    {
      method: "GET",
      path: "/v1/checkout/sessions/:id/line_items",
      handler: api((req, params) => {
        allowOnly(params, LIST_PARAMS);
        if (!sessions.has(req.params.id!)) throw noSuch("checkout.session", req.params.id!);
        return respond(200, lineItemsList(state, req.params.id!, int(params, "limit", "limit", { min: 1, max: 100 }) ?? 10));
      }),
    },
    {
      method: "POST",
      path: "/v1/checkout/sessions/:id/expire",
      handler: api((req) => {
        const session = sessions.get(req.params.id!);
        if (!session) throw noSuch("checkout.session", req.params.id!);
        if (session.status !== "open") throw invalid("session", `Only Checkout Sessions with a status of \`open\` can be expired; this one is ${session.status}.`);
        expireSession(session);
        emitEvent("checkout.session.expired", session, undefined, requestInfo(req));
        return respond(200, clone(session));
      }),
    },
  ];
}
