import { DEFAULT_CALENDLY_EVENTS, DEFAULT_STRIPE_EVENTS } from "../../src/config/webhook-events.js";
import { writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { catalogue } from "../../checks/index.js";
import { verifyCommand } from "../../commands/handlers/verify.js";
import { bookflowConfigSchema, defaultConfig, type BookflowConfig } from "../../src/config/bookflow-config.js";
import { createContext } from "../../src/context.js";
import type { CheckOutcome } from "../../src/engine/check.js";
import { FactStore, gatherers } from "../../src/engine/facts/index.js";
import type { CalendlySubscriptionsFact } from "../../src/engine/facts/calendly.js";
import type { StripeUndeliveredEventsFact, StripeWebhookEndpointFact } from "../../src/engine/facts/stripe.js";
import type { ProbeResult } from "../../src/providers/http-probe.js";
import { startDnsServer, type RunningDnsServer } from "../../src/sandbox/dns/server.js";
import { gatherDatadogMonitors } from "../../src/engine/facts/monitoring.js";
import { healthyDatadogMonitors, startMonitoringEmulator, type MonitoringEmulator } from "../../src/sandbox/monitoring/emulator.js";
import { sandboxZone } from "../../src/sandbox/dns/zones.js";
import { decide, type World } from "../support/check-tester.js";
import { tempDir } from "../support/cli.js";
import { createTestDatabase, type TestDatabase } from "../support/db.js";
import { envWorld, VALID_ENV, VALID_TEST_MODE_ENV } from "../support/env-worlds.js";

/**
 * Every field of bookflow.config.json is read by some check or command: for
 * each, the same check decides differently under the default and under a
 * changed value. Facts are gathered for real where that is cheap here (a seeded
 * test database, a DNS server with the sandbox zone, a slow local HTTP server);
 * the provider subscriptions are given as facts. A new field without a row here
 * fails the first test.
 */

const DOMAIN = "bookflow.test";
/** Fields no check reads, and why. */
const NOT_READ: Record<string, string> = { $schema: "the JSON Schema URL editors read; nothing to check" };

/** The config's fields, leaf by leaf: "thresholds.httpLatencyMs", "seed.sessionTypes", … (array elements are not separate fields). */
function leafFields(schema: unknown, prefix = ""): string[] {
  const def = (schema as { _zod: { def: { type: string; innerType?: unknown; shape?: Record<string, unknown> } } })._zod.def;
  if (def.type === "default" || def.type === "optional" || def.type === "nullable") return leafFields(def.innerType, prefix);
  if (def.type === "object") return Object.entries(def.shape!).flatMap(([k, v]) => leafFields(v, prefix ? `${prefix}.${k}` : k));
  return [prefix];
}

let database: TestDatabase;
let dns: RunningDnsServer;
let slowApp: Server;
let slowAppUrl: string;

beforeAll(async () => {
  [database, dns] = await Promise.all([createTestDatabase({ seed: true, poolSize: 2 }), startDnsServer({ zone: sandboxZone(DOMAIN) })]);
  // An app whose health endpoint answers after 40 ms.
  slowApp = createServer((_req, res) => {
    setTimeout(() => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ status: "ok", database: { up: true, latencyMs: 1 } }));
    }, 40);
  });
  await new Promise<void>((r) => slowApp.listen(0, "127.0.0.1", r));
  slowAppUrl = `http://127.0.0.1:${(slowApp.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((r) => (slowApp ? (slowApp.closeAllConnections(), slowApp.close(() => r())) : r()));
  await dns?.close();
  await database?.drop();
});

const check = (id: string) => {
  const c = catalogue.find((x) => x.id === id);
  if (!c) throw new Error(`no check ${id}`);
  return c;
};

/** Gathers the check's facts for real (database, DNS, HTTP) under `config`, and decides. */
async function gathered(id: string, config: BookflowConfig): Promise<CheckOutcome> {
  const env = {
    ...VALID_TEST_MODE_ENV,
    DATABASE_URL: database.url,
    DIRECT_URL: database.url,
    SENDGRID_FROM_EMAIL: `noreply@${DOMAIN}`,
    BOOKFLOW_DNS_SERVER: dns.address,
    NEXT_PUBLIC_BASE_URL: slowAppUrl,
    CALENDLY_WEBHOOK_URL: "",
    STRIPE_WEBHOOK_URL: "",
  };
  const abort = new AbortController();
  const store = new FactStore({ env, target: "sandbox", config, signal: abort.signal, db: async () => database.db }, gatherers);
  try {
    return await decide(check(id), await store.pick(check(id).facts));
  } finally {
    abort.abort();
  }
}

/** Decides on the given facts, with `config` added. */
const decided = (id: string, world: World) => (config: BookflowConfig) => decide(check(id), { ...world, config });

const change = (patch: (c: BookflowConfig) => void): BookflowConfig => {
  const c = structuredClone(defaultConfig());
  patch(c);
  return bookflowConfigSchema.parse(c); // a value the file could hold
};

const subscriptions: CalendlySubscriptionsFact = {
  organizationScopeListed: true,
  subscriptions: [{ uri: "https://api.calendly.com/webhook_subscriptions/S1", callback_url: VALID_ENV.CALENDLY_WEBHOOK_URL!, state: "active", events: [...DEFAULT_CALENDLY_EVENTS], scope: "organization", retry_started_at: null }],
};
const stripeEndpoints: StripeWebhookEndpointFact[] = [{ id: "we_1", url: VALID_ENV.STRIPE_WEBHOOK_URL!, status: "enabled", enabled_events: [...DEFAULT_STRIPE_EVENTS], livemode: true }];
const base30Days: ProbeResult = {
  url: "https://www.example.com/",
  method: "GET",
  status: 200,
  headers: {},
  bodyText: "",
  latencyMs: 10,
  tls: { valid: true, validTo: new Date(Date.now() + 30 * 86_400_000).toISOString() },
};

/** A checkout.session.completed Stripe has not delivered, created 5 minutes before it was read. */
const undeliveredFor5Minutes: StripeUndeliveredEventsFact = { readAt: 1_800_000_000, since: 1_800_000_000 - 86_400, truncated: false, events: [{ id: "evt_1", type: "checkout.session.completed", created: 1_800_000_000 - 300, pending_webhooks: 1 }] };

interface FieldCase {
  check: string;
  /** The changed config. */
  changed: BookflowConfig;
  decide(config: BookflowConfig): Promise<CheckOutcome>;
  /** Statuses under the default config and under the changed one. */
  expect: [CheckOutcome["status"], CheckOutcome["status"]];
  message?: RegExp;
}

const FIELDS: Record<string, FieldCase> = {
  "email.sendingDomain": {
    check: "dns.spf",
    changed: change((c) => (c.email.sendingDomain = "elsewhere.test")),
    decide: (config) => gathered("dns.spf", config),
    expect: ["pass", "fail"],
    message: /elsewhere\.test/,
  },
  "email.dkimSelectors": {
    check: "dns.dkim",
    changed: change((c) => (c.email.dkimSelectors = ["k9"])),
    decide: (config) => gathered("dns.dkim", config),
    expect: ["pass", "fail"],
    message: /k9\._domainkey\.bookflow\.test/,
  },
  "calendly.events": {
    check: "calendly.webhook-subscription-active",
    changed: change((c) => (c.calendly.events = [...DEFAULT_CALENDLY_EVENTS, "routing_form_submission.created"])),
    decide: decided("calendly.webhook-subscription-active", { ...envWorld(), calendlyWebhookSubscriptions: subscriptions }),
    expect: ["pass", "fail"],
    message: /routing_form_submission\.created/,
  },
  "stripe.events": {
    check: "stripe.webhook-endpoint-enabled",
    changed: change((c) => (c.stripe.events = [...DEFAULT_STRIPE_EVENTS, "charge.dispute.funds_withdrawn"])),
    decide: decided("stripe.webhook-endpoint-enabled", { ...envWorld(), stripeWebhookEndpoints: stripeEndpoints }),
    expect: ["pass", "fail"],
    message: /charge\.dispute\.funds_withdrawn/,
  },
  "seed.tables": {
    check: "database.tables-match-schema",
    changed: change((c) => (c.seed.tables = ["Booking", "Invoice"])),
    decide: (config) => gathered("database.tables-match-schema", config),
    expect: ["pass", "fail"],
    message: /missing table: Invoice/,
  },
  "seed.sessionTypes": {
    check: "database.session-types-seeded",
    changed: change((c) => (c.seed.sessionTypes = [{ slug: "group-workshop" }])),
    decide: (config) => gathered("database.session-types-seeded", config),
    expect: ["pass", "fail"],
    message: /group-workshop missing/,
  },
  "seed.minVisibleBuilders": {
    check: "database.marketplace-has-builders",
    changed: change((c) => (c.seed.minVisibleBuilders = 50)),
    decide: (config) => gathered("database.marketplace-has-builders", config),
    expect: ["pass", "fail"],
    message: /at least 50 required/,
  },
  "thresholds.databaseLatencyMs": {
    check: "database.connects",
    changed: change((c) => (c.thresholds.databaseLatencyMs = 0.01)),
    decide: (config) => gathered("database.connects", config),
    expect: ["pass", "warn"],
    message: /above 0\.01 ms/,
  },
  "thresholds.httpLatencyMs": {
    check: "endpoints.health-database-up",
    changed: change((c) => (c.thresholds.httpLatencyMs = 10)),
    decide: (config) => gathered("endpoints.health-database-up", config),
    expect: ["pass", "warn"],
    message: /longer than thresholds\.httpLatencyMs \(10 ms\)/,
  },
  "thresholds.certificateExpiryDays": {
    check: "endpoints.base-url-https",
    changed: change((c) => (c.thresholds.certificateExpiryDays = 60)),
    decide: decided("endpoints.base-url-https", { ...envWorld(), endpointProbes: { base: { probed: true, url: base30Days.url, result: base30Days }, health: { probed: false, reason: "-" }, webhooks: { calendly: { probed: false, reason: "-" }, stripe: { probed: false, reason: "-" } } } }),
    expect: ["pass", "warn"],
    message: /certificateExpiryDays \(60\)/,
  },
  "thresholds.webhookDeliveryGraceMinutes": {
    check: "stripe.webhook-deliveries-succeeding",
    changed: change((c) => (c.thresholds.webhookDeliveryGraceMinutes = 2)),
    decide: decided("stripe.webhook-deliveries-succeeding", { ...envWorld(), stripeWebhookEndpoints: stripeEndpoints, stripeUndeliveredEvents: undeliveredFor5Minutes }),
    expect: ["pass", "fail"],
    message: /still undelivered after 2 minutes/,
  },
  "monitoring.sentry.alertRules": {
    check: "monitoring.sentry-alert-rules",
    changed: change((c) => (c.monitoring.sentry.alertRules = ["new-issues"])),
    decide: decided("monitoring.sentry-alert-rules", {
      sentryAlertRules: { configured: true, ok: true, endpoint: "https://sentry.io/api/0/projects/acme/web/rules/", rules: [{ id: "1", name: "New issues", status: "active", actionMatch: "any", conditions: ["sentry.rules.conditions.first_seen_event.FirstSeenEventCondition"], filters: [], actions: 1, environment: null }] },
    }),
    expect: ["fail", "pass"],
  },
  "monitoring.datadog.monitors": {
    check: "monitoring.datadog-monitors",
    changed: change((c) => (c.monitoring.datadog.monitors = [{ purpose: "checkout-errors" }])),
    decide: async (config) => {
      const em = await monitoringEmulator();
      const env = { DATADOG_API_BASE: em.url, DATADOG_API_KEY: "FAKEddapikey0001", DATADOG_APP_KEY: "FAKEddappkey0001" };
      return decide(check("monitoring.datadog-monitors"), { datadogMonitors: await gatherDatadogMonitors({ env, config, signal: new AbortController().signal }) });
    },
    expect: ["pass", "fail"],
    message: /checkout-errors \(tag bookflow:checkout-errors\)/,
  },
};

let emulator: Promise<MonitoringEmulator> | undefined;
/** The monitoring emulator with the sandbox's healthy Datadog monitors, started on first use. */
const monitoringEmulator = () =>
  (emulator ??= startMonitoringEmulator({ sentryKey: "fakesentrykey0000000000000000001", datadogApiKey: "FAKEddapikey0001", datadogAppKey: "FAKEddappkey0001", datadogMonitors: healthyDatadogMonitors() }));
afterAll(async () => {
  if (emulator) await (await emulator).close();
});

describe("bookflow.config.json: every field changes a check's result", () => {
  it("has a case for every field of the schema (or says why the field is not read)", () => {
    const fields = leafFields(bookflowConfigSchema).filter((f) => !(f in NOT_READ));
    expect(fields.length).toBeGreaterThan(5);
    expect(fields.filter((f) => !(f in FIELDS) && f !== "target")).toEqual([]);
    expect(Object.keys(FIELDS).filter((f) => !fields.includes(f))).toEqual([]);
  });

  it.each(Object.entries(FIELDS))("%s changes %s", async (_field, c) => {
    const before = await c.decide(defaultConfig());
    expect(before.status, before.message).toBe(c.expect[0]);
    const after = await c.decide(c.changed);
    expect(after.status, after.message).toBe(c.expect[1]);
    if (c.message) expect(after.message).toMatch(c.message);
  });

  it("target is verify's default --target: the same test-mode keys pass for staging and fail for production", async () => {
    const dir = tempDir("bookflow-config-target-");
    const run = async (target: string) => {
      writeFileSync(join(dir, "bookflow.config.json"), JSON.stringify({ target }));
      const out: string[] = [];
      const ctx = createContext({ env: { ...VALID_TEST_MODE_ENV } as NodeJS.ProcessEnv, out: (t) => out.push(t), err: () => {}, cwd: dir });
      const code = await verifyCommand()({ only: ["env.stripe-mode-matches-target"], format: ["json"] }, { ctx });
      const report = JSON.parse(out.join("")) as { target: string; results: { id: string; status: string }[] };
      return { code, target: report.target, status: report.results.find((r) => r.id === "env.stripe-mode-matches-target")?.status };
    };
    expect(await run("staging")).toEqual({ code: 0, target: "staging", status: "pass" });
    expect(await run("production")).toEqual({ code: 1, target: "production", status: "fail" });
  });
});
