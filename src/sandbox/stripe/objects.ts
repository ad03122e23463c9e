/**
 * The Stripe API objects the emulator serves, typed with the pinned `stripe`
 * package's own types (`Stripe.Checkout.Session`, `Stripe.PaymentIntent`, …):
 * the compiler proves every field Stripe declares is present. Each type
 * narrows some of Stripe's fields to what the emulator stores and answers
 * (ids rather than expanded objects, the statuses it plays, metadata always an
 * object); `Narrowed` only accepts a narrowing that is assignable to Stripe's
 * field, so every object stays a valid value of the SDK's type.
 */
import type Stripe from "stripe";

/**
 * Stripe's type `T` with the fields in `N` narrowed; each of `N`'s fields must be a subtype of `T`'s, so a
 * `Narrowed<T, N>` is assignable to `T`.
 */
export type Narrowed<T, N extends { [K in keyof N]: K extends keyof T ? T[K] : never }> = Omit<T, keyof N> & N;

export type Metadata = Record<string, string>;

export type WebhookEndpoint = Narrowed<
  Stripe.WebhookEndpoint,
  { api_version: string | null; application: null; metadata: Metadata; status: "enabled" | "disabled"; enabled_events: string[] }
>;

/** `unit_amount_decimal` on the wire: a decimal string (the SDK's type is the `Decimal` it parses it into). */
export type Price = Narrowed<
  Omit<Stripe.Price, "unit_amount_decimal">,
  {
    billing_scheme: "per_unit";
    custom_unit_amount: null;
    metadata: Metadata;
    product: string;
    recurring: null;
    tax_behavior: "unspecified";
    tiers_mode: null;
    transform_quantity: null;
    type: "one_time";
    unit_amount: number;
  }
> & { unit_amount_decimal: string };

export type LineItem = Narrowed<Omit<Stripe.LineItem, "price">, { adjustable_quantity: null; description: string; metadata: Metadata; quantity: number }> & { price: Price };

/** `ui_mode` of a session paid on Stripe's hosted page, at the pinned API version (`hosted` before 2026-10-28). */
export const HOSTED_UI_MODE = "hosted_page" satisfies Stripe.Checkout.Session.UiMode;

export type CheckoutSession = Narrowed<
  Stripe.Checkout.Session,
  {
    amount_subtotal: number;
    amount_total: number;
    currency: string;
    customer: string | null;
    invoice: null;
    metadata: Metadata;
    mode: "payment";
    payment_intent: string | null;
    payment_link: null;
    payment_status: "paid" | "unpaid" | "no_payment_required";
    setup_intent: null;
    status: "open" | "complete" | "expired";
    subscription: null;
    ui_mode: typeof HOSTED_UI_MODE;
  }
>;

/** A payment intent's `last_payment_error`: Stripe's error fields for the failed attempt. */
export type PaymentError = Narrowed<
  Stripe.PaymentIntent.LastPaymentError,
  { type: "api_error" | "card_error" | "idempotency_error" | "invalid_request_error"; code: string; doc_url: string; message: string; payment_method_type: string }
>;

export type PaymentIntent = Narrowed<
  Stripe.PaymentIntent,
  {
    application: null;
    canceled_at: null;
    capture_method: "automatic_async";
    client_secret: string;
    confirmation_method: "automatic";
    customer: string | null;
    /** What made the last payment attempt fail (a delayed payment that failed, say), else null. */
    last_payment_error: PaymentError | null;
    latest_charge: string | null;
    metadata: Metadata;
    on_behalf_of: null;
    payment_method: string | null;
    review: null;
    source: null;
    /** `processing` while a delayed payment method (a bank debit) has not settled yet. */
    status: "succeeded" | "processing" | "requires_payment_method" | "canceled";
  }
>;

export type Charge = Narrowed<
  Stripe.Charge,
  {
    application: null;
    application_fee: null;
    balance_transaction: string | null;
    customer: string | null;
    failure_balance_transaction: null;
    metadata: Metadata;
    on_behalf_of: null;
    payment_intent: string;
    payment_method: string | null;
    review: null;
    source_transfer: null;
    status: "succeeded";
  }
>;

/** Refund.status as Stripe documents it. */
export const REFUND_STATUSES = ["pending", "requires_action", "succeeded", "failed", "canceled"] as const satisfies readonly Stripe.Refund["status"][];
export type RefundStatus = (typeof REFUND_STATUSES)[number];

export type Refund = Narrowed<
  Stripe.Refund,
  {
    /** Set once the refund takes the money from the balance (when it succeeds). */
    balance_transaction: string | null;
    charge: string;
    customer: string | null;
    metadata: Metadata;
    payment_intent: string;
    payment_method: string | null;
    reason: "duplicate" | "fraudulent" | "requested_by_customer" | null;
    receipt_number: null;
    source_transfer_reversal: null;
    status: RefundStatus;
    transfer_reversal: null;
  }
>;

/** A balance transaction as a dispute carries it (the funds withdrawn, and reinstated when won). */
export type BalanceTransaction = Narrowed<
  Stripe.BalanceTransaction,
  { balance_type: "payments"; exchange_rate: null; source: string; status: "available" | "pending"; type: "adjustment" }
>;

/** Dispute.reason values Stripe documents. */
export const DISPUTE_REASONS = [
  "bank_cannot_process", "check_returned", "credit_not_processed", "customer_initiated", "debit_not_authorized", "duplicate", "fraudulent", "general",
  "incorrect_account_details", "insufficient_funds", "noncompliant", "product_not_received", "product_unacceptable", "subscription_canceled", "unrecognized",
] as const;

/** Dispute.evidence: what the merchant submits, all empty until then. */
export interface DisputeEvidence {
  access_activity_log: string | null;
  billing_address: string | null;
  cancellation_policy: string | null;
  cancellation_policy_disclosure: string | null;
  cancellation_rebuttal: string | null;
  customer_communication: string | null;
  customer_email_address: string | null;
  customer_name: string | null;
  customer_purchase_ip: string | null;
  customer_signature: string | null;
  duplicate_charge_documentation: string | null;
  duplicate_charge_explanation: string | null;
  duplicate_charge_id: string | null;
  enhanced_evidence: Record<string, never>;
  product_description: string | null;
  receipt: string | null;
  refund_policy: string | null;
  refund_policy_disclosure: string | null;
  refund_refusal_explanation: string | null;
  service_date: string | null;
  service_documentation: string | null;
  shipping_address: string | null;
  shipping_carrier: string | null;
  shipping_date: string | null;
  shipping_documentation: string | null;
  shipping_tracking_number: string | null;
  uncategorized_file: string | null;
  uncategorized_text: string | null;
}

export interface Dispute {
  id: string;
  object: "dispute";
  amount: number;
  balance_transactions: BalanceTransaction[];
  charge: string;
  created: number;
  currency: string;
  enhanced_eligibility_types: string[];
  evidence: DisputeEvidence;
  evidence_details: {
    due_by: number | null;
    enhanced_eligibility: Record<string, never>;
    has_evidence: boolean;
    past_due: boolean;
    submission_count: number;
    submission_method: "manual" | "not_submitted" | "smart_disputes";
  };
  intended_submission_method: null;
  is_charge_refundable: boolean;
  livemode: boolean;
  metadata: Metadata;
  payment_intent: string | null;
  payment_method_details: { card: { brand: string; case_type: "chargeback" | "inquiry"; network: string; network_reason_code: string | null }; type: "card" };
  reason: (typeof DISPUTE_REASONS)[number];
  /** needs_response until answered; won or lost once closed (Stripe has a few more: under_review, warning_*, prevented). */
  status: "needs_response" | "under_review" | "won" | "lost";
}

export interface StripeEvent {
  id: string;
  object: "event";
  api_version: string;
  created: number;
  data: { object: unknown; previous_attributes?: Record<string, unknown> };
  livemode: boolean;
  pending_webhooks: number;
  request: { id: string | null; idempotency_key: string | null };
  type: string;
}

export interface StripeList<T> {
  object: "list";
  data: T[];
  has_more: boolean;
  url: string;
}

/** Compile-time proofs that the emulator's own dispute and event envelope are values of the SDK's types. */
type Assignable<T extends U, U> = T;
export type DisputeIsStripeDispute = Assignable<Dispute, Stripe.Dispute>;
export type EventIsStripeEvent = Assignable<StripeEvent, Omit<Stripe.EventBase, "type" | "data">>;

/** A PII token (`POST /v1/tokens` with `pii[id_number]`): `Stripe.Token` without the card or bank account it does not carry. */
export type Token = Narrowed<Omit<Stripe.Token, "card" | "bank_account">, { type: "pii" }>;
