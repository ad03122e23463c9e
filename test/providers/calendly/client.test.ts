import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ProviderError, UsageError } from "../../../src/errors.js";
import { calendlyUuid, collect, createCalendlyClient, type CalendlyClient } from "../../../src/providers/calendly/client.js";
import { startCalendlyEmulator, type CalendlyEmulator } from "../../../src/sandbox/calendly/emulator.js";
import { INTRO_CALL, SEED_EVENT_TYPES, TEST_CALENDLY_TOKEN } from "../../sandbox/calendly/support.js";

let emulator: CalendlyEmulator;
let client: CalendlyClient;
const sleeps: number[] = [];

const FIRST_START = "2030-03-01T09:00:00.000Z";

beforeAll(async () => {
  emulator = await startCalendlyEmulator({
    token: TEST_CALENDLY_TOKEN,
    eventTypes: [...SEED_EVENT_TYPES, { uri: "https://api.calendly.com/event_types/retired", name: "Retired", slug: "retired", duration: 15, active: false }],
  });
  // 250 events an hour apart from FIRST_START; every 10th canceled.
  emulator.addScheduledEvents(250, { eventTypeUri: INTRO_CALL.uri, firstStart: FIRST_START, cancelEvery: 10 });
  client = createCalendlyClient({ token: TEST_CALENDLY_TOKEN, baseUrl: emulator.url, sleep: async (ms) => void sleeps.push(ms) });
});

afterAll(async () => {
  await emulator.close();
});

beforeEach(() => {
  sleeps.length = 0;
});

/** Requests the emulator received since `from` for a method and path prefix. */
function requestsSince(from: number, method: string, pathPrefix: string) {
  return emulator.requestLog.slice(from).filter((r) => r.method === method && r.path.startsWith(pathPrefix));
}

async function caught(p: Promise<unknown>): Promise<ProviderError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

describe("calendly client against the emulator: happy paths", () => {
  it("reads the current user with its organization", async () => {
    const me = await client.getCurrentUser();
    expect(me.uri).toBe(emulator.userUri);
    expect(me.current_organization).toBe(emulator.organizationUri);
    expect(me.slug).toBe("sandbox-host");
    expect(me.scheduling_url).toBe("https://calendly.com/sandbox-host");
  });

  it("sends the token as a Bearer header", async () => {
    const from = emulator.requestLog.length;
    await client.getCurrentUser();
    expect(requestsSince(from, "GET", "/users/me")[0]?.headers.authorization).toBe(`Bearer ${TEST_CALENDLY_TOKEN}`);
  });

  it("lists event types, and filters by active", async () => {
    const all = await collect(client.listEventTypes({ user: emulator.userUri }));
    expect(all.map((e) => e.uri)).toEqual([...SEED_EVENT_TYPES.map((e) => e.uri), "https://api.calendly.com/event_types/retired"]);
    const active = await collect(client.listEventTypes({ organization: emulator.organizationUri, active: true }));
    expect(active.map((e) => e.uri)).toEqual(SEED_EVENT_TYPES.map((e) => e.uri));
    expect(active[0]).toMatchObject({ name: INTRO_CALL.name, duration: INTRO_CALL.duration, active: true, kind: "solo" });
  });

  it("lists 250 scheduled events in 3 pages of 100, in start order", async () => {
    const from = emulator.requestLog.length;
    const events = await collect(client.listScheduledEvents({ user: emulator.userUri, count: 100 }));
    expect(events).toHaveLength(250);
    expect(requestsSince(from, "GET", "/scheduled_events")).toHaveLength(3);
    const starts = events.map((e) => Date.parse(e.start_time));
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
    expect(new Set(events.map((e) => e.uri)).size).toBe(250);
    expect(events[0]!.start_time).toBe("2030-03-01T09:00:00.000000Z");
  });

  it("passes the window, status and sort filters", async () => {
    const events = await collect(
      client.listScheduledEvents({
        organization: emulator.organizationUri,
        minStartTime: new Date("2030-03-01T09:00:00Z"),
        maxStartTime: "2030-03-02T09:00:00Z",
        status: "active",
        sort: "start_time:desc",
        count: 7,
      }),
    );
    // 24 hourly events in the window, of which the 10th and 20th are canceled.
    expect(events).toHaveLength(22);
    expect(events.every((e) => e.status === "active")).toBe(true);
    expect(Date.parse(events[0]!.start_time)).toBeGreaterThan(Date.parse(events[21]!.start_time));
    const canceled = await collect(client.listScheduledEvents({ user: emulator.userUri, status: "canceled" }));
    expect(canceled).toHaveLength(25);
  });

  it("gets a scheduled event and its invitees by uuid or by URI", async () => {
    const [first] = await collect(client.listScheduledEvents({ user: emulator.userUri, count: 1, maxStartTime: "2030-03-01T10:00:00Z" }));
    const byUri = await client.getScheduledEvent(first!.uri);
    const byUuid = await client.getScheduledEvent(first!.uri.split("/").pop()!);
    expect(byUri).toEqual(byUuid);
    expect(byUri.event_type).toBe(INTRO_CALL.uri);
    const invitees = await collect(client.listEventInvitees(first!.uri));
    expect(invitees).toHaveLength(1);
    expect(invitees[0]).toMatchObject({ email: "invitee0@example.com", event: first!.uri, status: "active" });
  });

  it("cancels a scheduled event with a reason", async () => {
    const { eventUri } = await emulator.book({ eventTypeUri: INTRO_CALL.uri, email: "cancel.me@example.com", name: "Cancel Me", startTime: "2031-01-01T10:00:00Z" });
    const cancellation = await client.cancelScheduledEvent(eventUri, "Host unavailable");
    expect(cancellation).toMatchObject({ reason: "Host unavailable", canceler_type: "host" });
    const event = await client.getScheduledEvent(eventUri);
    expect(event.status).toBe("canceled");
    expect(event.cancellation?.reason).toBe("Host unavailable");
    const again = await caught(client.cancelScheduledEvent(eventUri, "twice"));
    expect(again.status).toBe(403);
  });

  it("creates, lists, gets and deletes webhook subscriptions", async () => {
    const org = emulator.organizationUri;
    const created = await client.createWebhookSubscription({
      url: "https://hooks.example.com/calendly",
      events: ["invitee.created", "invitee.canceled"],
      organization: org,
      scope: "organization",
      signingKey: "known-signing-key",
    });
    expect(created).toMatchObject({ callback_url: "https://hooks.example.com/calendly", state: "active", scope: "organization", organization: org });
    expect(created).not.toHaveProperty("signing_key");
    expect(emulator.signingKey(created.uri)).toBe("known-signing-key");

    const userHook = await client.createWebhookSubscription({ url: "https://hooks.example.com/user", events: ["invitee.created"], organization: org, scope: "user", user: emulator.userUri });
    expect((await client.listWebhookSubscriptions({ organization: org, scope: "organization" })).map((s) => s.uri)).toEqual([created.uri]);
    expect((await client.listWebhookSubscriptions({ organization: org, scope: "user", user: emulator.userUri })).map((s) => s.uri)).toEqual([userHook.uri]);
    expect(await client.getWebhookSubscription(created.uri.split("/").pop()!)).toEqual(created);

    await client.deleteWebhookSubscription(created.uri);
    await client.deleteWebhookSubscription(userHook.uri.split("/").pop()!);
    expect(await client.listWebhookSubscriptions({ organization: org, scope: "organization" })).toEqual([]);
  });

  it("lists every webhook subscription across pages", async () => {
    const org = emulator.organizationUri;
    const made = [];
    for (let i = 0; i < 105; i++) made.push(await client.createWebhookSubscription({ url: `https://hooks.example.com/many/${i}`, events: ["invitee.created"], organization: org, scope: "organization" }));
    const from = emulator.requestLog.length;
    const listed = await client.listWebhookSubscriptions({ organization: org, scope: "organization" });
    expect(listed.map((s) => s.uri)).toEqual(made.map((s) => s.uri));
    expect(requestsSince(from, "GET", "/webhook_subscriptions")).toHaveLength(2);
    for (const s of made) await client.deleteWebhookSubscription(s.uri);
  });
});

describe("calendly client: errors that are not retried", () => {
  it("reports 409 Already Exists for a duplicate subscription, without retrying", async () => {
    const params = { url: "https://hooks.example.com/dup", events: ["invitee.created"], organization: emulator.organizationUri, scope: "organization" as const };
    const sub = await client.createWebhookSubscription(params);
    const from = emulator.requestLog.length;
    const err = await caught(client.createWebhookSubscription(params));
    expect(err.status).toBe(409);
    expect(err.endpoint).toBe("POST /webhook_subscriptions");
    expect(err.message).toContain("Already Exists: Hook with this url already exists");
    expect(requestsSince(from, "POST", "/webhook_subscriptions")).toHaveLength(1);
    expect(sleeps).toEqual([]);
    await client.deleteWebhookSubscription(sub.uri);
  });

  it("reports 400 with Calendly's details, once", async () => {
    const from = emulator.requestLog.length;
    const err = await caught(collect(client.listScheduledEvents({})));
    expect(err.status).toBe(400);
    expect(err.message).toContain("Invalid Argument");
    expect(err.message).toContain("organization: one of organization or user is required");
    expect(requestsSince(from, "GET", "/scheduled_events")).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it("reports 404 for an unknown event, once", async () => {
    const from = emulator.requestLog.length;
    const err = await caught(client.getScheduledEvent("https://api.calendly.com/scheduled_events/does-not-exist"));
    expect(err.status).toBe(404);
    expect(err.endpoint).toBe("GET /scheduled_events/does-not-exist");
    expect(err.message).toContain("Resource Not Found");
    expect(err.hint).toBeTruthy();
    expect(requestsSince(from, "GET", "/scheduled_events/")).toHaveLength(1);
  });

  it("reports Calendly's 403 for cancelling an event that already started, with a hint that names the real causes (no paid-plan advice)", async () => {
    const { eventUri } = await emulator.book({ eventTypeUri: INTRO_CALL.uri, email: "too.late@example.com", name: "Too Late", startTime: "2020-02-03T10:00:00Z" });
    const err = await caught(client.cancelScheduledEvent(eventUri, "too late"));
    expect(err.status).toBe(403);
    expect(err.message).toContain("Permission Denied");
    expect(err.hint).toMatch(/already started/);
    expect(err.hint).not.toMatch(/paid plan/i);
  });

  it("reports 401 for a wrong token, once, and never shows the token", async () => {
    const wrongToken = "calendly_pat_WRONG_0123456789abcdef";
    const bad = createCalendlyClient({ token: wrongToken, baseUrl: emulator.url, sleep: async (ms) => void sleeps.push(ms) });
    const from = emulator.requestLog.length;
    const err = await caught(bad.getCurrentUser());
    expect(err.status).toBe(401);
    expect(err.endpoint).toBe("GET /users/me");
    expect(err.message).toContain("Unauthenticated: The access token is invalid");
    expect(err.hint).toMatch(/token/i);
    expect(`${err.message} ${err.hint} ${err.stack}`).not.toContain(wrongToken);
    expect(requestsSince(from, "GET", "/users/me")).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });
});

describe("calendlyUuid", () => {
  it("takes a bare uuid or the canonical URI", () => {
    expect(calendlyUuid("abc-123", "scheduled_events")).toBe("abc-123");
    expect(calendlyUuid("https://api.calendly.com/scheduled_events/abc-123", "scheduled_events")).toBe("abc-123");
    expect(calendlyUuid("https://api.calendly.com/webhook_subscriptions/w1/", "webhook_subscriptions")).toBe("w1");
  });

  it("refuses a URI of another collection, or a path", () => {
    expect(() => calendlyUuid("https://api.calendly.com/event_types/abc", "scheduled_events")).toThrow(UsageError);
    expect(() => calendlyUuid("a/b", "scheduled_events")).toThrow(UsageError);
    expect(() => calendlyUuid("", "scheduled_events")).toThrow(UsageError);
  });
});
