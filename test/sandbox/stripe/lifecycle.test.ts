import Stripe from "stripe";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Action } from "../../../src/core/intake/events.js";
import { parseWebhook } from "../../../src/core/intake/parse.js";
import { createStripeClient } from "../../../src/providers/stripe-client.js";
import {
  startStripeEmulator,
  type BalanceTransaction,
  type Charge,
  type CheckoutSession,
  type Dispute,
  type PaymentIntent,
  type Refund,
  type StripeEmulator,
} from "../../../src/sandbox/stripe/emulator.js";
import { startWebhookReceiver, type WebhookReceiver } from "./webhook-receiver.js";

/**
 * The Stripe emulator playing a booking's life after (or instead of) its payment: refunds in every status
 * Stripe documents, refunds made in the dashboard and settled later, delayed payments, disputes, expiry. Every delivery is verified with the
 * SDK's `constructEvent` and parsed with bookflow's own `parseWebhook`; API objects are read through the SDK.
 */

const SECRET_KEY = "sk_test_bookflow_lifecycle_4242";

/** Ours fits Stripe's type: every field is one of the SDK type's fields, with a value it accepts. */
type Conforms<Ours, Theirs> = [Exclude<keyof Ours, keyof Theirs>] extends [never] ? (Ours extends Pick<Theirs, keyof Ours & keyof Theirs> ? true : false) : false;
const conforms: [
  Conforms<Refund, Stripe.Refund>,
  Conforms<Dispute, Stripe.Dispute>,
  Conforms<BalanceTransaction, Stripe.BalanceTransaction>,
  Conforms<Charge, Stripe.Charge>,
  Conforms<PaymentIntent, Stripe.PaymentIntent>,
  Conforms<CheckoutSession, Stripe.Checkout.Session>,
] = [true, true, true, true, true, true];

it("models its objects as the SDK's types describe them", () => {
  expect(conforms.every(Boolean)).toBe(true);
});

let emulator: StripeEmulator;
let stripe: Stripe;
let receiver: WebhookReceiver;
let secret: string;

beforeAll(async () => {
  emulator = await startStripeEmulator({ secretKey: SECRET_KEY, retryDelayMs: 10 });
  stripe = await createStripeClient({ secretKey: SECRET_KEY, apiBase: emulator.url, maxNetworkRetries: 0 });
});
afterAll(() => emulator.close());

beforeEach(async () => {
  receiver = await startWebhookReceiver();
  const endpoint = await stripe.webhookEndpoints.create({ url: `${receiver.url}/webhooks/stripe`, enabled_events: ["*"] });
  secret = endpoint.secret!;
});
afterEach(async () => {
  emulator.setRefundOutcome("succeeded");
  await emulator.idle();
  for (const endpoint of emulator.webhookEndpoints()) await stripe.webhookEndpoints.del(endpoint.id);
  await receiver.close();
});

interface Delivered {
  event: Stripe.Event;
  action: Action;
}

/** Every delivery so far (after the emulator is idle): its signature verified with the SDK, its body parsed by bookflow. */
async function delivered(): Promise<Delivered[]> {
  await emulator.idle();
  return receiver.received.map((r) => {
    const event = stripe.webhooks.constructEvent(r.rawBody, String(r.headers["stripe-signature"]), secret);
    const parsed = parseWebhook("stripe", JSON.parse(r.rawBody) as unknown);
    if (!parsed.ok) throw new Error(`${event.type} did not parse: ${parsed.issues.join("; ")}`);
    expect(parsed.event).toMatchObject({ provider: "stripe", type: event.type, providerEventId: event.id });
    return { event, action: parsed.event.action };
  });
}

/** The deliveries about one object (`data.object.id`), in order. */
async function deliveredFor(id: string): Promise<Delivered[]> {
  return (await delivered()).filter((d) => (d.event.data.object as { id?: string }).id === id);
}

async function rejection(promise: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await promise;
  } catch (err) {
    return err as Record<string, unknown>;
  }
  throw new Error("expected the call to fail");
}

async function control(path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${emulator.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function openSession(bookingId: string, amount = 8_000): Promise<Stripe.Checkout.Session> {
  const metadata = { booking_id: bookingId };
  return stripe.checkout.sessions.create({
    mode: "payment",
    line_items: [{ quantity: 1, price_data: { currency: "usd", unit_amount: amount, product_data: { name: "Build session" } } }],
    metadata,
    payment_intent_data: { metadata },
    client_reference_id: bookingId,
    customer_email: "ana@example.com",
    success_url: "http://127.0.0.1:3000/ok",
  });
}

/** A paid booking: its payment intent and charge ids, with the payment's deliveries already received. */
async function paid(bookingId: string, amount = 8_000): Promise<{ paymentIntentId: string; chargeId: string }> {
  const done = await emulator.completeCheckout((await openSession(bookingId, amount)).id);
  await emulator.idle();
  receiver.received.length = 0;
  return { paymentIntentId: done.paymentIntent.id, chargeId: done.charge!.id };
}

async function availableUsd(): Promise<number> {
  return (await stripe.balance.retrieve()).available.find((b) => b.currency === "usd")?.amount ?? 0;
}

describe("refund statuses", () => {
  it("a succeeded refund (the default) emits refund.created and charge.refunded; partial refunds accumulate amount_refunded", async () => {
    const { paymentIntentId, chargeId } = await paid("bk_partial");
    const before = await availableUsd();

    const first = await stripe.refunds.create({ payment_intent: paymentIntentId, amount: 3_000, metadata: { booking_id: "bk_partial" } });
    expect(first).toEqual({
      id: expect.stringMatching(/^re_/),
      object: "refund",
      amount: 3_000,
      balance_transaction: expect.stringMatching(/^txn_/),
      charge: chargeId,
      created: expect.any(Number),
      currency: "usd",
      customer: null,
      customer_account: null,
      destination_details: { type: "card", card: { type: "refund" } },
      metadata: { booking_id: "bk_partial" },
      payment_intent: paymentIntentId,
      payment_method: expect.stringMatching(/^pm_/),
      reason: null,
      receipt_number: null,
      source_transfer_reversal: null,
      status: "succeeded",
      transfer_reversal: null,
    });
    const second = await stripe.refunds.create({ charge: chargeId });
    expect(second.amount).toBe(5_000);
    expect(await stripe.charges.retrieve(chargeId)).toMatchObject({ amount: 8_000, amount_refunded: 8_000, refunded: true, disputed: false });
    expect(await availableUsd()).toBe(before - 8_000);

    const events = await delivered();
    expect(events.map((d) => d.event.type)).toEqual(["refund.created", "charge.refunded", "refund.created", "charge.refunded"]);
    expect(events[1]!.event.data.previous_attributes).toEqual({ amount_refunded: 0, refunded: false });
    expect(events[1]!.event.request?.id).toMatch(/^req_/);
    expect(events[1]!.action).toEqual({ kind: "charge-refunded", paymentIntentId, bookingId: "bk_partial", chargeId, amountCents: 8_000, refundedCents: 3_000, currency: "usd" });
    expect(events[3]!.action).toMatchObject({ kind: "charge-refunded", refundedCents: 8_000 });
    expect(events[0]!.action).toEqual({ kind: "other" });

    const over = await rejection(stripe.refunds.create({ payment_intent: paymentIntentId }));
    expect(over).toMatchObject({ statusCode: 400, code: "charge_already_refunded" });
  });

  it("refuses refunding more than what remains, counting refunds still pending", async () => {
    const { paymentIntentId } = await paid("bk_held");
    emulator.setRefundOutcome("pending");
    const pending = await stripe.refunds.create({ payment_intent: paymentIntentId, amount: 6_000 });
    expect(pending.status).toBe("pending");
    emulator.setRefundOutcome("succeeded");
    const tooMuch = await rejection(stripe.refunds.create({ payment_intent: paymentIntentId, amount: 2_001 }));
    expect(tooMuch).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(tooMuch).toMatchObject({ statusCode: 400, param: "amount" });
    expect(String(tooMuch.message)).toContain("$20.00");
    expect((await stripe.refunds.create({ payment_intent: paymentIntentId })).amount).toBe(2_000);
    expect(await rejection(stripe.refunds.create({ payment_intent: paymentIntentId }))).toMatchObject({ statusCode: 400, code: "charge_already_refunded" });
  });

  it("a pending refund takes nothing until settled; settling it succeeded emits refund.updated then charge.refunded", async () => {
    const { paymentIntentId, chargeId } = await paid("bk_pending");
    const before = await availableUsd();
    const set = await control("/_control/refunds/outcome", { status: "pending" });
    expect(set).toEqual({ status: 200, json: { status: "pending" } });

    const refund = await stripe.refunds.create({ payment_intent: paymentIntentId, metadata: { booking_id: "bk_pending" } });
    expect(refund).toMatchObject({ status: "pending", amount: 8_000, balance_transaction: null });
    expect((await stripe.refunds.create({ payment_intent: paymentIntentId }).catch((e: unknown) => e)) as object).toMatchObject({ code: "charge_already_refunded" });
    expect(await stripe.charges.retrieve(chargeId)).toMatchObject({ amount_refunded: 0, refunded: false });
    expect(await availableUsd()).toBe(before);
    let events = await deliveredFor(refund.id);
    expect(events.map((d) => d.event.type)).toEqual(["refund.created"]);

    const settled = await control(`/_control/refunds/${refund.id}/settle`, { status: "succeeded" });
    expect(settled.status).toBe(200);
    expect(settled.json).toMatchObject({ id: refund.id, status: "succeeded", balance_transaction: expect.stringMatching(/^txn_/) });
    expect(await stripe.refunds.retrieve(refund.id)).toMatchObject({ status: "succeeded" });
    expect(await stripe.charges.retrieve(chargeId)).toMatchObject({ amount_refunded: 8_000, refunded: true });
    expect(await availableUsd()).toBe(before - 8_000);

    events = await delivered();
    expect(events.map((d) => d.event.type)).toEqual(["refund.created", "refund.updated", "charge.refunded"]);
    const [created, updated, refunded] = events;
    expect(created!.action).toEqual({ kind: "other" });
    expect(updated!.event.data.previous_attributes).toEqual({ status: "pending", balance_transaction: null });
    expect(updated!.event.request).toEqual({ id: null, idempotency_key: null });
    expect(updated!.action).toEqual({ kind: "refund-updated", refundId: refund.id, paymentIntentId, bookingId: "bk_pending", status: "succeeded", amountCents: 8_000 });
    expect(refunded!.action).toMatchObject({ kind: "charge-refunded", paymentIntentId, chargeId, refundedCents: 8_000 });
  });

  it("a pending refund settled failed emits refund.updated and refund.failed, and frees its amount", async () => {
    const { paymentIntentId, chargeId } = await paid("bk_pending_fail");
    emulator.setRefundOutcome("pending");
    const refund = await stripe.refunds.create({ payment_intent: paymentIntentId, amount: 5_000 });
    const failed = emulator.settleRefund(refund.id, "failed");
    expect(failed).toMatchObject({ status: "failed", failure_reason: "declined", balance_transaction: null });
    expect(await stripe.charges.retrieve(chargeId)).toMatchObject({ amount_refunded: 0, refunded: false });

    const events = await deliveredFor(refund.id);
    expect(events.map((d) => d.event.type)).toEqual(["refund.created", "refund.updated", "refund.failed"]);
    expect(events[1]!.event.data.previous_attributes).toEqual({ status: "pending", failure_reason: null });
    for (const d of events.slice(1)) {
      expect(d.action).toEqual({ kind: "refund-updated", refundId: refund.id, paymentIntentId, bookingId: null, status: "failed", amountCents: 5_000 });
    }
    emulator.setRefundOutcome("succeeded");
    expect((await stripe.refunds.create({ payment_intent: paymentIntentId })).amount).toBe(8_000);
  });

  it("answers a failed refund with status failed, after refund.created (pending), refund.updated and refund.failed", async () => {
    const { paymentIntentId, chargeId } = await paid("bk_fail");
    const before = await availableUsd();
    emulator.setRefundOutcome("failed");
    const refund = await stripe.refunds.create({ payment_intent: paymentIntentId, reason: "requested_by_customer" }, { idempotencyKey: "bk_fail:refund" });
    expect(refund).toMatchObject({ object: "refund", status: "failed", failure_reason: "declined", balance_transaction: null, reason: "requested_by_customer" });
    expect(await stripe.charges.retrieve(chargeId)).toMatchObject({ amount_refunded: 0, refunded: false });
    expect(await availableUsd()).toBe(before);

    const events = await deliveredFor(refund.id);
    expect(events.map((d) => [d.event.type, (d.event.data.object as Stripe.Refund).status])).toEqual([
      ["refund.created", "pending"],
      ["refund.updated", "failed"],
      ["refund.failed", "failed"],
    ]);
    expect(events.every((d) => d.event.request?.idempotency_key === "bk_fail:refund")).toBe(true);
    expect(events[2]!.action).toMatchObject({ kind: "refund-updated", status: "failed" });
    expect((await delivered()).some((d) => d.event.type === "charge.refunded")).toBe(false);
  });

  it("requires_action refunds wait for the customer and can be canceled through the API; canceled is a sticky outcome too", async () => {
    const { paymentIntentId } = await paid("bk_action");
    emulator.setRefundOutcome("requires_action");
    const waiting = await stripe.refunds.create({ payment_intent: paymentIntentId, amount: 1_000 });
    expect(waiting.status).toBe("requires_action");
    const canceled = await stripe.refunds.cancel(waiting.id);
    expect(canceled).toMatchObject({ id: waiting.id, status: "canceled" });
    expect(await rejection(stripe.refunds.cancel(waiting.id))).toMatchObject({ statusCode: 400 });

    emulator.setRefundOutcome("canceled");
    const refused = await stripe.refunds.create({ payment_intent: paymentIntentId, amount: 1_000 });
    expect(refused.status).toBe("canceled");
    const again = await stripe.refunds.create({ payment_intent: paymentIntentId, amount: 1_000 });
    expect(again.status).toBe("canceled");

    const first = await deliveredFor(waiting.id);
    expect(first.map((d) => d.event.type)).toEqual(["refund.created", "refund.updated"]);
    expect(first[1]!.event.data.previous_attributes).toEqual({ status: "requires_action" });
    expect(first[1]!.action).toMatchObject({ kind: "refund-updated", status: "canceled" });
    expect((await deliveredFor(refused.id)).map((d) => [d.event.type, (d.event.data.object as Stripe.Refund).status])).toEqual([
      ["refund.created", "requires_action"],
      ["refund.updated", "canceled"],
    ]);
  });

  it("refuses an unknown refund outcome, and settling a refund that is not pending or does not exist", async () => {
    const bad = await control("/_control/refunds/outcome", { status: "refunded" });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ error: { type: "invalid_request_error", param: "status", message: expect.stringContaining("pending") } });
    expect((await control("/_control/refunds/outcome", {})).status).toBe(400);
    expect(() => emulator.setRefundOutcome("partial" as never)).toThrow(/status/);

    const { paymentIntentId } = await paid("bk_settle_bad");
    const done = await stripe.refunds.create({ payment_intent: paymentIntentId, amount: 1_000 });
    const notPending = await control(`/_control/refunds/${done.id}/settle`, { status: "failed" });
    expect(notPending.status).toBe(400);
    expect(notPending.json).toMatchObject({ error: { type: "invalid_request_error", message: expect.stringContaining("succeeded") } });
    expect(() => emulator.settleRefund(done.id, "succeeded")).toThrow(/only a pending refund/);

    emulator.setRefundOutcome("pending");
    const pending = await stripe.refunds.create({ payment_intent: paymentIntentId, amount: 1_000 });
    const badStatus = await control(`/_control/refunds/${pending.id}/settle`, { status: "pending" });
    expect(badStatus).toMatchObject({ status: 400, json: { error: { param: "status" } } });
    const missing = await control("/_control/refunds/re_missing/settle", { status: "succeeded" });
    expect(missing).toMatchObject({ status: 404, json: { error: { code: "resource_missing" } } });
    expect(emulator.getRefund(pending.id)?.status).toBe("pending");
  });
});

describe("refunds made in the dashboard", () => {
  it("makes a refund with no API request, with the same events and the given status", async () => {
    const { paymentIntentId, chargeId } = await paid("bk_dash");
    const res = await control("/_control/refunds", { paymentIntentId, amount: 2_500 });
    expect(res.status).toBe(200);
    const refund = res.json as unknown as Refund;
    expect(refund).toMatchObject({ object: "refund", amount: 2_500, status: "succeeded", charge: chargeId, payment_intent: paymentIntentId, reason: null });
    expect((await stripe.refunds.retrieve(refund.id)).amount).toBe(2_500);

    const pending = emulator.refundFromDashboard({ paymentIntentId, status: "pending", reason: "duplicate" });
    expect(pending).toMatchObject({ amount: 5_500, status: "pending", reason: "duplicate" });
    emulator.settleRefund(pending.id, "succeeded");

    const events = await delivered();
    expect(events.map((d) => d.event.type)).toEqual(["refund.created", "charge.refunded", "refund.created", "refund.updated", "charge.refunded"]);
    expect(events.every((d) => d.event.request?.id === null && d.event.request.idempotency_key === null)).toBe(true);
    expect(events[1]!.action).toMatchObject({ kind: "charge-refunded", paymentIntentId, refundedCents: 2_500, amountCents: 8_000 });
    expect(events[4]!.action).toMatchObject({ kind: "charge-refunded", refundedCents: 8_000 });
    expect((await stripe.refunds.list({ payment_intent: paymentIntentId })).data.map((r) => r.id)).toEqual([pending.id, refund.id]);
  });

  it("follows the refund outcome unless told a status, and refuses what the API refuses", async () => {
    const { paymentIntentId } = await paid("bk_dash_bad");
    emulator.setRefundOutcome("failed");
    const failed = emulator.refundFromDashboard({ paymentIntentId, amount: 1_000 });
    expect(failed.status).toBe("failed");
    expect((await deliveredFor(failed.id)).map((d) => d.event.type)).toEqual(["refund.created", "refund.updated", "refund.failed"]);

    expect(await control("/_control/refunds", { paymentIntentId: "pi_missing" })).toMatchObject({ status: 404, json: { error: { code: "resource_missing" } } });
    expect(await control("/_control/refunds", {})).toMatchObject({ status: 400, json: { error: { code: "parameter_missing", param: "paymentIntentId" } } });
    expect(await control("/_control/refunds", { paymentIntentId, amount: 9_000 })).toMatchObject({ status: 400, json: { error: { param: "amount" } } });
    expect(await control("/_control/refunds", { paymentIntentId, amount: "all" })).toMatchObject({ status: 400, json: { error: { param: "amount" } } });
    expect(await control("/_control/refunds", { paymentIntentId, status: "done" })).toMatchObject({ status: 400, json: { error: { param: "status" } } });
    expect(await control("/_control/refunds", { paymentIntentId, reason: "because" })).toMatchObject({ status: 400, json: { error: { param: "reason" } } });
  });
});

describe("delayed payments", () => {
  it("completes unpaid with the intent processing, then async_payment_succeeded pays it", async () => {
    const session = await openSession("bk_ach");
    const before = await availableUsd();
    const res = await control(`/_control/checkout/sessions/${session.id}/complete`, { delayed: true, customerName: "Ana" });
    expect(res.status).toBe(200);
    const done = res.json as { session: Stripe.Checkout.Session; payment_intent: Stripe.PaymentIntent; charge: null; events: Stripe.Event[] };
    expect(done.session).toMatchObject({ id: session.id, status: "complete", payment_status: "unpaid", url: null, payment_intent: done.payment_intent.id });
    expect(done.payment_intent).toMatchObject({ status: "processing", amount: 8_000, amount_received: 0, latest_charge: null, last_payment_error: null, payment_method_types: ["us_bank_account"] });
    expect(done.charge).toBeNull();
    expect(done.events.map((e) => e.type)).toEqual(["checkout.session.completed", "payment_intent.processing"]);
    const piId = done.payment_intent.id;
    expect(await stripe.paymentIntents.retrieve(piId)).toMatchObject({ status: "processing" });
    expect(await availableUsd()).toBe(before);
    expect(await rejection(stripe.refunds.create({ payment_intent: piId }))).toMatchObject({ statusCode: 400, code: "payment_intent_unexpected_state" });

    const settled = await emulator.settleAsyncPayment(session.id, "succeeded");
    expect(settled.session).toMatchObject({ status: "complete", payment_status: "paid" });
    expect(settled.paymentIntent).toMatchObject({ id: piId, status: "succeeded", amount_received: 8_000, latest_charge: settled.charge!.id });
    expect(settled.charge).toMatchObject({ object: "charge", amount: 8_000, paid: true, status: "succeeded", payment_intent: piId, billing_details: { name: "Ana", email: "ana@example.com" } });
    expect(await availableUsd()).toBe(before + 8_000);
    const retrieved = await stripe.checkout.sessions.retrieve(session.id, { expand: ["payment_intent"] });
    expect(retrieved.payment_status).toBe("paid");
    expect((retrieved.payment_intent as Stripe.PaymentIntent).status).toBe("succeeded");

    const events = await delivered();
    expect(events.map((d) => d.event.type)).toEqual(["checkout.session.completed", "payment_intent.processing", "payment_intent.succeeded", "checkout.session.async_payment_succeeded"]);
    const [completed, processing, succeeded, asyncSucceeded] = events;
    const payment = { kind: "payment", bookingId: "bk_ach", inviteeUri: null, checkoutSessionId: session.id, paymentIntentId: piId, amountCents: 8_000, currency: "usd" };
    expect(completed!.action).toEqual({ ...payment, paid: false, processing: true });
    expect(processing!.action).toEqual({ kind: "other" });
    expect(succeeded!.action).toEqual({ ...payment, checkoutSessionId: null, paid: true, processing: false });
    expect(asyncSucceeded!.action).toEqual({ ...payment, paid: true, processing: false });
    expect(asyncSucceeded!.event.request).toEqual({ id: null, idempotency_key: null });

    // Paid now: refundable like any other payment, and no second outcome.
    expect((await stripe.refunds.create({ payment_intent: piId, amount: 1_000 })).status).toBe("succeeded");
    await expect(emulator.settleAsyncPayment(session.id, "failed")).rejects.toMatchObject({ status: 400, extra: { code: "payment_intent_unexpected_state" } });
  });

  it("a failed delayed payment sends the intent back to requires_payment_method and emits async_payment_failed", async () => {
    const session = await openSession("bk_ach_fail");
    const { paymentIntent } = await emulator.completeCheckout(session.id, { delayed: true });
    const res = await control(`/_control/checkout/sessions/${session.id}/async`, { outcome: "failed" });
    expect(res.status).toBe(200);
    const failed = res.json as { session: Stripe.Checkout.Session; payment_intent: Stripe.PaymentIntent; charge: null };
    expect(failed.session).toMatchObject({ status: "complete", payment_status: "unpaid" });
    expect(failed.charge).toBeNull();
    const pi = await stripe.paymentIntents.retrieve(paymentIntent.id);
    expect(pi).toMatchObject({ status: "requires_payment_method", payment_method: null, latest_charge: null, amount_received: 0 });
    expect(pi.last_payment_error).toEqual({
      type: "invalid_request_error",
      code: "payment_intent_payment_attempt_failed",
      doc_url: "https://stripe.com/docs/error-codes/payment-intent-payment-attempt-failed",
      message: expect.any(String),
      payment_method_type: "us_bank_account",
    });

    const events = await delivered();
    expect(events.map((d) => d.event.type)).toEqual(["checkout.session.completed", "payment_intent.processing", "payment_intent.payment_failed", "checkout.session.async_payment_failed"]);
    expect(events[2]!.action).toEqual({ kind: "other" });
    expect(events[3]!.action).toEqual({ kind: "checkout-ended", why: "payment-failed", bookingId: "bk_ach_fail", inviteeUri: null, checkoutSessionId: session.id });
    expect((await control(`/_control/checkout/sessions/${session.id}/async`, { outcome: "succeeded" })).status).toBe(400);
  });

  it("refuses an async outcome for a session paid at once, an open or unknown session, and an unknown outcome", async () => {
    const card = await openSession("bk_card");
    await emulator.completeCheckout(card.id);
    const paidAtOnce = await control(`/_control/checkout/sessions/${card.id}/async`, { outcome: "succeeded" });
    expect(paidAtOnce.status).toBe(400);
    expect(paidAtOnce.json).toEqual({ error: { type: "invalid_request_error", code: "payment_intent_unexpected_state", message: expect.stringContaining("complete and paid") } });
    await expect(emulator.settleAsyncPayment(card.id, "failed")).rejects.toMatchObject({ status: 400 });

    const open = await openSession("bk_open");
    expect((await control(`/_control/checkout/sessions/${open.id}/async`, { outcome: "succeeded" })).status).toBe(400);
    expect((await control("/_control/checkout/sessions/cs_test_missing/async", { outcome: "succeeded" })).status).toBe(404);
    expect(await control(`/_control/checkout/sessions/${open.id}/complete`, { delayed: "yes" })).toMatchObject({ status: 400, json: { error: { param: "delayed" } } });
    expect(emulator.getCheckoutSession(open.id)?.status).toBe("open");

    await emulator.completeCheckout(open.id, { delayed: true });
    expect(await control(`/_control/checkout/sessions/${open.id}/async`, { outcome: "paid" })).toMatchObject({ status: 400, json: { error: { param: "outcome" } } });
    expect(await control(`/_control/checkout/sessions/${open.id}/async`, {})).toMatchObject({ status: 400, json: { error: { param: "outcome" } } });
    expect(emulator.getPaymentIntent(emulator.getCheckoutSession(open.id)!.payment_intent!)?.status).toBe("processing");
  });
});

describe("disputes", () => {
  it("opens a needs_response dispute (charge.dispute.created, funds withdrawn) and closes it won (funds reinstated)", async () => {
    const { paymentIntentId, chargeId } = await paid("bk_dispute_won");
    const before = await availableUsd();
    const res = await control("/_control/disputes", { paymentIntentId });
    expect(res.status).toBe(200);
    const opened = res.json as unknown as Dispute;
    expect(opened).toMatchObject({
      id: expect.stringMatching(/^dp_/),
      object: "dispute",
      amount: 8_000,
      currency: "usd",
      status: "needs_response",
      reason: "fraudulent",
      charge: chargeId,
      payment_intent: paymentIntentId,
      is_charge_refundable: false,
      livemode: false,
      metadata: {},
      created: expect.any(Number),
      evidence_details: { due_by: expect.any(Number), has_evidence: false, past_due: false, submission_count: 0, submission_method: "not_submitted", enhanced_eligibility: {} },
      evidence: expect.objectContaining({ customer_email_address: null, uncategorized_text: null, enhanced_evidence: {} }),
      payment_method_details: { type: "card", card: { brand: "visa", case_type: "chargeback", network: "visa", network_reason_code: "10.4" } },
    });
    expect(opened.evidence_details.due_by!).toBeGreaterThan(opened.created);
    expect(opened.balance_transactions).toEqual([
      expect.objectContaining({ object: "balance_transaction", amount: -8_000, fee: 1_500, net: -9_500, currency: "usd", reporting_category: "dispute", source: opened.id, type: "adjustment" }),
    ]);
    expect(await stripe.charges.retrieve(chargeId)).toMatchObject({ disputed: true });
    expect(await availableUsd()).toBe(before - 9_500);
    expect(await stripe.disputes.retrieve(opened.id)).toEqual(opened);
    // A charged-back charge cannot be refunded meanwhile.
    expect(await rejection(stripe.refunds.create({ payment_intent: paymentIntentId }))).toMatchObject({ statusCode: 400, code: "charge_disputed" });

    const closed = await control(`/_control/disputes/${opened.id}/close`, { outcome: "won" });
    expect(closed.status).toBe(200);
    expect(closed.json).toMatchObject({ id: opened.id, status: "won" });
    expect((closed.json as unknown as Dispute).balance_transactions.map((t) => [t.amount, t.reporting_category])).toEqual([
      [-8_000, "dispute"],
      [8_000, "dispute_reversal"],
    ]);
    expect(await availableUsd()).toBe(before - 1_500);
    expect((await stripe.disputes.retrieve(opened.id)).status).toBe("won");

    const events = await deliveredFor(opened.id);
    expect(events.map((d) => d.event.type)).toEqual(["charge.dispute.created", "charge.dispute.funds_withdrawn", "charge.dispute.closed", "charge.dispute.funds_reinstated"]);
    const dispute = { kind: "dispute", disputeId: opened.id, paymentIntentId, bookingId: null, chargeId };
    expect(events[0]!.action).toEqual({ ...dispute, status: "needs_response", closed: false });
    expect(events[2]!.action).toEqual({ ...dispute, status: "won", closed: true });
    expect(events[1]!.action).toEqual({ kind: "other" });
    expect(events.every((d) => d.event.request?.id === null)).toBe(true);

    // Won: the charge can be refunded again.
    expect((await stripe.refunds.create({ payment_intent: paymentIntentId, amount: 1_000 })).status).toBe("succeeded");
  });

  it("closes a dispute lost, through the control API or when the merchant accepts it (POST /v1/disputes/:id/close)", async () => {
    const first = await paid("bk_dispute_lost");
    const second = await paid("bk_dispute_accepted");
    const lost = emulator.createDispute({ paymentIntentId: first.paymentIntentId, reason: "product_not_received" });
    expect(lost).toMatchObject({ reason: "product_not_received", status: "needs_response", payment_method_details: { card: { network_reason_code: null } } });
    expect(emulator.closeDispute(lost.id, "lost")).toMatchObject({ status: "lost" });
    expect(emulator.getDispute(lost.id)?.balance_transactions).toHaveLength(1);
    expect(await rejection(stripe.refunds.create({ payment_intent: first.paymentIntentId }))).toMatchObject({ statusCode: 400, code: "charge_disputed" });

    const accepted = emulator.createDispute({ paymentIntentId: second.paymentIntentId });
    const closed = await stripe.disputes.close(accepted.id, {}, { idempotencyKey: "accept-dispute" });
    expect(closed).toMatchObject({ id: accepted.id, status: "lost" });
    expect(await rejection(stripe.disputes.close(accepted.id))).toMatchObject({ statusCode: 400 });

    const events = await delivered();
    const closedEvents = events.filter((d) => d.event.type === "charge.dispute.closed");
    expect(closedEvents.map((d) => d.action)).toEqual([
      { kind: "dispute", disputeId: lost.id, paymentIntentId: first.paymentIntentId, bookingId: null, chargeId: first.chargeId, status: "lost", closed: true },
      { kind: "dispute", disputeId: accepted.id, paymentIntentId: second.paymentIntentId, bookingId: null, chargeId: second.chargeId, status: "lost", closed: true },
    ]);
    expect(closedEvents[1]!.event.request).toEqual({ id: expect.stringMatching(/^req_/), idempotency_key: "accept-dispute" });
    expect(events.some((d) => d.event.type === "charge.dispute.funds_reinstated")).toBe(false);
  });

  it("lists disputes newest first with payment_intent, charge, created and cursor filters, and expands charge and payment_intent", async () => {
    const a = await paid("bk_list_a");
    const b = await paid("bk_list_b");
    const c = await paid("bk_list_c");
    const da = emulator.createDispute({ paymentIntentId: a.paymentIntentId });
    const db = emulator.createDispute({ paymentIntentId: b.paymentIntentId, reason: "duplicate" });
    const dc = emulator.createDispute({ paymentIntentId: c.paymentIntentId, reason: "general" });

    const all = await stripe.disputes.list({ limit: 100 });
    expect(all.object).toBe("list");
    const ours = all.data.map((d) => d.id).filter((id) => [da.id, db.id, dc.id].includes(id));
    expect(ours).toEqual([dc.id, db.id, da.id]);
    expect((await stripe.disputes.list({ payment_intent: b.paymentIntentId })).data.map((d) => d.id)).toEqual([db.id]);
    expect((await stripe.disputes.list({ charge: c.chargeId })).data.map((d) => d.id)).toEqual([dc.id]);
    expect((await stripe.disputes.list({ payment_intent: b.paymentIntentId, charge: c.chargeId })).data).toEqual([]);
    const page = await stripe.disputes.list({ limit: 1, ending_before: da.id });
    expect(page.data.map((d) => d.id)).toEqual([db.id]);
    expect(page.has_more).toBe(true);
    const after = await stripe.disputes.list({ limit: 2, starting_after: dc.id });
    expect(after.data.map((d) => d.id).slice(0, 2)).toEqual([db.id, da.id]);
    expect((await stripe.disputes.list({ created: { gte: dc.created, lte: dc.created }, limit: 100 })).data.map((d) => d.id)).toContain(dc.id);
    expect((await stripe.disputes.list({ created: { gt: dc.created } })).data).toEqual([]);
    expect((await stripe.disputes.list({ created: { lt: da.created } })).data.map((d) => d.id)).not.toContain(da.id);

    const expanded = await stripe.disputes.retrieve(db.id, { expand: ["charge", "payment_intent"] });
    expect((expanded.charge as Stripe.Charge)).toMatchObject({ id: b.chargeId, object: "charge", disputed: true });
    expect((expanded.payment_intent as Stripe.PaymentIntent)).toMatchObject({ id: b.paymentIntentId, object: "payment_intent" });

    expect(await rejection(stripe.disputes.list({ starting_after: "dp_missing" }))).toMatchObject({ statusCode: 400, param: "starting_after" });
    expect(await rejection(stripe.disputes.list({ status: "won" } as Stripe.DisputeListParams))).toMatchObject({ statusCode: 400, code: "parameter_unknown", param: "status" });
    expect(await rejection(stripe.disputes.retrieve("dp_missing"))).toMatchObject({ statusCode: 404, code: "resource_missing" });
    expect(await rejection(stripe.disputes.retrieve(db.id, { expand: ["evidence"] }))).toMatchObject({ statusCode: 400, param: "expand" });
  });

  it("refuses a dispute on an unknown or unpaid payment intent, a second dispute of a charge, an unknown reason, and closing an unknown or closed dispute", async () => {
    const unknown = await control("/_control/disputes", { paymentIntentId: "pi_missing" });
    expect(unknown).toEqual({ status: 404, json: { error: { type: "invalid_request_error", message: "No such payment_intent: 'pi_missing'", code: "resource_missing", param: "paymentIntentId" } } });
    expect(await control("/_control/disputes", {})).toMatchObject({ status: 400, json: { error: { code: "parameter_missing" } } });

    const session = await openSession("bk_dispute_processing");
    const { paymentIntent } = await emulator.completeCheckout(session.id, { delayed: true });
    expect(await control("/_control/disputes", { paymentIntentId: paymentIntent.id })).toMatchObject({ status: 400, json: { error: { code: "payment_intent_unexpected_state" } } });

    const { paymentIntentId } = await paid("bk_dispute_twice");
    expect(await control("/_control/disputes", { paymentIntentId, reason: "angry" })).toMatchObject({ status: 400, json: { error: { param: "reason" } } });
    const dispute = emulator.createDispute({ paymentIntentId });
    expect(await control("/_control/disputes", { paymentIntentId })).toMatchObject({ status: 400, json: { error: { message: expect.stringContaining(dispute.id) } } });

    const missing = await control("/_control/disputes/dp_missing/close", { outcome: "won" });
    expect(missing).toEqual({ status: 404, json: { error: { type: "invalid_request_error", message: "No such dispute: 'dp_missing'", code: "resource_missing", param: "id" } } });
    expect(() => emulator.closeDispute("dp_missing", "lost")).toThrow(/No such dispute/);
    expect(await control(`/_control/disputes/${dispute.id}/close`, { outcome: "draw" })).toMatchObject({ status: 400, json: { error: { param: "outcome" } } });
    expect(emulator.getDispute(dispute.id)?.status).toBe("needs_response");
    emulator.closeDispute(dispute.id, "won");
    expect(await control(`/_control/disputes/${dispute.id}/close`, { outcome: "lost" })).toMatchObject({ status: 400, json: { error: { message: expect.stringContaining("already closed") } } });
    expect(emulator.getDispute(dispute.id)?.status).toBe("won");
  });
});

describe("expiry and session lists", () => {
  it("an expired session (API or control) has status expired and no payment intent, and cannot be completed or paid", async () => {
    const byApi = await openSession("bk_expire_api");
    const expired = await stripe.checkout.sessions.expire(byApi.id);
    expect(expired).toMatchObject({ id: byApi.id, status: "expired", payment_status: "unpaid", payment_intent: null, url: null });
    const byControl = await openSession("bk_expire_ctl");
    const res = await control(`/_control/checkout/sessions/${byControl.id}/expire`);
    expect(res.status).toBe(200);
    expect((res.json as { session: Stripe.Checkout.Session }).session).toMatchObject({ status: "expired", payment_intent: null, url: null });

    const events = await delivered();
    expect(events.map((d) => [d.event.type, (d.event.data.object as Stripe.Checkout.Session).id])).toEqual([
      ["checkout.session.expired", byApi.id],
      ["checkout.session.expired", byControl.id],
    ]);
    expect(events[0]!.event.request?.id).toMatch(/^req_/);
    expect(events[1]!.event.request).toEqual({ id: null, idempotency_key: null });
    expect(events[0]!.action).toEqual({ kind: "checkout-ended", why: "expired", bookingId: "bk_expire_api", inviteeUri: null, checkoutSessionId: byApi.id });
    expect(events[1]!.action).toMatchObject({ kind: "checkout-ended", why: "expired", bookingId: "bk_expire_ctl" });

    const complete = await control(`/_control/checkout/sessions/${byApi.id}/complete`, {});
    expect(complete).toEqual({ status: 400, json: { error: { type: "invalid_request_error", message: expect.stringContaining("expired"), code: "checkout_session_not_open" } } });
    expect((await control(`/_control/checkout/sessions/${byApi.id}/complete`, { delayed: true })).status).toBe(400);
    await expect(emulator.completeCheckout(byControl.id)).rejects.toMatchObject({ status: 400, extra: { code: "checkout_session_not_open" } });
    expect((await fetch(`${emulator.url}/c/pay/${byApi.id}`, { method: "POST", redirect: "manual" })).status).toBe(400);
    expect((await control(`/_control/checkout/sessions/${byApi.id}/async`, { outcome: "succeeded" })).status).toBe(400);
    expect(await rejection(stripe.checkout.sessions.expire(byApi.id))).toMatchObject({ statusCode: 400, param: "session" });
    expect(emulator.getCheckoutSession(byApi.id)).toMatchObject({ status: "expired", payment_intent: null });
    expect((await delivered()).length).toBe(2);
  });

  it("lists sessions by status and payment intent, and refuses an unknown status", async () => {
    const open = await openSession("bk_list_open");
    const expiring = await openSession("bk_list_expired");
    await stripe.checkout.sessions.expire(expiring.id);
    const paying = await openSession("bk_list_paid");
    const { paymentIntent } = await emulator.completeCheckout(paying.id);
    const delayed = await openSession("bk_list_delayed");
    const processing = await emulator.completeCheckout(delayed.id, { delayed: true });

    const ids = async (params: Stripe.Checkout.SessionListParams) => (await stripe.checkout.sessions.list({ limit: 100, ...params })).data.map((s) => s.id);
    const mine = [open.id, expiring.id, paying.id, delayed.id];
    expect((await ids({ status: "open" })).filter((id) => mine.includes(id))).toEqual([open.id]);
    expect((await ids({ status: "expired" })).filter((id) => mine.includes(id))).toEqual([expiring.id]);
    expect((await ids({ status: "complete" })).filter((id) => mine.includes(id))).toEqual([delayed.id, paying.id]);
    expect(await ids({ payment_intent: paymentIntent.id })).toEqual([paying.id]);
    expect(await ids({ payment_intent: processing.paymentIntent.id, status: "complete" })).toEqual([delayed.id]);
    expect(await ids({ payment_intent: paymentIntent.id, status: "open" })).toEqual([]);
    const bad = await rejection(stripe.checkout.sessions.list({ status: "paid" as Stripe.Checkout.SessionListParams.Status }));
    expect(bad).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(bad).toMatchObject({ statusCode: 400, param: "status" });
  });
});
