/**
 * The Stripe emulator's refunds: create (full or partial, by payment intent
 * or charge), ending in the status the control API's refund outcome sets
 * (default succeeded; `refund.created`, then `charge.refunded` when it
 * succeeded, `refund.updated` and `refund.failed` when it failed), list with
 * filters, retrieve, and cancel one that requires action.
 */
import type { EmulatorRequest, EmulatorResponse, Route } from "../../emulator-server.js";
import type { Charge, PaymentIntent, Refund } from "../objects.js";
import { StripeApiError, allowOnly, clone, expandList, int, invalid, metadataParam, noSuch, REFUND_REASONS, str, type Params } from "../params.js";
import { makeRefund, settleRefund } from "../payments.js";
import { LIST_PARAMS, listAnswer, listQuery, respond, type Pipeline } from "../pipeline.js";
import type { StripeState } from "../state.js";

function createRefund(state: StripeState, { requestInfo }: Pipeline, req: EmulatorRequest, params: Params): EmulatorResponse {
  const { paymentIntents, charges } = state;
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
  const amount = int(params, "amount", "amount", { min: 1 });
  const refund = makeRefund(state, { charge, amount, reason: (reason as Refund["reason"]) ?? null, metadata, status: state.refundOutcome, request: requestInfo(req) });
  const out: Record<string, unknown> = clone(refund) as unknown as Record<string, unknown>;
  for (const field of expandList(params)) {
    if (field === "charge") out.charge = clone(charge);
    else if (field === "payment_intent") out.payment_intent = pi ? clone(pi) : null;
    else throw invalid("expand", `This property cannot be expanded (${field}).`);
  }
  return respond(200, out);
}

export function refundRoutes(state: StripeState, pipeline: Pipeline): Route[] {
  const { api, requestInfo } = pipeline;
  const { refunds } = state;
  const refundOr404 = (id: string): Refund => {
    const refund = refunds.get(id);
    if (!refund) throw noSuch("refund", id);
    return refund;
  };
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
        return respond(200, clone(refundOr404(req.params.id!)));
      }),
    },
    {
      method: "POST",
      path: "/v1/refunds/:id/cancel",
      handler: api((req, params) => {
        allowOnly(params, ["expand"]);
        const refund = refundOr404(req.params.id!);
        if (refund.status !== "requires_action") {
          throw new StripeApiError(400, `Refund ${refund.id} is ${refund.status}; only a refund with a status of requires_action can be canceled.`);
        }
        return respond(200, clone(settleRefund(state, refund, "canceled", requestInfo(req))));
      }),
    },
  ];
}
