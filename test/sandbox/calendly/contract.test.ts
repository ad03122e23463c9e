import { readFileSync } from "node:fs";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCalendlyEmulator, WEBHOOK_EVENT_SCOPES, type CalendlyEmulator } from "../../../src/sandbox/calendly/emulator.js";
import { startWebhookReceiver, type WebhookReceiver } from "../stripe/webhook-receiver.js";
import { INTRO_CALL, SEED_EVENT_TYPES, TEST_CALENDLY_TOKEN } from "./support.js";

/**
 * The Calendly emulator held to Calendly's API reference (`fixtures/webhook-subscriptions-contract.json`,
 * copied from Calendly's OpenAPI): the webhook events and the scopes each allows, group scope, and the
 * answers bookflow's behaviour depends on.
 */

const contract = JSON.parse(readFileSync(new URL("./fixtures/webhook-subscriptions-contract.json", import.meta.url), "utf8")) as {
  create: { required: string[]; scopes: string[]; events: Record<string, string[]> };
  list: { scopes: string[] };
  delivery: { envelopeRequired: string[]; inviteePayloadRequired: string[]; scheduledEventRequired: string[] };
  answers: { webhookSubscriptionRequired: string[]; paginationRequired: string[]; errorRequired: string[] };
};

const missingKeys = (required: string[], value: unknown) => required.filter((k) => typeof value !== "object" || value === null || !(k in value));

let emulator: CalendlyEmulator;
let receiver: WebhookReceiver;
const GROUP = "https://api.calendly.com/groups/GRP-coaches";

beforeAll(async () => {
  emulator = await startCalendlyEmulator({ token: TEST_CALENDLY_TOKEN, eventTypes: SEED_EVENT_TYPES, deliveryRetries: 0 });
  receiver = await startWebhookReceiver();
});
afterAll(async () => {
  await emulator.close();
  await receiver.close();
});

async function api(method: "GET" | "POST" | "DELETE", path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown>; headers: Record<string, unknown> }> {
  const res = await request(`${emulator.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${TEST_CALENDLY_TOKEN}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.body.text();
  return { status: res.statusCode, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: res.headers };
}

const subscription = (scope: string, events: string[], url = `${receiver.url}/${scope}/${events.join(",")}`) => ({
  url,
  events,
  organization: emulator.organizationUri,
  scope,
  ...(scope === "user" ? { user: emulator.userUri } : {}),
  ...(scope === "group" ? { group: GROUP } : {}),
});

describe("webhook subscriptions, as Calendly's API reference lists them", () => {
  it("the emulator knows exactly the reference's events and the scopes each allows", () => {
    expect(WEBHOOK_EVENT_SCOPES).toEqual(contract.create.events);
  });

  it("creates a subscription for every event in every scope the reference allows it, and refuses the others with 400", async () => {
    for (const [event, scopes] of Object.entries(contract.create.events)) {
      for (const scope of contract.create.scopes) {
        const res = await api("POST", "/webhook_subscriptions", subscription(scope, [event]));
        if (scopes.includes(scope)) {
          expect(res.status, `${event} in ${scope} scope`).toBe(201);
          expect(res.body.resource).toMatchObject({ scope, events: [event], group: scope === "group" ? GROUP : null });
          await api("DELETE", `/webhook_subscriptions/${String((res.body.resource as { uri: string }).uri).split("/").pop()}`);
        } else {
          expect(res.status, `${event} in ${scope} scope`).toBe(400);
          expect(res.body).toMatchObject({ title: "Invalid Argument", details: [expect.objectContaining({ parameter: "events" })] });
        }
      }
    }
  });

  it("takes more than five events in one subscription", async () => {
    const events = Object.entries(contract.create.events).filter(([, scopes]) => scopes.includes("organization")).map(([e]) => e);
    expect(events.length).toBeGreaterThan(5);
    const res = await api("POST", "/webhook_subscriptions", subscription("organization", events, `${receiver.url}/many`));
    expect(res.status).toBe(201);
    expect((res.body.resource as { events: string[] }).events).toEqual(events);
    await api("DELETE", `/webhook_subscriptions/${String((res.body.resource as { uri: string }).uri).split("/").pop()}`);
  });

  it("group scope needs a group, lists by it, and gets the host's invitee events", async () => {
    const noGroup = await api("POST", "/webhook_subscriptions", { ...subscription("group", ["invitee.created"]), group: undefined });
    expect(noGroup).toMatchObject({ status: 400, body: { details: [{ parameter: "group", message: expect.any(String) }] } });
    const created = await api("POST", "/webhook_subscriptions", subscription("group", ["invitee.created"], `${receiver.url}/group-hook`));
    expect(created.status).toBe(201);
    const listNeedsGroup = await api("GET", `/webhook_subscriptions?${new URLSearchParams({ organization: emulator.organizationUri, scope: "group" })}`);
    expect(listNeedsGroup.status).toBe(400);
    const listed = await api("GET", `/webhook_subscriptions?${new URLSearchParams({ organization: emulator.organizationUri, scope: "group", group: GROUP })}`);
    expect((listed.body.collection as { uri: string }[]).map((s) => s.uri)).toEqual([(created.body.resource as { uri: string }).uri]);
    await emulator.book({ eventTypeUri: INTRO_CALL.uri, email: "group@example.com", name: "Group Invitee", startTime: "2032-03-01T10:00:00Z" });
    await emulator.idle();
    expect(receiver.received.filter((r) => r.path === "/group-hook").map((r) => (JSON.parse(r.rawBody) as { event: string }).event)).toEqual(["invitee.created"]);
  });
});

describe("scheduled events", () => {
  it("refuses to cancel an event that has already started with Calendly's 403, and changes nothing", async () => {
    const { eventUri } = await emulator.book({ eventTypeUri: INTRO_CALL.uri, email: "past@example.com", name: "Past Invitee", startTime: "2020-01-06T10:00:00Z" });
    const uuid = eventUri.split("/").pop()!;
    const res = await api("POST", `/scheduled_events/${uuid}/cancellation`, { reason: "too late" });
    expect(res).toMatchObject({ status: 403, body: { title: "Permission Denied", message: expect.any(String) } });
    expect((await api("GET", `/scheduled_events/${uuid}`)).body.resource).toMatchObject({ status: "active" });
  });
});

describe("webhook deliveries, as Calendly's WebhookPayload and InviteePayload schemas require them", () => {
  it("every invitee.created and invitee.canceled delivery has every required key of the envelope, the invitee and its scheduled event", async () => {
    const created = await api("POST", "/webhook_subscriptions", subscription("organization", ["invitee.created", "invitee.canceled"], `${receiver.url}/shape`));
    expect(created.status).toBe(201);
    const { inviteeUri } = await emulator.book({ eventTypeUri: INTRO_CALL.uri, email: "shape@example.com", name: "Shape Check", startTime: "2032-04-01T10:00:00Z" });
    await emulator.cancel({ inviteeUri, reason: "checking shapes" });
    await emulator.idle();
    const envelopes = receiver.received.filter((r) => r.path === "/shape").map((r) => JSON.parse(r.rawBody) as Record<string, unknown> & { payload: Record<string, unknown> & { scheduled_event: Record<string, unknown> } });
    expect(envelopes.map((e) => e.event)).toEqual(["invitee.created", "invitee.canceled"]);
    const missing = envelopes.flatMap((e) => [
      ...contract.delivery.envelopeRequired.filter((k) => !(k in e)).map((k) => `${String(e.event)}: ${k}`),
      ...contract.delivery.inviteePayloadRequired.filter((k) => !(k in e.payload)).map((k) => `${String(e.event)}: payload.${k}`),
      ...contract.delivery.scheduledEventRequired.filter((k) => !(k in e.payload.scheduled_event)).map((k) => `${String(e.event)}: payload.scheduled_event.${k}`),
    ]);
    expect(missing).toEqual([]);
  });
});

describe("answers, as Calendly's WebhookSubscription, Pagination and error schemas require them", () => {
  it("a listed subscription and its page have every required key; refusals and injected faults are Calendly error objects", async () => {
    const created = await api("POST", "/webhook_subscriptions", subscription("user", ["invitee.created"], `${receiver.url}/answers`));
    expect(missingKeys(contract.answers.webhookSubscriptionRequired, created.body.resource)).toEqual([]);
    const listed = await api("GET", `/webhook_subscriptions?${new URLSearchParams({ organization: emulator.organizationUri, scope: "user", user: emulator.userUri })}`);
    for (const item of listed.body.collection as unknown[]) expect(missingKeys(contract.answers.webhookSubscriptionRequired, item)).toEqual([]);
    expect(missingKeys(contract.answers.paginationRequired, listed.body.pagination)).toEqual([]);
    const refusals = [await api("GET", "/webhook_subscriptions"), await api("GET", "/webhook_subscriptions/nope"), await api("POST", "/webhook_subscriptions", created.body)];
    for (const r of refusals) expect(missingKeys(contract.answers.errorRequired, r.body), JSON.stringify(r.body)).toEqual([]);
    emulator.setFaults({ rate429: 1 });
    try {
      const limited = await api("GET", "/users/me");
      expect(limited.status).toBe(429);
      expect(missingKeys(contract.answers.errorRequired, limited.body)).toEqual([]);
    } finally {
      emulator.setFaults({});
    }
    emulator.setFaults({ rate5xx: 1 });
    try {
      const broken = await api("GET", "/users/me");
      expect(broken.status).toBeGreaterThanOrEqual(500);
      expect(missingKeys(contract.answers.errorRequired, broken.body)).toEqual([]);
    } finally {
      emulator.setFaults({});
    }
  });
});

