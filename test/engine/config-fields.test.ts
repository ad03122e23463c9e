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
import type { SendGridDeliveryStatsFact } from "../../src/engine/facts/sendgrid.js";
import { startSendGridEmulator, type SendGridEmulator } from "../../src/sandbox/sendgrid/emulator.js";
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
const NOT_READ: Record<string, string> = {
  $schema: "the JSON Schema URL editors read; nothing to check",
  "thresholds.slowerByMs": "read by verify --baseline and report diff, not by a check (test/commands/report-diff.test.ts)",
  "thresholds.slowerByRatio": "read by verify --baseline and report diff, not by a check (test/commands/report-diff.test.ts)",
  "monitor.intervals": "read by bookflow monitor's schedule, not by a check (test/ops/monitor-rules.test.ts)",
  "rollback.noticeTemplateId": "read by rollback --notify, not by a check (test/commands/rollback-notify.test.ts)",
};

/** The config's fields, leaf by leaf: "thresholds.httpLatencyMs", "seed.sessionTypes", … (array elements are not separate fields). */
function leafFields(schema: unknown, prefix = ""): string[] {
  const def = (schema as { _zod: { def: { type: string; innerType?: unknown; shape?: Record<string, unknown> } } })._zod.def;
  if (def.type === "default" || def.type === "prefault" || def.type === "optional" || def.type === "nullable") return leafFields(def.innerType, prefix);
  if (def.type === "object") return Object.entries(def.shape!).flatMap(([k, v]) => leafFields(v, prefix ? `${prefix}.${k}` : k));
  return [prefix];
}

let database: TestDatabase;
let dns: RunningDnsServer;
let slowApp: Server;
let slowAppUrl: string;
/** SendGrid with 25 emails that bounced three days ago, and none since. */
let sendgrid: SendGridEmulator;
let sendgridNow = new Date(Date.now() - 72 * 3600_000);
const SENDGRID_KEY = "SG.FAKE-config-fields.key";

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
  sendgrid = await startSendGridEmulator({ apiKey: SENDGRID_KEY, verifiedSenders: [{ from_email: `noreply@${DOMAIN}`, verified: true }], clock: { now: () => sendgridNow } });
  sendgrid.setDeliveryOutcome({ match: "*", outcome: "bounce" });
  const to = Array.from({ length: 25 }, (_, i) => ({ email: `r${i}@example.org` }));
  const sent = await fetch(`${sendgrid.url}/v3/mail/send`, {
    method: "POST",
    headers: { authorization: `Bearer ${SENDGRID_KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ personalizations: [{ to }], from: { email: `noreply@${DOMAIN}` }, subject: "Booked", content: [{ type: "text/plain", value: "Booked" }] }),
  });
  if (sent.status !== 202) throw new Error(`the SendGrid emulator refused the seed send (${sent.status})`);
  sendgridNow = new Date();
});

afterAll(async () => {
  await new Promise<void>((r) => (slowApp ? (slowApp.closeAllConnections(), slowApp.close(() => r())) : r()));
  await dns?.close();
  await sendgrid?.close();
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
    ...(sendgrid ? { SENDGRID_API_KEY: SENDGRID_KEY, SENDGRID_API_BASE: sendgrid.url } : {}),
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

const deliveryStats = (t: { requests: number; delivered: number; bounces: number; blocks: number }): SendGridDeliveryStatsFact => ({
  readable: true,
  readAt: 1_800_000_000,
  windowHours: 24,
  startDate: "2027-01-14",
  endDate: "2027-01-15",
  totals: { processed: t.requests, deferred: 0, bounce_drops: 0, invalid_emails: 0, spam_reports: 0, ...t },
  bounces: { count: t.bounces, truncated: false, reasons: [] },
  blocks: { count: t.blocks, truncated: false, reasons: [] },
});

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
  "thresholds.emailDeliveryRateMin": {
    check: "sendgrid.delivery-rates",
    changed: change((c) => (c.thresholds.emailDeliveryRateMin = 0.99)),
    decide: decided("sendgrid.delivery-rates", { sendgridDeliveryStats: deliveryStats({ requests: 100, delivered: 97, bounces: 3, blocks: 0 }) }),
    expect: ["pass", "fail"],
    message: /delivered 97\.0% \(minimum 99\.0%\)/,
  },
  "thresholds.emailBounceRateMax": {
    check: "sendgrid.delivery-rates",
    changed: change((c) => (c.thresholds.emailBounceRateMax = 0.01)),
    decide: decided("sendgrid.delivery-rates", { sendgridDeliveryStats: deliveryStats({ requests: 100, delivered: 97, bounces: 3, blocks: 0 }) }),
    expect: ["pass", "fail"],
    message: /bounced 3\.0% \(maximum 1\.0%\)/,
  },
  "thresholds.emailBlockRateMax": {
    check: "sendgrid.delivery-rates",
    changed: change((c) => (c.thresholds.emailBlockRateMax = 0.005)),
    decide: decided("sendgrid.delivery-rates", { sendgridDeliveryStats: deliveryStats({ requests: 100, delivered: 99, bounces: 0, blocks: 1 }) }),
    expect: ["pass", "fail"],
    message: /blocked 1\.0% \(maximum 0\.5%\)/,
  },
  "thresholds.emailStatsMinVolume": {
    check: "sendgrid.delivery-rates",
    changed: change((c) => (c.thresholds.emailStatsMinVolume = 5)),
    decide: decided("sendgrid.delivery-rates", { sendgridDeliveryStats: deliveryStats({ requests: 10, delivered: 5, bounces: 5, blocks: 0 }) }),
    expect: ["pass", "fail"],
    message: /bounced 50\.0%/,
  },
  "thresholds.emailStatsWindowHours": {
    // Gathered from a SendGrid emulator whose 25 bounces are three days old: outside 24 hours, inside 96.
    check: "sendgrid.delivery-rates",
    changed: change((c) => (c.thresholds.emailStatsWindowHours = 96)),
    decide: (config) => gathered("sendgrid.delivery-rates", config),
    expect: ["pass", "fail"],
    message: /^Email delivery over the last 96 hours .*bounced 100\.0%.*top reasons: bounce: 25× "550 5\.1\.1/,
  },
  "thresholds.databaseConnectionSamples": {
    check: "database.connections-stable",
    changed: change((c) => (c.thresholds.databaseConnectionSamples = 2)),
    decide: (config) => gathered("database.connections-stable", { ...config, thresholds: { ...config.thresholds, databaseSampleWindowMs: 200 } }),
    expect: ["pass", "pass"],
    message: /^2 fresh connections over 200 ms all succeeded/,
  },
  "thresholds.databaseSampleWindowMs": {
    check: "database.connections-stable",
    changed: change((c) => (c.thresholds.databaseSampleWindowMs = 100)),
    decide: (config) => gathered("database.connections-stable", { ...config, thresholds: { ...config.thresholds, databaseConnectionSamples: 2 } }),
    expect: ["pass", "pass"],
    message: /^2 fresh connections over 100 ms all succeeded/,
  },
  "thresholds.databaseLatencySpreadMs": {
    check: "database.connections-stable",
    changed: change((c) => (c.thresholds.databaseLatencySpreadMs = 20)),
    decide: decided("database.connections-stable", { databaseConnectionSamples: { variable: "DATABASE_URL", location: "postgresql://app:****@db.example.com:5432/app", windowMs: 2500, samples: [10, 10, 10, 40, 45].map((ms) => ({ atMs: 0, ok: true, ms })) } }),
    expect: ["pass", "warn"],
    message: /2 of 5 connections took more than 20 ms above the median/,
  },
  "monitoring.sentry.alertRules": {
    check: "monitoring.sentry-alert-rules",
    changed: change((c) => (c.monitoring.sentry.alertRules = ["new-issues"])),
    decide: decided("monitoring.sentry-alert-rules", {
      sentryAlertRules: { configured: true, ok: true, endpoint: "https://sentry.io/api/0/projects/acme/web/rules/", rules: [{ id: "1", name: "New issues", status: "active", actionMatch: "any", conditions: ["sentry.rules.conditions.first_seen_event.FirstSeenEventCondition"], filters: [], actions: 1, environment: null }] },
    }),
    expect: ["fail", "pass"],
  },
  contacts: {
    check: "deployment.emergency-contacts",
    changed: change((c) => (c.contacts = [{ role: "on-call", name: "Release on-call", phone: "+1 415 555 0100" }])),
    decide: decided("deployment.emergency-contacts", envWorld({}, "production")),
    expect: ["fail", "pass"],
    message: /1 emergency contact\(s\) configured \(on-call\)/,
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
