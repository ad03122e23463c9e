/**
 * The Calendly emulator's user routes: the host user, as `/users/me` and by its uri.
 */
import type { Route } from "../../emulator-server.js";
import { json, notFound } from "../pipeline.js";
import type { CalendlyStore } from "../store.js";
import { CALENDLY_CANONICAL_BASE as BASE } from "../types.js";

export function userRoutes(store: CalendlyStore): Route[] {
  const { user } = store;
  return [
    { method: "GET", path: "/users/me", handler: () => json(200, { resource: user }) },
    {
      method: "GET",
      path: "/users/:uuid",
      handler: (req) => (`${BASE}/users/${req.params.uuid}` === user.uri ? json(200, { resource: user }) : notFound()),
    },
  ];
}
