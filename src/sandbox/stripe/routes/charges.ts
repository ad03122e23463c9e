/**
 * The Stripe emulator's charges: `GET /v1/charges/:id` (charges are made by
 * payments and changed by refunds).
 */
import type { Route } from "../../emulator-server.js";
import { allowOnly, clone, noSuch } from "../params.js";
import { respond, type Pipeline } from "../pipeline.js";
import type { StripeState } from "../state.js";

export function chargeRoutes(state: StripeState, { api }: Pipeline): Route[] {
  const { charges } = state;
  return [
    {
      method: "GET",
      path: "/v1/charges/:id",
      handler: api((req, params) => {
        allowOnly(params, ["expand"]);
        const charge = charges.get(req.params.id!);
        if (!charge) throw noSuch("charge", req.params.id!);
        return respond(200, clone(charge));
      }),
    },
  ];
}
