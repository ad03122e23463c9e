/**
 * The Calendly emulator's no-show routes: marking an invitee as a no-show
 * (`POST /invitee_no_shows`, one mark per invitee), one mark, and removing it;
 * each change answered before its webhook (invitee_no_show.created / .deleted)
 * is delivered.
 */
import type { Route } from "../../emulator-server.js";
import { guard, invalid, isObject, json, notFound, orNotFound } from "../pipeline.js";
import { renderNoShow } from "../render.js";
import type { CalendlyStore } from "../store.js";

export function inviteeNoShowRoutes(store: CalendlyStore): Route[] {
  const { inviteeByUri, noShows, addNoShow, removeNoShow, deliver } = store;
  return [
    {
      method: "POST",
      path: "/invitee_no_shows",
      handler: guard((req) => {
        const body = req.body;
        if (!isObject(body)) return invalid([{ parameter: "invitee", message: "the body must be a JSON object" }]);
        const uri = body.invitee;
        if (typeof uri !== "string" || !uri) return invalid([{ parameter: "invitee", message: "is required" }]);
        const found = inviteeByUri.get(uri);
        if (!found) return invalid([{ parameter: "invitee", message: "does not exist" }]);
        if (found.invitee.noShow) return invalid([{ parameter: "invitee", message: "is already marked as a no show" }]);
        const mark = addNoShow(found.invitee);
        // Like Calendly, the API answers without waiting for webhook deliveries (idle() waits for them).
        void deliver("invitee_no_show.created", found.invitee, found.event);
        return json(201, { resource: renderNoShow(mark) });
      }),
    },
    {
      method: "GET",
      path: "/invitee_no_shows/:uuid",
      handler: guard((req) => json(200, { resource: renderNoShow(orNotFound(noShows.get(req.params.uuid!))) })),
    },
    {
      method: "DELETE",
      path: "/invitee_no_shows/:uuid",
      handler: guard((req) => {
        const mark = noShows.get(req.params.uuid!);
        if (!mark) return notFound();
        const { invitee, event } = removeNoShow(mark);
        void deliver("invitee_no_show.deleted", invitee, event);
        return { status: 204 };
      }),
    },
  ];
}
