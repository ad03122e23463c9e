/**
 * The Stripe emulator's prices: `GET /v1/prices/:id` (prices are seeded by
 * the options or the control API, or made by Checkout `price_data`).
 */
import type { Route } from "../../emulator-server.js";
import { allowOnly, clone, noSuch } from "../params.js";
import { respond, type Pipeline } from "../pipeline.js";
import type { StripeState } from "../state.js";

export function priceRoutes(state: StripeState, { api }: Pipeline): Route[] {
  const { prices } = state;
  return [
    {
      method: "GET",
      path: "/v1/prices/:id",
      handler: api((req, params) => {
        allowOnly(params, ["expand"]);
        const price = prices.get(req.params.id!);
        if (!price) throw noSuch("price", req.params.id!);
        return respond(200, clone(price));
      }),
    },
  ];
}
