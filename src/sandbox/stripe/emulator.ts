/**
 * The Stripe emulator: the part of Stripe's v1 API bookflow uses (account,
 * balance, webhook endpoints, Checkout sessions, payment intents, charges,
 * refunds, disputes, prices, events), form-encoded requests and JSON answers
 * in Stripe's shapes (the `stripe` SDK's types), Stripe's error bodies and
 * statuses (the `--faults` 429s and 5xx included), Bearer key auth,
 * Idempotency-Key replay as Stripe documents it, and webhook deliveries
 * signed with each endpoint's secret through the Stripe SDK
 * (`signStripePayload`).
 *
 * It plays a booking's payment life as Stripe sends it. Tests and the sandbox
 * drive what the customer, their bank and the dashboard do through the
 * control API: methods on the returned object, or the same under `/_control`
 * over HTTP (no auth).
 * - Paying: `completeCheckout` pays a session (`checkout.session.completed`,
 *   `payment_intent.succeeded`); with `{ delayed: true }` (a bank debit) it
 *   completes `unpaid` with the intent `processing` (`checkout.session.completed`,
 *   `payment_intent.processing`) until `settleAsyncPayment` settles it:
 *   succeeded (`payment_intent.succeeded`, `checkout.session.async_payment_succeeded`)
 *   or failed (`payment_intent.payment_failed`, `checkout.session.async_payment_failed`).
 *   `expireCheckout` (or `POST /v1/checkout/sessions/:id/expire`) emits
 *   `checkout.session.expired`; an expired session cannot be paid.
 * - Refunds (`POST /v1/refunds`, or `refundFromDashboard`, whose events carry
 *   no request) end in the status `setRefundOutcome` chose (default
 *   succeeded): `refund.created`, then `charge.refunded` when succeeded,
 *   `refund.updated` and `refund.failed` when failed; a pending one holds its
 *   amount until `settleRefund` (`refund.updated`, then `charge.refunded` or
 *   `refund.failed`). Partial refunds add up in the charge's `amount_refunded`.
 * - Disputes: `createDispute` opens one (`charge.dispute.created`,
 *   `charge.dispute.funds_withdrawn`), `closeDispute` closes it won
 *   (`charge.dispute.closed`, `charge.dispute.funds_reinstated`) or lost.
 *
 * Control routes (JSON, no auth): `POST /_control/checkout/sessions/:id/complete`
 * (body `{ customerName?, customerEmail?, delayed? }`), `POST /_control/checkout/sessions/:id/async`
 * `{ outcome: "succeeded" | "failed" }`, `POST /_control/checkout/sessions/:id/expire`,
 * `POST /_control/refunds/outcome` `{ status: "succeeded" | "pending" | "requires_action" | "failed" | "canceled" }`,
 * `POST /_control/refunds` `{ paymentIntentId, amount?, status?, reason? }` (a dashboard refund),
 * `POST /_control/refunds/:id/settle` `{ status: "succeeded" | "failed" | "canceled" }`,
 * `POST /_control/disputes` `{ paymentIntentId, reason? }`, `POST /_control/disputes/:id/close`
 * `{ outcome: "won" | "lost" }`, `POST /_control/events` `{ type, object }`, `GET /_control/deliveries`,
 * `POST /_control/idle`, `GET /_control/webhook_endpoints` (with secrets),
 * `POST /_control/webhook_endpoints/:id/secret` `{ secret }`,
 * `POST /_control/seed/payments` `{ n, amount?, currency?, createdFrom?, spacingSeconds?, withCheckoutSessions? }`,
 * `POST /_control/prices` `{ id, unit_amount, currency, active? }`. Refused
 * input answers Stripe's error body (`{ error: { type, message, code?, param? } }`)
 * with its status. The hosted Checkout page a session's `url` points to
 * (`/c/pay/:id`) pays on submit and redirects to `success_url`.
 *
 * This module wires the parts: `state.ts` (the stores, balance, refund
 * outcome, idempotency records, injected failures, events and their
 * delivery), `pipeline.ts` (auth, request ids, idempotency, injected
 * failures, error shapes, params, lists), `routes/` (one module per
 * resource), `control.ts` (the control API), `payments.ts` (payment, session,
 * refund and dispute objects and their lifecycle) and `types.ts` (the public
 * types, re-exported here).
 */
import { startEmulator, type Route, type RunningEmulator } from "../emulator-server.js";
import { controlApi, controlRoutes } from "./control.js";
import type { CheckoutSession, Dispute, PaymentIntent, Price, Refund, RefundStatus, StripeEvent, WebhookEndpoint } from "./objects.js";
import { clone } from "./params.js";
import { authenticateWith, createPipeline, notFound, stripeFaultAnswer } from "./pipeline.js";
import { accountRoutes } from "./routes/account.js";
import { tokenRoutes } from "./routes/tokens.js";
import { chargeRoutes } from "./routes/charges.js";
import { checkoutPageRoutes } from "./routes/checkout-page.js";
import { checkoutSessionRoutes } from "./routes/checkout-sessions.js";
import { disputeRoutes } from "./routes/disputes.js";
import { eventRoutes } from "./routes/events.js";
import { paymentIntentRoutes } from "./routes/payment-intents.js";
import { priceRoutes } from "./routes/prices.js";
import { refundRoutes } from "./routes/refunds.js";
import { webhookEndpointRoutes } from "./routes/webhook-endpoints.js";
import { createStripeState } from "./state.js";
import type {
  AsyncPaymentOutcome,
  CompleteCheckoutOptions,
  CompletedCheckout,
  CreateDisputeOptions,
  DashboardRefundOptions,
  DeliveryRecord,
  DisputeOutcome,
  InjectedError,
  RefundSettlement,
  SeededPayments,
  SeedPaymentsOptions,
  SeedPrice,
  SeedRefundsOptions,
  StripeEmulatorOptions,
} from "./types.js";

export type { BalanceTransaction, Charge, CheckoutSession, Dispute, LineItem, PaymentIntent, Price, Refund, RefundStatus, StripeEvent, StripeList, WebhookEndpoint } from "./objects.js";
export { DISPUTE_REASONS, REFUND_STATUSES } from "./objects.js";
export type {
  AsyncPaymentOutcome,
  CompleteCheckoutOptions,
  CompletedCheckout,
  CreateDisputeOptions,
  DashboardRefundOptions,
  DeliveryRecord,
  DisputeOutcome,
  InjectedError,
  RefundSettlement,
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
  /** The account's publishable key (it may only create tokens). */
  publishableKey: string;
  accountId: string;
  livemode: boolean;
  apiVersion: string;
  /** The `/v1` routes it answers (method and path pattern), for contract tests that must cover each. */
  apiRoutes: readonly { method: string; path: string }[];
  /**
   * Pays an open Checkout session, creates its payment intent and charge, and emits and delivers the two
   * events; `{ delayed: true }` completes it unpaid with its intent processing (`checkout.session.completed`,
   * `payment_intent.processing`) until `settleAsyncPayment`.
   */
  completeCheckout(sessionId: string, options?: CompleteCheckoutOptions): Promise<CompletedCheckout>;
  /** Settles the delayed payment of a session completed with `{ delayed: true }` (a 400 for any other session). */
  settleAsyncPayment(sessionId: string, outcome: AsyncPaymentOutcome): Promise<CompletedCheckout>;
  /** Expires an open Checkout session and emits `checkout.session.expired`. */
  expireCheckout(sessionId: string): Promise<{ session: CheckoutSession; event: StripeEvent }>;
  /** The status every next refund (API or dashboard) ends its request in, until changed (default succeeded). */
  setRefundOutcome(status: RefundStatus): void;
  /** A refund made in the dashboard (events with no request), ending in `status` or the refund outcome. */
  refundFromDashboard(options: DashboardRefundOptions): Refund;
  /** Settles a pending (or requires_action) refund: `refund.updated`, then `charge.refunded` or `refund.failed`. */
  settleRefund(refundId: string, status: RefundSettlement): Refund;
  /** The customer's bank disputes a paid intent's charge: a `needs_response` dispute, `charge.dispute.created` (and `funds_withdrawn`). */
  createDispute(options: CreateDisputeOptions): Dispute;
  /** Closes an open dispute won (funds reinstated) or lost: `charge.dispute.closed`. */
  closeDispute(disputeId: string, outcome: DisputeOutcome): Dispute;
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
  getRefund(id: string): Refund | undefined;
  getDispute(id: string): Dispute | undefined;
  /** Makes Stripe know a publishable key of another account: it creates tokens there, which this secret key cannot retrieve. */
  addOtherAccountPublishableKey(publishableKey: string): void;
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
  const pipeline = createPipeline(state);
  const controls = controlApi(state);
  const routes: Route[] = [
    ...accountRoutes(state, pipeline, options.account),
    ...webhookEndpointRoutes(state, pipeline),
    ...checkoutSessionRoutes(state, pipeline),
    ...paymentIntentRoutes(state, pipeline),
    ...chargeRoutes(state, pipeline),
    ...refundRoutes(state, pipeline),
    ...disputeRoutes(state, pipeline),
    ...priceRoutes(state, pipeline),
    ...eventRoutes(state, pipeline),
    ...tokenRoutes(state, pipeline),
    ...checkoutPageRoutes(state, controls.completeCheckout),
    ...controlRoutes(state, controls),
  ];

  const server = await startEmulator({
    name: "stripe",
    routes,
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.faults ? { faults: options.faults } : {}),
    ...(options.random ? { random: options.random } : {}),
    authenticate: authenticateWith(secretKey, { own: state.publishableKey, others: state.otherAccountKeys }),
    notFound,
    faultAnswer: stripeFaultAnswer,
  });
  state.baseUrl = server.url;

  const { delivery, events, sessions, paymentIntents, refunds, disputes } = state;
  return {
    name: server.name,
    url: server.url,
    port: server.port,
    server: server.server,
    requestLog: server.requestLog,
    setFaults: server.setFaults,
    secretKey,
    publishableKey: state.publishableKey,
    addOtherAccountPublishableKey: (key) => {
      if (!/^pk_(test|live)_\S+$/.test(key) || key === state.publishableKey) throw new Error("addOtherAccountPublishableKey: give another account's publishable key (pk_test_… or pk_live_…)");
      state.otherAccountKeys.add(key);
    },
    accountId: state.accountId,
    livemode: state.livemode,
    apiVersion: state.apiVersion,
    apiRoutes: routes.filter((r) => r.path.startsWith("/v1/")).map(({ method, path }) => ({ method, path })),
    completeCheckout: controls.completeCheckout,
    expireCheckout: controls.expireCheckout,
    settleAsyncPayment: controls.settleAsyncPayment,
    setRefundOutcome: controls.setRefundOutcome,
    refundFromDashboard: controls.refundFromDashboard,
    settleRefund: controls.settleRefund,
    createDispute: controls.createDispute,
    closeDispute: controls.closeDispute,
    emitEvent: (type, object, previousAttributes) => clone(state.emitEvent(type, object, previousAttributes)),
    deliveries: () => state.deliveries(),
    idle: () => delivery.idle(),
    seedPayments: controls.seedPayments,
    seedRefunds: controls.seedRefunds,
    addPrice: (price) => clone(state.addPrice(price)),
    failNext(spec) {
      state.injected.push({ ...spec, left: spec.times ?? 1 });
    },
    webhookEndpoints: controls.webhookEndpoints,
    setWebhookSecret: controls.setWebhookSecret,
    events: () => events.values().map(clone),
    getCheckoutSession: (id) => {
      const s = sessions.get(id);
      return s ? clone(s) : undefined;
    },
    getPaymentIntent: (id) => {
      const p = paymentIntents.get(id);
      return p ? clone(p) : undefined;
    },
    getRefund: (id) => {
      const r = refunds.get(id);
      return r ? clone(r) : undefined;
    },
    getDispute: (id) => {
      const d = disputes.get(id);
      return d ? clone(d) : undefined;
    },
    async close() {
      await delivery.close();
      await server.close();
    },
  };
}
