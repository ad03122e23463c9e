/**
 * Building the Stripe objects both the API routes and the control API make,
 * and moving them through their lives: a succeeded payment intent with its
 * charge, a new open Checkout session (its `url` is the hosted Checkout page),
 * refunds (made in any status, settled later, each with the events Stripe
 * sends), and disputes (opened, closed won or lost, with their balance
 * transactions).
 */
import type Stripe from "stripe";
import { HOSTED_UI_MODE, type BalanceTransaction, type Charge, type CheckoutSession, type Dispute, type DisputeEvidence, type Metadata, type PaymentIntent, type Refund, type RefundStatus, type StripeEvent } from "./objects.js";
import { StripeApiError, invalid, money } from "./params.js";
import type { StripeState } from "./state.js";
import { randomToken, stripeId } from "./store.js";

/** The `request` of events nobody's API request caused (the dashboard, a bank settling later). */
export const NO_REQUEST: StripeEvent["request"] = { id: null, idempotency_key: null };

export interface PaymentInput {
  amount: number;
  currency: string;
  metadata: Metadata;
  email: string | null;
  name: string | null;
  description: string | null;
  created: number;
}

/** How a payment was made: a card, or (a delayed Checkout payment) a US bank debit. */
export type PaymentMethodType = "card" | "us_bank_account";

const NO_ADDRESS = { city: null, country: null, line1: null, line2: null, postal_code: null, state: null };

/** `payment_method_details` of a charge: Stripe's test Visa card, or the test bank account of a bank debit. */
function paymentMethodDetails(type: PaymentMethodType, amount: number): Stripe.Charge.PaymentMethodDetails {
  if (type === "us_bank_account") {
    return {
      type,
      us_bank_account: {
        account_holder_type: "individual", account_type: "checking", bank_name: "STRIPE TEST BANK", fingerprint: randomToken(16),
        last4: "6789", payment_reference: null, routing_number: "110000000",
      },
    };
  }
  return {
    type,
    card: {
      amount_authorized: null, authorization_code: null, brand: "visa", checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: "pass" },
      country: "US", exp_month: 12, exp_year: 2034, extended_authorization: { status: "disabled" }, fingerprint: randomToken(16), funding: "credit",
      incremental_authorization: { status: "unavailable" }, installments: null, last4: "4242", mandate: null, multicapture: { status: "unavailable" },
      network_token: { used: false }, overcapture: { maximum_amount_capturable: amount, status: "unavailable" },
      electronic_commerce_indicator: null, network: "visa", network_transaction_id: randomToken(15), regulated_status: "unregulated", three_d_secure: null,
      transaction_link_id: null, wallet: null,
    },
  };
}

/** A succeeded, captured charge of a payment intent (not stored). */
export function newCharge(
  state: Pick<StripeState, "livemode" | "baseUrl">,
  paymentIntentId: string,
  input: Omit<PaymentInput, "description"> & { paymentMethod: string | null; methodType?: PaymentMethodType },
): Charge {
  const id = `ch_${randomToken(24)}`;
  return {
    id,
    object: "charge",
    amount: input.amount,
    amount_captured: input.amount,
    amount_refunded: 0,
    application: null,
    application_fee: null,
    application_fee_amount: null,
    balance_transaction: `txn_${randomToken(24)}`,
    billing_details: { address: { ...NO_ADDRESS }, email: input.email, name: input.name, phone: null, tax_id: null },
    calculated_statement_descriptor: "BOOKFLOW",
    captured: true,
    created: input.created,
    currency: input.currency,
    customer: null,
    description: null,
    disputed: false,
    failure_balance_transaction: null,
    failure_code: null,
    failure_message: null,
    fraud_details: {},
    livemode: state.livemode,
    metadata: { ...input.metadata },
    on_behalf_of: null,
    outcome: {
      advice_code: null, network_advice_code: null, network_decline_code: null, network_status: "approved_by_network", reason: null,
      risk_level: "normal", risk_score: 20, seller_message: "Payment complete.", type: "authorized",
    },
    paid: true,
    payment_intent: paymentIntentId,
    payment_method: input.paymentMethod,
    payment_method_details: paymentMethodDetails(input.methodType ?? "card", input.amount),
    receipt_email: input.email,
    receipt_number: null,
    receipt_url: `${state.baseUrl}/receipts/payment/${id}`,
    refunded: false,
    review: null,
    shipping: null,
    source: null,
    source_transfer: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: "succeeded",
    transfer_data: null,
    transfer_group: null,
  };
}

/** A payment intent of a one-off payment in `status` (not stored); no charge yet. */
export function newPaymentIntent(
  state: Pick<StripeState, "livemode">,
  input: Pick<PaymentInput, "amount" | "currency" | "metadata" | "description" | "created"> & { receiptEmail: string | null; status: PaymentIntent["status"] },
): PaymentIntent {
  const id = `pi_${randomToken(24)}`;
  return {
    id,
    object: "payment_intent",
    allowed_payment_method_types: null,
    amount: input.amount,
    amount_capturable: 0,
    amount_details: { tip: {} },
    amount_received: 0,
    application: null,
    application_fee_amount: null,
    automatic_payment_methods: null,
    canceled_at: null,
    cancellation_reason: null,
    capture_method: "automatic_async",
    client_secret: `${id}_secret_${randomToken(25)}`,
    confirmation_method: "automatic",
    created: input.created,
    currency: input.currency,
    customer: null,
    customer_account: null,
    description: input.description,
    excluded_payment_method_types: null,
    last_payment_error: null,
    latest_charge: null,
    livemode: state.livemode,
    managed_payments: null,
    metadata: { ...input.metadata },
    next_action: null,
    on_behalf_of: null,
    payment_method: null,
    payment_method_configuration_details: null,
    payment_method_options: { card: { installments: null, mandate_options: null, network: null, request_three_d_secure: "automatic" } },
    payment_method_types: ["card"],
    payment_record: null,
    processing: null,
    receipt_email: input.receiptEmail,
    review: null,
    setup_future_usage: null,
    shipping: null,
    source: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: input.status,
    transfer_data: null,
    transfer_group: null,
  };
}

/** A succeeded payment: its intent and its one captured charge (not stored). */
export function createPayment(state: Pick<StripeState, "livemode" | "baseUrl">, input: PaymentInput): { paymentIntent: PaymentIntent; charge: Charge } {
  const paymentIntent = newPaymentIntent(state, { ...input, receiptEmail: input.email, status: "succeeded" });
  const paymentMethod = `pm_${randomToken(24)}`;
  const charge = newCharge(state, paymentIntent.id, { ...input, paymentMethod });
  Object.assign(paymentIntent, { amount_received: input.amount, latest_charge: charge.id, payment_method: paymentMethod } satisfies Partial<PaymentIntent>);
  return { paymentIntent, charge };
}

/** A new open Checkout session paid on the hosted page (not stored). */
export function newSession(state: Pick<StripeState, "livemode" | "baseUrl">, input: { amount: number; currency: string; metadata: Metadata; created: number; email: string | null }): CheckoutSession {
  const { livemode } = state;
  const id = stripeId("cs", livemode, 58);
  return {
    id,
    object: "checkout.session",
    adaptive_pricing: { enabled: false },
    after_expiration: null,
    allow_promotion_codes: null,
    allowed_payment_method_types: null,
    amount_subtotal: input.amount,
    amount_total: input.amount,
    automatic_tax: { enabled: false, liability: null, provider: null, status: null },
    billing_address_collection: null,
    cancel_url: null,
    client_reference_id: null,
    client_secret: null,
    collected_information: null,
    consent: null,
    consent_collection: null,
    created: input.created,
    currency: input.currency,
    currency_conversion: null,
    custom_fields: [],
    custom_text: { after_submit: null, shipping_address: null, submit: null, terms_of_service_acceptance: null },
    customer: null,
    customer_account: null,
    customer_creation: "if_required",
    customer_details: null,
    customer_email: input.email,
    discounts: [],
    expires_at: input.created + 24 * 3600,
    integration_identifier: null,
    invoice: null,
    invoice_creation: {
      enabled: false,
      invoice_data: { account_tax_ids: null, custom_fields: null, description: null, footer: null, issuer: null, metadata: {}, rendering_options: null },
    },
    livemode,
    locale: null,
    managed_payments: null,
    metadata: input.metadata,
    mode: "payment",
    origin_context: null,
    payment_intent: null,
    payment_link: null,
    payment_method_collection: "if_required",
    payment_method_configuration_details: null,
    payment_method_options: {},
    payment_method_types: ["card"],
    payment_status: "unpaid",
    permissions: null,
    phone_number_collection: { enabled: false },
    recovered_from: null,
    saved_payment_method_options: null,
    setup_intent: null,
    shipping_address_collection: null,
    shipping_cost: null,
    shipping_options: [],
    status: "open",
    submit_type: null,
    subscription: null,
    success_url: null,
    total_details: { amount_discount: 0, amount_shipping: 0, amount_tax: 0 },
    ui_mode: HOSTED_UI_MODE,
    url: `${state.baseUrl}/c/pay/${id}`,
    wallet_options: null,
  };
}

/** An open session expires (not emitting): `expired`, no URL to pay at, and no payment intent. */
export function expireSession(session: CheckoutSession): CheckoutSession {
  session.status = "expired";
  session.url = null;
  session.payment_intent = null;
  return session;
}

// ---------------------------------------------------------------- refunds

/** What a refund is made of; `status` is the one it ends the request in (the control API's refund outcome). */
export interface RefundInput {
  charge: Charge;
  /** Default: what is left to refund. */
  amount: number | undefined;
  reason: Refund["reason"];
  metadata: Metadata;
  status: RefundStatus;
  request: StripeEvent["request"];
}

/** Where a refund's money goes back to: the card (or the bank account) the charge was paid with. */
export function refundDestination(charge: Pick<Charge, "payment_method_details">): Stripe.Refund.DestinationDetails {
  if (charge.payment_method_details?.type === "us_bank_account") return { type: "us_bank_transfer", us_bank_transfer: { reference: null, reference_status: null } };
  return { type: "card", card: { type: "refund" } };
}

/** Refunds that have not settled yet hold their amount (it cannot be refunded twice meanwhile). */
function heldByUnsettledRefunds(state: Pick<StripeState, "refunds">, chargeId: string): number {
  let held = 0;
  for (const r of state.refunds.values()) if (r.charge === chargeId && (r.status === "pending" || r.status === "requires_action")) held += r.amount;
  return held;
}

/** The amount a new refund of the charge may take, or Stripe's refusal: a charge charged back, nothing left, more than what is left. */
function refundableAmount(state: Pick<StripeState, "refunds" | "disputes">, charge: Charge, amount: number | undefined): number {
  const chargeback = state.disputes.values().find((d) => d.charge === charge.id && d.status !== "won" && !d.is_charge_refundable);
  if (chargeback) throw invalid("charge", `Charge ${charge.id} has been charged back (dispute ${chargeback.id} is ${chargeback.status}); it cannot be refunded.`, "charge_disputed");
  const remaining = charge.amount - charge.amount_refunded - heldByUnsettledRefunds(state, charge.id);
  if (remaining <= 0) throw invalid("charge", `Charge ${charge.id} has already been refunded.`, "charge_already_refunded");
  const wanted = amount ?? remaining;
  if (wanted > remaining) {
    throw invalid("amount", `Refund amount (${money(wanted, charge.currency)}) is greater than unrefunded amount on charge (${money(remaining, charge.currency)})`);
  }
  return wanted;
}

/** Takes a succeeded refund's amount from the charge and the balance; answers the charge's `previous_attributes`. */
function applyToCharge(state: Pick<StripeState, "credit">, charge: Charge, amount: number): Record<string, unknown> {
  const previous = { amount_refunded: charge.amount_refunded, refunded: charge.refunded };
  charge.amount_refunded += amount;
  charge.refunded = charge.amount_refunded >= charge.amount;
  state.credit(charge.currency, -amount);
  return previous;
}

/**
 * Makes (and stores) a refund that ends in `input.status`, with the events Stripe sends: `refund.created`
 * always; then `charge.refunded` when it succeeded; a failed one is created pending and a canceled one
 * waiting for the customer (`requires_action`), then moved on as `settleRefund` does.
 */
export function makeRefund(state: StripeState, input: RefundInput): Refund {
  const { nowSeconds, paymentIntents, refunds, emitEvent } = state;
  const { charge, status, request } = input;
  const amount = refundableAmount(state, charge, input.amount);
  const pi = paymentIntents.get(charge.payment_intent);
  const refund: Refund = {
    id: `re_${randomToken(24)}`,
    object: "refund",
    amount,
    balance_transaction: status === "succeeded" ? `txn_${randomToken(24)}` : null,
    charge: charge.id,
    created: nowSeconds(),
    currency: charge.currency,
    customer: pi?.customer ?? null,
    customer_account: null,
    destination_details: refundDestination(charge),
    metadata: input.metadata,
    payment_intent: charge.payment_intent,
    payment_method: pi?.payment_method ?? null,
    reason: input.reason,
    receipt_number: null,
    source_transfer_reversal: null,
    status: status === "failed" ? "pending" : status === "canceled" ? "requires_action" : status,
    transfer_reversal: null,
  };
  refunds.add(refund);
  if (status === "succeeded") {
    const previous = applyToCharge(state, charge, amount);
    emitEvent("refund.created", refund, undefined, request);
    emitEvent("charge.refunded", charge, previous, request);
    return refund;
  }
  emitEvent("refund.created", refund, undefined, request);
  if (status === "failed" || status === "canceled") settleRefund(state, refund, status, request);
  return refund;
}

/** Why a refund failed, when the emulator fails one (one of Stripe's documented `failure_reason` values). */
export const REFUND_FAILURE_REASON = "declined";

/**
 * Settles a refund that is still `pending` (or `requires_action`): `refund.updated`, then
 * `charge.refunded` when it succeeded (the charge and balance debited) or `refund.failed` when it failed.
 */
export function settleRefund(state: StripeState, refund: Refund, status: "succeeded" | "failed" | "canceled", request: StripeEvent["request"] = NO_REQUEST): Refund {
  const { charges, emitEvent } = state;
  if (refund.status !== "pending" && refund.status !== "requires_action") {
    throw new StripeApiError(400, `Refund ${refund.id} is ${refund.status}; only a pending refund (or one that requires action) can be settled.`);
  }
  const previous: Record<string, unknown> = { status: refund.status };
  refund.status = status;
  if (status === "succeeded") {
    const charge = charges.get(refund.charge)!;
    previous.balance_transaction = refund.balance_transaction;
    refund.balance_transaction = `txn_${randomToken(24)}`;
    const chargePrevious = applyToCharge(state, charge, refund.amount);
    emitEvent("refund.updated", refund, previous, request);
    emitEvent("charge.refunded", charge, chargePrevious, request);
  } else if (status === "failed") {
    previous.failure_reason = null;
    refund.failure_reason = REFUND_FAILURE_REASON;
    emitEvent("refund.updated", refund, previous, request);
    emitEvent("refund.failed", refund, undefined, request);
  } else {
    emitEvent("refund.updated", refund, previous, request);
  }
  return refund;
}

// ---------------------------------------------------------------- disputes

/** Stripe's dispute fee, withdrawn with the disputed amount (not returned when the dispute is won). */
export const DISPUTE_FEE = 1500;

function balanceTransaction(state: Pick<StripeState, "nowSeconds">, o: { amount: number; fee: number; currency: string; source: string; description: string; reportingCategory: string }): BalanceTransaction {
  const created = state.nowSeconds();
  return {
    id: `txn_${randomToken(24)}`,
    object: "balance_transaction",
    amount: o.amount,
    available_on: created,
    balance_type: "payments",
    created,
    currency: o.currency,
    description: o.description,
    exchange_rate: null,
    fee: o.fee,
    fee_details: o.fee ? [{ amount: o.fee, application: null, currency: o.currency, description: "Dispute fee", type: "stripe_fee" }] : [],
    net: o.amount - o.fee,
    reporting_category: o.reportingCategory,
    source: o.source,
    status: "available",
    type: "adjustment",
  };
}

function emptyEvidence(): DisputeEvidence {
  const none = null;
  return {
    access_activity_log: none, billing_address: none, cancellation_policy: none, cancellation_policy_disclosure: none, cancellation_rebuttal: none,
    customer_communication: none, customer_email_address: none, customer_name: none, customer_purchase_ip: none, customer_signature: none,
    duplicate_charge_documentation: none, duplicate_charge_explanation: none, duplicate_charge_id: none, enhanced_evidence: {}, product_description: none,
    receipt: none, refund_policy: none, refund_policy_disclosure: none, refund_refusal_explanation: none, service_date: none, service_documentation: none,
    shipping_address: none, shipping_carrier: none, shipping_date: none, shipping_documentation: none, shipping_tracking_number: none,
    uncategorized_file: none, uncategorized_text: none,
  };
}

/**
 * The customer's bank disputes the charge (a chargeback): a `needs_response` dispute of the whole charge,
 * the amount and Stripe's fee withdrawn from the balance, the charge marked `disputed`, and the events
 * `charge.dispute.created` and `charge.dispute.funds_withdrawn`.
 */
export function openDispute(state: StripeState, charge: Charge, reason: Dispute["reason"]): Dispute {
  const { nowSeconds, livemode, disputes, credit, emitEvent } = state;
  const existing = disputes.values().find((d) => d.charge === charge.id);
  if (existing) throw new StripeApiError(400, `Charge ${charge.id} is already disputed (${existing.id}).`, { param: "paymentIntentId" });
  const created = nowSeconds();
  const id = `dp_${randomToken(24)}`;
  const withdrawal = balanceTransaction(state, {
    amount: -charge.amount, fee: DISPUTE_FEE, currency: charge.currency, source: id, description: `Chargeback withdrawal for ${charge.id}`, reportingCategory: "dispute",
  });
  const dispute: Dispute = {
    id,
    object: "dispute",
    amount: charge.amount,
    balance_transactions: [withdrawal],
    charge: charge.id,
    created,
    currency: charge.currency,
    enhanced_eligibility_types: [],
    evidence: emptyEvidence(),
    evidence_details: { due_by: created + 7 * 24 * 3600, enhanced_eligibility: {}, has_evidence: false, past_due: false, submission_count: 0, submission_method: "not_submitted" },
    intended_submission_method: null,
    is_charge_refundable: false,
    livemode,
    metadata: {},
    payment_intent: charge.payment_intent,
    payment_method_details: { card: { brand: "visa", case_type: "chargeback", network: "visa", network_reason_code: reason === "fraudulent" ? "10.4" : null }, type: "card" },
    reason,
    status: "needs_response",
  };
  charge.disputed = true;
  credit(charge.currency, withdrawal.net);
  disputes.add(dispute);
  emitEvent("charge.dispute.created", dispute);
  emitEvent("charge.dispute.funds_withdrawn", dispute);
  return dispute;
}

/**
 * Closes an open dispute `won` (the amount reinstated: `charge.dispute.closed` then
 * `charge.dispute.funds_reinstated`) or `lost` (`charge.dispute.closed`); a closed one is refused.
 */
export function closeDispute(state: StripeState, dispute: Dispute, outcome: "won" | "lost", request: StripeEvent["request"] = NO_REQUEST): Dispute {
  const { credit, emitEvent } = state;
  if (dispute.status === "won" || dispute.status === "lost") throw new StripeApiError(400, `Dispute ${dispute.id} is already closed (${dispute.status}).`);
  dispute.status = outcome;
  if (outcome === "won") {
    const reinstated = balanceTransaction(state, {
      amount: dispute.amount, fee: 0, currency: dispute.currency, source: dispute.id, description: `Chargeback reversal for ${dispute.charge}`, reportingCategory: "dispute_reversal",
    });
    dispute.balance_transactions.push(reinstated);
    credit(dispute.currency, reinstated.net);
    emitEvent("charge.dispute.closed", dispute, undefined, request);
    emitEvent("charge.dispute.funds_reinstated", dispute, undefined, request);
  } else {
    emitEvent("charge.dispute.closed", dispute, undefined, request);
  }
  return dispute;
}
