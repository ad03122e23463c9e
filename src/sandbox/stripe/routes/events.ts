/**
 * The Stripe emulator's events: list (by `type`, `types` with `*` wildcards,
 * `delivery_success`) and retrieve.
 */
import type { Route } from "../../emulator-server.js";
import type { StripeEvent } from "../objects.js";
import { allowOnly, bool, clone, list, noSuch, str } from "../params.js";
import { LIST_PARAMS, listAnswer, listQuery, respond, type Pipeline } from "../pipeline.js";
import type { StripeState } from "../state.js";

export function eventRoutes(state: StripeState, { api }: Pipeline): Route[] {
  const { events } = state;
  return [
    {
      method: "GET",
      path: "/v1/events",
      handler: api((_req, params) => {
        allowOnly(params, [...LIST_PARAMS, "type", "types", "delivery_success"]);
        const type = str(params, "type");
        const types = list(params, "types")?.map(String);
        const matchers: RegExp[] = [...(type ? [type] : []), ...(types ?? [])].map(
          (t) => new RegExp(`^${t.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join("[a-z_.]*")}$`),
        );
        const deliverySuccess = bool(params, "delivery_success");
        const filter =
          matchers.length || deliverySuccess !== undefined
            ? (e: StripeEvent) => (matchers.length === 0 || matchers.some((m) => m.test(e.type))) && (deliverySuccess === undefined || (e.pending_webhooks === 0) === deliverySuccess)
            : undefined;
        return respond(200, listAnswer("/v1/events", events.list({ ...listQuery(params), filter })));
      }),
    },
    {
      method: "GET",
      path: "/v1/events/:id",
      handler: api((req, params) => {
        allowOnly(params, ["expand"]);
        const event = events.get(req.params.id!);
        if (!event) throw noSuch("event", req.params.id!);
        return respond(200, clone(event));
      }),
    },
  ];
}
