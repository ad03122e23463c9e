import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { CheckoutRequest } from "../../src/core/ports.js";
import { ProviderError } from "../../src/errors.js";
import { createStripeClient } from "../../src/providers/stripe-client.js";
import { createStripePayments, stripeRefundReason } from "../../src/providers/stripe-payments.js";
import { startRecordingServer, type RecordedRequest, type Reply, type RecordingServer } from "./recording-server.js";

const SECRET_KEY = "sk_test_bookflow_123";
const INVITEE = "https://api.calendly.com/scheduled_events/EV1/invitees/INV1";

/** Emulates POST /v1/checkout/sessions and POST /v1/refunds with Stripe-shaped JSON. */
let server: RecordingServer;
let override: ((req: RecordedRequest) => Reply) | null = null;

function form(req: RecordedRequest): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(req.body));
}

beforeAll(async () => {
  server = await startRecordingServer((req) => {
    if (override) return override(req);
    if (req.headers.authorization !== `Bearer ${SECRET_KEY}`) {
      return { status: 401, json: { error: { type: "invalid_request_error", message: "Invalid API Key provided: sk_test_****" } } };
    }
    const f = form(req);
    if (req.method === "POST" && req.path === "/v1/checkout/sessions") {
      return {
        status: 200,
        json: {
          id: "cs_test_a1",
          object: "checkout.session",
          mode: f.mode,
          status: "open",
          payment_status: "unpaid",
          client_reference_id: f.client_reference_id ?? null,
          customer_email: f.customer_email ?? null,
          metadata: { booking_id: f["metadata[booking_id]"] },
          url: "https://checkout.stripe.com/c/pay/cs_test_a1",
          livemode: false,
        },
      };
    }
    if (req.method === "POST" && req.path === "/v1/refunds") {
      return {
        status: 200,
        json: {
          id: "re_test_1",
          object: "refund",
          amount: f.amount ? Number(f.amount) : 5000,
          payment_intent: f.payment_intent,
          reason: f.reason ?? null,
          status: "succeeded",
          metadata: {},
        },
      };
    }
    return { status: 404, json: { error: { type: "invalid_request_error", message: `Unrecognized request URL (${req.method}: ${req.path}).` } } };
  });
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
  override = null;
});

async function payments() {
  const stripe = await createStripeClient({ secretKey: SECRET_KEY, apiBase: server.url, maxNetworkRetries: 0, timeoutMs: 5000 });
  return createStripePayments(stripe);
}

const checkout: CheckoutRequest = {
  bookingId: "bk_123",
  calendlyInviteeUri: INVITEE,
  amountCents: 15000,
  currency: "EUR",
  productName: "60-minute strategy session",
  customerEmail: "ana@example.com",
  stripePriceId: null,
  successUrl: "https://book.example.com/paid?session_id={CHECKOUT_SESSION_ID}",
  cancelUrl: "https://book.example.com/cancelled",
};

describe("createStripeClient", () => {
  it("sends requests to the apiBase host and port over http", async () => {
    const gateway = await payments();
    await gateway.createCheckoutSession(checkout);
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]?.headers.host).toBe(`127.0.0.1:${server.port}`);
  });

  it("rejects an apiBase with a path, which the SDK could not honour", async () => {
    await expect(createStripeClient({ secretKey: SECRET_KEY, apiBase: `${server.url}/stripe` })).rejects.toMatchObject({ name: "ConfigError" });
  });
});

describe("createStripePayments.createCheckoutSession", () => {
  it("creates a payment-mode session with price_data, the booking's metadata on the session and the payment intent", async () => {
    const gateway = await payments();
    const session = await gateway.createCheckoutSession(checkout);

    expect(session).toEqual({ id: "cs_test_a1", url: "https://checkout.stripe.com/c/pay/cs_test_a1" });
    const req = server.requests[0]!;
    expect(req.method).toBe("POST");
    expect(req.path).toBe("/v1/checkout/sessions");
    expect(req.headers["content-type"]).toMatch(/^application\/x-www-form-urlencoded/);
    expect(form(req)).toEqual({
      mode: "payment",
      "line_items[0][quantity]": "1",
      "line_items[0][price_data][currency]": "eur",
      "line_items[0][price_data][unit_amount]": "15000",
      "line_items[0][price_data][product_data][name]": "60-minute strategy session",
      customer_email: "ana@example.com",
      success_url: "https://book.example.com/paid?session_id={CHECKOUT_SESSION_ID}",
      cancel_url: "https://book.example.com/cancelled",
      client_reference_id: "bk_123",
      "metadata[booking_id]": "bk_123",
      "metadata[calendly_invitee_uri]": INVITEE,
      "payment_intent_data[metadata][booking_id]": "bk_123",
      "payment_intent_data[metadata][calendly_invitee_uri]": INVITEE,
    });
  });

  it("uses the Stripe price when the session type has one", async () => {
    const gateway = await payments();
    await gateway.createCheckoutSession({ ...checkout, stripePriceId: "price_123" });
    const f = form(server.requests[0]!);
    expect(f["line_items[0][price]"]).toBe("price_123");
    expect(f["line_items[0][quantity]"]).toBe("1");
    expect(Object.keys(f).some((k) => k.includes("price_data"))).toBe(false);
  });

  it("leaves calendly_invitee_uri out of the metadata when it is unknown", async () => {
    const gateway = await payments();
    await gateway.createCheckoutSession({ ...checkout, calendlyInviteeUri: null });
    const f = form(server.requests[0]!);
    expect(f["metadata[booking_id]"]).toBe("bk_123");
    expect(Object.keys(f).filter((k) => k.includes("calendly_invitee_uri"))).toEqual([]);
  });

  it("maps Stripe's 400 { error: { type, message } } to a ProviderError", async () => {
    override = () => ({
      status: 400,
      json: { error: { type: "invalid_request_error", code: "parameter_invalid_integer", param: "line_items[0][price_data][unit_amount]", message: "Invalid integer: -1" } },
    });
    const gateway = await payments();
    const error = await gateway.createCheckoutSession({ ...checkout, amountCents: -1 }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ provider: "stripe", endpoint: "POST /v1/checkout/sessions", status: 400, code: "PROVIDER_ERROR" });
    expect((error as ProviderError).message).toContain("Invalid integer: -1");
    expect(server.requests).toHaveLength(1);
  });

  it("maps a 401 (bad key) to a ProviderError with a hint about the key", async () => {
    const stripe = await createStripeClient({ secretKey: "sk_test_wrong", apiBase: server.url, maxNetworkRetries: 0 });
    await expect(createStripePayments(stripe).createCheckoutSession(checkout)).rejects.toMatchObject({
      name: "ProviderError",
      status: 401,
      hint: expect.stringContaining("STRIPE_SECRET_KEY"),
    });
  });

  it("maps a connection failure to a ProviderError without a status", async () => {
    const dead = await startRecordingServer(() => ({ status: 200 }));
    const url = dead.url;
    await dead.close();
    const stripe = await createStripeClient({ secretKey: SECRET_KEY, apiBase: url, maxNetworkRetries: 0, timeoutMs: 2000 });
    await expect(createStripePayments(stripe).createCheckoutSession(checkout)).rejects.toMatchObject({
      name: "ProviderError",
      provider: "stripe",
      status: undefined,
    });
  });
});

describe("createStripePayments.refund", () => {
  it("posts payment_intent, amount and a mapped reason with the Idempotency-Key header", async () => {
    const gateway = await payments();
    const refund = await gateway.refund({ paymentIntentId: "pi_123", amountCents: 5000, reason: "requested_by_customer", idempotencyKey: "refund:bk_123" });

    expect(refund).toEqual({ id: "re_test_1", status: "succeeded" });
    const req = server.requests[0]!;
    expect(req.method).toBe("POST");
    expect(req.path).toBe("/v1/refunds");
    expect(req.headers["idempotency-key"]).toBe("refund:bk_123");
    expect(form(req)).toEqual({
      payment_intent: "pi_123",
      amount: "5000",
      reason: "requested_by_customer",
      "metadata[reason]": "requested_by_customer",
    });
  });

  it("omits amount for a full refund and a reason Stripe would reject, keeping ours in metadata", async () => {
    const gateway = await payments();
    await gateway.refund({ paymentIntentId: "pi_123", reason: "host_cancelled", idempotencyKey: "refund:bk_9" });
    expect(form(server.requests[0]!)).toEqual({ payment_intent: "pi_123", "metadata[reason]": "host_cancelled" });
  });

  it("sends the same Idempotency-Key when a refund is retried", async () => {
    const gateway = await payments();
    const req = { paymentIntentId: "pi_123", idempotencyKey: "refund:bk_123" };
    await gateway.refund(req);
    await gateway.refund(req);
    expect(server.requests.map((r) => r.headers["idempotency-key"])).toEqual(["refund:bk_123", "refund:bk_123"]);
  });

  it("maps a refund error to a ProviderError naming the refunds endpoint", async () => {
    override = () => ({
      status: 400,
      json: { error: { type: "invalid_request_error", code: "charge_already_refunded", message: "Charge ch_1 has already been refunded." } },
    });
    const gateway = await payments();
    await expect(gateway.refund({ paymentIntentId: "pi_123", idempotencyKey: "refund:bk_123" })).rejects.toMatchObject({
      name: "ProviderError",
      provider: "stripe",
      endpoint: "POST /v1/refunds",
      status: 400,
      message: expect.stringContaining("has already been refunded"),
    });
  });
});

describe("stripeRefundReason", () => {
  it.each([
    ["requested_by_customer", "requested_by_customer"],
    ["Requested by customer", "requested_by_customer"],
    ["invitee_cancelled", "requested_by_customer"],
    ["duplicate", "duplicate"],
    ["duplicate-booking", "duplicate"],
    ["fraudulent", "fraudulent"],
    ["suspected fraud", "fraudulent"],
    ["host_cancelled", undefined],
    ["", undefined],
    [undefined, undefined],
  ])("maps %j to %j", (input, expected) => {
    expect(stripeRefundReason(input)).toBe(expected);
  });
});
