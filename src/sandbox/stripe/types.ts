/**
 * The Stripe emulator's public types and constants: its options, what the
 * control API takes and returns, injected errors, and the delivery record as
 * the emulator shows it. `emulator.ts` re-exports every one of them.
 */
import type { Faults } from "../emulator-server.js";
import type { DeliveryRecord as SharedDeliveryRecord } from "../webhook-delivery.js";
import type { Charge, CheckoutSession, Dispute, Metadata, PaymentIntent, Refund, RefundStatus, StripeEvent } from "./objects.js";

/** One delivery attempt, as the emulator's log shows it (the target is a webhook endpoint). */
export type DeliveryRecord = Omit<SharedDeliveryRecord, "targetId"> & { endpointId: string };

/** The API version the bundled SDK (stripe@23) pins; events and endpoints report it unless told otherwise. */
export const STRIPE_EMULATOR_API_VERSION = "2026-10-28.endive";

/** Stripe's limit of webhook endpoints per account and mode. */
export const MAX_WEBHOOK_ENDPOINTS = 16;

export interface SeedPrice {
  id: string;
  unit_amount: number;
  currency: string;
  active?: boolean;
  product?: string;
  nickname?: string | null;
  lookup_key?: string | null;
  metadata?: Metadata;
}

export interface StripeEmulatorOptions {
  port?: number;
  /** The one secret key the emulator accepts (`sk_test_…`; `sk_live_…` makes objects `livemode: true`). */
  secretKey: string;
  /** The account's publishable key (default the secret key with `pk_` for its prefix): it may only create tokens (`POST /v1/tokens`). */
  publishableKey?: string;
  /** Publishable keys of other Stripe accounts: accepted for `POST /v1/tokens`, their tokens live in those accounts (this secret key cannot retrieve them). */
  otherAccountPublishableKeys?: string[];
  accountId?: string;
  faults?: Faults;
  /** Retries after a failed first delivery attempt (default 3). */
  deliveryRetries?: number;
  /** Delay before the first retry, doubled for each next one (default 100 ms). */
  retryDelayMs?: number;
  /** Per-attempt delivery timeout (default 5000 ms). */
  deliveryTimeoutMs?: number;
  /** Time source for `created` fields and signature timestamps (default the system clock). */
  clock?: { now(): Date };
  /** Prices retrievable by id and usable in Checkout `line_items[][price]`. */
  prices?: SeedPrice[];
  /** `api_version` on events (default the bundled SDK's version). */
  apiVersion?: string;
  /** Fields merged into the `GET /v1/account` answer (e.g. `{ charges_enabled: false }`). */
  account?: Record<string, unknown>;
  /** Deliver webhooks to non-loopback hosts too (default false). */
  allowNonLoopbackDelivery?: boolean;
  /** Random source for fault injection. */
  random?: () => number;
}

export interface CompleteCheckoutOptions {
  /** `customer_details.name` (default null). */
  customerName?: string | null;
  /** `customer_details.email` when the session had no `customer_email` (default `customer@example.com`). */
  customerEmail?: string;
  /**
   * Pay with a delayed method (a bank debit): the session completes `unpaid`, its payment intent is
   * `processing` (no charge yet), and `settleAsyncPayment` later decides the outcome (default false).
   */
  delayed?: boolean;
}

export interface CompletedCheckout {
  session: CheckoutSession;
  paymentIntent: PaymentIntent;
  /** Null while a delayed payment processes, and when it failed. */
  charge: Charge | null;
  events: StripeEvent[];
}

/** How a delayed Checkout payment settles (`settleAsyncPayment`, `POST /_control/checkout/sessions/:id/async`). */
export type AsyncPaymentOutcome = "succeeded" | "failed";

/** A refund made in the Stripe dashboard (`refundFromDashboard`, `POST /_control/refunds`). */
export interface DashboardRefundOptions {
  paymentIntentId: string;
  /** In cents; default what is left to refund. */
  amount?: number;
  /** The status it ends in; default the refund outcome (`setRefundOutcome`, itself succeeded by default). */
  status?: RefundStatus;
  reason?: Refund["reason"];
}

/** How a pending refund settles (`settleRefund`, `POST /_control/refunds/:id/settle`). */
export type RefundSettlement = "succeeded" | "failed" | "canceled";

/** A dispute the customer's bank opens (`createDispute`, `POST /_control/disputes`). */
export interface CreateDisputeOptions {
  paymentIntentId: string;
  /** Default "fraudulent". */
  reason?: Dispute["reason"];
}

/** How a dispute closes (`closeDispute`, `POST /_control/disputes/:id/close`). */
export type DisputeOutcome = "won" | "lost";

export interface SeedPaymentsOptions {
  /** Amount in cents, fixed or per index (default 5000). */
  amount?: number | ((index: number) => number);
  /** Default "usd". */
  currency?: string;
  /** Unix seconds of the first payment (default: spaced so the last one is now). */
  createdFrom?: number;
  /** Seconds between consecutive payments (default 1). */
  spacingSeconds?: number;
  metadata?: (index: number) => Metadata;
  /** Also create a completed Checkout session for each payment (default false). */
  withCheckoutSessions?: boolean;
}

export interface SeedRefundsOptions {
  /** Unix seconds of every refund (default now). */
  created?: number;
}

export interface SeededPayments {
  paymentIntentIds: string[];
  checkoutSessionIds: string[];
}

export interface InjectedError {
  /** Default any method. */
  method?: string;
  /** A path (`/v1/refunds`) or a pattern. */
  path: string | RegExp;
  status: number;
  error: { type: string; message: string; code?: string; param?: string; decline_code?: string };
  /** How many matching requests fail (default 1). */
  times?: number;
}
