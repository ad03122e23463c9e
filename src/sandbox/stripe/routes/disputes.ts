/**
 * The Stripe emulator's disputes (opened by the customer's bank through the
 * control API): list with filters (`payment_intent`, `charge`, `created`,
 * pagination), retrieve with `expand`, and close (the merchant accepts the
 * dispute: it is lost).
 */
import type { Route } from "../../emulator-server.js";
import type { Dispute } from "../objects.js";
import { allowOnly, clone, expandList, invalid, noSuch, str } from "../params.js";
import { closeDispute } from "../payments.js";
import { LIST_PARAMS, listAnswer, listQuery, respond, type Pipeline } from "../pipeline.js";
import type { StripeState } from "../state.js";

function expandDispute(state: StripeState, dispute: Dispute, expand: string[]): unknown {
  const { charges, paymentIntents } = state;
  const out: Record<string, unknown> = clone(dispute) as unknown as Record<string, unknown>;
  for (const field of expand) {
    if (field === "charge") out.charge = clone(charges.get(dispute.charge) ?? null);
    else if (field === "payment_intent") out.payment_intent = dispute.payment_intent ? clone(paymentIntents.get(dispute.payment_intent) ?? null) : null;
    else throw invalid("expand", `This property cannot be expanded (${field}).`);
  }
  return out;
}

export function disputeRoutes(state: StripeState, { api, requestInfo }: Pipeline): Route[] {
  const { disputes } = state;
  const disputeOr404 = (id: string): Dispute => {
    const dispute = disputes.get(id);
    if (!dispute) throw noSuch("dispute", id);
    return dispute;
  };
  return [
    {
      method: "GET",
      path: "/v1/disputes",
      handler: api((_req, params) => {
        allowOnly(params, [...LIST_PARAMS, "payment_intent", "charge"]);
        const pi = str(params, "payment_intent");
        const charge = str(params, "charge");
        const filter =
          pi !== undefined || charge !== undefined ? (d: Dispute) => (pi === undefined || d.payment_intent === pi) && (charge === undefined || d.charge === charge) : undefined;
        return respond(200, listAnswer("/v1/disputes", disputes.list({ ...listQuery(params), filter })));
      }),
    },
    {
      method: "GET",
      path: "/v1/disputes/:id",
      handler: api((req, params) => {
        allowOnly(params, ["expand"]);
        return respond(200, expandDispute(state, disputeOr404(req.params.id!), expandList(params)));
      }),
    },
    {
      method: "POST",
      path: "/v1/disputes/:id/close",
      handler: api((req, params) => {
        allowOnly(params, ["expand"]);
        const dispute = closeDispute(state, disputeOr404(req.params.id!), "lost", requestInfo(req));
        return respond(200, expandDispute(state, dispute, expandList(params)));
      }),
    },
  ];
}
