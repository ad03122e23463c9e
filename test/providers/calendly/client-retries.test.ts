import { request } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { ProviderError } from "../../../src/errors.js";
import { collect, createCalendlyClient, rateLimitWaitMs, type CalendlyClientOptions } from "../../../src/providers/calendly/client.js";
import { startCalendlyEmulator } from "../../../src/sandbox/calendly/emulator.js";
import { startEmulator, type EmulatorRequest, type EmulatorResponse, type RunningEmulator } from "../../../src/sandbox/emulator-server.js";
import { SEED_EVENT_TYPES, TEST_CALENDLY_TOKEN } from "../../sandbox/calendly/support.js";

const USER = {
  uri: "https://api.calendly.com/users/U1",
  name: "Host",
  slug: "host",
  email: "host@example.com",
  scheduling_url: "https://calendly.com/host",
  timezone: "UTC",
  current_organization: "https://api.calendly.com/organizations/O1",
};

const running: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.close()));
});

/** A server answering each request with the next scripted response (the last one repeats). */
async function scripted(...responses: EmulatorResponse[]): Promise<RunningEmulator> {
  let i = 0;
  const handler = (_req: EmulatorRequest) => responses[Math.min(i++, responses.length - 1)]!;
  const server = await startEmulator({
    name: "scripted-calendly",
    routes: ["GET", "POST", "DELETE"].flatMap((method) => [
      { method, path: "/users/me", handler },
      { method, path: "/webhook_subscriptions", handler },
      { method, path: "/webhook_subscriptions/:uuid", handler },
      { method, path: "/event_types", handler },
    ]),
  });
  running.push(server);
  return server;
}

const ok: EmulatorResponse = { status: 200, body: { resource: USER } };
const tooMany = (headers: Record<string, string> = {}): EmulatorResponse => ({ status: 429, body: { title: "Too Many Requests", message: "Rate limit exceeded" }, headers });
const serverError = (status = 500): EmulatorResponse => ({ status, body: { title: "Internal Server Error", message: "Something went wrong" } });

function clientFor(server: { url: string }, extra: Partial<CalendlyClientOptions> = {}) {
  const sleeps: number[] = [];
  const client = createCalendlyClient({
    token: TEST_CALENDLY_TOKEN,
    baseUrl: server.url,
    sleep: async (ms) => void sleeps.push(ms),
    random: () => 1,
    ...extra,
  });
  return { client, sleeps };
}

async function caught(p: Promise<unknown>): Promise<ProviderError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  const pe = err as ProviderError;
  // Whatever went wrong, the token is never part of what a user sees.
  expect(`${pe.message} ${pe.hint ?? ""}`).not.toContain(TEST_CALENDLY_TOKEN);
  return pe;
}

describe("429 rate limiting", () => {
  it("waits as long as Retry-After (seconds) says, then succeeds", async () => {
    const server = await scripted(tooMany({ "retry-after": "2" }), tooMany({ "retry-after": "3" }), ok);
    const { client, sleeps } = clientFor(server);
    expect((await client.getCurrentUser()).uri).toBe(USER.uri);
    expect(sleeps).toEqual([2000, 3000]);
    expect(server.requestLog.map((r) => r.status)).toEqual([429, 429, 200]);
  });

  it("reads Retry-After as an HTTP date", async () => {
    const now = Date.parse("2030-01-01T00:00:00Z");
    const server = await scripted(tooMany({ "retry-after": new Date(now + 4000).toUTCString() }), ok);
    const { client, sleeps } = clientFor(server, { now: () => now });
    await client.getCurrentUser();
    expect(sleeps).toEqual([4000]);
  });

  it("falls back to X-RateLimit-Reset, then to back-off", async () => {
    const server = await scripted(tooMany({ "x-ratelimit-reset": "7" }), tooMany(), ok);
    const { client, sleeps } = clientFor(server, { retryBaseMs: 100 });
    await client.getCurrentUser();
    expect(sleeps).toEqual([7000, 200]);
  });

  it("gives up after maxRetries with the 429 error", async () => {
    const server = await scripted(tooMany({ "retry-after": "1" }));
    const { client, sleeps } = clientFor(server, { maxRetries: 3 });
    const err = await caught(client.getCurrentUser());
    expect(err.status).toBe(429);
    expect(err.endpoint).toBe("GET /users/me");
    expect(err.message).toContain("gave up after 4 attempts");
    expect(server.requestLog).toHaveLength(4);
    expect(sleeps).toEqual([1000, 1000, 1000]);
  });

  it("does not wait longer than retryAfterMaxMs: a long Retry-After fails at once", async () => {
    const server = await scripted(tooMany({ "retry-after": "3600" }), ok);
    const { client, sleeps } = clientFor(server, { retryAfterMaxMs: 60_000 });
    const err = await caught(client.getCurrentUser());
    expect(err.status).toBe(429);
    expect(err.message).toContain("3600 s");
    expect(sleeps).toEqual([]);
    expect(server.requestLog).toHaveLength(1);
  });

  it("retries the emulator's injected 429s, which carry Calendly's X-RateLimit-* headers and no Retry-After, waiting for X-RateLimit-Reset", async () => {
    const emulator = await startCalendlyEmulator({ token: TEST_CALENDLY_TOKEN, eventTypes: SEED_EVENT_TYPES, faults: { rate429: 1, retryAfterSeconds: 2 } });
    running.push(emulator);
    const raw = await request(`${emulator.url}/users/me`, { headers: { authorization: `Bearer ${TEST_CALENDLY_TOKEN}` } });
    expect(raw.statusCode).toBe(429);
    expect(raw.headers).toMatchObject({ "x-ratelimit-limit": expect.stringMatching(/^\d+$/), "x-ratelimit-remaining": "0", "x-ratelimit-reset": "2" });
    expect(raw.headers["retry-after"]).toBeUndefined();
    expect(await raw.body.json()).toEqual({ title: "Too Many Requests", message: expect.any(String) });
    const { client, sleeps } = clientFor(emulator, { maxRetries: 2 });
    const err = await caught(client.getCurrentUser());
    expect(err.status).toBe(429);
    expect(sleeps).toEqual([2000, 2000]);
    expect(emulator.requestLog.map((r) => r.status)).toEqual([429, 429, 429, 429]);
  });

  it("retries a rate-limited POST too (Calendly did not act on it)", async () => {
    const server = await scripted(tooMany({ "retry-after": "1" }), { status: 201, body: { resource: subscription() } });
    const { client, sleeps } = clientFor(server);
    const sub = await client.createWebhookSubscription({ url: "https://hooks.example.com/x", events: ["invitee.created"], organization: USER.current_organization, scope: "organization" });
    expect(sub.state).toBe("active");
    expect(sleeps).toEqual([1000]);
  });
});

describe("rateLimitWaitMs", () => {
  it("reads seconds, HTTP dates, and X-RateLimit-Reset as seconds or as a Unix time", () => {
    const now = Date.parse("2030-01-01T00:00:00Z");
    expect(rateLimitWaitMs({ "retry-after": "1.5" }, now)).toBe(1500);
    expect(rateLimitWaitMs({ "retry-after": "Tue, 01 Jan 2030 00:00:10 GMT" }, now)).toBe(10_000);
    expect(rateLimitWaitMs({ "retry-after": "Mon, 31 Dec 2029 00:00:10 GMT" }, now)).toBe(0);
    expect(rateLimitWaitMs({ "x-ratelimit-reset": "60" }, now)).toBe(60_000);
    expect(rateLimitWaitMs({ "x-ratelimit-reset": String(now / 1000 + 30) }, now)).toBe(30_000);
    expect(rateLimitWaitMs({ "retry-after": "soon" }, now)).toBeUndefined();
    expect(rateLimitWaitMs({}, now)).toBeUndefined();
  });
});

describe("5xx and network errors", () => {
  it("backs off exponentially, capped at retryMaxMs, then gives up with the last error", async () => {
    const server = await scripted(serverError(502));
    const { client, sleeps } = clientFor(server, { maxRetries: 5, retryBaseMs: 100, retryMaxMs: 1000 });
    const err = await caught(client.getCurrentUser());
    expect(err.status).toBe(502);
    expect(err.message).toContain("Internal Server Error: Something went wrong");
    expect(err.message).toContain("gave up after 6 attempts");
    expect(sleeps).toEqual([100, 200, 400, 800, 1000]);
    expect(server.requestLog).toHaveLength(6);
  });

  it("uses full jitter: each wait is random() × the step", async () => {
    const server = await scripted(serverError(), serverError(), ok);
    const { client, sleeps } = clientFor(server, { retryBaseMs: 200, random: () => 0.5 });
    await client.getCurrentUser();
    expect(sleeps).toEqual([100, 200]);
  });

  it("recovers when a 5xx is followed by success", async () => {
    const server = await scripted(serverError(503), ok);
    const { client, sleeps } = clientFor(server);
    expect((await client.getCurrentUser()).slug).toBe("host");
    expect(sleeps).toHaveLength(1);
  });

  it("does not repeat a POST after a 500 (it may have been applied), but does after a 503", async () => {
    const s500 = await scripted(serverError(500), { status: 201, body: { resource: subscription() } });
    const a = clientFor(s500);
    const params = { url: "https://hooks.example.com/x", events: ["invitee.created"], organization: USER.current_organization, scope: "organization" as const };
    const err = await caught(a.client.createWebhookSubscription(params));
    expect(err.status).toBe(500);
    expect(s500.requestLog).toHaveLength(1);

    const s503 = await scripted(serverError(503), { status: 201, body: { resource: subscription() } });
    const b = clientFor(s503);
    await b.client.createWebhookSubscription(params);
    expect(s503.requestLog).toHaveLength(2);
  });

  it("retries dropped connections, then names the network error", async () => {
    const emulator = await startCalendlyEmulator({ token: TEST_CALENDLY_TOKEN, eventTypes: SEED_EVENT_TYPES, faults: { rateDrop: 1 } });
    running.push(emulator);
    const { client, sleeps } = clientFor(emulator, { maxRetries: 2 });
    const err = await caught(client.getCurrentUser());
    expect(err.status).toBeUndefined();
    expect(err.endpoint).toBe("GET /users/me");
    expect(err.message).toContain("network error");
    expect(err.message).toContain("gave up after 3 attempts");
    expect(sleeps).toHaveLength(2);
  });

  it("retries a refused connection", async () => {
    const server = await scripted(ok);
    const url = server.url;
    await server.close();
    running.splice(running.indexOf(server), 1);
    const { client, sleeps } = clientFor({ url }, { maxRetries: 1 });
    const err = await caught(client.getCurrentUser());
    expect(err.message).toContain("ECONNREFUSED");
    expect(sleeps).toHaveLength(1);
  });
});

describe("no retries on other 4xx", () => {
  it.each([400, 401, 403, 404, 409, 422])("%i is reported at once", async (status) => {
    const server = await scripted({ status, body: { title: "Some Title", message: "some message", details: [{ parameter: "user", message: "is bad" }] } }, ok);
    const { client, sleeps } = clientFor(server);
    const err = await caught(client.getCurrentUser());
    expect(err.status).toBe(status);
    expect(err.message).toContain("Some Title: some message (user: is bad)");
    expect(sleeps).toEqual([]);
    expect(server.requestLog).toHaveLength(1);
  });

  it("describes an error body that is not Calendly's shape", async () => {
    const server = await scripted({ status: 418, body: "<html>teapot</html>", headers: { "content-type": "text/html" } });
    const { client } = clientFor(server);
    const err = await caught(client.getCurrentUser());
    expect(err.message).toContain("HTTP 418: <html>teapot</html>");
  });
});

describe("timeouts", () => {
  it("gives up on a slow answer, naming the endpoint and the timeout", async () => {
    const emulator = await startCalendlyEmulator({ token: TEST_CALENDLY_TOKEN, eventTypes: SEED_EVENT_TYPES, faults: { latencyMs: 400 } });
    running.push(emulator);
    const { client, sleeps } = clientFor(emulator, { timeoutMs: 100, maxRetries: 1 });
    const started = Date.now();
    const err = await caught(client.getCurrentUser());
    expect(Date.now() - started).toBeLessThan(1500);
    expect(err.endpoint).toBe("GET /users/me");
    expect(err.message).toContain("GET /users/me");
    expect(err.message).toContain("100 ms");
    expect(err.message).toContain("timed out");
    expect(sleeps).toHaveLength(1);
  });

  it("does not repeat a POST that timed out", async () => {
    const emulator = await startCalendlyEmulator({ token: TEST_CALENDLY_TOKEN, eventTypes: SEED_EVENT_TYPES, faults: { latencyMs: 400 } });
    running.push(emulator);
    const { client, sleeps } = clientFor(emulator, { timeoutMs: 100 });
    const err = await caught(client.cancelScheduledEvent("some-event", "why"));
    expect(err.endpoint).toBe("POST /scheduled_events/some-event/cancellation");
    expect(err.message).toContain("timed out");
    expect(sleeps).toEqual([]);
  });
});

describe("responses of the wrong shape", () => {
  it("reports a body that is not JSON (the emulator's malformed fault)", async () => {
    const emulator = await startCalendlyEmulator({ token: TEST_CALENDLY_TOKEN, eventTypes: SEED_EVENT_TYPES, faults: { rateMalformed: 1 } });
    running.push(emulator);
    const { client, sleeps } = clientFor(emulator);
    const err = await caught(client.getCurrentUser());
    expect(err.endpoint).toBe("GET /users/me");
    expect(err.message).toContain("unexpected response");
    expect(err.message).toContain("not JSON");
    expect(sleeps).toEqual([]);
  });

  it("names the field that does not match Calendly's documented resource", async () => {
    const server = await scripted({ status: 200, body: { resource: { ...USER, uri: 42 } } });
    const { client } = clientFor(server);
    const err = await caught(client.getCurrentUser());
    expect(err.message).toMatch(/^calendly GET \/users\/me: unexpected response: resource\.uri: /);
  });

  it("names the item of a collection that is wrong", async () => {
    const eventType = { uri: "https://api.calendly.com/event_types/E1", name: "Intro", active: true, slug: "intro", scheduling_url: "https://calendly.com/host/intro", duration: 30, kind: "solo" };
    const server = await scripted({ status: 200, body: { collection: [eventType, { ...eventType, duration: "thirty" }], pagination: { count: 2, next_page: null } } });
    const { client } = clientFor(server);
    const err = await caught(collect(client.listEventTypes({ user: USER.uri })));
    expect(err.endpoint).toBe("GET /event_types");
    expect(err.message).toContain("collection.1.duration");
  });

  it("accepts extra fields Calendly may add", async () => {
    const server = await scripted({ status: 200, body: { resource: { ...USER, brand_new_field: { x: 1 } }, also_new: true } });
    const { client } = clientFor(server);
    expect(await client.getCurrentUser()).toMatchObject({ uri: USER.uri, brand_new_field: { x: 1 } });
  });
});

describe("pagination links", () => {
  const eventType = (n: number) => ({ uri: `https://api.calendly.com/event_types/E${n}`, name: `T${n}`, active: true, slug: `t${n}`, scheduling_url: "https://calendly.com/host/t", duration: 30, kind: "solo" });

  it("re-bases next_page on the client's base URL, so the token never goes to another host", async () => {
    const server = await scripted(
      { status: 200, body: { collection: [eventType(1)], pagination: { count: 1, next_page: "https://api.calendly.com/event_types?count=1&page_token=PAGE2&user=u", next_page_token: "PAGE2" } } },
      { status: 200, body: { collection: [eventType(2)], pagination: { count: 1, next_page: null, next_page_token: null } } },
    );
    const { client } = clientFor(server);
    const items = await collect(client.listEventTypes({ user: "u", count: 1 }));
    expect(items.map((e) => e.uri)).toEqual([eventType(1).uri, eventType(2).uri]);
    expect(server.requestLog).toHaveLength(2);
    expect(server.requestLog[1]!.headers.authorization).toBe(`Bearer ${TEST_CALENDLY_TOKEN}`);
  });

  it("follows next_page_token when there is no next_page", async () => {
    const seen: string[] = [];
    const server = await startEmulator({
      name: "token-pages",
      routes: [
        {
          method: "GET",
          path: "/event_types",
          handler: (req) => {
            seen.push(req.query.get("page_token") ?? "");
            return req.query.get("page_token") === "T2"
              ? { status: 200, body: { collection: [eventType(2)], pagination: { count: 1, next_page: null, next_page_token: null } } }
              : { status: 200, body: { collection: [eventType(1)], pagination: { count: 1, next_page: null, next_page_token: "T2" } } };
          },
        },
      ],
    });
    running.push(server);
    const { client } = clientFor(server);
    expect(await collect(client.listEventTypes({ user: "u" }))).toHaveLength(2);
    expect(seen).toEqual(["", "T2"]);
  });

  it("stops a server that keeps returning the same next page", async () => {
    const server = await scripted({ status: 200, body: { collection: [eventType(1)], pagination: { count: 1, next_page_token: "SAME" } } });
    const { client } = clientFor(server);
    const err = await caught(collect(client.listEventTypes({ user: "u" })));
    expect(err.message).toContain("pagination repeats");
    expect(server.requestLog.length).toBeLessThanOrEqual(3);
  });
});

describe("the token never appears in errors", () => {
  it("masks a token a misbehaving server echoes back", async () => {
    const server = await startEmulator({
      name: "echo",
      routes: [{ method: "GET", path: "/users/me", handler: (req) => ({ status: 401, body: { title: "Unauthenticated", message: `Bad header ${String(req.headers.authorization)}` } }) }],
    });
    running.push(server);
    const { client } = clientFor(server);
    const err = await caught(client.getCurrentUser());
    expect(err.message).toContain("Bad header Bearer ****");
  });
});

function subscription() {
  return {
    uri: "https://api.calendly.com/webhook_subscriptions/W1",
    callback_url: "https://hooks.example.com/x",
    created_at: "2030-01-01T00:00:00.000000Z",
    updated_at: "2030-01-01T00:00:00.000000Z",
    retry_started_at: null,
    state: "active",
    events: ["invitee.created"],
    scope: "organization",
    organization: USER.current_organization,
    user: null,
    creator: USER.uri,
  };
}
