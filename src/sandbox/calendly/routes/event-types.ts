/**
 * The Calendly emulator's event type routes: the list (owner filter, `active`,
 * offset pages), one event type, and its available times.
 */
import type { Route } from "../../emulator-server.js";
import { checkOwner, guard, invalid, json, notFound, oneOf, parseTime } from "../pipeline.js";
import { calendlyTime } from "../records.js";
import { offsetPage, renderEventType } from "../render.js";
import type { CalendlyStore } from "../store.js";
import { CALENDLY_CANONICAL_BASE as BASE } from "../types.js";

export function eventTypeRoutes(store: CalendlyStore): Route[] {
  const { clock, user, eventTypes, eventTypeByUri, sorted } = store;
  return [
    {
      method: "GET",
      path: "/event_types",
      handler: guard((req) => {
        checkOwner(req.query, store);
        const active = oneOf(req.query, "active", ["true", "false"] as const);
        const list = active === undefined ? eventTypes : eventTypes.filter((et) => String(et.active) === active);
        return offsetPage(req, list, (et) => renderEventType(et, user));
      }),
    },
    {
      method: "GET",
      path: "/event_types/:uuid",
      handler: guard((req) => {
        const et = eventTypes.find((e) => e.uri === `${BASE}/event_types/${req.params.uuid}`);
        return et ? json(200, { resource: renderEventType(et, user) }) : notFound();
      }),
    },
    {
      // Availability (added for the scenarios' slot picking): the host works 09:00–17:00 UTC every day; a
      // slot every 30 minutes whose meeting fits in that day and overlaps none of the host's active events.
      method: "GET",
      path: "/event_type_available_times",
      handler: guard((req) => {
        const uri = req.query.get("event_type");
        const startMs = parseTime(req.query, "start_time");
        const endMs = parseTime(req.query, "end_time");
        const details: { parameter: string; message: string }[] = [];
        if (!uri) details.push({ parameter: "event_type", message: "is required" });
        if (startMs === undefined) details.push({ parameter: "start_time", message: "is required" });
        if (endMs === undefined) details.push({ parameter: "end_time", message: "is required" });
        if (details.length) return invalid(details);
        if (startMs! < clock.now().getTime()) return invalid([{ parameter: "start_time", message: "must be in the future" }]);
        if (endMs! <= startMs!) return invalid([{ parameter: "end_time", message: "must be after start_time" }]);
        if (endMs! - startMs! > 7 * 86_400_000) return invalid([{ parameter: "end_time", message: "date range can be no greater than 1 week (7 days)" }]);
        const et = eventTypeByUri.get(uri!);
        if (!et) return notFound();
        if (!et.active) return json(200, { collection: [] });
        const step = 30 * 60_000;
        const length = et.duration * 60_000;
        const busy = sorted.page({ minStartMs: startMs! - 86_400_000, maxStartMs: endMs! + length, descending: false, count: Infinity, filter: (e) => e.status === "active" }).items;
        const collection: unknown[] = [];
        for (let t = Math.ceil(startMs! / step) * step; t + length <= endMs!; t += step) {
          const day = new Date(t);
          const open = Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), 9);
          if (t < open || t + length > open + 8 * 3_600_000) continue;
          if (busy.some((e) => e.startMs < t + length && e.endMs > t)) continue;
          const iso = new Date(t).toISOString();
          collection.push({
            status: "available",
            invitees_remaining: 1,
            start_time: calendlyTime(t),
            scheduling_url: `https://calendly.com/${user.slug}/${et.slug}/${iso.slice(0, 19)}Z?month=${iso.slice(0, 7)}&date=${iso.slice(0, 10)}`,
          });
        }
        return json(200, { collection });
      }),
    },
  ];
}
