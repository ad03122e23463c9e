/**
 * The Calendly emulator's state: the host user and organization, event types,
 * scheduled events (by uuid and in the `SortedEvents` index), invitees, no-show
 * marks, webhook subscriptions and the delivery log; and the changes to it:
 * creating a scheduled event, applying a cancellation, marking an invitee as a
 * no-show and removing the mark, and delivering an invitee webhook (the
 * documented envelope to every matching subscription, through the shared
 * webhook delivery).
 */
import { randomBytes } from "node:crypto";
import { CALENDLY_SIGNATURE_HEADER, signCalendlyPayload } from "../../providers/calendly-signature.js";
import { exponentialBackoff, WebhookDelivery } from "../webhook-delivery.js";
import { calendlyTime, type Cancellation, type EventRecord, type EventTypeRecord, type InviteeRecord, type NoShowRecord, type SubscriptionRecord, type UserResource } from "./records.js";
import { renderEvent, renderInvitee } from "./render.js";
import { SortedEvents } from "./sorted-events.js";
import { CALENDLY_CANONICAL_BASE as BASE, type BookInput, type CalendlyEmulatorOptions, type DeliveryAttempt, type EmulatedEventTypeInput, type EmulatedUserInput } from "./types.js";

export type Clock = { now(): Date };

/** What a booking (or a seeded event) knows of its invitee. */
export type NewInvitee = { email: string; name: string; timezone?: string; questions?: BookInput["questions"]; tracking?: BookInput["tracking"] };

/** The webhook events whose payload is the Invitee (with its scheduled event). */
export type InviteeWebhookEvent = "invitee.created" | "invitee.canceled" | "invitee_no_show.created" | "invitee_no_show.deleted";

export interface CalendlyStore {
  readonly clock: Clock;
  /** The clock's now, in Calendly's timestamp style. */
  nowIso(): string;
  readonly user: UserResource;
  readonly organizationUri: string;
  readonly organizationName: string;
  /** When the emulator started (the user's, organization's and event types' timestamps). */
  readonly startedAt: string;
  readonly eventTypes: EventTypeRecord[];
  readonly eventTypeByUri: Map<string, EventTypeRecord>;
  /** Scheduled events by uuid. */
  readonly events: Map<string, EventRecord>;
  /** The same events by (start time, uri), for listing and paging. */
  readonly sorted: SortedEvents<EventRecord>;
  readonly inviteeByUri: Map<string, { invitee: InviteeRecord; event: EventRecord }>;
  /** No-show marks by uuid (an invitee has at most one, its `noShow`). */
  readonly noShows: Map<string, NoShowRecord>;
  /** Webhook subscriptions by uuid. */
  readonly subscriptions: Map<string, SubscriptionRecord>;
  readonly deliveryLog: DeliveryAttempt[];
  newId(): string;
  /** A new active event with one invitee, in `events` and `inviteeByUri` (the caller adds it to `sorted`). */
  createEvent(et: EmulatedEventTypeInput, startMs: number, invitee: NewInvitee, at: string): EventRecord;
  applyCancellation(event: EventRecord, invitees: InviteeRecord[], cancellation: Cancellation): InviteeRecord[];
  /** Marks an invitee (not marked yet) as a no-show: a new mark, in `noShows` and on the invitee. */
  addNoShow(invitee: InviteeRecord): NoShowRecord;
  /** Removes a mark from `noShows` and its invitee; returns the invitee's entry. */
  removeNoShow(mark: NoShowRecord): { invitee: InviteeRecord; event: EventRecord };
  /** One webhook round for an invitee event: the documented envelope to every matching active subscription. */
  deliver(event: InviteeWebhookEvent, invitee: InviteeRecord, scheduled: EventRecord): Promise<void>;
  /** Resolves when no delivery (first attempt or retry) is pending. */
  idle(): Promise<void>;
  /** Cancels pending deliveries. */
  close(): Promise<void>;
}

/**
 * UUID-shaped ids: a random prefix per emulator and a counter. Cheap enough for
 * bulk seeding (crypto.randomUUID per event dominated 100k-event seeding), and
 * unique across emulators in practice.
 */
function idFactory(): () => string {
  const p = randomBytes(10).toString("hex");
  const head = `${p.slice(0, 8)}-${p.slice(8, 12)}-${p.slice(12, 16)}-${p.slice(16, 20)}-`;
  let n = 0;
  return () => head + (n++).toString(16).padStart(12, "0");
}

function slugify(s: string): string {
  return (
    s
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-|-$/g, "") || "org"
  );
}

const NO_QUESTIONS: { question: string; answer: string }[] = [];

function hostUser(input: EmulatedUserInput | undefined, organizationUri: string, startedAt: string): UserResource {
  const slug = input?.slug ?? "sandbox-host";
  return {
    uri: input?.uri ?? `${BASE}/users/${slug}`,
    name: input?.name ?? "Sandbox Host",
    slug,
    email: input?.email ?? "host@sandbox.example.com",
    scheduling_url: `https://calendly.com/${slug}`,
    timezone: input?.timezone ?? "UTC",
    avatar_url: null,
    created_at: startedAt,
    updated_at: startedAt,
    current_organization: organizationUri,
    resource_type: "User",
    locale: "en",
  };
}

/** Calendly's delivery protocol on the shared webhook delivery; every attempt lands in the delivery log. */
function calendlyDelivery(options: CalendlyEmulatorOptions, clock: Clock, subscriptions: Map<string, SubscriptionRecord>, deliveryLog: DeliveryAttempt[]): WebhookDelivery {
  return new WebhookDelivery({
    protocol: {
      sign: signCalendlyPayload,
      headers: (signature) => ({ "content-type": "application/json", [CALENDLY_SIGNATURE_HEADER]: signature, "user-agent": "Calendly Webhooks (bookflow sandbox)" }),
      // Calendly retries with exponential back-off for 24 hours; the emulator plays that window time-scaled.
      retryDelayMs: exponentialBackoff(options.deliveryRetryDelayMs ?? 200),
    },
    retries: Math.max(0, options.deliveryRetries ?? 3),
    timeoutMs: options.deliveryTimeoutMs ?? 5000,
    now: () => clock.now().getTime(),
    allowNonLoopback: options.allowNonLoopbackDelivery ?? false,
    stillDeliverable: (uuid) => {
      const sub = subscriptions.get(uuid);
      return sub && sub.state === "active" ? { id: uuid, url: sub.callbackUrl, secret: sub.signingKey } : undefined;
    },
    onAttempt: (record) => {
      const sub = subscriptions.get(record.targetId);
      deliveryLog.push({
        subscription: sub?.uri ?? record.targetId,
        url: record.url,
        event: record.eventType,
        invitee: record.eventId,
        attempt: record.attempt,
        ...(record.status !== null ? { status: record.status } : {}),
        ok: record.ok,
        ...(record.error !== undefined ? { error: record.error } : {}),
        at: calendlyTime(Date.parse(record.at)),
      });
      if (!sub) return;
      // A 410 Gone from the endpoint deletes the subscription: nothing more is sent to it.
      if (record.status === 410) {
        subscriptions.delete(record.targetId);
        return;
      }
      if (record.ok) sub.retryStartedAt = null;
      else sub.retryStartedAt ??= calendlyTime(clock.now());
    },
    onGiveUp: (record) => {
      // Retries ran out (Calendly: after 24 hours of failures): the subscription is disabled.
      const sub = subscriptions.get(record.targetId);
      if (sub && (options.disableAfterRetries ?? true)) {
        sub.state = "disabled";
        sub.updatedAt = calendlyTime(clock.now());
      }
    },
  });
}

/** Cancels invitees (and the event once none is left active); returns the invitees it canceled. */
function applyCancellation(event: EventRecord, invitees: InviteeRecord[], cancellation: Cancellation): InviteeRecord[] {
  const canceled: InviteeRecord[] = [];
  for (const i of invitees) {
    if (i.status === "canceled") continue;
    i.status = "canceled";
    i.cancellation = cancellation;
    i.updatedAt = cancellation.created_at;
    canceled.push(i);
  }
  if (event.status === "active" && event.invitees.every((i) => i.status === "canceled")) {
    event.status = "canceled";
    event.cancellation = cancellation;
    event.updatedAt = cancellation.created_at;
  }
  return canceled;
}

export function createCalendlyStore(options: CalendlyEmulatorOptions): CalendlyStore {
  const clock = options.clock ?? { now: () => new Date() };
  const nowIso = () => calendlyTime(clock.now());
  const organizationName = options.organizationName ?? "Bookflow Sandbox";
  const organizationUri = `${BASE}/organizations/${slugify(organizationName)}`;
  const startedAt = nowIso();
  const user = hostUser(options.user, organizationUri, startedAt);

  const eventTypes: EventTypeRecord[] = options.eventTypes.map((et) => ({ ...et, createdAt: startedAt }));
  const eventTypeByUri = new Map(eventTypes.map((et) => [et.uri, et]));
  const events = new Map<string, EventRecord>();
  const sorted = new SortedEvents<EventRecord>();
  const inviteeByUri = new Map<string, { invitee: InviteeRecord; event: EventRecord }>();
  const noShows = new Map<string, NoShowRecord>();
  const subscriptions = new Map<string, SubscriptionRecord>();
  const deliveryLog: DeliveryAttempt[] = [];
  const newId = idFactory();
  const delivery = calendlyDelivery(options, clock, subscriptions, deliveryLog);

  function subscribersOf(event: string): SubscriptionRecord[] {
    return [...subscriptions.values()].filter(
      (s) =>
        s.state === "active" &&
        s.events.includes(event) &&
        s.organization === organizationUri &&
        // The host is a member of every group of its organization, so group subscriptions get its events too.
        (s.scope === "organization" || s.scope === "group" || (s.scope === "user" && s.user === user.uri)),
    );
  }

  function deliver(event: InviteeWebhookEvent, invitee: InviteeRecord, scheduled: EventRecord): Promise<void> {
    const payload = { ...renderInvitee(invitee, scheduled), scheduled_event: renderEvent(scheduled, user) };
    const createdAt = nowIso();
    return Promise.all(
      subscribersOf(event).map((sub) => {
        const envelope = { event, created_at: createdAt, created_by: sub.creator, payload };
        return delivery.dispatch({ id: invitee.uri, type: event }, JSON.stringify(envelope), [{ id: sub.uuid, url: sub.callbackUrl, secret: sub.signingKey }]);
      }),
    ).then(() => undefined);
  }

  function createEvent(et: EmulatedEventTypeInput, startMs: number, inviteeInput: NewInvitee, at: string): EventRecord {
    const uuid = newId();
    const uri = `${BASE}/scheduled_events/${uuid}`;
    const inviteeUuid = newId();
    const invitee: InviteeRecord = {
      uuid: inviteeUuid,
      uri: `${uri}/invitees/${inviteeUuid}`,
      email: inviteeInput.email,
      name: inviteeInput.name,
      status: "active",
      timezone: inviteeInput.timezone ?? user.timezone,
      questions: inviteeInput.questions ?? NO_QUESTIONS,
      tracking: inviteeInput.tracking ?? null,
      createdAt: at,
      updatedAt: at,
      cancellation: null,
      rescheduled: false,
      oldInvitee: null,
      newInvitee: null,
      noShow: null,
    };
    const record: EventRecord = {
      uuid,
      uri,
      startMs,
      endMs: startMs + et.duration * 60_000,
      name: et.name,
      eventTypeUri: et.uri,
      status: "active",
      createdAt: at,
      updatedAt: at,
      cancellation: null,
      invitees: [invitee],
    };
    events.set(uuid, record);
    inviteeByUri.set(invitee.uri, { invitee, event: record });
    return record;
  }

  function addNoShow(invitee: InviteeRecord): NoShowRecord {
    const uuid = newId();
    const at = nowIso();
    const mark: NoShowRecord = { uuid, uri: `${BASE}/invitee_no_shows/${uuid}`, inviteeUri: invitee.uri, createdAt: at };
    noShows.set(uuid, mark);
    invitee.noShow = mark;
    invitee.updatedAt = at;
    return mark;
  }

  function removeNoShow(mark: NoShowRecord): { invitee: InviteeRecord; event: EventRecord } {
    const found = inviteeByUri.get(mark.inviteeUri)!;
    noShows.delete(mark.uuid);
    found.invitee.noShow = null;
    found.invitee.updatedAt = nowIso();
    return found;
  }

  return {
    clock,
    nowIso,
    user,
    organizationUri,
    organizationName,
    startedAt,
    eventTypes,
    eventTypeByUri,
    events,
    sorted,
    inviteeByUri,
    noShows,
    subscriptions,
    deliveryLog,
    newId,
    createEvent,
    applyCancellation,
    addNoShow,
    removeNoShow,
    deliver,
    idle: () => delivery.idle(),
    close: () => delivery.close(),
  };
}
