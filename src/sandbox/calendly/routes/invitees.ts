/**
 * The Calendly emulator's invitee routes: a scheduled event's invitees (status,
 * email and sort filters, offset pages) and one invitee.
 */
import type { Route } from "../../emulator-server.js";
import { guard, json, notFound, oneOf, orNotFound } from "../pipeline.js";
import { offsetPage, renderInvitee } from "../render.js";
import type { CalendlyStore } from "../store.js";
import { CALENDLY_CANONICAL_BASE as BASE } from "../types.js";

export function inviteeRoutes(store: CalendlyStore): Route[] {
  const { events, inviteeByUri } = store;
  return [
    {
      method: "GET",
      path: "/scheduled_events/:uuid/invitees",
      handler: guard((req) => {
        const e = orNotFound(events.get(req.params.uuid!));
        const status = oneOf(req.query, "status", ["active", "canceled"] as const);
        const sort = oneOf(req.query, "sort", ["created_at:asc", "created_at:desc"] as const) ?? "created_at:asc";
        const email = req.query.get("email")?.toLowerCase();
        let list = e.invitees.filter((i) => (status === undefined || i.status === status) && (email === undefined || i.email.toLowerCase() === email));
        if (sort === "created_at:desc") list = [...list].reverse();
        return offsetPage(req, list, (i) => renderInvitee(i, e));
      }),
    },
    {
      method: "GET",
      path: "/scheduled_events/:uuid/invitees/:invitee",
      handler: guard((req) => {
        const found = inviteeByUri.get(`${BASE}/scheduled_events/${req.params.uuid}/invitees/${req.params.invitee}`);
        return found ? json(200, { resource: renderInvitee(found.invitee, found.event) }) : notFound();
      }),
    },
  ];
}
