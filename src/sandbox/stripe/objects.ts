/**
 * The Stripe API objects the emulator serves, in Stripe's JSON shape
 * (snake_case, unix-second timestamps, ids with Stripe's prefixes). Only the
 * fields bookflow and the SDK read are modelled; they carry Stripe's names.
 */

export type Metadata = Record<string, string>;

export interface WebhookEndpoint {
  id: string;
  object: "webhook_endpoint";
  api_version: string | null;
  application: null;
  created: number;
  description: string | null;
  enabled_events: string[];
  livemode: boolean;
  metadata: Metadata;
  status: "enabled" | "disabled";
  url: string;
}

export interface Price {
  id: string;
  object: "price";
  active: boolean;
  billing_scheme: "per_unit";
  created: number;
  currency: string;
  livemode: boolean;
  lookup_key: string | null;
  metadata: Metadata;
  nickname: string | null;
  product: string;
  recurring: null;
  tax_behavior: "unspecified";
  type: "one_time";
  unit_amount: number;
  unit_amount_decimal: string;
}

export interface LineItem {
  id: string;
  object: "item";
  amount_discount: number;
  amount_subtotal: number;
  amount_tax: number;
  amount_total: number;
  currency: string;
  description: string;
  price: Price;
  quantity: number;
}

export interface CheckoutSession {
  id: string;
  object: "checkout.session";
  amount_subtotal: number;
  amount_total: number;
  cancel_url: string | null;
  client_reference_id: string | null;
  created: number;
  currency: string;
  customer: string | null;
  customer_details: {
    address: null;
    business_name: null;
    email: string | null;
    individual_name: null;
    name: string | null;
    phone: null;
    tax_exempt: "none";
    tax_ids: [];
  } | null;
  customer_email: string | null;
  expires_at: number;
  livemode: boolean;
  locale: string | null;
  metadata: Metadata;
  mode: "payment";
  payment_intent: string | null;
  payment_method_types: string[];
  payment_status: "paid" | "unpaid" | "no_payment_required";
  status: "open" | "complete" | "expired";
  success_url: string | null;
  ui_mode: "hosted";
  url: string | null;
}

export interface PaymentIntent {
  id: string;
  object: "payment_intent";
  amount: number;
  amount_capturable: number;
  amount_received: number;
  canceled_at: null;
  capture_method: "automatic_async";
  client_secret: string;
  confirmation_method: "automatic";
  created: number;
  currency: string;
  customer: string | null;
  description: string | null;
  latest_charge: string | null;
  livemode: boolean;
  metadata: Metadata;
  payment_method: string | null;
  payment_method_types: string[];
  receipt_email: string | null;
  /** What made the last payment attempt fail (a delayed payment that failed, say), else null. */
  last_payment_error: PaymentError | null;
  /** `processing` while a delayed payment method (a bank debit) has not settled yet. */
  status: "succeeded" | "processing" | "requires_payment_method" | "canceled";
}

/** A payment intent's `last_payment_error`: Stripe's error fields for the failed attempt. */
export interface PaymentError {
  type: "api_error" | "card_error" | "idempotency_error" | "invalid_request_error";
  code: string;
  doc_url: string;
  message: string;
  payment_method_type: string;
}

export interface Charge {
  id: string;
  object: "charge";
  amount: number;
  amount_captured: number;
  amount_refunded: number;
  billing_details: { address: null; email: string | null; name: string | null; phone: null; tax_id: null };
  captured: boolean;
  created: number;
  currency: string;
  /** Whether the charge has been disputed (stays true once a dispute was opened). */
  disputed: boolean;
  failure_code: string | null;
  failure_message: string | null;
  livemode: boolean;
  metadata: Metadata;
  paid: boolean;
  payment_intent: string;
  refunded: boolean;
  status: "succeeded";
}

/** Refund.status as Stripe documents it. */
export const REFUND_STATUSES = ["pending", "requires_action", "succeeded", "failed", "canceled"] as const;
export type RefundStatus = (typeof REFUND_STATUSES)[number];

export interface Refund {
  id: string;
  object: "refund";
  amount: number;
  /** Set once the refund takes the money from the balance (when it succeeds). */
  balance_transaction: string | null;
  charge: string;
  created: number;
  currency: string;
  customer: string | null;
  /** Why a failed refund failed (Stripe's `failure_reason`), only on failed refunds. */
  failure_reason?: string;
  metadata: Metadata;
  payment_intent: string;
  payment_method: string | null;
  reason: "duplicate" | "fraudulent" | "requested_by_customer" | null;
  receipt_number: null;
  source_transfer_reversal: null;
  status: RefundStatus;
  transfer_reversal: null;
}

/** A balance transaction as a dispute carries it (the funds withdrawn, and reinstated when won). */
export interface BalanceTransaction {
  id: string;
  object: "balance_transaction";
  amount: number;
  available_on: number;
  balance_type: "payments";
  created: number;
  currency: string;
  description: string | null;
  exchange_rate: null;
  fee: number;
  fee_details: { amount: number; application: null; currency: string; description: string | null; type: string }[];
  net: number;
  reporting_category: string;
  source: string;
  status: "available" | "pending";
  type: "adjustment";
}

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
