import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCalendlyEmulator, type CalendlyEmulator } from "../../../src/sandbox/calendly/emulator.js";
import { INTRO_CALL, SEED_EVENT_TYPES, TEST_CALENDLY_TOKEN } from "./support.js";

let emulator: CalendlyEmulator;

beforeAll(async () => {
  emulator = await startCalendlyEmulator({
    token: TEST_CALENDLY_TOKEN,
    organizationName: "Builders Guild",
    user: { name: "Ada Lovelace", slug: "ada-lovelace", email: "ada@builders.example.com" },
    eventTypes: SEED_EVENT_TYPES,
  });
  emulator.addScheduledEvents(45, { firstStart: "2030-05-01T08:00:00Z", cancelEvery: 9 });
});

afterAll(async () => {
  await emulator.close();
});

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

async function api(method: "GET" | "POST" | "DELETE", pathOrUrl: string, body?: unknown, token: string | null = TEST_CALENDLY_TOKEN): Promise<Answer> {
  const url = pathOrUrl.startsWith("http") ? pathOrUrl : `${emulator.url}${pathOrUrl}`;
  const res = await request(url, {
    method,
    headers: { ...(token === null ? {} : { authorization: `Bearer ${token}` }), ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.body.text();
  return { status: res.statusCode, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

const q = (params: Record<string, string>) => new URLSearchParams(params).toString();

describe("authentication", () => {
  it("refuses a missing or wrong token with Calendly's 401 body", async () => {
    for (const token of [null, "wrong"]) {
      const res = await api("GET", "/users/me", undefined, token);
      expect(res).toEqual({ status: 401, body: { title: "Unauthenticated", message: "The access token is invalid" } });
    }
  });

  it("lets the control API through without a token", async () => {
    const res = await api("GET", "/_control/deliveries", undefined, null);
    expect(res.status).toBe(200);
    expect(res.body.deliveries).toEqual([]);
  });
});

describe("users, organization and event types", () => {
  it("answers /users/me with the user's canonical URIs", async () => {
    const res = await api("GET", "/users/me");
    expect(res.status).toBe(200);
    expect(res.body.resource).toMatchObject({
      uri: "https://api.calendly.com/users/ada-lovelace",
      name: "Ada Lovelace",
      slug: "ada-lovelace",
      email: "ada@builders.example.com",
      scheduling_url: "https://calendly.com/ada-lovelace",
      timezone: "UTC",
      current_organization: "https://api.calendly.com/organizations/builders-guild",
    });
  });

  it("serves the seed's event types under their canonical URIs, and requires an owner", async () => {
    const res = await api("GET", `/event_types?${q({ user: emulator.userUri })}`);
    const collection = res.body.collection as { uri: string; scheduling_url: string }[];
    expect(collection.map((e) => e.uri)).toEqual(SEED_EVENT_TYPES.map((e) => e.uri));
    expect(collection[0]!.scheduling_url).toBe("https://calendly.com/ada-lovelace/ada-intro-call");
    const single = await api("GET", "/event_types/ada-intro-call");
    expect(single.body.resource).toMatchObject({ uri: INTRO_CALL.uri, duration: INTRO_CALL.duration });

    const missing = await api("GET", "/event_types");
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ title: "Invalid Argument", details: [{ parameter: "organization" }] });
    const foreign = await api("GET", `/event_types?${q({ organization: "https://api.calendly.com/organizations/other" })}`);
    expect(foreign.status).toBe(403);
  });
});

describe("scheduled events", () => {
  const owner = () => ({ user: emulator.userUri });

  it("pages 20 at a time by default, with next and previous links on the emulator's own host", async () => {
    const first = await api("GET", `/scheduled_events?${q(owner())}`);
    const p1 = first.body.pagination as Record<string, string | null | number>;
    expect((first.body.collection as unknown[]).length).toBe(20);
    expect(p1.count).toBe(20);
    expect(p1.previous_page).toBeNull();
    expect(p1.previous_page_token).toBeNull();
    expect(String(p1.next_page)).toMatch(new RegExp(`^${emulator.url}/scheduled_events\\?.*page_token=`));

    const second = await api("GET", String(p1.next_page));
    const p2 = second.body.pagination as Record<string, string | null>;
    expect(p2.previous_page).not.toBeNull();
    const back = await api("GET", String(p2.previous_page));
    expect(back.body.collection).toEqual(first.body.collection);

    const third = await api("GET", String(p2.next_page));
    expect((third.body.collection as unknown[]).length).toBe(5);
    expect((third.body.pagination as Record<string, unknown>).next_page).toBeNull();
  });

  it("has Calendly's scheduled event shape", async () => {
    const res = await api("GET", `/scheduled_events?${q({ ...owner(), count: "1" })}`);
    const [event] = res.body.collection as Record<string, unknown>[];
    expect(event).toMatchObject({
      name: INTRO_CALL.name,
      status: "active",
      start_time: "2030-05-01T08:00:00.000000Z",
      end_time: `2030-05-01T08:${String(INTRO_CALL.duration).padStart(2, "0")}:00.000000Z`,
      event_type: INTRO_CALL.uri,
      invitees_counter: { total: 1, active: 1, limit: 1 },
      event_memberships: [{ user: emulator.userUri, user_email: "ada@builders.example.com", user_name: "Ada Lovelace" }],
      event_guests: [],
    });
    expect(String(event!.uri)).toMatch(/^https:\/\/api\.calendly\.com\/scheduled_events\/[0-9a-f-]{36}$/);
  });

  it("filters by window, status, invitee email and sorts descending", async () => {
    const res = await api(
      "GET",
      `/scheduled_events?${q({ ...owner(), min_start_time: "2030-05-01T10:00:00Z", max_start_time: "2030-05-01T20:00:00Z", sort: "start_time:desc", count: "100" })}`,
    );
    const starts = (res.body.collection as { start_time: string }[]).map((e) => e.start_time.slice(11, 13));
    expect(starts).toEqual(["19", "18", "17", "16", "15", "14", "13", "12", "11", "10"]);
    const canceled = await api("GET", `/scheduled_events?${q({ ...owner(), status: "canceled", count: "100" })}`);
    expect((canceled.body.collection as { status: string; cancellation: unknown }[]).map((e) => e.status)).toEqual(Array(5).fill("canceled"));
    const byEmail = await api("GET", `/scheduled_events?${q({ ...owner(), invitee_email: "invitee3@example.com" })}`);
    expect((byEmail.body.collection as unknown[]).length).toBe(1);
  });

  it("validates its parameters with Calendly's 400 body", async () => {
    const cases: [Record<string, string>, string][] = [
      [{ count: "0" }, "count"],
      [{ count: "101" }, "count"],
      [{ status: "done" }, "status"],
      [{ min_start_time: "yesterday" }, "min_start_time"],
      [{ sort: "name:asc" }, "sort"],
      [{ page_token: "garbage" }, "page_token"],
    ];
    for (const [params, parameter] of cases) {
      const res = await api("GET", `/scheduled_events?${q({ ...owner(), ...params })}`);
      expect(res.status, parameter).toBe(400);
      expect(res.body).toMatchObject({ title: "Invalid Argument", message: expect.any(String), details: [{ parameter, message: expect.any(String) }] });
    }
  });

  it("gets one event and its invitees, and 404s an unknown one", async () => {
    const list = await api("GET", `/scheduled_events?${q({ ...owner(), count: "1" })}`);
    const uri = String((list.body.collection as { uri: string }[])[0]!.uri);
    const uuid = uri.split("/").pop()!;
    expect((await api("GET", `/scheduled_events/${uuid}`)).body.resource).toEqual((list.body.collection as unknown[])[0]);
    const invitees = await api("GET", `/scheduled_events/${uuid}/invitees`);
    const [invitee] = invitees.body.collection as Record<string, unknown>[];
    expect(invitee).toMatchObject({ email: "invitee0@example.com", name: "Invitee 0", first_name: "Invitee", last_name: "0", status: "active", event: uri, rescheduled: false });
    expect(String(invitee!.uri)).toMatch(new RegExp(`^${uri}/invitees/`));
    const missing = await api("GET", "/scheduled_events/nope");
    expect(missing).toEqual({ status: 404, body: { title: "Resource Not Found", message: expect.any(String) } });
    expect((await api("GET", "/not/a/route")).status).toBe(404);
  });

  it("cancels through the API once, then refuses", async () => {
    const { eventUri } = await emulator.book({ eventTypeUri: INTRO_CALL.uri, email: "api.cancel@example.com", name: "Api Cancel", startTime: "2032-01-01T10:00:00Z" });
    const uuid = eventUri.split("/").pop()!;
    const res = await api("POST", `/scheduled_events/${uuid}/cancellation`, { reason: "Double booked" });
    expect(res.status).toBe(201);
    expect(res.body.resource).toMatchObject({ reason: "Double booked", canceler_type: "host", canceled_by: "Ada Lovelace" });
    const event = await api("GET", `/scheduled_events/${uuid}`);
    expect(event.body.resource).toMatchObject({ status: "canceled", cancellation: { reason: "Double booked" }, invitees_counter: { total: 1, active: 0 } });
    expect((await api("POST", `/scheduled_events/${uuid}/cancellation`, { reason: "again" })).status).toBe(403);
    expect((await api("POST", `/scheduled_events/${uuid}/cancellation`, { reason: 7 })).status).toBe(400);
  });
});

describe("webhook subscriptions", () => {
  const org = () => emulator.organizationUri;

  it("creates one (201, no signing key shown), refuses a duplicate with 409, deletes it", async () => {
    const body = { url: "https://hooks.example.com/one", events: ["invitee.created"], organization: org(), scope: "organization", signing_key: "k1" };
    const created = await api("POST", "/webhook_subscriptions", body);
    expect(created.status).toBe(201);
    const resource = created.body.resource as Record<string, unknown>;
    expect(resource).toMatchObject({
      callback_url: body.url,
      state: "active",
      events: ["invitee.created"],
      scope: "organization",
      organization: org(),
      user: null,
      creator: emulator.userUri,
      retry_started_at: null,
    });
    expect(resource).not.toHaveProperty("signing_key");
    expect(emulator.signingKey(String(resource.uri))).toBe("k1");

    const dup = await api("POST", "/webhook_subscriptions", body);
    expect(dup).toEqual({ status: 409, body: { title: "Already Exists", message: "Hook with this url already exists" } });
    // The same URL with another scope is another hook.
    const userScoped = await api("POST", "/webhook_subscriptions", { ...body, scope: "user", user: emulator.userUri });
    expect(userScoped.status).toBe(201);

    const uuid = String(resource.uri).split("/").pop()!;
    expect((await api("GET", `/webhook_subscriptions/${uuid}`)).body.resource).toEqual(resource);
    expect((await api("DELETE", `/webhook_subscriptions/${uuid}`)).status).toBe(204);
    expect((await api("GET", `/webhook_subscriptions/${uuid}`)).status).toBe(404);
    expect((await api("DELETE", `/webhook_subscriptions/${uuid}`)).status).toBe(404);
    await api("DELETE", `/webhook_subscriptions/${String((userScoped.body.resource as { uri: string }).uri).split("/").pop()!}`);
  });

  it("generates a signing key when none is given", async () => {
    const created = await api("POST", "/webhook_subscriptions", { url: "https://hooks.example.com/gen", events: ["invitee.canceled"], organization: org(), scope: "organization" });
    const uri = String((created.body.resource as { uri: string }).uri);
    expect(emulator.signingKey(uri)).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    const control = await api("GET", `/_control/signing_key?${q({ uri })}`, undefined, null);
    expect(control.body.signing_key).toBe(emulator.signingKey(uri));
    await api("DELETE", `/webhook_subscriptions/${uri.split("/").pop()!}`);
  });

  it("validates a new subscription", async () => {
    const res = await api("POST", "/webhook_subscriptions", { url: "not a url", events: ["invitee.exploded"], scope: "user" });
    expect(res.status).toBe(400);
    const params = (res.body.details as { parameter: string }[]).map((d) => d.parameter);
    expect(params).toEqual(expect.arrayContaining(["url", "events", "organization", "user"]));
    const foreign = await api("POST", "/webhook_subscriptions", { url: "https://x.example.com", events: ["invitee.created"], organization: "https://api.calendly.com/organizations/other", scope: "organization" });
    expect(foreign.status).toBe(403);
  });

  it("lists by organization and scope, which are required", async () => {
    const missing = await api("GET", "/webhook_subscriptions");
    expect(missing.status).toBe(400);
    expect((missing.body.details as { parameter: string }[]).map((d) => d.parameter)).toEqual(["organization", "scope"]);
    const needsUser = await api("GET", `/webhook_subscriptions?${q({ organization: org(), scope: "user" })}`);
    expect((needsUser.body.details as { parameter: string }[]).map((d) => d.parameter)).toEqual(["user"]);
    const ok = await api("GET", `/webhook_subscriptions?${q({ organization: org(), scope: "organization" })}`);
    expect(ok.status).toBe(200);
    expect(ok.body.pagination).toMatchObject({ next_page: null, previous_page: null });
  });

  it("changes state through the control API", async () => {
    const created = await api("POST", "/webhook_subscriptions", { url: "https://hooks.example.com/state", events: ["invitee.created"], organization: org(), scope: "organization" });
    const uri = String((created.body.resource as { uri: string }).uri);
    const res = await api("POST", "/_control/subscription_state", { uri, state: "disabled" }, null);
    expect((res.body.resource as { state: string }).state).toBe("disabled");
    expect(((await api("GET", `/webhook_subscriptions/${uri.split("/").pop()!}`)).body.resource as { state: string }).state).toBe("disabled");
    expect((await api("POST", "/_control/subscription_state", { uri, state: "paused" }, null)).status).toBe(400);
    await api("DELETE", `/webhook_subscriptions/${uri.split("/").pop()!}`);
  });
});

describe("control API", () => {
  it("books and cancels over HTTP", async () => {
    const booked = await api("POST", "/_control/book", { eventTypeUri: INTRO_CALL.uri, email: "http.booker@example.com", name: "Http Booker", startTime: "2033-02-02T09:00:00Z" }, null);
    expect(booked.status).toBe(201);
    const { eventUri, inviteeUri } = booked.body as { eventUri: string; inviteeUri: string };
    expect(inviteeUri.startsWith(`${eventUri}/invitees/`)).toBe(true);
    const canceled = await api("POST", "/_control/cancel", { inviteeUri, reason: "Changed my mind" }, null);
    expect(canceled.body).toEqual({ eventUri, inviteeUris: [inviteeUri] });
    const event = await api("GET", `/scheduled_events/${eventUri.split("/").pop()!}`);
    expect(event.body.resource).toMatchObject({ status: "canceled", cancellation: { canceler_type: "invitee", canceled_by: "Http Booker", reason: "Changed my mind" } });
  });

  it("refuses to book an unknown event type", async () => {
    const res = await api("POST", "/_control/book", { eventTypeUri: "https://api.calendly.com/event_types/nope", email: "a@example.com", name: "A", startTime: "2033-01-01T00:00:00Z" }, null);
    expect(res.status).toBe(404);
    await expect(emulator.book({ eventTypeUri: "https://api.calendly.com/event_types/nope", email: "a@example.com", name: "A", startTime: "2033-01-01T00:00:00Z" })).rejects.toThrow(/No event type/);
  });

  it("bulk-adds events over HTTP", async () => {
    const before = emulator.scheduledEventCount();
    const res = await api("POST", "/_control/scheduled_events", { n: 10, firstStart: "2040-01-01T00:00:00Z" }, null);
    expect(res.body).toEqual({ count: 10, total: before + 10 });
  });
});

describe("bulk seeding for the reconcile benchmark", () => {
  it("adds 100k events and lists a late window in complete pages of 100", async () => {
    const big = await startCalendlyEmulator({ token: TEST_CALENDLY_TOKEN, eventTypes: SEED_EVENT_TYPES });
    try {
      big.addScheduledEvents(100_000, { firstStart: "2030-01-01T00:00:00Z", intervalMinutes: 15 });
      expect(big.scheduledEventCount()).toBe(100_000);
      // A late window starts where it should (binary search), and pages are complete.
      let url: string | null = `${big.url}/scheduled_events?${q({ user: big.userUri, count: "100", min_start_time: "2032-01-01T00:00:00Z" })}`;
      let seen = 0;
      let pages = 0;
      while (url && pages < 50) {
        const res = await request(url, { headers: { authorization: `Bearer ${TEST_CALENDLY_TOKEN}` } });
        const body = (await res.body.json()) as { collection: unknown[]; pagination: { next_page: string | null } };
        seen += body.collection.length;
        pages++;
        url = body.pagination.next_page;
      }
      expect(seen).toBe(5000);
    } finally {
      await big.close();
    }
  });
});
