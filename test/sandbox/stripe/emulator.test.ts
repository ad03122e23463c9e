import Stripe from "stripe";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createStripeClient } from "../../../src/providers/stripe-client.js";
import { createStripePayments } from "../../../src/providers/stripe-payments.js";
import { startStripeEmulator, type StripeEmulator } from "../../../src/sandbox/stripe/emulator.js";
import { startWebhookReceiver, type WebhookReceiver } from "./webhook-receiver.js";

const SECRET_KEY = "sk_test_bookflow_emulator_4242";
const PAYMENT_EVENTS = ["checkout.session.completed", "payment_intent.succeeded"];

let emulator: StripeEmulator;
let stripe: Stripe;
let receiver: WebhookReceiver;

beforeAll(async () => {
  emulator = await startStripeEmulator({
    secretKey: SECRET_KEY,
    accountId: "acct_bookflow",
    retryDelayMs: 10,
    prices: [
      { id: "price_session_60", unit_amount: 12_000, currency: "usd", active: true },
      { id: "price_retired", unit_amount: 9_000, currency: "usd", active: false },
    ],
  });
  stripe = await createStripeClient({ secretKey: SECRET_KEY, apiBase: emulator.url, maxNetworkRetries: 0 });
});
afterAll(() => emulator.close());

beforeEach(async () => {
  receiver = await startWebhookReceiver();
});
afterEach(async () => {
  await emulator.idle();
  for (const endpoint of emulator.webhookEndpoints()) await stripe.webhookEndpoints.del(endpoint.id);
  await receiver.close();
});

async function rejection(promise: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await promise;
  } catch (err) {
    return err as Record<string, unknown>;
  }
  throw new Error("expected the call to fail");
}

async function paidCheckout(metadata: Record<string, string> = { booking_id: "bk_1" }) {
  const session = await stripe.checkout.sessions.create({
    mode: "payment",
    line_items: [{ quantity: 1, price_data: { currency: "usd", unit_amount: 5_000, product_data: { name: "Intro call" } } }],
    metadata,
    payment_intent_data: { metadata },
    client_reference_id: metadata.booking_id ?? null,
    customer_email: "ana@example.com",
    success_url: "http://127.0.0.1:3000/booked?session={CHECKOUT_SESSION_ID}",
    cancel_url: "http://127.0.0.1:3000/cancelled",
  } as Stripe.Checkout.SessionCreateParams);
  return emulator.completeCheckout(session.id);
}

describe("authentication and account", () => {
  it("answers GET /v1/account and /v1/balance for the configured key, in test mode", async () => {
    const account = await stripe.accounts.retrieveCurrent();
    expect(account).toMatchObject({ id: "acct_bookflow", object: "account", charges_enabled: true });
    expect((await stripe.accounts.retrieve("acct_bookflow")).id).toBe("acct_bookflow");
    const balance = await stripe.balance.retrieve();
    expect(balance.object).toBe("balance");
    expect(balance.livemode).toBe(false);
    expect(balance.available[0]).toMatchObject({ currency: expect.any(String), amount: expect.any(Number) });
  });

  it("refuses a wrong key with 401, which the SDK raises as StripeAuthenticationError without echoing the key", async () => {
    const wrong = await createStripeClient({ secretKey: "sk_test_wrong_key_9999", apiBase: emulator.url, maxNetworkRetries: 0 });
    const err = await rejection(wrong.balance.retrieve());
    expect(err).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
    expect(err.statusCode).toBe(401);
    expect(String(err.message)).toMatch(/^Invalid API Key provided: sk_test_\*+9999$/);
  });

  it("answers unknown URLs with Stripe's 404 body", async () => {
    const res = await fetch(`${emulator.url}/v1/nothing_here`, { headers: { authorization: `Bearer ${SECRET_KEY}` } });
    expect(res.status).toBe(404);
    const body = (await res.json()) as { error: { type: string; message: string } };
    expect(body.error.type).toBe("invalid_request_error");
    expect(body.error.message).toContain("Unrecognized request URL");
  });
});

describe("webhook endpoints", () => {
  it("creates (secret only at creation), lists, disables, enables and deletes an endpoint", async () => {
    const created = await stripe.webhookEndpoints.create({ url: `${receiver.url}/webhooks/stripe`, enabled_events: PAYMENT_EVENTS as Stripe.WebhookEndpointCreateParams.EnabledEvent[], metadata: { owner: "bookflow" } });
    expect(created.id).toMatch(/^we_/);
    expect(created.secret).toMatch(/^whsec_/);
    expect(created).toMatchObject({ object: "webhook_endpoint", status: "enabled", livemode: false, enabled_events: PAYMENT_EVENTS, metadata: { owner: "bookflow" } });

    const listed = await stripe.webhookEndpoints.list({ limit: 10 });
    expect(listed.object).toBe("list");
    expect(listed.data.map((e) => e.id)).toContain(created.id);
    expect(listed.data.find((e) => e.id === created.id)?.secret).toBeUndefined();
    expect((await stripe.webhookEndpoints.retrieve(created.id)).secret).toBeUndefined();

    const disabled = await stripe.webhookEndpoints.update(created.id, { disabled: true });
    expect(disabled.status).toBe("disabled");
    const enabled = await stripe.webhookEndpoints.update(created.id, { disabled: false, metadata: { owner: "" } });
    expect(enabled.status).toBe("enabled");
    expect(enabled.metadata).toEqual({});

    const deleted = await stripe.webhookEndpoints.del(created.id);
    expect(deleted).toMatchObject({ id: created.id, deleted: true });
    const err = await rejection(stripe.webhookEndpoints.retrieve(created.id));
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(err).toMatchObject({ statusCode: 404, code: "resource_missing" });
  });

  it("rejects a missing url, an invalid event type and unknown parameters with the offending param", async () => {
    const noUrl = await rejection(stripe.webhookEndpoints.create({ enabled_events: ["*"] } as unknown as Stripe.WebhookEndpointCreateParams));
    expect(noUrl).toMatchObject({ statusCode: 400, code: "parameter_missing", param: "url" });
    const badEvent = await rejection(stripe.webhookEndpoints.create({ url: receiver.url, enabled_events: ["not an event"] } as unknown as Stripe.WebhookEndpointCreateParams));
    expect(badEvent).toMatchObject({ statusCode: 400, param: "enabled_events[0]" });
    const unknown = await rejection(stripe.webhookEndpoints.create({ url: receiver.url, enabled_events: ["*"], colour: "red" } as unknown as Stripe.WebhookEndpointCreateParams));
    expect(unknown).toMatchObject({ statusCode: 400, code: "parameter_unknown", param: "colour" });
  });

  it("refuses a well-formed but misspelled event type as Stripe does (400, the offending index), on create and on update", async () => {
    const typo = await rejection(
      stripe.webhookEndpoints.create({ url: receiver.url, enabled_events: ["checkout.session.completed", "checkout.session.complete" as "checkout.session.completed"] }),
    );
    expect(typo).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(typo).toMatchObject({ statusCode: 400, param: "enabled_events[1]" });
    expect(emulator.webhookEndpoints()).toHaveLength(0);
    const endpoint = await stripe.webhookEndpoints.create({ url: receiver.url, enabled_events: ["charge.refunded"] });
    const update = await rejection(stripe.webhookEndpoints.update(endpoint.id, { enabled_events: ["charge.refund" as "charge.refunded"] }));
    expect(update).toMatchObject({ statusCode: 400, param: "enabled_events[0]" });
    expect((await stripe.webhookEndpoints.retrieve(endpoint.id)).enabled_events).toEqual(["charge.refunded"]);
  });

  it("validates an endpoint's api_version against Stripe's released versions and delivers its events at that version", async () => {
    const unknown = await rejection(stripe.webhookEndpoints.create({ url: receiver.url, enabled_events: ["*"], api_version: "2024-06-21" as "2024-06-20" }));
    expect(unknown).toMatchObject({ statusCode: 400, param: "api_version" });
    const pinned = await stripe.webhookEndpoints.create({ url: `${receiver.url}/pinned`, enabled_events: ["*"], api_version: "2024-06-20" });
    expect(pinned.api_version).toBe("2024-06-20");
    await stripe.webhookEndpoints.create({ url: `${receiver.url}/default`, enabled_events: ["*"] });
    const event = emulator.emitEvent("price.updated", { id: "price_x", object: "price" });
    await emulator.idle();
    const versionAt = (path: string) => receiver.received.filter((r) => r.path === path).map((r) => (JSON.parse(r.rawBody) as { id: string; api_version: string }));
    expect(versionAt("/pinned")).toEqual([expect.objectContaining({ id: event.id, api_version: "2024-06-20" })]);
    expect(versionAt("/default")).toEqual([expect.objectContaining({ id: event.id, api_version: emulator.apiVersion })]);
    // The event itself, as the API lists it, carries the account's version.
    expect((await stripe.events.retrieve(event.id)).api_version).toBe(emulator.apiVersion);
  });
});

describe("checkout and signed webhook deliveries", () => {
  it("delivers both events, in order, signed for each enabled endpoint; disabled and unsubscribed endpoints get nothing", async () => {
    const main = await stripe.webhookEndpoints.create({ url: `${receiver.url}/main`, enabled_events: PAYMENT_EVENTS as Stripe.WebhookEndpointCreateParams.EnabledEvent[] });
    const everything = await stripe.webhookEndpoints.create({ url: `${receiver.url}/all`, enabled_events: ["*"] });
    const off = await stripe.webhookEndpoints.create({ url: `${receiver.url}/off`, enabled_events: ["*"] });
    await stripe.webhookEndpoints.update(off.id, { disabled: true });
    await stripe.webhookEndpoints.create({ url: `${receiver.url}/other`, enabled_events: ["customer.created"] });

    const metadata = { booking_id: "bk_42", calendly_invitee_uri: "https://api.calendly.com/scheduled_events/EV1/invitees/INV1" };
    const session = await stripe.checkout.sessions.create({
      mode: "payment",
      line_items: [{ price: "price_session_60", quantity: 1 }],
      metadata,
      payment_intent_data: { metadata },
      client_reference_id: "bk_42",
      customer_email: "ana@example.com",
      success_url: "http://127.0.0.1:3000/ok",
      cancel_url: "http://127.0.0.1:3000/cancel",
    });
    expect(session).toMatchObject({ object: "checkout.session", status: "open", payment_status: "unpaid", amount_total: 12_000, currency: "usd", metadata, client_reference_id: "bk_42", payment_intent: null, livemode: false });
    expect(session.id).toMatch(/^cs_test_/);
    expect(session.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/c\/pay\/cs_test_/);

    const done = await emulator.completeCheckout(session.id);
    await emulator.idle();

    const byPath = (path: string) => receiver.received.filter((r) => r.path === path);
    expect(byPath("/off")).toHaveLength(0);
    expect(byPath("/other")).toHaveLength(0);
    for (const [path, secret] of [["/main", main.secret!], ["/all", everything.secret!]] as const) {
      const got = byPath(path);
      expect(got).toHaveLength(2);
      const events = got.map((r) => stripe.webhooks.constructEvent(r.rawBody, String(r.headers["stripe-signature"]), secret));
      expect(events.map((e) => e.type)).toEqual(PAYMENT_EVENTS);
      expect(() => stripe.webhooks.constructEvent(got[0]!.rawBody, String(got[0]!.headers["stripe-signature"]), off.secret!)).toThrow(/signature/i);

      const completed = events[0]!.data.object as Stripe.Checkout.Session;
      expect(completed).toMatchObject({ id: session.id, status: "complete", payment_status: "paid", metadata, client_reference_id: "bk_42", url: null, payment_intent: done.paymentIntent.id });
      expect(completed.customer_details?.email).toBe("ana@example.com");
      const intent = events[1]!.data.object as Stripe.PaymentIntent;
      expect(intent).toMatchObject({ id: done.paymentIntent.id, status: "succeeded", amount: 12_000, amount_received: 12_000, metadata });
      expect(intent.latest_charge).toMatch(/^ch_/);
    }

    // Events are stored and retrievable by id through the SDK.
    for (const event of done.events) {
      const fetched = await stripe.events.retrieve(event.id);
      expect(fetched).toMatchObject({ id: event.id, type: event.type, object: "event", livemode: false, pending_webhooks: 0 });
    }
    const onlyCompleted = await stripe.events.list({ type: "checkout.session.completed", limit: 100 });
    expect(onlyCompleted.data.map((e) => e.id)).toContain(done.events[0]!.id);
    expect(onlyCompleted.data.every((e) => e.type === "checkout.session.completed")).toBe(true);
    const wildcard = await stripe.events.list({ type: "payment_intent.*", limit: 100 });
    expect(wildcard.data.map((e) => e.id)).toContain(done.events[1]!.id);

    const retrieved = await stripe.checkout.sessions.retrieve(session.id, { expand: ["payment_intent"] });
    expect(retrieved.status).toBe("complete");
    expect((retrieved.payment_intent as Stripe.PaymentIntent).metadata).toEqual(metadata);
    expect((await stripe.checkout.sessions.list({ payment_intent: done.paymentIntent.id })).data.map((s) => s.id)).toEqual([session.id]);
    expect((await stripe.paymentIntents.retrieve(done.paymentIntent.id)).metadata).toEqual(metadata);

    const deliveries = emulator.deliveries().filter((d) => d.eventId === done.events[0]!.id);
    expect(deliveries.map((d) => d.endpointId).sort()).toEqual([main.id, everything.id].sort());
    expect(deliveries.every((d) => d.ok && d.status === 200 && d.attempt === 1)).toBe(true);
  });

  it("retries failed deliveries, re-signed, and gives up after the configured retries", async () => {
    const flaky = await stripe.webhookEndpoints.create({ url: `${receiver.url}/flaky`, enabled_events: ["payment_intent.succeeded"] });
    receiver.statuses.push(500, 503);
    const done = await paidCheckout();
    await emulator.idle();
    const attempts = emulator.deliveries().filter((d) => d.endpointId === flaky.id && d.eventId === done.events[1]!.id);
    expect(attempts.map((d) => [d.attempt, d.status, d.ok])).toEqual([
      [1, 500, false],
      [2, 503, false],
      [3, 200, true],
    ]);
    const last = receiver.received.at(-1)!;
    expect(stripe.webhooks.constructEvent(last.rawBody, String(last.headers["stripe-signature"]), flaky.secret!).id).toBe(done.events[1]!.id);

    const dead = await stripe.webhookEndpoints.create({ url: "http://127.0.0.1:9/refused", enabled_events: ["payment_intent.succeeded"] });
    const second = await paidCheckout({ booking_id: "bk_2" });
    await emulator.idle();
    const failed = emulator.deliveries().filter((d) => d.endpointId === dead.id && d.eventId === second.events[1]!.id);
    expect(failed).toHaveLength(1 + 3);
    expect(failed.every((d) => !d.ok && d.status === null && d.error)).toBe(true);
    expect((await stripe.events.retrieve(second.events[1]!.id)).pending_webhooks).toBe(1);
    // The events list filters on it as Stripe documents: delivery_success=false are the events still pending somewhere.
    const since = { gte: second.events[1]!.created };
    const undelivered = (await stripe.events.list({ delivery_success: false, created: since, types: ["payment_intent.succeeded"], limit: 100 })).data.map((e) => e.id);
    expect(undelivered).toContain(second.events[1]!.id);
    expect((await stripe.events.list({ delivery_success: true, created: since, limit: 100 })).data.map((e) => e.id)).not.toContain(second.events[1]!.id);
    expect((await stripe.events.list({ delivery_success: false, created: { gt: second.events[1]!.created + 3600 }, limit: 100 })).data).toEqual([]);
  });

  it("only delivers to loopback addresses unless allowed", async () => {
    const endpoint = await stripe.webhookEndpoints.create({ url: "https://example.com/webhooks/stripe", enabled_events: ["payment_intent.succeeded"] });
    const done = await paidCheckout();
    await emulator.idle();
    const attempts = emulator.deliveries().filter((d) => d.endpointId === endpoint.id && d.eventId === done.events[1]!.id);
    expect(attempts.length).toBeGreaterThan(0);
    expect(attempts.every((d) => !d.ok && /loopback/.test(d.error ?? ""))).toBe(true);
  });

  it("a Checkout session created again with the booking's idempotency key is the same session (a create repeated after a crash)", async () => {
    const payments = createStripePayments(stripe);
    const req = { bookingId: "bk_idem", calendlyInviteeUri: null, amountCents: 7_500, currency: "usd", productName: "Review", customerEmail: "idem@example.com", stripePriceId: null, successUrl: "http://127.0.0.1:3000/ok", cancelUrl: "http://127.0.0.1:3000/cancel", idempotencyKey: "checkout:bk_idem" };
    const first = await payments.createCheckoutSession(req);
    const again = await payments.createCheckoutSession(req);
    expect(again.id).toBe(first.id);
    const other = await payments.createCheckoutSession({ ...req, idempotencyKey: "checkout:bk_other" });
    expect(other.id).not.toBe(first.id);
  });

  it("pays a session through the control API and the hosted page, and refuses to pay one twice", async () => {
    const payments = createStripePayments(stripe);
    const first = await payments.createCheckoutSession({
      bookingId: "bk_ctl",
      calendlyInviteeUri: null,
      amountCents: 7_500,
      currency: "USD",
      productName: "Review",
      customerEmail: "bo@example.com",
      stripePriceId: null,
      successUrl: "http://127.0.0.1:3000/ok?s={CHECKOUT_SESSION_ID}",
      cancelUrl: "http://127.0.0.1:3000/cancel",
    });
    const res = await fetch(`${emulator.url}/_control/checkout/sessions/${first.id}/complete`, { method: "POST" });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { session: { status: string }; payment_intent: { metadata: Record<string, string> }; events: { type: string }[] };
    expect(body.session.status).toBe("complete");
    expect(body.payment_intent.metadata).toEqual({ booking_id: "bk_ctl" });
    expect(body.events.map((e) => e.type)).toEqual(PAYMENT_EVENTS);
    await expect(emulator.completeCheckout(first.id)).rejects.toMatchObject({ status: 400, extra: { code: "checkout_session_not_open" } });
    expect((await fetch(`${emulator.url}/_control/checkout/sessions/cs_test_missing/complete`, { method: "POST" })).status).toBe(404);

    const second = await payments.createCheckoutSession({ ...{ bookingId: "bk_page", calendlyInviteeUri: null, amountCents: 7_500, currency: "usd", productName: "Review", customerEmail: "bo@example.com", stripePriceId: null }, successUrl: "http://127.0.0.1:3000/ok?s={CHECKOUT_SESSION_ID}", cancelUrl: "http://127.0.0.1:3000/cancel" });
    const page = await fetch(second.url!);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("<form");
    const paid = await fetch(second.url!, { method: "POST", redirect: "manual" });
    expect(paid.status).toBe(303);
    expect(paid.headers.get("location")).toBe(`http://127.0.0.1:3000/ok?s=${second.id}`);
    expect(emulator.getCheckoutSession(second.id)?.payment_status).toBe("paid");
  });

  it("validates Checkout line items: unknown and inactive prices, missing quantity", async () => {
    const base = { mode: "payment" as const, success_url: "http://127.0.0.1:3000/ok" };
    expect(await rejection(stripe.checkout.sessions.create({ ...base, line_items: [{ price: "price_nope", quantity: 1 }] }))).toMatchObject({ statusCode: 400, code: "resource_missing", param: "line_items[0][price]" });
    expect(await rejection(stripe.checkout.sessions.create({ ...base, line_items: [{ price: "price_retired", quantity: 1 }] }))).toMatchObject({ statusCode: 400, param: "line_items[0][price]" });
    expect(await rejection(stripe.checkout.sessions.create({ ...base, line_items: [{ price: "price_session_60" }] }))).toMatchObject({ statusCode: 400, code: "parameter_missing", param: "line_items[0][quantity]" });
    expect(await stripe.prices.retrieve("price_session_60")).toMatchObject({ id: "price_session_60", unit_amount: 12_000, currency: "usd", active: true });
  });
});

describe("refunds", () => {
  it("replays the same refund for the same Idempotency-Key and refuses to refund beyond the amount", async () => {
    const { paymentIntent } = await paidCheckout();
    const first = await stripe.refunds.create({ payment_intent: paymentIntent.id, amount: 2_000, reason: "requested_by_customer" }, { idempotencyKey: "refund-bk_1" });
    const again = await stripe.refunds.create({ payment_intent: paymentIntent.id, amount: 2_000, reason: "requested_by_customer" }, { idempotencyKey: "refund-bk_1" });
    expect(again.id).toBe(first.id);
    expect(first).toMatchObject({ object: "refund", amount: 2_000, status: "succeeded", payment_intent: paymentIntent.id, reason: "requested_by_customer" });
    expect((await stripe.refunds.list({ payment_intent: paymentIntent.id })).data.map((r) => r.id)).toEqual([first.id]);

    const misuse = await rejection(stripe.refunds.create({ payment_intent: paymentIntent.id, amount: 1_000 }, { idempotencyKey: "refund-bk_1" }));
    expect(misuse).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);

    const tooMuch = await rejection(stripe.refunds.create({ payment_intent: paymentIntent.id, amount: 4_000 }, { idempotencyKey: "refund-bk_1-b" }));
    expect(tooMuch).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(tooMuch).toMatchObject({ statusCode: 400, param: "amount" });

    const rest = await stripe.refunds.create({ payment_intent: paymentIntent.id }, { idempotencyKey: "refund-bk_1-c" });
    expect(rest.amount).toBe(3_000);
    const over = await rejection(stripe.refunds.create({ payment_intent: paymentIntent.id }, { idempotencyKey: "refund-bk_1-d" }));
    expect(over).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(over).toMatchObject({ statusCode: 400, code: "charge_already_refunded" });

    const charge = await stripe.charges.retrieve(String(paymentIntent.latest_charge));
    expect(charge).toMatchObject({ amount_refunded: 5_000, refunded: true });

    // Each refund emits refund.created and charge.refunded, naming the request and its idempotency key.
    const refundEvents = await stripe.events.list({ type: "refund.created", limit: 100 });
    const firstEvent = refundEvents.data.find((e) => (e.data.object as Stripe.Refund).id === first.id);
    expect(firstEvent?.request).toEqual({ id: expect.stringMatching(/^req_/), idempotency_key: "refund-bk_1" });
    expect(refundEvents.data.filter((e) => (e.data.object as Stripe.Refund).payment_intent === paymentIntent.id)).toHaveLength(2);
    const refunded = await stripe.events.list({ type: "charge.refunded", limit: 1 });
    expect(refunded.data[0]!.data.previous_attributes).toEqual({ amount_refunded: 2_000, refunded: false });
  });

  it("works through createStripePayments().refund and rejects unknown payment intents as ProviderError 404", async () => {
    const { paymentIntent } = await paidCheckout({ booking_id: "bk_gateway" });
    const payments = createStripePayments(stripe);
    const refund = await payments.refund({ paymentIntentId: paymentIntent.id, reason: "cancelled by invitee", idempotencyKey: "bk_gateway:refund" });
    expect(refund).toEqual({ id: expect.stringMatching(/^re_/), status: "succeeded" });
    const replay = await payments.refund({ paymentIntentId: paymentIntent.id, reason: "cancelled by invitee", idempotencyKey: "bk_gateway:refund" });
    expect(replay.id).toBe(refund.id);
    await expect(payments.refund({ paymentIntentId: "pi_missing", idempotencyKey: "x" })).rejects.toMatchObject({ provider: "stripe", status: 404 });
  });

  it("raises an injected 402 as StripeCardError", async () => {
    const { paymentIntent } = await paidCheckout();
    emulator.failNext({ method: "POST", path: "/v1/refunds", status: 402, error: { type: "card_error", code: "card_declined", message: "Your card was declined." } });
    const err = await rejection(stripe.refunds.create({ payment_intent: paymentIntent.id }));
    expect(err).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect((await stripe.refunds.create({ payment_intent: paymentIntent.id })).status).toBe("succeeded");
  });
});

describe("lists and pagination", () => {
  it("pages payment intents newest first with has_more, created filters and autoPagingToArray", async () => {
    const from = 1_700_000_000;
    const seeded = emulator.seedPayments(250, { createdFrom: from, spacingSeconds: 10, metadata: (i) => ({ seq: String(i) }) });
    expect(seeded.paymentIntentIds).toHaveLength(250);

    const window = { gte: from, lte: from + 249 * 10 };
    const all = await stripe.paymentIntents.list({ limit: 100, created: window }).autoPagingToArray({ limit: 1_000 });
    expect(all).toHaveLength(250);
    expect(new Set(all.map((p) => p.id)).size).toBe(250);
    expect(all[0]!.metadata.seq).toBe("249");
    expect(all.at(-1)!.metadata.seq).toBe("0");

    const page = await stripe.paymentIntents.list({ limit: 3, created: { gte: from + 100, lt: from + 150 } });
    expect(page.data.map((p) => p.metadata.seq)).toEqual(["14", "13", "12"]);
    expect(page.has_more).toBe(true);
    const next = await stripe.paymentIntents.list({ limit: 3, created: { gte: from + 100, lt: from + 150 }, starting_after: page.data.at(-1)!.id });
    expect(next.data.map((p) => p.metadata.seq)).toEqual(["11", "10"]);
    expect(next.has_more).toBe(false);
    const previous = await stripe.paymentIntents.list({ limit: 2, created: window, ending_before: next.data[0]!.id });
    expect(previous.data.map((p) => p.metadata.seq)).toEqual(["13", "12"]);

    const badCursor = await rejection(stripe.paymentIntents.list({ starting_after: "pi_nope" }));
    expect(badCursor).toMatchObject({ statusCode: 400, param: "starting_after" });
    const badLimit = await rejection(stripe.paymentIntents.list({ limit: 101 }));
    expect(badLimit).toMatchObject({ statusCode: 400, param: "limit" });
  });

  it("pages correctly through 100k seeded payments from any cursor", async () => {
    const big = await startStripeEmulator({ secretKey: SECRET_KEY });
    try {
      const seeded = big.seedPayments(100_000, { withCheckoutSessions: true });
      const client = await createStripeClient({ secretKey: SECRET_KEY, apiBase: big.url, maxNetworkRetries: 0 });
      const page = await client.paymentIntents.list({ limit: 100, starting_after: seeded.paymentIntentIds[50_000] });
      expect(page.data).toHaveLength(100);
      expect(page.data[0]!.id).toBe(seeded.paymentIntentIds[49_999]);
      const sessions = await client.checkout.sessions.list({ limit: 5 });
      expect(sessions.data[0]!.id).toBe(seeded.checkoutSessionIds.at(-1));
    } finally {
      await big.close();
    }
  });
});

describe("lifecycle", () => {
  it("close() cancels pending retries so idle() resolves", async () => {
    const local = await startStripeEmulator({ secretKey: SECRET_KEY, retryDelayMs: 60_000 });
    const client = await createStripeClient({ secretKey: SECRET_KEY, apiBase: local.url, maxNetworkRetries: 0 });
    await client.webhookEndpoints.create({ url: `${receiver.url}/down`, enabled_events: ["*"] });
    receiver.statuses.push(500, 500, 500, 500);
    const session = await client.checkout.sessions.create({ mode: "payment", line_items: [{ quantity: 1, price_data: { currency: "usd", unit_amount: 900, product_data: { name: "x" } } }] });
    await local.completeCheckout(session.id);
    await new Promise((r) => setTimeout(r, 100));
    const idle = local.idle();
    await local.close();
    await expect(idle).resolves.toBeUndefined();
    expect(local.deliveries().every((d) => d.attempt === 1)).toBe(true);
  });

  it("stamps objects and signatures with the injected clock", async () => {
    const at = new Date("2030-01-02T03:04:05Z");
    const local = await startStripeEmulator({ secretKey: SECRET_KEY, clock: { now: () => at } });
    try {
      const client = await createStripeClient({ secretKey: SECRET_KEY, apiBase: local.url, maxNetworkRetries: 0 });
      const endpoint = await client.webhookEndpoints.create({ url: `${receiver.url}/clock`, enabled_events: ["*"] });
      expect(endpoint.created).toBe(at.getTime() / 1000);
      const session = await client.checkout.sessions.create({ mode: "payment", line_items: [{ quantity: 2, price_data: { currency: "eur", unit_amount: 700, product_data: { name: "x" } } }] });
      expect(session).toMatchObject({ created: at.getTime() / 1000, amount_total: 1_400, currency: "eur" });
      await local.completeCheckout(session.id);
      await local.idle();
      const got = receiver.received.filter((r) => r.path === "/clock");
      expect(got.length).toBe(2);
      expect(String(got[0]!.headers["stripe-signature"])).toMatch(new RegExp(`^t=${at.getTime() / 1000},v1=`));
      expect(client.webhooks.constructEvent(got[0]!.rawBody, String(got[0]!.headers["stripe-signature"]), endpoint.secret!, 0).type).toBe("checkout.session.completed");
    } finally {
      await local.close();
    }
  });
});
