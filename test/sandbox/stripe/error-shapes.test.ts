import Stripe from "stripe";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ProviderError } from "../../../src/errors.js";
import { createStripeClient } from "../../../src/providers/stripe-client.js";
import { createStripePayments } from "../../../src/providers/stripe-payments.js";
import { startStripeEmulator, type StripeEmulator } from "../../../src/sandbox/stripe/emulator.js";

/**
 * The emulator's error answers are Stripe's (`{ error: { type, code?, message } }` with Stripe's status),
 * so the official SDK raises the error class it raises against api.stripe.com, and the idempotency layer
 * saves what Stripe documents it saves (https://docs.stripe.com/api/idempotent_requests): the first
 * answer of a request that began executing, 500s included; not a 429 nor a validation failure.
 */

const SECRET_KEY = "sk_test_FAKE_bookflow_errors_4242";
let emulator: StripeEmulator;
let stripe: Stripe;

beforeAll(async () => {
  emulator = await startStripeEmulator({ secretKey: SECRET_KEY });
  stripe = await createStripeClient({ secretKey: SECRET_KEY, apiBase: emulator.url, maxNetworkRetries: 0 });
});
afterAll(() => emulator.close());
afterEach(() => emulator.setFaults({}));

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error("expected the call to fail");
}

async function paidIntent(): Promise<string> {
  const session = await stripe.checkout.sessions.create({
    mode: "payment",
    line_items: [{ quantity: 1, price_data: { currency: "usd", unit_amount: 5_000, product_data: { name: "Intro call" } } }],
    success_url: "http://127.0.0.1:3000/booked",
    cancel_url: "http://127.0.0.1:3000/cancelled",
  });
  return (await emulator.completeCheckout(session.id)).paymentIntent.id;
}

const refundsOf = (paymentIntentId: string) => stripe.refunds.list({ payment_intent: paymentIntentId });

describe("--faults answers in Stripe's error shape", () => {
  it("a 429 during a refund makes the SDK raise StripeRateLimitError and the payments client report no refund", async () => {
    const paymentIntentId = await paidIntent();
    emulator.setFaults({ rate429: 1, retryAfterSeconds: 2, pathPattern: /^\/v1\/refunds$/ });

    const raw = await rejection(stripe.refunds.create({ payment_intent: paymentIntentId }));
    expect(raw).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
    expect(raw).toMatchObject({ statusCode: 429, code: "rate_limit", headers: expect.objectContaining({ "retry-after": "2" }) });

    const viaClient = await rejection(createStripePayments(stripe).refund({ paymentIntentId, idempotencyKey: "bk_429:refund" }));
    expect(viaClient).toBeInstanceOf(ProviderError);
    expect(viaClient).toMatchObject({ provider: "stripe", status: 429, endpoint: "POST /v1/refunds", hint: expect.stringContaining("retry") });

    emulator.setFaults({});
    expect((await refundsOf(paymentIntentId)).data).toEqual([]);
    // Not saved under the key: the same key refunds once the limit has passed.
    const refund = await createStripePayments(stripe).refund({ paymentIntentId, idempotencyKey: "bk_429:refund" });
    expect(refund.status).toBe("succeeded");
  });

  it("an injected 5xx makes the SDK raise StripeAPIError", async () => {
    const paymentIntentId = await paidIntent();
    emulator.setFaults({ rate5xx: 1, pathPattern: /^\/v1\/refunds$/ });
    const err = await rejection(stripe.refunds.create({ payment_intent: paymentIntentId }));
    expect(err).toBeInstanceOf(Stripe.errors.StripeAPIError);
    expect(err).toMatchObject({ type: "StripeAPIError", statusCode: expect.any(Number) as number, rawType: "api_error" });
    expect((err as { statusCode: number }).statusCode).toBeGreaterThanOrEqual(500);
    emulator.setFaults({});
    expect((await refundsOf(paymentIntentId)).data).toEqual([]);
  });

  it("a bad key is StripeAuthenticationError and a bad parameter StripeInvalidRequestError naming it", async () => {
    const wrong = await createStripeClient({ secretKey: "sk_test_FAKE_not_the_key", apiBase: emulator.url, maxNetworkRetries: 0 });
    expect(await rejection(wrong.refunds.list())).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
    const bad = await rejection(stripe.refunds.create({ payment_intent: await paidIntent(), amount: -1 }));
    expect(bad).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(bad).toMatchObject({ statusCode: 400, param: "amount", code: "parameter_invalid_integer" });
  });
});

describe("idempotency as Stripe documents it", () => {
  it("does not save a validation failure: the same key then succeeds with corrected parameters", async () => {
    const paymentIntentId = await paidIntent();
    const bad = await rejection(stripe.refunds.create({ payment_intent: paymentIntentId, reason: "changed_mind" as "duplicate" }, { idempotencyKey: "bk_validation:refund" }));
    expect(bad).toMatchObject({ statusCode: 400, param: "reason" });
    const good = await stripe.refunds.create({ payment_intent: paymentIntentId, reason: "requested_by_customer" }, { idempotencyKey: "bk_validation:refund" });
    expect(good.status).toBe("succeeded");
    expect(good.lastResponse.headers["idempotent-replayed"]).toBeUndefined();
  });

  it("saves a 500 met while executing: a retry with the same key replays it and refunds nothing", async () => {
    const paymentIntentId = await paidIntent();
    emulator.failNext({ method: "POST", path: "/v1/refunds", status: 500, error: { type: "api_error", message: "An unknown error occurred" } });
    const first = await rejection(stripe.refunds.create({ payment_intent: paymentIntentId }, { idempotencyKey: "bk_500:refund" }));
    expect(first).toBeInstanceOf(Stripe.errors.StripeAPIError);
    const again = await rejection(stripe.refunds.create({ payment_intent: paymentIntentId }, { idempotencyKey: "bk_500:refund" }));
    expect(again).toBeInstanceOf(Stripe.errors.StripeAPIError);
    expect((again as { headers: Record<string, string> }).headers["idempotent-replayed"]).toBe("true");
    expect((await refundsOf(paymentIntentId)).data).toEqual([]);
    // A new key is a new request.
    expect((await stripe.refunds.create({ payment_intent: paymentIntentId }, { idempotencyKey: "bk_500:refund:2" })).status).toBe("succeeded");
  });

  it("does not save an injected 429: the same key goes through afterwards", async () => {
    const paymentIntentId = await paidIntent();
    emulator.failNext({ method: "POST", path: "/v1/refunds", status: 429, error: { type: "invalid_request_error", code: "rate_limit", message: "Request rate limit exceeded." } });
    expect(await rejection(stripe.refunds.create({ payment_intent: paymentIntentId }, { idempotencyKey: "bk_429b:refund" }))).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
    expect((await stripe.refunds.create({ payment_intent: paymentIntentId }, { idempotencyKey: "bk_429b:refund" })).status).toBe("succeeded");
  });
});
