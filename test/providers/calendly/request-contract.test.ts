import { readFileSync } from "node:fs";
import { Agent, type Dispatcher } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collect, createCalendlyClient, type CalendlyClient } from "../../../src/providers/calendly/client.js";
import { startCalendlyEmulator, type CalendlyEmulator } from "../../../src/sandbox/calendly/emulator.js";
import { INTRO_CALL, SEED_EVENT_TYPES, TEST_CALENDLY_TOKEN } from "../../sandbox/calendly/support.js";

/**
 * Every request bookflow's Calendly client makes (method, path, query, body), held to the operation
 * Calendly's OpenAPI document defines for it (`fixtures/calendly-requests-contract.json`). Every client
 * method is called; a request with no operation in the contract fails the test, as does a query or body
 * field the operation does not take, or a required one left out.
 */

interface Operation {
  query: string[];
  requiredQuery?: string[];
  oneOfQuery?: string[];
  body?: string[];
  requiredBody?: string[];
}
const contract = JSON.parse(readFileSync(new URL("./fixtures/calendly-requests-contract.json", import.meta.url), "utf8")) as { operations: Record<string, Operation> };

interface Sent {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
}

let emulator: CalendlyEmulator;
const sent: Sent[] = [];
const calledMethods = new Set<string>();
let client: CalendlyClient;

/** An undici dispatcher that records each request it sends on. */
function recording(): Dispatcher {
  return new Agent().compose((dispatch) => (opts, handler) => {
    const url = new URL(opts.path, "http://calendly.invalid");
    const text = typeof opts.body === "string" ? opts.body : Buffer.isBuffer(opts.body) ? opts.body.toString("utf8") : undefined;
    sent.push({ method: opts.method, path: url.pathname, query: url.searchParams, body: text ? JSON.parse(text) : undefined });
    return dispatch(opts, handler);
  });
}

beforeAll(async () => {
  emulator = await startCalendlyEmulator({ token: TEST_CALENDLY_TOKEN, eventTypes: SEED_EVENT_TYPES });
  const real = createCalendlyClient({ token: TEST_CALENDLY_TOKEN, baseUrl: emulator.url, dispatcher: recording() });
  // Counts the methods called, so a new client method without a case here fails the coverage test.
  client = new Proxy(real, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof value === "function" && typeof key === "string") calledMethods.add(key);
      return value;
    },
  });

  const me = await client.getCurrentUser();
  await collect(client.listEventTypes({ user: me.uri, active: true, count: 50 }));
  await collect(client.listEventTypes({ organization: me.current_organization }));
  const { eventUri } = await emulator.book({ eventTypeUri: INTRO_CALL.uri, email: "contract@example.com", name: "Contract Check", startTime: "2033-01-10T10:00:00Z" });
  await collect(
    client.listScheduledEvents({
      organization: me.current_organization, user: me.uri, minStartTime: "2033-01-01T00:00:00Z", maxStartTime: new Date("2033-02-01T00:00:00Z"),
      status: "active", inviteeEmail: "contract@example.com", sort: "start_time:desc", count: 10,
    }),
  );
  await client.getScheduledEvent(eventUri);
  await collect(client.listEventInvitees(eventUri, { status: "active", email: "contract@example.com", count: 5 }));
  await client.cancelScheduledEvent(eventUri, "contract check");
  const sub = await client.createWebhookSubscription({ url: "http://127.0.0.1:9/contract", events: ["invitee.created"], organization: me.current_organization, scope: "user", user: me.uri, signingKey: "contract-key" });
  await client.listWebhookSubscriptions({ organization: me.current_organization, scope: "organization" });
  await client.listWebhookSubscriptions({ organization: me.current_organization, scope: "user", user: me.uri });
  await client.getWebhookSubscription(sub.uri);
  await client.deleteWebhookSubscription(sub.uri);
});
afterAll(() => emulator.close());

/** `METHOD /path/{param}` of a request, from the contract's templates. */
function operationOf(r: Sent): [string, Operation] | undefined {
  return Object.entries(contract.operations).find(([key]) => {
    const [method, template] = key.split(" ") as [string, string];
    return method === r.method && new RegExp(`^${template.replace(/\{[a-z_]+\}/g, "[^/]+")}$`).test(r.path);
  });
}

describe("bookflow's Calendly requests against Calendly's OpenAPI", () => {
  it("calls every client method", () => {
    const methods = Object.keys(client).filter((k) => typeof (client as unknown as Record<string, unknown>)[k] === "function");
    expect(methods.filter((m) => !calledMethods.has(m))).toEqual([]);
  });

  it("every request is an operation of the contract, with only the query and body fields it takes, and those it requires", () => {
    expect(sent.length).toBeGreaterThan(10);
    const violations: string[] = [];
    for (const r of sent) {
      const found = operationOf(r);
      if (!found) {
        violations.push(`${r.method} ${r.path}: no operation in the contract`);
        continue;
      }
      const [name, op] = found;
      for (const key of r.query.keys()) if (!op.query.includes(key)) violations.push(`${name}: query ${key} is not a parameter`);
      for (const key of op.requiredQuery ?? []) if (!r.query.has(key)) violations.push(`${name}: query ${key} is required`);
      if (op.oneOfQuery && !op.oneOfQuery.some((k) => r.query.has(k))) violations.push(`${name}: one of ${op.oneOfQuery.join(", ")} is required`);
      const body = (r.body ?? {}) as Record<string, unknown>;
      if (r.body !== undefined && op.body === undefined) violations.push(`${name}: takes no body`);
      for (const key of Object.keys(body)) if (op.body && !op.body.includes(key)) violations.push(`${name}: body ${key} is not a field`);
      for (const key of op.requiredBody ?? []) if (!(key in body)) violations.push(`${name}: body ${key} is required`);
    }
    expect(violations).toEqual([]);
  });

  it("every operation of the contract is one the client makes (the contract holds no stale case)", () => {
    const used = new Set(sent.map((r) => operationOf(r)?.[0]).filter(Boolean));
    expect(Object.keys(contract.operations).filter((k) => !used.has(k))).toEqual([]);
  });
});
