/**
 * The Stripe emulator's control API: what a customer, their bank or the
 * dashboard does, and what tests set up, as functions (complete a Checkout
 * session, paying at once or with a delayed method that settles later, or
 * expire it; choose the status new refunds end in, refund from the
 * dashboard, settle a pending refund; open a dispute and close it won or
 * lost; bulk-seed payments and refunds; roll or read webhook signing
 * secrets) and as the `/_control/...` routes (JSON, no auth) that call them.
 */
import type { Route } from "../emulator-server.js";
import { DISPUTE_REASONS, REFUND_STATUSES, type Charge, type CheckoutSession, type Dispute, type PaymentIntent, type Refund, type RefundStatus, type StripeEvent, type WebhookEndpoint } from "./objects.js";
import { StripeApiError, clone, invalid, noSuch, REFUND_REASONS } from "./params.js";
import { closeDispute, createPayment, expireSession, makeRefund, newCharge, newSession, NO_REQUEST, openDispute, refundDestination, settleRefund } from "./payments.js";
import { control } from "./pipeline.js";
import type { StripeState } from "./state.js";
import { randomToken } from "./store.js";
import type { AsyncPaymentOutcome, CompleteCheckoutOptions, CompletedCheckout, CreateDisputeOptions, DashboardRefundOptions, DisputeOutcome, RefundSettlement, SeededPayments, SeedPaymentsOptions, SeedPrice, SeedRefundsOptions } from "./types.js";

export interface ControlApi {
  completeCheckout(sessionId: string, options?: CompleteCheckoutOptions): Promise<CompletedCheckout>;
  expireCheckout(sessionId: string): Promise<{ session: CheckoutSession; event: StripeEvent }>;
  settleAsyncPayment(sessionId: string, outcome: AsyncPaymentOutcome): Promise<CompletedCheckout>;
  setRefundOutcome(status: RefundStatus): void;
  refundFromDashboard(options: DashboardRefundOptions): Refund;
  settleRefund(refundId: string, status: RefundSettlement): Refund;
  createDispute(options: CreateDisputeOptions): Dispute;
  closeDispute(disputeId: string, outcome: DisputeOutcome): Dispute;
  seedPayments(n: number, options?: SeedPaymentsOptions): SeededPayments;
  seedRefunds(paymentIntentIds: readonly string[], options?: SeedRefundsOptions): string[];
  setWebhookSecret(endpointId: string, secret: string): void;
  webhookEndpoints(): (WebhookEndpoint & { secret: string })[];
}

/** A JSON control body as a record (an absent or non-object body is empty). */
function bodyOf(body: unknown): Record<string, unknown> {
  return body && typeof body === "object" && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
}

/** One of `allowed`, or Stripe's 400 naming the param. */
function oneOf<T extends string>(value: unknown, allowed: readonly T[], param: string): T {
  if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
    throw invalid(param, `Invalid ${param}: must be one of ${allowed.join(", ")}${value === undefined ? "" : ` (got ${JSON.stringify(value)})`}`);
  }
  return value as T;
}

const REFUND_SETTLEMENTS = ["succeeded", "failed", "canceled"] as const satisfies readonly RefundSettlement[];

/** Pays the session (not stored): its payment intent and charge, and the session marked complete and paid. */
function completeSession(state: StripeState, session: CheckoutSession, options: CompleteCheckoutOptions, created: number): { paymentIntent: PaymentIntent; charge: Charge } {
  const { sessionExtras } = state;
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
  session.customer_details = { address: null, business_name: null, email, individual_name: null, name, phone: null, tax_exempt: "none", tax_ids: [] };
  return { paymentIntent, charge };
}

/** The session, if it is open; Stripe's 404, or a 400 when it is complete or expired. */
function openSession(state: StripeState, id: string): CheckoutSession {
  const { sessions } = state;
  const session = sessions.get(id);
  if (!session) throw noSuch("checkout.session", id);
  if (session.status !== "open") {
    throw new StripeApiError(400, `Checkout session ${id} is ${session.status}; only an open session can be completed or expired.`, { code: "checkout_session_not_open" });
  }
  return session;
}

async function completeCheckout(state: StripeState, sessionId: string, opts: CompleteCheckoutOptions = {}): Promise<CompletedCheckout> {
  const { nowSeconds, paymentIntents, charges, credit, emitEvent } = state;
  if (opts.delayed !== undefined && typeof opts.delayed !== "boolean") throw invalid("delayed", `Invalid boolean: ${JSON.stringify(opts.delayed)}`, "parameter_invalid_boolean");
  const session = openSession(state, sessionId);
  const { paymentIntent, charge } = completeSession(state, session, opts, nowSeconds());
  if (opts.delayed) {
    // A bank debit: Checkout completes unpaid, the intent processes, no charge or money until it settles.
    session.payment_status = "unpaid";
    Object.assign(paymentIntent, { status: "processing", amount_received: 0, latest_charge: null, payment_method_types: [DELAYED_METHOD] } satisfies Partial<PaymentIntent>);
    paymentIntents.add(paymentIntent);
    const completed = emitEvent("checkout.session.completed", session);
    const processing = emitEvent("payment_intent.processing", paymentIntent);
    return { session: clone(session), paymentIntent: clone(paymentIntent), charge: null, events: [clone(completed), clone(processing)] };
  }
  paymentIntents.add(paymentIntent);
  charges.add(charge);
  credit(charge.currency, charge.amount);
  const completed = emitEvent("checkout.session.completed", session);
  const succeeded = emitEvent("payment_intent.succeeded", paymentIntent);
  return { session: clone(session), paymentIntent: clone(paymentIntent), charge: clone(charge), events: [clone(completed), clone(succeeded)] };
}

/** The payment method type of a delayed Checkout payment. */
const DELAYED_METHOD = "us_bank_account";
const ASYNC_OUTCOMES = ["succeeded", "failed"] as const satisfies readonly AsyncPaymentOutcome[];

/**
 * The delayed payment of a completed, unpaid session settles: `succeeded` makes its charge, pays the
 * session and emits `payment_intent.succeeded` then `checkout.session.async_payment_succeeded`;
 * `failed` sends the intent back to `requires_payment_method` with its `last_payment_error` and emits
 * `payment_intent.payment_failed` then `checkout.session.async_payment_failed`.
 */
async function settleAsyncPayment(state: StripeState, sessionId: string, outcome: AsyncPaymentOutcome): Promise<CompletedCheckout> {
  const { sessions, paymentIntents, charges, nowSeconds, credit, emitEvent } = state;
  const session = sessions.get(sessionId);
  if (!session) throw noSuch("checkout.session", sessionId);
  const settled = oneOf(outcome, ASYNC_OUTCOMES, "outcome");
  const pi = session.payment_intent ? paymentIntents.get(session.payment_intent) : undefined;
  if (session.status !== "complete" || session.payment_status !== "unpaid" || pi?.status !== "processing") {
    const what = session.status === "complete" ? `complete and ${session.payment_status}` : session.status;
    throw new StripeApiError(400, `Checkout session ${sessionId} is ${what}; only a session completed with a delayed payment method awaits an async payment outcome.`, {
      code: "payment_intent_unexpected_state",
    });
  }
  if (settled === "succeeded") {
    const details = session.customer_details;
    const charge = newCharge(state, pi.id, {
      amount: pi.amount, currency: pi.currency, metadata: pi.metadata, email: details?.email ?? null, name: details?.name ?? null, created: nowSeconds(),
      paymentMethod: pi.payment_method, methodType: DELAYED_METHOD,
    });
    charges.add(charge);
    credit(charge.currency, charge.amount);
    Object.assign(pi, { status: "succeeded", amount_received: pi.amount, latest_charge: charge.id } satisfies Partial<PaymentIntent>);
    session.payment_status = "paid";
    const events = [emitEvent("payment_intent.succeeded", pi), emitEvent("checkout.session.async_payment_succeeded", session)];
    return { session: clone(session), paymentIntent: clone(pi), charge: clone(charge), events: events.map(clone) };
  }
  const code = "payment_intent_payment_attempt_failed";
  pi.status = "requires_payment_method";
  pi.payment_method = null;
  pi.last_payment_error = {
    type: "invalid_request_error",
    code,
    doc_url: `https://stripe.com/docs/error-codes/${code.replace(/_/g, "-")}`,
    message: "The customer's bank declined the debit.",
    payment_method_type: DELAYED_METHOD,
  };
  const events = [emitEvent("payment_intent.payment_failed", pi), emitEvent("checkout.session.async_payment_failed", session)];
  return { session: clone(session), paymentIntent: clone(pi), charge: null, events: events.map(clone) };
}

async function expireCheckout(state: StripeState, sessionId: string): Promise<{ session: CheckoutSession; event: StripeEvent }> {
  const { emitEvent } = state;
  const session = expireSession(openSession(state, sessionId));
  const event = emitEvent("checkout.session.expired", session);
  return { session: clone(session), event: clone(event) };
}

function seedPayments(state: StripeState, n: number, opts: SeedPaymentsOptions = {}): SeededPayments {
  const { nowSeconds, sessions, sessionExtras, paymentIntents, charges, credit } = state;
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
      const { paymentIntent, charge } = completeSession(state, session, {}, created);
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

function seedRefunds(state: StripeState, paymentIntentIds: readonly string[], opts: SeedRefundsOptions = {}): string[] {
  const { nowSeconds, paymentIntents, charges, refunds, credit } = state;
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
      currency: charge.currency, customer: pi!.customer, customer_account: null, destination_details: refundDestination(charge), metadata: {}, payment_intent: piId,
      payment_method: pi!.payment_method, reason: "requested_by_customer",
      receipt_number: null, source_transfer_reversal: null, status: "succeeded", transfer_reversal: null,
    });
  }
  refunds.addMany(made);
  return made.map((r) => r.id);
}

/** A succeeded payment intent's charge, or Stripe's 404 (unknown intent) or 400 (nothing paid to refund or dispute). */
function paidCharge(state: StripeState, paymentIntentId: unknown): Charge {
  const { paymentIntents, charges } = state;
  if (typeof paymentIntentId !== "string" || paymentIntentId === "") throw new StripeApiError(400, "Missing required param: paymentIntentId.", { code: "parameter_missing", param: "paymentIntentId" });
  const pi = paymentIntents.get(paymentIntentId);
  if (!pi) throw noSuch("payment_intent", paymentIntentId, "paymentIntentId");
  const charge = pi.status === "succeeded" && pi.latest_charge ? charges.get(pi.latest_charge) : undefined;
  if (!charge) throw invalid("paymentIntentId", `This PaymentIntent (${pi.id}) does not have a successful charge.`, "payment_intent_unexpected_state");
  return charge;
}

function setRefundOutcome(state: StripeState, status: unknown): void {
  state.refundOutcome = oneOf(status, REFUND_STATUSES, "status");
}

/** A refund made in the dashboard: no API request, so its events carry `request: { id: null, idempotency_key: null }`. */
function refundFromDashboard(state: StripeState, options: DashboardRefundOptions): Refund {
  const charge = paidCharge(state, options.paymentIntentId);
  const { amount } = options;
  if (amount !== undefined && (!Number.isSafeInteger(amount) || amount < 1)) throw invalid("amount", `Invalid integer: ${JSON.stringify(amount)}`, "parameter_invalid_integer");
  const status = options.status === undefined ? state.refundOutcome : oneOf(options.status, REFUND_STATUSES, "status");
  const reason = options.reason === undefined || options.reason === null ? null : oneOf(options.reason, REFUND_REASONS, "reason");
  return clone(makeRefund(state, { charge, amount, reason, metadata: {}, status, request: NO_REQUEST }));
}

function settleRefundById(state: StripeState, refundId: string, status: unknown): Refund {
  const refund = state.refunds.get(refundId);
  if (!refund) throw noSuch("refund", refundId);
  return clone(settleRefund(state, refund, oneOf(status, REFUND_SETTLEMENTS, "status")));
}

const DISPUTE_OUTCOMES = ["won", "lost"] as const satisfies readonly DisputeOutcome[];

/** The customer's bank disputes a paid payment intent's charge (reason default `fraudulent`). */
function createDispute(state: StripeState, options: CreateDisputeOptions): Dispute {
  const charge = paidCharge(state, options.paymentIntentId);
  const reason = options.reason === undefined ? "fraudulent" : oneOf(options.reason, DISPUTE_REASONS, "reason");
  return clone(openDispute(state, charge, reason));
}

function closeDisputeById(state: StripeState, disputeId: string, outcome: unknown): Dispute {
  const dispute = state.disputes.get(disputeId);
  if (!dispute) throw noSuch("dispute", disputeId);
  return clone(closeDispute(state, dispute, oneOf(outcome, DISPUTE_OUTCOMES, "outcome")));
}

function setWebhookSecret(state: StripeState, endpointId: string, secret: string): void {
  const { endpointSecrets } = state;
  state.endpoint(endpointId);
  if (!/^whsec_\S+$/.test(secret)) throw new StripeApiError(400, "A webhook signing secret starts with whsec_.");
  endpointSecrets.set(endpointId, secret);
}

function webhookEndpoints(state: StripeState): (WebhookEndpoint & { secret: string })[] {
  const { endpoints, endpointSecrets } = state;
  return endpoints.values().map((e) => ({ ...clone(e), secret: endpointSecrets.get(e.id)! }));
}

export function controlApi(state: StripeState): ControlApi {
  return {
    completeCheckout: (sessionId, options) => completeCheckout(state, sessionId, options),
    expireCheckout: (sessionId) => expireCheckout(state, sessionId),
    settleAsyncPayment: (sessionId, outcome) => settleAsyncPayment(state, sessionId, outcome),
    setRefundOutcome: (status) => setRefundOutcome(state, status),
    refundFromDashboard: (options) => refundFromDashboard(state, options),
    settleRefund: (refundId, status) => settleRefundById(state, refundId, status),
    createDispute: (options) => createDispute(state, options),
    closeDispute: (disputeId, outcome) => closeDisputeById(state, disputeId, outcome),
    seedPayments: (n, options) => seedPayments(state, n, options),
    seedRefunds: (paymentIntentIds, options) => seedRefunds(state, paymentIntentIds, options),
    setWebhookSecret: (endpointId, secret) => setWebhookSecret(state, endpointId, secret),
    webhookEndpoints: () => webhookEndpoints(state),
  };
}

export function controlRoutes(state: StripeState, controls: ControlApi): Route[] {
  const { completeCheckout, expireCheckout, seedPayments, setWebhookSecret, webhookEndpoints } = controls;
  const { settleAsyncPayment, setRefundOutcome, refundFromDashboard, settleRefund, createDispute, closeDispute } = controls;
  const { addPrice, delivery, emitEvent } = state;
  return [
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
      path: "/_control/checkout/sessions/:id/async",
      handler: control(async (req) => {
        const done = await settleAsyncPayment(req.params.id!, bodyOf(req.body).outcome as AsyncPaymentOutcome);
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
      path: "/_control/refunds/outcome",
      handler: control((req) => {
        const { status } = bodyOf(req.body);
        setRefundOutcome(status as RefundStatus);
        return { status };
      }),
    },
    {
      method: "POST",
      path: "/_control/refunds",
      handler: control((req) => refundFromDashboard(bodyOf(req.body) as unknown as DashboardRefundOptions)),
    },
    {
      method: "POST",
      path: "/_control/refunds/:id/settle",
      handler: control((req) => settleRefund(req.params.id!, bodyOf(req.body).status as RefundSettlement)),
    },
    {
      method: "POST",
      path: "/_control/disputes",
      handler: control((req) => createDispute(bodyOf(req.body) as unknown as CreateDisputeOptions)),
    },
    {
      method: "POST",
      path: "/_control/disputes/:id/close",
      handler: control((req) => closeDispute(req.params.id!, bodyOf(req.body).outcome as DisputeOutcome)),
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
}
