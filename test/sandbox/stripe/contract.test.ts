import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStripeEmulator, type StripeEmulator } from "../../../src/sandbox/stripe/emulator.js";
import { STRIPE_FIXTURES, stripeObjectsIn, violationsOf, type Violation } from "./contract-shape.js";
import { startWebhookReceiver, type WebhookReceiver } from "./webhook-receiver.js";

/**
 * Every `/v1` route of the Stripe emulator, called once or more as bookflow and the SDK call it, and every
 * Stripe object in every answer (lists, nested and expanded objects, error-free answers) and in every
 * delivered event held to Stripe's own example object of its type (`fixtures/stripe-objects.json`).
 * A new route without a call here fails the coverage test.
 */

const SECRET_KEY = "sk_test_FAKE_bookflow_contract_4242";
let emulator: StripeEmulator;
let receiver: WebhookReceiver;
/** Each answer's JSON with the call that produced it. */
const answers: { call: string; status: number; json: unknown }[] = [];

/** Stripe's form encoding of nested params: a[b]=1, list[0]=x. */
function form(params: Record<string, unknown>, prefix = ""): string[] {
  return Object.entries(params).flatMap(([k, v]) => {
    const key = prefix ? `${prefix}[${k}]` : k;
    if (Array.isArray(v)) return v.flatMap((item, i) => (typeof item === "object" && item !== null ? form(item as Record<string, unknown>, `${key}[${i}]`) : [`${encodeURIComponent(`${key}[${i}]`)}=${encodeURIComponent(String(item))}`]));
    if (typeof v === "object" && v !== null) return form(v as Record<string, unknown>, key);
    return [`${encodeURIComponent(key)}=${encodeURIComponent(String(v))}`];
  });
}

async function call<T = Record<string, unknown>>(method: string, path: string, params: Record<string, unknown> = {}, key = SECRET_KEY): Promise<T> {
  const body = form(params).join("&");
  const get = method === "GET" || method === "DELETE";
  const res = await fetch(`${emulator.url}${path}${get && body ? `?${body}` : ""}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(get ? {} : { "content-type": "application/x-www-form-urlencoded" }) },
    ...(get ? {} : { body }),
  });
  const json = (await res.json()) as T;
  answers.push({ call: `${method} ${path}`, status: res.status, json });
  if (res.status !== 200) throw new Error(`${method} ${path} answered ${res.status}: ${JSON.stringify(json)}`);
  return json;
}

const session = (email: string) => ({
  mode: "payment",
  line_items: [{ quantity: 1, price: "price_session_60" }],
  customer_email: email,
  client_reference_id: "bk_contract",
  metadata: { booking_id: "bk_contract" },
  payment_intent_data: { metadata: { booking_id: "bk_contract" } },
  success_url: "http://127.0.0.1:3000/booked",
  cancel_url: "http://127.0.0.1:3000/cancelled",
});

beforeAll(async () => {
  emulator = await startStripeEmulator({ secretKey: SECRET_KEY, retryDelayMs: 5, prices: [{ id: "price_session_60", unit_amount: 12_000, currency: "usd" }] });
  receiver = await startWebhookReceiver();

  await call("GET", "/v1/account");
  await call("GET", `/v1/accounts/${emulator.accountId}`);
  await call("GET", "/v1/balance");
  await call("GET", "/v1/prices/price_session_60");

  const endpoint = await call<{ id: string }>("POST", "/v1/webhook_endpoints", { url: `${receiver.url}/stripe`, enabled_events: ["*"], description: "contract" });
  await call("GET", "/v1/webhook_endpoints");
  await call("GET", `/v1/webhook_endpoints/${endpoint.id}`);
  await call("POST", `/v1/webhook_endpoints/${endpoint.id}`, { metadata: { env: "test" } });

  // Paid at once, refunded succeeded, then pending settled failed; disputed and closed.
  const paid = await call<{ id: string }>("POST", "/v1/checkout/sessions", session("ana@example.com"));
  await emulator.completeCheckout(paid.id, { customerName: "Ana" });
  const done = await call<{ payment_intent: string }>("GET", `/v1/checkout/sessions/${paid.id}`, { expand: ["payment_intent"] });
  const piId = (done.payment_intent as unknown as { id: string }).id;
  await call("GET", "/v1/checkout/sessions", { limit: 5 });
  await call("GET", `/v1/checkout/sessions/${paid.id}/line_items`);
  const pi = await call<{ latest_charge: string }>("GET", `/v1/payment_intents/${piId}`);
  await call("GET", "/v1/payment_intents", { limit: 5 });
  await call("GET", `/v1/charges/${pi.latest_charge}`);
  const refund = await call<{ id: string }>("POST", "/v1/refunds", { payment_intent: piId, amount: 2_000, reason: "requested_by_customer" });
  await call("GET", `/v1/refunds/${refund.id}`, { expand: ["charge"] });
  emulator.setRefundOutcome("pending");
  const pending = await call<{ id: string }>("POST", "/v1/refunds", { payment_intent: piId, amount: 1_000 });
  emulator.settleRefund(pending.id, "failed");
  emulator.setRefundOutcome("requires_action");
  const waiting = await call<{ id: string }>("POST", "/v1/refunds", { payment_intent: piId, amount: 1_000 });
  await call("POST", `/v1/refunds/${waiting.id}/cancel`);
  emulator.setRefundOutcome("succeeded");
  await call("GET", "/v1/refunds", { payment_intent: piId });
  const dispute = emulator.createDispute({ paymentIntentId: piId });
  await call("GET", "/v1/disputes", { limit: 5 });
  await call("GET", `/v1/disputes/${dispute.id}`);
  await call("POST", `/v1/disputes/${dispute.id}/close`);

  // A delayed payment that fails, a session expired, a payment intent made through the API.
  const delayed = await call<{ id: string }>("POST", "/v1/checkout/sessions", session("bo@example.com"));
  await emulator.completeCheckout(delayed.id, { delayed: true });
  await emulator.settleAsyncPayment(delayed.id, "failed");
  const expiring = await call<{ id: string }>("POST", "/v1/checkout/sessions", session("cy@example.com"));
  await call("POST", `/v1/checkout/sessions/${expiring.id}/expire`);
  await call("POST", "/v1/payment_intents", { amount: 5_000, currency: "usd", metadata: { booking_id: "bk_api" } });

  // A PII token made with the account's publishable key (as Stripe.js does), read back with the secret key.
  const token = await call<{ id: string }>("POST", "/v1/tokens", { pii: { id_number: "000000000" } }, emulator.publishableKey);
  await call("GET", `/v1/tokens/${token.id}`);

  const events = await call<{ data: { id: string }[] }>("GET", "/v1/events", { limit: 100 });
  await call("GET", `/v1/events/${events.data[0]!.id}`);
  await emulator.idle();
  await call("DELETE", `/v1/webhook_endpoints/${endpoint.id}`);
}, 30_000);
afterAll(async () => {
  await emulator.close();
  await receiver.close();
});

/** The one place the comparison is relaxed, each with Stripe's reason. */
const NOT_RETURNED_BY_DEFAULT: Record<string, string> = {
  // Optional in the SDK's types (`refunds?`): since 2022-11-15 Stripe leaves a charge's refunds out unless expanded.
  "charge.refunds": "expand-only",
  // Optional in the SDK's types (`card?`): a PII token carries no card (Stripe's example is a card token).
  "token.card": "card tokens only",
};

/** The distinct violations (list positions folded), as `path: missing` or `path: expected X, got Y`. */
function report(objects: { object: string }[]): string[] {
  const line = (v: Violation) => `${v.at.replace(/\[\d+\]/g, "[]")}: ${v.problem === "missing" ? "missing" : `expected ${v.expected}, got ${v.actual}`}`;
  return [...new Set(objects.flatMap(violationsOf).filter((v) => !(v.at in NOT_RETURNED_BY_DEFAULT)).map(line))].sort();
}

describe("Stripe emulator answers against Stripe's example objects", () => {
  it("calls every /v1 route the emulator answers", () => {
    const pattern = (p: string) => new RegExp(`^${p.replace(/:[a-z_]+/g, "[^/]+")}$`);
    const called = emulator.requestLog.filter((r) => r.path.startsWith("/v1/"));
    const uncovered = emulator.apiRoutes.filter((route) => !called.some((r) => r.method === route.method && pattern(route.path).test(r.path)));
    expect(uncovered).toEqual([]);
  });

  it("every object in every answer has every key of Stripe's example, with a compatible type", () => {
    const objects = answers.flatMap((a) => stripeObjectsIn(a.json));
    expect(new Set(objects.map((o) => o.object))).toEqual(new Set(Object.keys(STRIPE_FIXTURES)));
    expect(report(objects)).toEqual([]);
  });

  it("a session's ui_mode is valid at the pinned API version: hosted_page; the old hosted is refused with 400", async () => {
    const created = answers.find((a) => a.call === "POST /v1/checkout/sessions")!.json as { ui_mode: string };
    expect(created.ui_mode).toBe("hosted_page");
    await expect(call("POST", "/v1/checkout/sessions", { ...session("di@example.com"), ui_mode: "hosted" })).rejects.toThrow(/answered 400.*ui_mode/);
    expect(answers.at(-1)).toMatchObject({ status: 400, json: { error: { type: "invalid_request_error", param: "ui_mode", code: "parameter_invalid" } } });
  });

  it("every delivered event, and the object it carries, too", () => {
    const delivered = receiver.received.map((r) => JSON.parse(r.rawBody) as { object: string });
    expect(delivered.length).toBeGreaterThan(10);
    expect(report(delivered.flatMap((e) => stripeObjectsIn(e)))).toEqual([]);
  });
});
