/**
 * The Calendly emulator's scheduled event routes: the list (owner, status,
 * time window and invitee filters, cursor pages over the sorted index), one
 * event, and the host's cancellation (answered before its webhooks are delivered;
 * a 403 for an event already canceled or already started).
 */
import type { Route } from "../../emulator-server.js";
import { checkOwner, forbidden, guard, invalid, isObject, json, oneOf, orNotFound, parseCount, parseTime } from "../pipeline.js";
import type { Cancellation } from "../records.js";
import { pagination, renderEvent } from "../render.js";
import { decodeCursor, encodeCursor } from "../sorted-events.js";
import type { CalendlyStore } from "../store.js";

export function scheduledEventRoutes(store: CalendlyStore): Route[] {
  const { clock, nowIso, user, events, sorted, applyCancellation, deliver } = store;
  return [
    {
      method: "GET",
      path: "/scheduled_events",
      handler: guard((req) => {
        const q = req.query;
        checkOwner(q, store);
        const count = parseCount(q);
        const status = oneOf(q, "status", ["active", "canceled"] as const);
        const sort = oneOf(q, "sort", ["start_time:asc", "start_time:desc"] as const) ?? "start_time:asc";
        const minStartMs = parseTime(q, "min_start_time");
        const maxStartMs = parseTime(q, "max_start_time");
        const email = q.get("invitee_email")?.toLowerCase();
        const token = q.get("page_token");
        const cursor = token === null ? undefined : decodeCursor(token);
        if (token !== null && !cursor) return invalid([{ parameter: "page_token", message: "is invalid" }]);
        const page = sorted.page({
          minStartMs,
          maxStartMs,
          descending: sort === "start_time:desc",
          count,
          cursor,
          filter: (e) => (status === undefined || e.status === status) && (email === undefined || e.invitees.some((i) => i.email.toLowerCase() === email)),
        });
        const last = page.items[page.items.length - 1];
        const firstItem = page.items[0];
        const next = page.hasNext && last ? encodeCursor({ direction: "next", startMs: last.startMs, uri: last.uri }) : null;
        const prev = page.hasPrev && firstItem ? encodeCursor({ direction: "prev", startMs: firstItem.startMs, uri: firstItem.uri }) : null;
        return json(200, { collection: page.items.map((e) => renderEvent(e, user)), pagination: pagination(req, page.items.length, next, prev) });
      }),
    },
    { method: "GET", path: "/scheduled_events/:uuid", handler: guard((req) => json(200, { resource: renderEvent(orNotFound(events.get(req.params.uuid!)), user) })) },
    {
      method: "POST",
      path: "/scheduled_events/:uuid/cancellation",
      handler: guard((req) => {
        const e = orNotFound(events.get(req.params.uuid!));
        const body = req.body === undefined ? {} : req.body;
        if (!isObject(body)) return invalid([{ parameter: "reason", message: "the body must be a JSON object" }]);
        const reason = body.reason;
        if (reason !== undefined && reason !== null && (typeof reason !== "string" || reason.length > 10_000)) {
          return invalid([{ parameter: "reason", message: "must be a string of at most 10000 characters" }]);
        }
        if (e.status === "canceled") return forbidden("Event is already canceled");
        // Calendly refuses to cancel a meeting that has already started (or ended).
        if (e.startMs <= clock.now().getTime()) return forbidden("Event in the past cannot be canceled");
        const cancellation: Cancellation = { canceled_by: user.name, reason: typeof reason === "string" ? reason : null, canceler_type: "host", created_at: nowIso() };
        const canceled = applyCancellation(e, e.invitees, cancellation);
        // Like Calendly, the API answers without waiting for webhook deliveries (idle() waits for them).
        for (const i of canceled) void deliver("invitee.canceled", i, e);
        return json(201, { resource: cancellation });
      }),
    },
  ];
}
