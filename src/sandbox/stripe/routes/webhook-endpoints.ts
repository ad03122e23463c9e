/**
 * The Stripe emulator's webhook endpoints: list, create (answering the signing
 * secret once), retrieve, update (url, events, disabled, description,
 * metadata) and delete, at most MAX_WEBHOOK_ENDPOINTS of them. `enabled_events`
 * must be Stripe's event type names (or `*`), `api_version` a Stripe API version.
 */
import type { Route } from "../../emulator-server.js";
import type { WebhookEndpoint } from "../objects.js";
import { isStripeApiVersion, isStripeEventType, STRIPE_API_VERSIONS, STRIPE_EVENT_TYPES } from "../../../config/stripe-webhook-enums.js";
import { StripeApiError, allowOnly, applyMetadata, bool, clone, invalid, list, metadataParam, missing, str, urlParam, type Params } from "../params.js";
import { LIST_PARAMS, listAnswer, listQuery, respond, type Pipeline } from "../pipeline.js";
import type { StripeState } from "../state.js";
import { randomToken } from "../store.js";
import { MAX_WEBHOOK_ENDPOINTS } from "../types.js";

function endpointAnswer(endpoint: WebhookEndpoint): WebhookEndpoint {
  return clone(endpoint);
}

/** A webhook endpoint's `api_version`: one of the versions the pinned SDK knows Stripe released, or Stripe's 400. */
function apiVersionParam(params: Params): string | undefined {
  const value = str(params, "api_version");
  if (value !== undefined && !isStripeApiVersion(value)) {
    throw invalid("api_version", `Invalid API version: ${value}. Use a released Stripe API version such as ${STRIPE_API_VERSIONS.at(-1)}.`);
  }
  return value;
}

function enabledEventsParam(params: Params, required: boolean): string[] | undefined {
  const value = list(params, "enabled_events");
  if (value === undefined) {
    if (required) throw missing("enabled_events");
    return undefined;
  }
  if (value.length === 0) throw invalid("enabled_events", "enabled_events must include at least one event type.");
  return value.map((v, i) => {
    if (typeof v !== "string" || (v !== "*" && !isStripeEventType(v))) {
      throw invalid(
        `enabled_events[${i}]`,
        `Invalid enabled_events[${i}]: ${String(v)} is not a Stripe event type; must be one of *, ${STRIPE_EVENT_TYPES.slice(0, 3).join(", ")}, … (${STRIPE_EVENT_TYPES.length} types).`,
      );
    }
    return v;
  });
}

export function webhookEndpointRoutes(state: StripeState, { api }: Pipeline): Route[] {
  const { endpoints, endpointSecrets, livemode, nowSeconds } = state;
  return [
    {
      method: "GET",
      path: "/v1/webhook_endpoints",
      handler: api((_req, params) => {
        allowOnly(params, LIST_PARAMS);
        return respond(200, listAnswer("/v1/webhook_endpoints", endpoints.list(listQuery(params))));
      }),
    },
    {
      method: "POST",
      path: "/v1/webhook_endpoints",
      handler: api((_req, params) => {
        allowOnly(params, ["url", "enabled_events", "description", "metadata", "api_version", "connect", "expand"]);
        const url = urlParam(params, "url");
        if (!url) throw missing("url");
        const enabledEvents = enabledEventsParam(params, true)!;
        const endpointApiVersion = apiVersionParam(params);
        if (endpoints.size >= MAX_WEBHOOK_ENDPOINTS) {
          throw new StripeApiError(400, `You have reached the maximum of ${MAX_WEBHOOK_ENDPOINTS} ${livemode ? "live" : "test"} webhook endpoints.`, { code: "webhook_endpoint_limit" });
        }
        const endpoint: WebhookEndpoint = {
          id: `we_${randomToken(24)}`,
          object: "webhook_endpoint",
          api_version: endpointApiVersion ?? null,
          application: null,
          created: nowSeconds(),
          description: str(params, "description") ?? null,
          enabled_events: enabledEvents,
          livemode,
          metadata: metadataParam(params) ?? {},
          status: "enabled",
          url,
        };
        const secret = `whsec_${randomToken(32)}`;
        endpoints.add(endpoint);
        endpointSecrets.set(endpoint.id, secret);
        return respond(200, { ...endpointAnswer(endpoint), secret });
      }),
    },
    {
      method: "GET",
      path: "/v1/webhook_endpoints/:id",
      handler: api((req, params) => {
        allowOnly(params, ["expand"]);
        return respond(200, endpointAnswer(state.endpoint(req.params.id!)));
      }),
    },
    {
      method: "POST",
      path: "/v1/webhook_endpoints/:id",
      handler: api((req, params) => {
        allowOnly(params, ["url", "enabled_events", "description", "metadata", "disabled", "expand"]);
        const endpoint = state.endpoint(req.params.id!);
        const url = urlParam(params, "url");
        const enabledEvents = enabledEventsParam(params, false);
        const disabled = bool(params, "disabled");
        const description = str(params, "description");
        const metadata = metadataParam(params);
        if (url !== undefined) endpoint.url = url;
        if (enabledEvents !== undefined) endpoint.enabled_events = enabledEvents;
        if (disabled !== undefined) endpoint.status = disabled ? "disabled" : "enabled";
        if (description !== undefined) endpoint.description = description === "" ? null : description;
        endpoint.metadata = applyMetadata(endpoint.metadata, metadata);
        return respond(200, endpointAnswer(endpoint));
      }),
    },
    {
      method: "DELETE",
      path: "/v1/webhook_endpoints/:id",
      handler: api((req) => {
        const endpoint = state.endpoint(req.params.id!);
        endpoints.delete(endpoint.id);
        endpointSecrets.delete(endpoint.id);
        return respond(200, { id: endpoint.id, object: "webhook_endpoint", deleted: true });
      }),
    },
  ];
}
