import { request } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import type { ParsedEvent } from "../../../src/core/intake/events.js";
import { parseWebhook } from "../../../src/core/intake/parse.js";
import { CALENDLY_SIGNATURE_HEADER, verifyCalendlySignature } from "../../../src/providers/calendly-signature.js";
import { collect, createCalendlyClient, type CalendlyClient } from "../../../src/providers/calendly/client.js";
import { CalendlyEmulatorError, startCalendlyEmulator, type CalendlyEmulator } from "../../../src/sandbox/calendly/emulator.js";
import { startRecordingServer, type RecordedRequest, type RecordingServer } from "../../providers/recording-server.js";
import { INTRO_CALL, SEED_EVENT_TYPES, TEST_CALENDLY_TOKEN } from "./support.js";

const KEY = "known-signing-key-for-lifecycle-tests";
const START = "2031-03-04T10:00:00.000Z";
const NEW_START = "2031-03-06T14:30:00.000Z";
const ALL_EVENTS = ["invitee.created", "invitee.canceled", "invitee_no_show.created", "invitee_no_show.deleted"];
const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

const toClose: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(toClose.splice(0).map((c) => c.close()));
});

interface World {
  emulator: CalendlyEmulator;
  client: CalendlyClient;
  hook: RecordingServer;
}

/** An emulator, the project's client on it, and a receiver subscribed to `events`. */
async function setup(events: string[] = ALL_EVENTS): Promise<World> {
  const emulator = await startCalendlyEmulator({ token: TEST_CALENDLY_TOKEN, eventTypes: SEED_EVENT_TYPES, deliveryRetryDelayMs: 20 });
  toClose.push(emulator);
  const client = createCalendlyClient({ token: TEST_CALENDLY_TOKEN, baseUrl: emulator.url });
  const hook = await receiver();
  await client.createWebhookSubscription({ url: `${hook.url}/webhooks/calendly`, events, organization: emulator.organizationUri, scope: "organization", signingKey: KEY });
  return { emulator, client, hook };
}

async function receiver(): Promise<RecordingServer> {
  const server = await startRecordingServer(() => ({ status: 200 }));
  toClose.push(server);
  return server;
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

async function api(emulator: CalendlyEmulator, method: "GET" | "POST" | "DELETE", path: string, body?: unknown, token: string | null = TEST_CALENDLY_TOKEN): Promise<Answer> {
  const res = await request(`${emulator.url}${path}`, {
    method,
    headers: { ...(token === null ? {} : { authorization: `Bearer ${token}` }), ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.body.text();
  return { status: res.statusCode, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

const control = (emulator: CalendlyEmulator, path: string, body: unknown) => api(emulator, "POST", path, body, null);

type Envelope = { event: string; created_at: string; created_by: string; payload: Record<string, unknown> & { scheduled_event: Record<string, unknown> } };
const envelopeOf = (req: RecordedRequest) => JSON.parse(req.body) as Envelope;

/** The delivery as the app receives it: its signature checked with the subscription's key, its body parsed by the intake. */
function received(req: RecordedRequest): { envelope: Envelope; parsed: ParsedEvent } {
  expect(verifyCalendlySignature(req.body, String(req.headers[CALENDLY_SIGNATURE_HEADER]), KEY)).toEqual({ ok: true });
  const envelope = envelopeOf(req);
  const result = parseWebhook("calendly", envelope);
  if (!result.ok) throw new Error(`the intake refused ${envelope.event}: ${result.issues.join("; ")}`);
  return { envelope, parsed: result.event };
}

/** The invitee resource through the API. */
async function invitee(emulator: CalendlyEmulator, uri: string): Promise<Record<string, unknown>> {
  const res = await api(emulator, "GET", uri.replace("https://api.calendly.com", ""));
  expect(res.status).toBe(200);
  return res.body.resource as Record<string, unknown>;
}

const uuidOf = (uri: string) => uri.split("/").pop()!;

function book(emulator: CalendlyEmulator, email = "grace@example.com", name = "Grace Hopper") {
  return emulator.book({
    eventTypeUri: INTRO_CALL.uri,
    email,
    name,
    startTime: START,
    questions: [{ question: "What do you want to build?", answer: "A compiler" }],
    tracking: { utm_campaign: "bookflow-run42", utm_source: "newsletter" },
  });
}

describe("reschedule", () => {
  it("delivers invitee.canceled of the old invitee (rescheduled, new_invitee), then invitee.created of the new one (old_invitee), signed, as the intake reads them", async () => {
    const { emulator, hook } = await setup();
    const booked = await book(emulator);
    const moved = await emulator.reschedule({ inviteeUri: booked.inviteeUri, startTime: NEW_START });

    expect(moved.oldInviteeUri).toBe(booked.inviteeUri);
    expect(moved.newEventUri).not.toBe(booked.eventUri);
    expect(moved.newEventUri).toMatch(new RegExp(`^https://api\\.calendly\\.com/scheduled_events/${UUID}$`));
    expect(moved.newInviteeUri).toMatch(new RegExp(`^${moved.newEventUri}/invitees/${UUID}$`));
    // reschedule() resolves once both rounds are delivered, in Calendly's order.
    expect(hook.requests.map((r) => envelopeOf(r).event)).toEqual(["invitee.created", "invitee.canceled", "invitee.created"]);

    const canceled = received(hook.requests[1]!);
    expect(canceled.parsed.action).toEqual({
      kind: "invitee.canceled",
      inviteeUri: booked.inviteeUri,
      reason: null,
      canceledBy: "Grace Hopper",
      cancelerType: "invitee",
      at: expect.any(Date),
      rescheduled: true,
      newInviteeUri: moved.newInviteeUri,
    });
    expect(canceled.envelope.payload).toMatchObject({
      uri: booked.inviteeUri,
      status: "canceled",
      rescheduled: true,
      old_invitee: null,
      new_invitee: moved.newInviteeUri,
      cancellation: { canceled_by: "Grace Hopper", reason: null, canceler_type: "invitee", created_at: expect.any(String) },
      scheduled_event: { uri: booked.eventUri, status: "canceled", start_time: "2031-03-04T10:00:00.000000Z", invitees_counter: { total: 1, active: 0, limit: 1 } },
    });

    const created = received(hook.requests[2]!);
    expect(created.parsed.action).toEqual({
      kind: "invitee.created",
      inviteeUri: moved.newInviteeUri,
      eventUri: moved.newEventUri,
      eventTypeUri: INTRO_CALL.uri,
      email: "grace@example.com",
      name: "Grace Hopper",
      startTime: new Date(NEW_START),
      endTime: new Date(Date.parse(NEW_START) + INTRO_CALL.duration * 60_000),
      runTag: "bookflow-run42",
      oldInviteeUri: booked.inviteeUri,
    });
    expect(created.envelope.payload).toMatchObject({
      uri: moved.newInviteeUri,
      status: "active",
      rescheduled: false,
      old_invitee: booked.inviteeUri,
      new_invitee: null,
      questions_and_answers: [{ question: "What do you want to build?", answer: "A compiler", position: 0 }],
      tracking: { utm_campaign: "bookflow-run42", utm_source: "newsletter" },
      scheduled_event: { uri: moved.newEventUri, status: "active", start_time: "2031-03-06T14:30:00.000000Z", event_type: INTRO_CALL.uri },
    });
    expect(created.envelope.payload).not.toHaveProperty("cancellation");
    // Three deliveries, three events the intake records apart.
    const ids = hook.requests.map((r) => received(r).parsed.providerEventId);
    expect(new Set(ids).size).toBe(3);
  });

  it("leaves the old invitee and event canceled and the new ones active in the API, and the host cannot cancel the old event again", async () => {
    const { emulator, client } = await setup();
    const booked = await book(emulator);
    const moved = await emulator.reschedule({ inviteeUri: booked.inviteeUri, startTime: NEW_START, reason: "A conflict came up" });

    const oldEvent = await client.getScheduledEvent(booked.eventUri);
    expect(oldEvent).toMatchObject({ status: "canceled", cancellation: { canceler_type: "invitee", canceled_by: "Grace Hopper", reason: "A conflict came up" }, invitees_counter: { total: 1, active: 0 } });
    const newEvent = await client.getScheduledEvent(moved.newEventUri);
    expect(newEvent).toMatchObject({ status: "active", start_time: "2031-03-06T14:30:00.000000Z", event_type: INTRO_CALL.uri, invitees_counter: { total: 1, active: 1 } });
    expect(newEvent).not.toHaveProperty("cancellation");

    const [oldListed] = await collect(client.listEventInvitees(booked.eventUri));
    expect(oldListed).toMatchObject({ uri: booked.inviteeUri, status: "canceled", rescheduled: true, old_invitee: null, new_invitee: moved.newInviteeUri, no_show: null });
    expect(await invitee(emulator, booked.inviteeUri)).toEqual(oldListed);
    const [newListed] = await collect(client.listEventInvitees(moved.newEventUri));
    expect(newListed).toMatchObject({ uri: moved.newInviteeUri, status: "active", email: "grace@example.com", name: "Grace Hopper", rescheduled: false, old_invitee: booked.inviteeUri, new_invitee: null, no_show: null });
    expect(await invitee(emulator, moved.newInviteeUri)).toEqual(newListed);

    // The canceled and active lists put each event where it belongs.
    const owner = { organization: emulator.organizationUri };
    expect((await collect(client.listScheduledEvents({ ...owner, status: "canceled" }))).map((e) => e.uri)).toEqual([booked.eventUri]);
    expect((await collect(client.listScheduledEvents({ ...owner, status: "active" }))).map((e) => e.uri)).toEqual([moved.newEventUri]);

    // Calendly answers a cancellation of an already canceled event with 403.
    const again = await api(emulator, "POST", `/scheduled_events/${uuidOf(booked.eventUri)}/cancellation`, { reason: "again" });
    expect(again).toEqual({ status: 403, body: { title: "Permission Denied", message: "Event is already canceled" } });
    await expect(client.cancelScheduledEvent(booked.eventUri, "again")).rejects.toThrow();
  });

  it("reschedules over POST /_control/reschedule, to another event type when asked", async () => {
    const { emulator, client, hook } = await setup();
    const other = SEED_EVENT_TYPES.find((et) => et.uri !== INTRO_CALL.uri)!;
    const booked = await book(emulator);
    const res = await control(emulator, "/_control/reschedule", { inviteeUri: booked.inviteeUri, startTime: NEW_START, eventTypeUri: other.uri });
    expect(res.status).toBe(201);
    const body = res.body as { oldInviteeUri: string; newInviteeUri: string; newEventUri: string };
    expect(body).toEqual({ oldInviteeUri: booked.inviteeUri, newInviteeUri: expect.any(String), newEventUri: expect.any(String) });
    expect(await client.getScheduledEvent(body.newEventUri)).toMatchObject({ event_type: other.uri, name: other.name, status: "active" });
    expect(hook.requests.map((r) => envelopeOf(r).event)).toEqual(["invitee.created", "invitee.canceled", "invitee.created"]);
    expect(received(hook.requests[2]!).parsed.action).toMatchObject({ kind: "invitee.created", eventTypeUri: other.uri, oldInviteeUri: booked.inviteeUri });
  });

  it("can reschedule the new invitee again: each hop links to the next", async () => {
    const { emulator } = await setup();
    const booked = await book(emulator);
    const first = await emulator.reschedule({ inviteeUri: booked.inviteeUri, startTime: NEW_START });
    const second = await emulator.reschedule({ inviteeUri: first.newInviteeUri, startTime: "2031-03-09T09:00:00Z" });
    expect(await invitee(emulator, first.newInviteeUri)).toMatchObject({ status: "canceled", rescheduled: true, old_invitee: booked.inviteeUri, new_invitee: second.newInviteeUri });
    expect(await invitee(emulator, second.newInviteeUri)).toMatchObject({ status: "active", rescheduled: false, old_invitee: first.newInviteeUri, new_invitee: null });
  });

  it("refuses an unknown invitee (404), a canceled or already rescheduled one (403) and a bad time (400), delivering nothing", async () => {
    const { emulator, hook } = await setup();
    const unknown = "https://api.calendly.com/scheduled_events/00000000-0000-0000-0000-000000000000/invitees/00000000-0000-0000-0000-000000000001";
    await expect(emulator.reschedule({ inviteeUri: unknown, startTime: NEW_START })).rejects.toMatchObject({ name: "CalendlyEmulatorError", status: 404, title: "Resource Not Found" });
    expect(await control(emulator, "/_control/reschedule", { inviteeUri: unknown, startTime: NEW_START })).toEqual({
      status: 404,
      body: { title: "Resource Not Found", message: `No invitee ${unknown}` },
    });

    const canceled = await book(emulator, "gone@example.com", "Gone Away");
    await emulator.cancel({ inviteeUri: canceled.inviteeUri, reason: "Not coming" });
    const refusal = await emulator.reschedule({ inviteeUri: canceled.inviteeUri, startTime: NEW_START }).catch((err: unknown) => err);
    expect(refusal).toBeInstanceOf(CalendlyEmulatorError);
    expect(refusal).toMatchObject({ status: 403, title: "Permission Denied", message: `Invitee ${canceled.inviteeUri} is canceled, so it cannot be rescheduled` });
    expect(await control(emulator, "/_control/reschedule", { inviteeUri: canceled.inviteeUri, startTime: NEW_START })).toMatchObject({ status: 403, body: { title: "Permission Denied" } });

    const booked = await book(emulator);
    const moved = await emulator.reschedule({ inviteeUri: booked.inviteeUri, startTime: NEW_START });
    const twice = await control(emulator, "/_control/reschedule", { inviteeUri: booked.inviteeUri, startTime: "2031-03-07T10:00:00Z" });
    expect(twice).toEqual({
      status: 403,
      body: { title: "Permission Denied", message: `Invitee ${booked.inviteeUri} was rescheduled to ${moved.newInviteeUri}, so it cannot be rescheduled` },
    });

    const active = await book(emulator, "active@example.com", "Still Here");
    await expect(emulator.reschedule({ inviteeUri: active.inviteeUri, startTime: "next tuesday" })).rejects.toMatchObject({ status: 400, title: "Invalid Argument" });
    await expect(emulator.reschedule({ inviteeUri: active.inviteeUri, startTime: NEW_START, eventTypeUri: "https://api.calendly.com/event_types/nope" })).rejects.toMatchObject({ status: 404 });
    const missing = await control(emulator, "/_control/reschedule", { eventTypeUri: 7 });
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ title: "Invalid Argument", details: [{ parameter: "inviteeUri" }, { parameter: "startTime" }, { parameter: "eventTypeUri" }] });
    expect((await control(emulator, "/_control/reschedule", [])).status).toBe(400);

    // Only the bookings, the one cancellation and the one reschedule were delivered.
    await emulator.idle();
    expect(hook.requests.map((r) => envelopeOf(r).event)).toEqual(["invitee.created", "invitee.canceled", "invitee.created", "invitee.canceled", "invitee.created", "invitee.created"]);
    expect(await invitee(emulator, active.inviteeUri)).toMatchObject({ status: "active", rescheduled: false, new_invitee: null });
  });
});

describe("no-shows", () => {
  it("marks, reads and removes a no-show through the API; invitee_no_show.created and .deleted carry the Invitee, signed, as the intake reads them", async () => {
    const { emulator, hook } = await setup();
    const booked = await book(emulator);

    const made = await api(emulator, "POST", "/invitee_no_shows", { invitee: booked.inviteeUri });
    expect(made.status).toBe(201);
    const mark = made.body.resource as { uri: string; invitee: string; created_at: string };
    expect(mark).toEqual({ uri: expect.stringMatching(new RegExp(`^https://api\\.calendly\\.com/invitee_no_shows/${UUID}$`)), invitee: booked.inviteeUri, created_at: expect.any(String) });
    expect(Date.parse(mark.created_at)).not.toBeNaN();
    expect(await api(emulator, "GET", `/invitee_no_shows/${uuidOf(mark.uri)}`)).toEqual({ status: 200, body: { resource: mark } });
    expect((await invitee(emulator, booked.inviteeUri)).no_show).toEqual({ uri: mark.uri, created_at: mark.created_at });

    await emulator.idle();
    expect(hook.requests.map((r) => envelopeOf(r).event)).toEqual(["invitee.created", "invitee_no_show.created"]);
    const created = received(hook.requests[1]!);
    expect(created.envelope).toMatchObject({ event: "invitee_no_show.created", created_by: emulator.userUri });
    expect(created.envelope.payload).toMatchObject({ uri: booked.inviteeUri, status: "active", event: booked.eventUri, no_show: { uri: mark.uri, created_at: mark.created_at } });
    expect(created.parsed).toMatchObject({ type: "invitee_no_show.created", providerEventId: `invitee_no_show.created:${mark.uri}` });
    expect(created.parsed.action).toEqual({ kind: "no-show", inviteeUri: booked.inviteeUri, marked: true, at: expect.any(Date) });

    expect(await api(emulator, "DELETE", `/invitee_no_shows/${uuidOf(mark.uri)}`)).toEqual({ status: 204, body: {} });
    await emulator.idle();
    expect(hook.requests.map((r) => envelopeOf(r).event)).toEqual(["invitee.created", "invitee_no_show.created", "invitee_no_show.deleted"]);
    const deleted = received(hook.requests[2]!);
    expect(deleted.envelope.payload).toMatchObject({ uri: booked.inviteeUri, status: "active", no_show: null });
    expect(deleted.parsed.action).toEqual({ kind: "no-show", inviteeUri: booked.inviteeUri, marked: false, at: expect.any(Date) });

    expect(await api(emulator, "GET", `/invitee_no_shows/${uuidOf(mark.uri)}`)).toEqual({ status: 404, body: { title: "Resource Not Found", message: expect.any(String) } });
    expect((await invitee(emulator, booked.inviteeUri)).no_show).toBeNull();

    // Marked again after the removal: a new mark.
    const again = await api(emulator, "POST", "/invitee_no_shows", { invitee: booked.inviteeUri });
    expect(again.status).toBe(201);
    expect((again.body.resource as { uri: string }).uri).not.toBe(mark.uri);
  });

  it("delivers the no-show events only to subscriptions that list them", async () => {
    const { emulator, client, hook } = await setup(["invitee.created", "invitee.canceled"]);
    const noShowsOnly = await receiver();
    await client.createWebhookSubscription({ url: noShowsOnly.url, events: ["invitee_no_show.created"], organization: emulator.organizationUri, scope: "organization", signingKey: KEY });
    const booked = await book(emulator);
    await emulator.markNoShow(booked.inviteeUri);
    await emulator.unmarkNoShow(booked.inviteeUri);
    await emulator.idle();
    expect(hook.requests.map((r) => envelopeOf(r).event)).toEqual(["invitee.created"]);
    expect(noShowsOnly.requests.map((r) => envelopeOf(r).event)).toEqual(["invitee_no_show.created"]);
    expect(received(noShowsOnly.requests[0]!).parsed.action).toMatchObject({ kind: "no-show", marked: true });
  });

  it("marks and unmarks as methods and over /_control/no-show and /_control/no-show/remove", async () => {
    const { emulator, hook } = await setup();
    const booked = await book(emulator);
    const marked = await emulator.markNoShow(booked.inviteeUri);
    expect(marked).toEqual({ noShowUri: expect.stringMatching(/^https:\/\/api\.calendly\.com\/invitee_no_shows\//), inviteeUri: booked.inviteeUri });
    expect((await api(emulator, "GET", `/invitee_no_shows/${uuidOf(marked.noShowUri)}`)).body.resource).toMatchObject({ uri: marked.noShowUri, invitee: booked.inviteeUri });
    expect(await emulator.unmarkNoShow(booked.inviteeUri)).toEqual(marked);
    expect((await api(emulator, "GET", `/invitee_no_shows/${uuidOf(marked.noShowUri)}`)).status).toBe(404);

    const viaControl = await control(emulator, "/_control/no-show", { inviteeUri: booked.inviteeUri });
    expect(viaControl).toEqual({ status: 201, body: { noShowUri: expect.any(String), inviteeUri: booked.inviteeUri } });
    expect((await invitee(emulator, booked.inviteeUri)).no_show).toMatchObject({ uri: viaControl.body.noShowUri });
    expect(await control(emulator, "/_control/no-show/remove", { inviteeUri: booked.inviteeUri })).toEqual({ status: 200, body: viaControl.body });
    expect((await invitee(emulator, booked.inviteeUri)).no_show).toBeNull();

    // The methods resolve once delivered; each change is one webhook, parsed by the intake.
    const events = hook.requests.map((r) => received(r).parsed);
    expect(events.map((e) => [e.type, e.action.kind === "no-show" ? e.action.marked : null])).toEqual([
      ["invitee.created", null],
      ["invitee_no_show.created", true],
      ["invitee_no_show.deleted", false],
      ["invitee_no_show.created", true],
      ["invitee_no_show.deleted", false],
    ]);
    expect(new Set(events.map((e) => e.providerEventId)).size).toBe(5);
  });

  it("refuses a missing or unknown invitee and a second mark with 400 details, an unknown mark with 404, and a missing token with 401, delivering nothing", async () => {
    const { emulator, hook } = await setup();
    const booked = await book(emulator);
    const unknownInvitee = `${booked.eventUri}/invitees/00000000-0000-0000-0000-000000000000`;

    for (const body of [{}, { invitee: 7 }, { invitee: "" }, []]) {
      const res = await api(emulator, "POST", "/invitee_no_shows", body);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ title: "Invalid Argument", message: expect.any(String), details: [{ parameter: "invitee", message: expect.any(String) }] });
    }
    expect(await api(emulator, "POST", "/invitee_no_shows", { invitee: unknownInvitee })).toEqual({
      status: 400,
      body: { title: "Invalid Argument", message: "The supplied parameters are invalid.", details: [{ parameter: "invitee", message: "does not exist" }] },
    });

    expect((await api(emulator, "POST", "/invitee_no_shows", { invitee: booked.inviteeUri })).status).toBe(201);
    expect(await api(emulator, "POST", "/invitee_no_shows", { invitee: booked.inviteeUri })).toEqual({
      status: 400,
      body: { title: "Invalid Argument", message: "The supplied parameters are invalid.", details: [{ parameter: "invitee", message: "is already marked as a no show" }] },
    });

    const unknownMark = "/invitee_no_shows/00000000-0000-0000-0000-000000000000";
    expect(await api(emulator, "GET", unknownMark)).toEqual({ status: 404, body: { title: "Resource Not Found", message: expect.any(String) } });
    expect(await api(emulator, "DELETE", unknownMark)).toEqual({ status: 404, body: { title: "Resource Not Found", message: expect.any(String) } });
    for (const [method, path, body] of [
      ["POST", "/invitee_no_shows", { invitee: booked.inviteeUri }],
      ["GET", unknownMark, undefined],
      ["DELETE", unknownMark, undefined],
    ] as const) {
      expect(await api(emulator, method, path, body, null)).toEqual({ status: 401, body: { title: "Unauthenticated", message: "The access token is invalid" } });
    }

    // The methods and control routes refuse the same.
    await expect(emulator.markNoShow(unknownInvitee)).rejects.toMatchObject({ name: "CalendlyEmulatorError", status: 404, title: "Resource Not Found" });
    await expect(emulator.markNoShow(booked.inviteeUri)).rejects.toMatchObject({ status: 400, title: "Invalid Argument", message: expect.stringContaining("already marked") });
    expect(await control(emulator, "/_control/no-show", { inviteeUri: booked.inviteeUri })).toMatchObject({ status: 400, body: { title: "Invalid Argument" } });
    expect(await control(emulator, "/_control/no-show", {})).toMatchObject({ status: 400, body: { details: [{ parameter: "inviteeUri" }] } });
    expect(await control(emulator, "/_control/no-show/remove", { inviteeUri: unknownInvitee })).toEqual({ status: 404, body: { title: "Resource Not Found", message: `No invitee ${unknownInvitee}` } });
    expect(await control(emulator, "/_control/no-show/remove", [])).toMatchObject({ status: 400, body: { details: [{ parameter: "inviteeUri" }] } });

    const unmarked = await book(emulator, "kept@example.com", "Kept Appointment");
    await expect(emulator.unmarkNoShow(unmarked.inviteeUri)).rejects.toMatchObject({ status: 404, message: `Invitee ${unmarked.inviteeUri} is not marked as a no-show` });
    expect(await control(emulator, "/_control/no-show/remove", { inviteeUri: unmarked.inviteeUri })).toMatchObject({ status: 404, body: { title: "Resource Not Found" } });

    // The one mark is the only no-show delivery.
    await emulator.idle();
    expect(hook.requests.map((r) => envelopeOf(r).event)).toEqual(["invitee.created", "invitee_no_show.created", "invitee.created"]);
  });
});
