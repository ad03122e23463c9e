/**
 * The sandbox's Calendly: the API v2 endpoints bookflow uses, with Calendly's
 * shapes, errors and pagination, plus real, signed webhook deliveries.
 *
 * Identifiers are Calendly's canonical URIs (https://api.calendly.com/…)
 * whatever host the emulator listens on; pagination links point at the
 * emulator itself, as a real server's would.
 *
 * A control API (no auth, under /_control, and as methods on the returned
 * object) books and cancels meetings the way an invitee or host would in
 * Calendly's UI, and exposes the delivery log.
 */
import { randomBytes } from "node:crypto";
import { startEmulator, type Route, type RunningEmulator } from "../emulator-server.js";
import { decodeCursor, encodeCursor } from "./sorted-events.js";
import { createCalendlyStore } from "./store.js";
import { calendlyTime, type Cancellation, type EventRecord, type InviteeRecord, type SubscriptionRecord } from "./records.js";
import { offsetPage, pagination, renderEvent, renderEventType, renderInvitee, renderSubscription } from "./render.js";
import { authenticate, checkOwner, forbidden, guard, invalid, isObject, json, notFound, oneOf, orNotFound, parseCount, parseTime } from "./pipeline.js";
import {
  CALENDLY_CANONICAL_BASE,
  CalendlyEmulatorError,
  EMULATED_WEBHOOK_EVENTS,
  type BookInput,
  type BookResult,
  type BulkEventsOptions,
  type CalendlyEmulatorOptions,
  type CancelInput,
  type CancelResult,
  type DeliveryAttempt,
  type EmulatedEventTypeInput,
  type SubscriptionState,
} from "./types.js";

export { CALENDLY_CANONICAL_BASE, CalendlyEmulatorError, EMULATED_WEBHOOK_EVENTS } from "./types.js";
export type {
  BookInput,
  BookResult,
  BulkEventsOptions,
  CalendlyEmulatorOptions,
  CancelInput,
  CancelResult,
  DeliveryAttempt,
  EmulatedEventTypeInput,
  EmulatedUserInput,
  SubscriptionState,
} from "./types.js";

const BASE = CALENDLY_CANONICAL_BASE;

export interface CalendlyEmulator extends RunningEmulator {
  /** The canonical URIs of the emulated user and organization. */
  userUri: string;
  organizationUri: string;
  book(input: BookInput): Promise<BookResult>;
  cancel(input: CancelInput): Promise<CancelResult>;
  setSubscriptionState(uri: string, state: SubscriptionState): void;
  /** A subscription's signing key (Calendly never shows it through the API). */
  signingKey(uri: string): string | undefined;
  deliveries(): DeliveryAttempt[];
  /** Resolves when no delivery (first attempt or retry) is pending. */
  idle(): Promise<void>;
  /** Bulk seed: n events with one invitee each, no webhooks. */
  addScheduledEvents(n: number, options?: BulkEventsOptions): BookResult[];
  scheduledEventCount(): number;
}

// ------------------------------------------------------------ the emulator

export async function startCalendlyEmulator(options: CalendlyEmulatorOptions): Promise<CalendlyEmulator> {
  const store = createCalendlyStore(options);
  const { clock, nowIso, user, organizationUri, organizationName: orgName, startedAt, eventTypes, eventTypeByUri, events, sorted, inviteeByUri, subscriptions, deliveryLog, newId } = store;
  const { createEvent, applyCancellation, deliver } = store;

  function eventTypeFor(uri: string): EmulatedEventTypeInput {
    const et = eventTypeByUri.get(uri);
    if (!et) throw new CalendlyEmulatorError(404, "Resource Not Found", `No event type ${uri} in the emulator (known: ${[...eventTypeByUri.keys()].join(", ")})`);
    return et;
  }

  function toMs(t: Date | string, what: string): number {
    const ms = typeof t === "string" ? Date.parse(t) : t.getTime();
    if (Number.isNaN(ms)) throw new CalendlyEmulatorError(400, "Invalid Argument", `${what} is not a valid time: ${String(t)}`);
    return ms;
  }

  async function book(input: BookInput): Promise<BookResult> {
    const et = eventTypeFor(input.eventTypeUri);
    if (!et.active) throw new CalendlyEmulatorError(400, "Invalid Argument", `Event type ${et.uri} is not active, so it cannot be booked`);
    if (!input.email || !input.email.includes("@")) throw new CalendlyEmulatorError(400, "Invalid Argument", `Not an email address: ${input.email}`);
    if (!input.name) throw new CalendlyEmulatorError(400, "Invalid Argument", "An invitee needs a name");
    const record = createEvent(et, toMs(input.startTime, "startTime"), input, nowIso());
    sorted.insert(record);
    const invitee = record.invitees[0]!;
    await deliver("invitee.created", invitee, record);
    return { eventUri: record.uri, inviteeUri: invitee.uri };
  }

  async function cancel(input: CancelInput): Promise<CancelResult> {
    let event: EventRecord;
    let targets: InviteeRecord[];
    let defaultType: "host" | "invitee";
    if (input.inviteeUri !== undefined) {
      const found = inviteeByUri.get(input.inviteeUri);
      if (!found) throw new CalendlyEmulatorError(404, "Resource Not Found", `No invitee ${input.inviteeUri}`);
      event = found.event;
      targets = [found.invitee];
      defaultType = "invitee";
    } else {
      const found = events.get(input.eventUri.replace(`${BASE}/scheduled_events/`, ""));
      if (!found) throw new CalendlyEmulatorError(404, "Resource Not Found", `No scheduled event ${input.eventUri}`);
      event = found;
      targets = found.invitees;
      defaultType = "host";
    }
    if (targets.every((i) => i.status === "canceled")) throw new CalendlyEmulatorError(403, "Permission Denied", "Already canceled");
    const cancelerType = input.cancelerType ?? defaultType;
    const cancellation: Cancellation = {
      canceled_by: input.canceledBy ?? (cancelerType === "host" ? user.name : targets[0]!.name),
      reason: input.reason,
      canceler_type: cancelerType,
      created_at: nowIso(),
    };
    const canceled = applyCancellation(event, targets, cancellation);
    await Promise.all(canceled.map((i) => deliver("invitee.canceled", i, event)));
    return { eventUri: event.uri, inviteeUris: canceled.map((i) => i.uri) };
  }

  function subscriptionByUri(uri: string): SubscriptionRecord {
    const sub = subscriptions.get(uri.replace(`${BASE}/webhook_subscriptions/`, ""));
    if (!sub) throw new CalendlyEmulatorError(404, "Resource Not Found", `No webhook subscription ${uri}`);
    return sub;
  }

  function setSubscriptionState(uri: string, state: SubscriptionState): void {
    if (state !== "active" && state !== "disabled") throw new CalendlyEmulatorError(400, "Invalid Argument", `state must be active or disabled, not ${String(state)}`);
    const sub = subscriptionByUri(uri);
    sub.state = state;
    sub.updatedAt = nowIso();
  }

  function addScheduledEvents(n: number, opts: BulkEventsOptions = {}): BookResult[] {
    const et = opts.eventTypeUri ? eventTypeFor(opts.eventTypeUri) : eventTypes[0];
    if (!et) throw new CalendlyEmulatorError(400, "Invalid Argument", "The emulator has no event types to add events for");
    const hour = 3_600_000;
    const first = opts.firstStart !== undefined ? toMs(opts.firstStart, "firstStart") : Math.ceil(clock.now().getTime() / hour) * hour;
    const step = (opts.intervalMinutes ?? 60) * 60_000;
    const at = nowIso();
    const cancelEvery = opts.cancelEvery ?? 0;
    const created: EventRecord[] = [];
    for (let i = 0; i < n; i++) {
      const record = createEvent(et, first + i * step, { email: opts.email?.(i) ?? `invitee${i}@example.com`, name: opts.name?.(i) ?? `Invitee ${i}` }, at);
      if (cancelEvery > 0 && (i + 1) % cancelEvery === 0) {
        applyCancellation(record, record.invitees, { canceled_by: user.name, reason: "Seeded cancellation", canceler_type: "host", created_at: at });
      }
      created.push(record);
    }
    sorted.insertMany(created);
    return created.map((r) => ({ eventUri: r.uri, inviteeUri: r.invitees[0]!.uri }));
  }

  function idle(): Promise<void> {
    return store.idle();
  }

  // ---------------------------------------------------------- API routes

  const findEvent = (uuid: string): EventRecord => orNotFound(events.get(uuid));

  const routes: Route[] = [
    { method: "GET", path: "/users/me", handler: () => json(200, { resource: user }) },
    {
      method: "GET",
      path: "/users/:uuid",
      handler: (req) => (`${BASE}/users/${req.params.uuid}` === user.uri ? json(200, { resource: user }) : notFound()),
    },
    {
      method: "GET",
      path: "/organizations/:uuid",
      handler: (req) =>
        `${BASE}/organizations/${req.params.uuid}` === organizationUri
          ? json(200, { resource: { uri: organizationUri, name: orgName, plan: "teams", stage: "paid", created_at: startedAt, updated_at: startedAt } })
          : notFound(),
    },
    {
      method: "GET",
      path: "/event_types",
      handler: guard((req) => {
        checkOwner(req.query, { user, organizationUri });
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
    {
      method: "GET",
      path: "/scheduled_events",
      handler: guard((req) => {
        const q = req.query;
        checkOwner(q, { user, organizationUri });
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
    { method: "GET", path: "/scheduled_events/:uuid", handler: guard((req) => json(200, { resource: renderEvent(findEvent(req.params.uuid!), user) })) },
    {
      method: "GET",
      path: "/scheduled_events/:uuid/invitees",
      handler: guard((req) => {
        const e = findEvent(req.params.uuid!);
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
    {
      method: "POST",
      path: "/scheduled_events/:uuid/cancellation",
      handler: guard((req) => {
        const e = findEvent(req.params.uuid!);
        const body = req.body === undefined ? {} : req.body;
        if (!isObject(body)) return invalid([{ parameter: "reason", message: "the body must be a JSON object" }]);
        const reason = body.reason;
        if (reason !== undefined && reason !== null && (typeof reason !== "string" || reason.length > 10_000)) {
          return invalid([{ parameter: "reason", message: "must be a string of at most 10000 characters" }]);
        }
        if (e.status === "canceled") return forbidden("Event is already canceled");
        const cancellation: Cancellation = { canceled_by: user.name, reason: typeof reason === "string" ? reason : null, canceler_type: "host", created_at: nowIso() };
        const canceled = applyCancellation(e, e.invitees, cancellation);
        // Like Calendly, the API answers without waiting for webhook deliveries (idle() waits for them).
        for (const i of canceled) void deliver("invitee.canceled", i, e);
        return json(201, { resource: cancellation });
      }),
    },
    {
      method: "GET",
      path: "/webhook_subscriptions",
      handler: guard((req) => {
        const q = req.query;
        const details: { parameter: string; message: string }[] = [];
        const organization = q.get("organization");
        const scope = q.get("scope");
        const u = q.get("user");
        if (!organization) details.push({ parameter: "organization", message: "is required" });
        if (!scope) details.push({ parameter: "scope", message: "is required" });
        else if (!["user", "organization", "group"].includes(scope)) details.push({ parameter: "scope", message: "must be one of user, organization, group" });
        if (scope === "user" && !u) details.push({ parameter: "user", message: "is required when scope is user" });
        if (details.length) return invalid(details);
        if (organization !== organizationUri || (u !== null && u !== user.uri)) return forbidden();
        const list = [...subscriptions.values()].filter((s) => s.organization === organization && s.scope === scope && (scope !== "user" || s.user === u));
        return offsetPage(req, list, renderSubscription);
      }),
    },
    {
      method: "POST",
      path: "/webhook_subscriptions",
      handler: guard((req) => {
        const body = req.body;
        if (!isObject(body)) return invalid([{ parameter: "url", message: "the body must be a JSON object" }]);
        const details: { parameter: string; message: string }[] = [];
        const { url, events: evs, organization, scope, user: u, signing_key: signingKey } = body;
        let validUrl = false;
        if (typeof url === "string") {
          try {
            validUrl = ["http:", "https:"].includes(new URL(url).protocol);
          } catch {
            validUrl = false;
          }
        }
        if (!validUrl) details.push({ parameter: "url", message: "must be a valid http or https URL" });
        if (!Array.isArray(evs) || evs.length === 0) details.push({ parameter: "events", message: "must be a non-empty list of events" });
        else {
          const unknown = evs.filter((e) => typeof e !== "string" || !(EMULATED_WEBHOOK_EVENTS as readonly string[]).includes(e));
          if (unknown.length) details.push({ parameter: "events", message: `unknown events: ${unknown.map(String).join(", ")}` });
        }
        if (typeof organization !== "string" || !organization) details.push({ parameter: "organization", message: "is required" });
        if (scope !== "user" && scope !== "organization") details.push({ parameter: "scope", message: "must be one of user, organization" });
        if (scope === "user" && (typeof u !== "string" || !u)) details.push({ parameter: "user", message: "is required when scope is user" });
        if (signingKey !== undefined && (typeof signingKey !== "string" || signingKey.length === 0)) details.push({ parameter: "signing_key", message: "must be a non-empty string" });
        if (details.length) return invalid(details);
        if (organization !== organizationUri) return forbidden();
        if (scope === "user" && u !== user.uri) return forbidden();
        const hookScope = scope as "user" | "organization";
        const subUser = hookScope === "user" ? (u as string) : null;
        const duplicate = [...subscriptions.values()].some((s) => s.callbackUrl === url && s.scope === hookScope && s.organization === organization && (hookScope !== "user" || s.user === subUser));
        if (duplicate) return json(409, { title: "Already Exists", message: "Hook with this url already exists" });
        const uuid = newId();
        const at = nowIso();
        const sub: SubscriptionRecord = {
          uuid,
          uri: `${BASE}/webhook_subscriptions/${uuid}`,
          callbackUrl: url as string,
          events: [...new Set(evs as string[])],
          scope: hookScope,
          organization: organizationUri,
          user: subUser,
          creator: user.uri,
          state: "active",
          signingKey: typeof signingKey === "string" ? signingKey : randomBytes(32).toString("base64url"),
          createdAt: at,
          updatedAt: at,
          retryStartedAt: null,
        };
        subscriptions.set(uuid, sub);
        return json(201, { resource: renderSubscription(sub) });
      }),
    },
    {
      method: "GET",
      path: "/webhook_subscriptions/:uuid",
      handler: guard((req) => {
        const sub = subscriptions.get(req.params.uuid!);
        return sub ? json(200, { resource: renderSubscription(sub) }) : notFound();
      }),
    },
    {
      method: "DELETE",
      path: "/webhook_subscriptions/:uuid",
      handler: guard((req) => (subscriptions.delete(req.params.uuid!) ? { status: 204 } : notFound())),
    },

    // -------------------------------------------------------- control API
    {
      method: "POST",
      path: "/_control/book",
      handler: guard(async (req) => {
        if (!isObject(req.body)) return invalid([{ parameter: "body", message: "must be a JSON object" }]);
        return json(201, await book(req.body as unknown as BookInput));
      }),
    },
    {
      method: "POST",
      path: "/_control/cancel",
      handler: guard(async (req) => {
        if (!isObject(req.body)) return invalid([{ parameter: "body", message: "must be a JSON object" }]);
        return json(200, await cancel(req.body as unknown as CancelInput));
      }),
    },
    {
      method: "POST",
      path: "/_control/subscription_state",
      handler: guard((req) => {
        const body = isObject(req.body) ? req.body : {};
        setSubscriptionState(String(body.uri), body.state as SubscriptionState);
        return json(200, { resource: renderSubscription(subscriptionByUri(String(body.uri))) });
      }),
    },
    {
      method: "GET",
      path: "/_control/signing_key",
      handler: guard((req) => json(200, { signing_key: subscriptionByUri(req.query.get("uri") ?? "").signingKey })),
    },
    { method: "GET", path: "/_control/deliveries", handler: () => json(200, { deliveries: deliveryLog }) },
    {
      method: "POST",
      path: "/_control/idle",
      handler: async () => {
        await idle();
        return json(200, { idle: true });
      },
    },
    {
      method: "POST",
      path: "/_control/scheduled_events",
      handler: guard((req) => {
        const body = isObject(req.body) ? req.body : {};
        const n = Number(body.n);
        if (!Number.isInteger(n) || n < 0) return invalid([{ parameter: "n", message: "must be a whole number" }]);
        const created = addScheduledEvents(n, {
          ...(typeof body.eventTypeUri === "string" ? { eventTypeUri: body.eventTypeUri } : {}),
          ...(typeof body.firstStart === "string" ? { firstStart: body.firstStart } : {}),
          ...(typeof body.intervalMinutes === "number" ? { intervalMinutes: body.intervalMinutes } : {}),
          ...(typeof body.cancelEvery === "number" ? { cancelEvery: body.cancelEvery } : {}),
        });
        return json(201, { count: created.length, total: sorted.size });
      }),
    },
  ];

  const server = await startEmulator({
    name: "calendly",
    routes,
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.faults ? { faults: options.faults } : {}),
    ...(options.random ? { random: options.random } : {}),
    notFound: () => notFound(),
    authenticate: authenticate(options.token),
  });

  return {
    ...server,
    userUri: user.uri,
    organizationUri,
    book,
    cancel,
    setSubscriptionState,
    signingKey: (uri) => subscriptions.get(uri.replace(`${BASE}/webhook_subscriptions/`, ""))?.signingKey,
    deliveries: () => deliveryLog.map((d) => ({ ...d })),
    idle,
    addScheduledEvents,
    scheduledEventCount: () => sorted.size,
    async close() {
      await store.close();
      await server.close();
    },
  };
}
