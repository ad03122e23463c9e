/**
 * The Calendly emulator's organization route: the host's organization by its uri.
 */
import type { Route } from "../../emulator-server.js";
import { json, notFound } from "../pipeline.js";
import type { CalendlyStore } from "../store.js";
import { CALENDLY_CANONICAL_BASE as BASE } from "../types.js";

export function organizationRoutes(store: CalendlyStore): Route[] {
  const { organizationUri, organizationName, startedAt } = store;
  return [
    {
      method: "GET",
      path: "/organizations/:uuid",
      handler: (req) =>
        `${BASE}/organizations/${req.params.uuid}` === organizationUri
          ? json(200, { resource: { uri: organizationUri, name: organizationName, plan: "teams", stage: "paid", created_at: startedAt, updated_at: startedAt } })
          : notFound(),
    },
  ];
}
