/**
 * The Stripe emulator's refunds: create (full or partial, by payment intent
 * or charge; emits `refund.created` and `charge.refunded`), list with
 * filters, and retrieve.
 */
import type { EmulatorRequest, EmulatorResponse, Route } from "../../emulator-server.js";
import type { Charge, PaymentIntent, Refund } from "../objects.js";
import { StripeApiError, allowOnly, clone, expandList, int, invalid, metadataParam, money, noSuch, REFUND_REASONS, str, type Params } from "../params.js";
import { LIST_PARAMS, listAnswer, listQuery, respond, type Pipeline } from "../pipeline.js";
import type { StripeState } from "../state.js";
import { randomToken } from "../store.js";

function createRefund(state: StripeState, { requestInfo }: Pipeline, req: EmulatorRequest, params: Params): EmulatorResponse {
  const { paymentIntents, charges, refunds, nowSeconds, credit, emitEvent } = state;
  allowOnly(params, ["payment_intent", "charge", "amount", "reason", "metadata", "expand", "instructions_email", "refund_application_fee", "reverse_transfer"]);
  const piId = str(params, "payment_intent");
  const chargeId = str(params, "charge");
  if (!piId && !chargeId) throw new StripeApiError(400, "One of the following params should be provided for this request: payment_intent or charge.", { code: "parameter_missing", param: "payment_intent" });
  let charge: Charge | undefined;
  let pi: PaymentIntent | undefined;
  if (piId) {
    pi = paymentIntents.get(piId);
    if (!pi) throw noSuch("payment_intent", piId, "payment_intent");
    if (pi.status !== "succeeded" || !pi.latest_charge) {
      throw invalid("payment_intent", `This PaymentIntent (${pi.id}) does not have a successful charge to refund.`, "payment_intent_unexpected_state");
    }
    charge = charges.get(pi.latest_charge)!;
    if (chargeId && chargeId !== charge.id) throw invalid("charge", `Charge ${chargeId} does not belong to PaymentIntent ${pi.id}.`);
  } else {
    charge = charges.get(chargeId!);
    if (!charge) throw noSuch("charge", chargeId!, "charge");
    pi = paymentIntents.get(charge.payment_intent);
  }
  const reason = str(params, "reason");
  if (reason !== undefined && !(REFUND_REASONS as readonly string[]).includes(reason)) {
    throw invalid("reason", `Invalid reason: must be one of ${REFUND_REASONS.join(", ")}`);
  }
  const metadata = metadataParam(params) ?? {};
  const remaining = charge.amount - charge.amount_refunded;
  if (remaining <= 0) throw invalid("charge", `Charge ${charge.id} has already been refunded.`, "charge_already_refunded");
  const amount = int(params, "amount", "amount", { min: 1 }) ?? remaining;
  if (amount > remaining) {
    throw invalid("amount", `Refund amount (${money(amount, charge.currency)}) is greater than unrefunded amount on charge (${money(remaining, charge.currency)})`);
  }
  const refund: Refund = {
    id: `re_${randomToken(24)}`,
    object: "refund",
    amount,
    balance_transaction: `txn_${randomToken(24)}`,
    charge: charge.id,
    created: nowSeconds(),
    currency: charge.currency,
    metadata,
    payment_intent: charge.payment_intent,
    reason: (reason as Refund["reason"]) ?? null,
    receipt_number: null,
    status: "succeeded",
  };
  const previous = { amount_refunded: charge.amount_refunded, refunded: charge.refunded };
  charge.amount_refunded += amount;
  charge.refunded = charge.amount_refunded >= charge.amount;
  credit(charge.currency, -amount);
  refunds.add(refund);
  const request = requestInfo(req);
  emitEvent("refund.created", refund, undefined, request);
  emitEvent("charge.refunded", charge, previous, request);
  const out: Record<string, unknown> = clone(refund) as unknown as Record<string, unknown>;
  for (const field of expandList(params)) {
    if (field === "charge") out.charge = clone(charge);
    else if (field === "payment_intent") out.payment_intent = pi ? clone(pi) : null;
    else throw invalid("expand", `This property cannot be expanded (${field}).`);
  }
  return respond(200, out);
}

export function refundRoutes(state: StripeState, pipeline: Pipeline): Route[] {
  const { api } = pipeline;
  const { refunds } = state;
  return [
    { method: "POST", path: "/v1/refunds", handler: api((req, params) => createRefund(state, pipeline, req, params)) },
    {
      method: "GET",
      path: "/v1/refunds",
      handler: api((_req, params) => {
        allowOnly(params, [...LIST_PARAMS, "payment_intent", "charge"]);
        const pi = str(params, "payment_intent");
        const charge = str(params, "charge");
        const filter =
          pi !== undefined || charge !== undefined ? (r: Refund) => (pi === undefined || r.payment_intent === pi) && (charge === undefined || r.charge === charge) : undefined;
        return respond(200, listAnswer("/v1/refunds", refunds.list({ ...listQuery(params), filter })));
      }),
    },
    {
      method: "GET",
      path: "/v1/refunds/:id",
      handler: api((req, params) => {
        allowOnly(params, ["expand"]);
        const refund = refunds.get(req.params.id!);
        if (!refund) throw noSuch("refund", req.params.id!);
        return respond(200, clone(refund));
      }),
    },
  ];
}
