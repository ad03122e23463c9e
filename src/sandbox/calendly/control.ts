/**
 * The Calendly emulator's control API: booking, cancelling and rescheduling the
 * way an invitee or host would in Calendly's UI, marking an invitee as a
 * no-show and removing the mark as the host would, switching a subscription on
 * or off, bulk-seeding scheduled events (as methods), and the unauthenticated
 * `/_control/...` routes that expose the same plus signing keys, the delivery
 * log and waiting for deliveries.
 */
import type { Route } from "../emulator-server.js";
import { guard, invalid, isObject, json, Refusal, type ParameterError } from "./pipeline.js";
import type { Cancellation, EventRecord, InviteeRecord, SubscriptionRecord } from "./records.js";
import { renderSubscription } from "./render.js";
import type { CalendlyStore } from "./store.js";
import {
  CALENDLY_CANONICAL_BASE as BASE,
  CalendlyEmulatorError,
  type BookInput,
  type BookResult,
  type BulkEventsOptions,
  type CancelInput,
  type CancelResult,
  type EmulatedEventTypeInput,
  type NoShowResult,
  type RescheduleInput,
  type RescheduleResult,
  type SubscriptionState,
} from "./types.js";

export interface ControlApi {
  book(input: BookInput): Promise<BookResult>;
  cancel(input: CancelInput): Promise<CancelResult>;
  /** invitee.canceled (rescheduled, new_invitee) of the old invitee, then invitee.created (old_invitee) of the new one. */
  reschedule(input: RescheduleInput): Promise<RescheduleResult>;
  /** Marks an invitee as a no-show (invitee_no_show.created). */
  markNoShow(inviteeUri: string): Promise<NoShowResult>;
  /** Removes an invitee's no-show mark (invitee_no_show.deleted). */
  unmarkNoShow(inviteeUri: string): Promise<NoShowResult>;
  setSubscriptionState(uri: string, state: SubscriptionState): void;
  /** Bulk seed: n events with one invitee each, no webhooks. */
  addScheduledEvents(n: number, options?: BulkEventsOptions): BookResult[];
}

function eventTypeFor(store: CalendlyStore, uri: string): EmulatedEventTypeInput {
  const { eventTypeByUri } = store;
  const et = eventTypeByUri.get(uri);
  if (!et) throw new CalendlyEmulatorError(404, "Resource Not Found", `No event type ${uri} in the emulator (known: ${[...eventTypeByUri.keys()].join(", ")})`);
  return et;
}

function toMs(t: Date | string, what: string): number {
  const ms = typeof t === "string" ? Date.parse(t) : t.getTime();
  if (Number.isNaN(ms)) throw new CalendlyEmulatorError(400, "Invalid Argument", `${what} is not a valid time: ${String(t)}`);
  return ms;
}

/** An invitee and its event by the invitee's uri (or a 404 control-API error). */
function inviteeEntry(store: CalendlyStore, uri: string): { invitee: InviteeRecord; event: EventRecord } {
  const found = store.inviteeByUri.get(uri);
  if (!found) throw new CalendlyEmulatorError(404, "Resource Not Found", `No invitee ${uri}`);
  return found;
}

/** A subscription by its uri (or a 404 control-API error). */
function subscriptionByUri(store: CalendlyStore, uri: string): SubscriptionRecord {
  const sub = store.subscriptions.get(uri.replace(`${BASE}/webhook_subscriptions/`, ""));
  if (!sub) throw new CalendlyEmulatorError(404, "Resource Not Found", `No webhook subscription ${uri}`);
  return sub;
}

export function createControlApi(store: CalendlyStore): ControlApi {
  const { clock, nowIso, user, eventTypes, events, sorted, inviteeByUri, createEvent, applyCancellation, addNoShow, removeNoShow, deliver } = store;

  async function book(input: BookInput): Promise<BookResult> {
    const et = eventTypeFor(store, input.eventTypeUri);
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

  async function reschedule(input: RescheduleInput): Promise<RescheduleResult> {
    const { invitee: old, event: oldEvent } = inviteeEntry(store, input.inviteeUri);
    if (old.status === "canceled") {
      const why = old.rescheduled && old.newInvitee ? `was rescheduled to ${old.newInvitee}` : "is canceled";
      throw new CalendlyEmulatorError(403, "Permission Denied", `Invitee ${old.uri} ${why}, so it cannot be rescheduled`);
    }
    const et = eventTypeFor(store, input.eventTypeUri ?? oldEvent.eventTypeUri);
    if (!et.active) throw new CalendlyEmulatorError(400, "Invalid Argument", `Event type ${et.uri} is not active, so it cannot be booked`);
    if (input.reason !== undefined && typeof input.reason !== "string") throw new CalendlyEmulatorError(400, "Invalid Argument", "reason must be a string");
    const startMs = toMs(input.startTime, "startTime");
    const at = nowIso();
    const record = createEvent(
      et,
      startMs,
      { email: old.email, name: old.name, timezone: old.timezone, questions: [...old.questions], ...(old.tracking ? { tracking: { ...old.tracking } } : {}) },
      at,
    );
    sorted.insert(record);
    const moved = record.invitees[0]!;
    moved.oldInvitee = old.uri;
    old.rescheduled = true;
    old.newInvitee = moved.uri;
    applyCancellation(oldEvent, [old], { canceled_by: old.name, reason: input.reason ?? null, canceler_type: "invitee", created_at: at });
    // Calendly's order: the old invitee's cancellation, then the new invitee.
    await deliver("invitee.canceled", old, oldEvent);
    await deliver("invitee.created", moved, record);
    return { oldInviteeUri: old.uri, newInviteeUri: moved.uri, newEventUri: record.uri };
  }

  async function markNoShow(inviteeUri: string): Promise<NoShowResult> {
    const { invitee, event } = inviteeEntry(store, inviteeUri);
    if (invitee.noShow) throw new CalendlyEmulatorError(400, "Invalid Argument", `Invitee ${invitee.uri} is already marked as a no-show (${invitee.noShow.uri})`);
    const mark = addNoShow(invitee);
    await deliver("invitee_no_show.created", invitee, event);
    return { noShowUri: mark.uri, inviteeUri: invitee.uri };
  }

  async function unmarkNoShow(inviteeUri: string): Promise<NoShowResult> {
    const { invitee, event } = inviteeEntry(store, inviteeUri);
    const mark = invitee.noShow;
    if (!mark) throw new CalendlyEmulatorError(404, "Resource Not Found", `Invitee ${invitee.uri} is not marked as a no-show`);
    removeNoShow(mark);
    await deliver("invitee_no_show.deleted", invitee, event);
    return { noShowUri: mark.uri, inviteeUri: invitee.uri };
  }

  function setSubscriptionState(uri: string, state: SubscriptionState): void {
    if (state !== "active" && state !== "disabled") throw new CalendlyEmulatorError(400, "Invalid Argument", `state must be active or disabled, not ${String(state)}`);
    const sub = subscriptionByUri(store, uri);
    sub.state = state;
    sub.updatedAt = nowIso();
  }

  function addScheduledEvents(n: number, opts: BulkEventsOptions = {}): BookResult[] {
    const et = opts.eventTypeUri ? eventTypeFor(store, opts.eventTypeUri) : eventTypes[0];
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

  return { book, cancel, reschedule, markNoShow, unmarkNoShow, setSubscriptionState, addScheduledEvents };
}

/** A control body's `inviteeUri` (or a refusal with Calendly's 400). */
function inviteeUriOf(body: unknown): string {
  const uri = isObject(body) ? body.inviteeUri : undefined;
  if (typeof uri !== "string" || !uri) throw new Refusal(invalid([{ parameter: "inviteeUri", message: "is required" }]));
  return uri;
}

/** The `/_control/...` routes (no auth, no faults). */
export function controlRoutes(store: CalendlyStore, control: ControlApi): Route[] {
  const { deliveryLog, sorted } = store;
  return [
    {
      method: "POST",
      path: "/_control/book",
      handler: guard(async (req) => {
        if (!isObject(req.body)) return invalid([{ parameter: "body", message: "must be a JSON object" }]);
        return json(201, await control.book(req.body as unknown as BookInput));
      }),
    },
    {
      method: "POST",
      path: "/_control/cancel",
      handler: guard(async (req) => {
        if (!isObject(req.body)) return invalid([{ parameter: "body", message: "must be a JSON object" }]);
        return json(200, await control.cancel(req.body as unknown as CancelInput));
      }),
    },
    {
      method: "POST",
      path: "/_control/reschedule",
      handler: guard(async (req) => {
        if (!isObject(req.body)) return invalid([{ parameter: "body", message: "must be a JSON object" }]);
        const { inviteeUri, startTime, eventTypeUri, reason } = req.body;
        const details: ParameterError[] = [];
        if (typeof inviteeUri !== "string" || !inviteeUri) details.push({ parameter: "inviteeUri", message: "is required" });
        if (typeof startTime !== "string" || !startTime) details.push({ parameter: "startTime", message: "is required" });
        if (eventTypeUri !== undefined && typeof eventTypeUri !== "string") details.push({ parameter: "eventTypeUri", message: "must be a string" });
        if (reason !== undefined && typeof reason !== "string") details.push({ parameter: "reason", message: "must be a string" });
        if (details.length) return invalid(details);
        const input: RescheduleInput = {
          inviteeUri: inviteeUri as string,
          startTime: startTime as string,
          ...(typeof eventTypeUri === "string" ? { eventTypeUri } : {}),
          ...(typeof reason === "string" ? { reason } : {}),
        };
        return json(201, await control.reschedule(input));
      }),
    },
    {
      method: "POST",
      path: "/_control/no-show",
      handler: guard(async (req) => json(201, await control.markNoShow(inviteeUriOf(req.body)))),
    },
    {
      method: "POST",
      path: "/_control/no-show/remove",
      handler: guard(async (req) => json(200, await control.unmarkNoShow(inviteeUriOf(req.body)))),
    },
    {
      method: "POST",
      path: "/_control/subscription_state",
      handler: guard((req) => {
        const body = isObject(req.body) ? req.body : {};
        control.setSubscriptionState(String(body.uri), body.state as SubscriptionState);
        return json(200, { resource: renderSubscription(subscriptionByUri(store, String(body.uri))) });
      }),
    },
    {
      method: "GET",
      path: "/_control/signing_key",
      handler: guard((req) => json(200, { signing_key: subscriptionByUri(store, req.query.get("uri") ?? "").signingKey })),
    },
    { method: "GET", path: "/_control/deliveries", handler: () => json(200, { deliveries: deliveryLog }) },
    {
      method: "POST",
      path: "/_control/idle",
      handler: async () => {
        await store.idle();
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
        const created = control.addScheduledEvents(n, {
          ...(typeof body.eventTypeUri === "string" ? { eventTypeUri: body.eventTypeUri } : {}),
          ...(typeof body.firstStart === "string" ? { firstStart: body.firstStart } : {}),
          ...(typeof body.intervalMinutes === "number" ? { intervalMinutes: body.intervalMinutes } : {}),
          ...(typeof body.cancelEvery === "number" ? { cancelEvery: body.cancelEvery } : {}),
        });
        return json(201, { count: created.length, total: sorted.size });
      }),
    },
  ];
}
