import { afterEach, describe, expect, it } from "vitest";
import { calendlyInviteeEventSchema } from "../../../src/core/webhook-payloads.js";
import { CALENDLY_SIGNATURE_HEADER, verifyCalendlySignature } from "../../../src/providers/calendly-signature.js";
import { createCalendlyClient } from "../../../src/providers/calendly/client.js";
import { startCalendlyEmulator, type CalendlyEmulator, type CalendlyEmulatorOptions } from "../../../src/sandbox/calendly/emulator.js";
import { startRecordingServer, type RecordedRequest, type RecordingServer, type Reply } from "../../providers/recording-server.js";
import { INTRO_CALL, SEED_EVENT_TYPES, TEST_CALENDLY_TOKEN } from "./support.js";

const KEY = "known-signing-key-for-delivery-tests";
const START = "2030-06-01T15:00:00.000Z";

const toClose: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(toClose.splice(0).map((c) => c.close()));
});

async function setup(options: Partial<CalendlyEmulatorOptions> = {}): Promise<{ emulator: CalendlyEmulator; client: ReturnType<typeof createCalendlyClient> }> {
  const emulator = await startCalendlyEmulator({ token: TEST_CALENDLY_TOKEN, eventTypes: SEED_EVENT_TYPES, deliveryRetryDelayMs: 20, ...options });
  toClose.push(emulator);
  return { emulator, client: createCalendlyClient({ token: TEST_CALENDLY_TOKEN, baseUrl: emulator.url }) };
}

async function receiver(handle: (req: RecordedRequest, n: number) => Reply = () => ({ status: 200 })): Promise<RecordingServer> {
  let n = 0;
  const server = await startRecordingServer((req) => handle(req, ++n));
  toClose.push(server);
  return server;
}

async function subscribe(
  emulator: CalendlyEmulator,
  client: ReturnType<typeof createCalendlyClient>,
  url: string,
  events = ["invitee.created", "invitee.canceled"],
  extra: { scope?: "user" | "organization"; signingKey?: string } = {},
) {
  const scope = extra.scope ?? "organization";
  return client.createWebhookSubscription({
    url,
    events,
    organization: emulator.organizationUri,
    scope,
    ...(scope === "user" ? { user: emulator.userUri } : {}),
    signingKey: extra.signingKey ?? KEY,
  });
}

const envelopeOf = (req: RecordedRequest) => JSON.parse(req.body) as { event: string; created_at: string; created_by: string; payload: Record<string, unknown> & { scheduled_event: Record<string, unknown> } };

describe("webhook deliveries", () => {
  it("delivers only to loopback addresses: a subscription on another host is recorded as not delivered, and nothing is sent", async () => {
    const { emulator, client } = await setup({ deliveryRetries: 0 });
    const hook = await receiver();
    await subscribe(emulator, client, "https://bookings.example.com/api/webhooks/calendly");
    await subscribe(emulator, client, `${hook.url}/webhooks/calendly`, ["invitee.created"], { scope: "user" });
    await emulator.book({ eventTypeUri: INTRO_CALL.uri, email: "ada@example.com", name: "Ada Lovelace", startTime: START });
    await emulator.idle();
    const byUrl = Object.fromEntries(emulator.deliveries().map((d) => [d.url, d]));
    expect(byUrl["https://bookings.example.com/api/webhooks/calendly"]).toMatchObject({ ok: false, error: "not delivered: the emulator only delivers to loopback addresses" });
    expect(byUrl["https://bookings.example.com/api/webhooks/calendly"]!.status).toBeUndefined();
    expect(byUrl[`${hook.url}/webhooks/calendly`]).toMatchObject({ ok: true, status: 200 });
    expect(hook.requests).toHaveLength(1);
  });

  it("delivers signed invitee.created and invitee.canceled with the documented envelope", async () => {
    const { emulator, client } = await setup();
    const hook = await receiver();
    const sub = await subscribe(emulator, client, `${hook.url}/webhooks/calendly`);

    const booked = await emulator.book({
      eventTypeUri: INTRO_CALL.uri,
      email: "grace@example.com",
      name: "Grace Hopper",
      startTime: START,
      questions: [{ question: "What do you want to build?", answer: "A compiler" }],
      tracking: { utm_source: "newsletter" },
    });
    // book() resolves once the first attempt to each subscriber is done.
    expect(hook.requests).toHaveLength(1);
    const created = hook.requests[0]!;
    expect(created.method).toBe("POST");
    expect(created.path).toBe("/webhooks/calendly");
    expect(created.headers["content-type"]).toBe("application/json");
    expect(verifyCalendlySignature(created.body, String(created.headers[CALENDLY_SIGNATURE_HEADER]), KEY)).toEqual({ ok: true });
    expect(verifyCalendlySignature(created.body, String(created.headers[CALENDLY_SIGNATURE_HEADER]), "another-key")).toMatchObject({ ok: false, reason: "bad_signature" });

    const env = envelopeOf(created);
    expect(env).toMatchObject({ event: "invitee.created", created_by: emulator.userUri });
    expect(Date.parse(env.created_at)).not.toBeNaN();
    expect(env.payload).toMatchObject({
      uri: booked.inviteeUri,
      email: "grace@example.com",
      name: "Grace Hopper",
      first_name: "Grace",
      last_name: "Hopper",
      status: "active",
      event: booked.eventUri,
      rescheduled: false,
      old_invitee: null,
      new_invitee: null,
      questions_and_answers: [{ question: "What do you want to build?", answer: "A compiler", position: 0 }],
      tracking: { utm_source: "newsletter", utm_campaign: null, salesforce_uuid: null },
      text_reminder_number: null,
      no_show: null,
      reconfirmation: null,
      routing_form_submission: null,
      payment: null,
    });
    expect(env.payload).not.toHaveProperty("cancellation");
    expect(env.payload.cancel_url).toMatch(/^https:\/\/calendly\.com\/cancellations\//);
    expect(env.payload.reschedule_url).toMatch(/^https:\/\/calendly\.com\/reschedulings\//);
    expect(env.payload.scheduled_event).toMatchObject({
      uri: booked.eventUri,
      name: INTRO_CALL.name,
      status: "active",
      start_time: "2030-06-01T15:00:00.000000Z",
      end_time: new Date(Date.parse(START) + INTRO_CALL.duration * 60_000).toISOString().replace("Z", "000Z"),
      event_type: INTRO_CALL.uri,
      invitees_counter: { total: 1, active: 1, limit: 1 },
      event_memberships: [{ user: emulator.userUri }],
      event_guests: [],
    });
    // What the app's webhook intake accepts.
    expect(calendlyInviteeEventSchema.safeParse(env).success).toBe(true);

    const canceled = await emulator.cancel({ inviteeUri: booked.inviteeUri, reason: "Something came up" });
    expect(canceled.inviteeUris).toEqual([booked.inviteeUri]);
    expect(hook.requests).toHaveLength(2);
    const cancelReq = hook.requests[1]!;
    expect(verifyCalendlySignature(cancelReq.body, String(cancelReq.headers[CALENDLY_SIGNATURE_HEADER]), KEY)).toEqual({ ok: true });
    const cancelEnv = envelopeOf(cancelReq);
    expect(cancelEnv.event).toBe("invitee.canceled");
    expect(cancelEnv.payload).toMatchObject({
      uri: booked.inviteeUri,
      status: "canceled",
      cancellation: { canceled_by: "Grace Hopper", reason: "Something came up", canceler_type: "invitee", created_at: expect.any(String) },
      scheduled_event: { uri: booked.eventUri, status: "canceled", event_type: INTRO_CALL.uri },
    });
    expect(calendlyInviteeEventSchema.safeParse(cancelEnv).success).toBe(true);

    expect(emulator.deliveries().map((d) => [d.event, d.status, d.attempt, d.ok, d.subscription])).toEqual([
      ["invitee.created", 200, 1, true, sub.uri],
      ["invitee.canceled", 200, 1, true, sub.uri],
    ]);
  });

  it("skips disabled subscriptions and subscriptions without the event", async () => {
    const { emulator, client } = await setup();
    const all = await receiver();
    const createdOnly = await receiver();
    const disabled = await receiver();
    await subscribe(emulator, client, all.url);
    await subscribe(emulator, client, createdOnly.url, ["invitee.created"]);
    const off = await subscribe(emulator, client, disabled.url);
    emulator.setSubscriptionState(off.uri, "disabled");

    const { inviteeUri } = await emulator.book({ eventTypeUri: INTRO_CALL.uri, email: "a@example.com", name: "A B", startTime: START });
    await emulator.cancel({ inviteeUri, reason: "no" });
    await emulator.idle();

    expect(all.requests.map((r) => envelopeOf(r).event)).toEqual(["invitee.created", "invitee.canceled"]);
    expect(createdOnly.requests.map((r) => envelopeOf(r).event)).toEqual(["invitee.created"]);
    expect(disabled.requests).toEqual([]);

    // Re-enabled, it receives the next event.
    emulator.setSubscriptionState(off.uri, "active");
    await emulator.book({ eventTypeUri: INTRO_CALL.uri, email: "c@example.com", name: "C D", startTime: START });
    expect(disabled.requests.map((r) => envelopeOf(r).event)).toEqual(["invitee.created"]);
  });

  it("delivers to user-scoped subscriptions, each signed with its own key", async () => {
    const { emulator, client } = await setup();
    const org = await receiver();
    const usr = await receiver();
    await subscribe(emulator, client, org.url, undefined, { signingKey: "org-key" });
    await subscribe(emulator, client, usr.url, undefined, { scope: "user", signingKey: "user-key" });
    await emulator.book({ eventTypeUri: INTRO_CALL.uri, email: "x@example.com", name: "X Y", startTime: START });
    const sig = (r: RecordedRequest) => String(r.headers[CALENDLY_SIGNATURE_HEADER]);
    expect(verifyCalendlySignature(org.requests[0]!.body, sig(org.requests[0]!), "org-key").ok).toBe(true);
    expect(verifyCalendlySignature(usr.requests[0]!.body, sig(usr.requests[0]!), "user-key").ok).toBe(true);
    expect(verifyCalendlySignature(usr.requests[0]!.body, sig(usr.requests[0]!), "org-key").ok).toBe(false);
  });

  it("retries a receiver that answers 500 twice, then 200: 3 attempts", async () => {
    const { emulator, client } = await setup({ deliveryRetries: 3 });
    const flaky = await receiver((_req, n) => ({ status: n <= 2 ? 500 : 200 }));
    await subscribe(emulator, client, flaky.url);
    await emulator.book({ eventTypeUri: INTRO_CALL.uri, email: "f@example.com", name: "F G", startTime: START });
    expect(flaky.requests).toHaveLength(1);
    await emulator.idle();
    expect(flaky.requests).toHaveLength(3);
    expect(emulator.deliveries().map((d) => [d.attempt, d.status, d.ok])).toEqual([
      [1, 500, false],
      [2, 500, false],
      [3, 200, true],
    ]);
    // Every attempt is a fresh, valid signature over the same body.
    for (const r of flaky.requests) expect(verifyCalendlySignature(r.body, String(r.headers[CALENDLY_SIGNATURE_HEADER]), KEY).ok).toBe(true);
    expect(new Set(flaky.requests.map((r) => r.body)).size).toBe(1);
  });

  it("gives up after deliveryRetries, marks the subscription as retrying and disables it, as Calendly does after 24 hours", async () => {
    const { emulator, client } = await setup({ deliveryRetries: 2 });
    const broken = await receiver(() => ({ status: 503 }));
    const sub = await subscribe(emulator, client, broken.url);
    await emulator.book({ eventTypeUri: INTRO_CALL.uri, email: "b@example.com", name: "B C", startTime: START });
    await emulator.idle();
    expect(broken.requests).toHaveLength(3);
    expect(emulator.deliveries().every((d) => !d.ok && d.error === "answered 503")).toBe(true);
    expect(await client.getWebhookSubscription(sub.uri)).toMatchObject({ retry_started_at: expect.any(String), state: "disabled" });
    // A disabled subscription gets nothing more.
    await emulator.book({ eventTypeUri: INTRO_CALL.uri, email: "b2@example.com", name: "B D", startTime: START });
    await emulator.idle();
    expect(broken.requests).toHaveLength(3);
  });

  it("backs off exponentially between retries (deliveryRetryDelayMs, doubling)", async () => {
    const { emulator, client } = await setup({ deliveryRetries: 3, deliveryRetryDelayMs: 40 });
    const broken = await receiver(() => ({ status: 500 }));
    await subscribe(emulator, client, broken.url);
    await emulator.book({ eventTypeUri: INTRO_CALL.uri, email: "e@example.com", name: "E F", startTime: START });
    await emulator.idle();
    const at = emulator.deliveries().map((d) => Date.parse(d.at));
    expect(at).toHaveLength(4);
    const gaps = at.slice(1).map((t, i) => t - at[i]!);
    expect(gaps[0]).toBeGreaterThanOrEqual(35);
    expect(gaps[1]).toBeGreaterThanOrEqual(75);
    expect(gaps[2]).toBeGreaterThanOrEqual(155);
  });

  it("keeps a failing subscription active with disableAfterRetries: false", async () => {
    const { emulator, client } = await setup({ deliveryRetries: 1, disableAfterRetries: false });
    const broken = await receiver(() => ({ status: 500 }));
    const sub = await subscribe(emulator, client, broken.url);
    await emulator.book({ eventTypeUri: INTRO_CALL.uri, email: "k@example.com", name: "K L", startTime: START });
    await emulator.idle();
    expect((await client.getWebhookSubscription(sub.uri)).state).toBe("active");
  });

  it("deletes the subscription when the endpoint answers 410 Gone, and retries nothing", async () => {
    const { emulator, client } = await setup({ deliveryRetries: 3 });
    const gone = await receiver(() => ({ status: 410 }));
    const sub = await subscribe(emulator, client, gone.url);
    await emulator.book({ eventTypeUri: INTRO_CALL.uri, email: "g@example.com", name: "G H", startTime: START });
    await emulator.idle();
    expect(gone.requests).toHaveLength(1);
    await expect(client.getWebhookSubscription(sub.uri)).rejects.toMatchObject({ status: 404 });
  });

  it("logs network errors as failed attempts", async () => {
    const { emulator, client } = await setup({ deliveryRetries: 1 });
    const gone = await receiver();
    const url = gone.url;
    await gone.close();
    toClose.splice(toClose.indexOf(gone), 1);
    await subscribe(emulator, client, url);
    await emulator.book({ eventTypeUri: INTRO_CALL.uri, email: "n@example.com", name: "N O", startTime: START });
    await emulator.idle();
    const log = emulator.deliveries();
    expect(log.map((d) => d.attempt)).toEqual([1, 2]);
    expect(log[0]).toMatchObject({ ok: false, url, event: "invitee.created" });
    expect(log[0]!.status).toBeUndefined();
    expect(log[0]!.error).toMatch(/ECONNREFUSED/);
  });

  it("delivers invitee.canceled when the host cancels through the API", async () => {
    const { emulator, client } = await setup();
    const hook = await receiver();
    await subscribe(emulator, client, hook.url, ["invitee.canceled"]);
    const { eventUri } = await emulator.book({ eventTypeUri: INTRO_CALL.uri, email: "h@example.com", name: "H I", startTime: START });
    expect(hook.requests).toHaveLength(0);
    await client.cancelScheduledEvent(eventUri, "Host is ill");
    await emulator.idle();
    expect(hook.requests).toHaveLength(1);
    expect(envelopeOf(hook.requests[0]!).payload.cancellation).toMatchObject({ canceler_type: "host", reason: "Host is ill", canceled_by: "Sandbox Host" });
  });

  it("close() stops pending retries", async () => {
    const { emulator, client } = await setup({ deliveryRetries: 5, deliveryRetryDelayMs: 10_000 });
    const broken = await receiver(() => ({ status: 500 }));
    await subscribe(emulator, client, broken.url);
    await emulator.book({ eventTypeUri: INTRO_CALL.uri, email: "s@example.com", name: "S T", startTime: START });
    const started = Date.now();
    await emulator.close();
    toClose.splice(toClose.indexOf(emulator), 1);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(broken.requests).toHaveLength(1);
    await emulator.idle();
    expect(emulator.deliveries()).toHaveLength(1);
  });

  it("signs with the emulator's clock", async () => {
    const fixed = new Date("2029-12-31T23:59:00Z");
    const { emulator, client } = await setup({ clock: { now: () => fixed } });
    const hook = await receiver();
    await subscribe(emulator, client, hook.url);
    await emulator.book({ eventTypeUri: INTRO_CALL.uri, email: "c@example.com", name: "C", startTime: START });
    const req = hook.requests[0]!;
    expect(String(req.headers[CALENDLY_SIGNATURE_HEADER])).toMatch(new RegExp(`^t=${fixed.getTime() / 1000},v1=[0-9a-f]{64}$`));
    expect(envelopeOf(req).created_at).toBe("2029-12-31T23:59:00.000000Z");
    expect(verifyCalendlySignature(req.body, String(req.headers[CALENDLY_SIGNATURE_HEADER]), KEY, { now: () => fixed.getTime() }).ok).toBe(true);
  });
});
