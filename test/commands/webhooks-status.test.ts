import { DEFAULT_STRIPE_EVENTS } from "../../src/config/webhook-events.js";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { webhooksStatus, type WebhooksStatusOptions } from "../../commands/handlers/webhooks-status.js";
import type { WebhooksStatusReport } from "../../src/ops/webhooks-status.js";
import { WEBHOOK_PROVIDER_IDS, type WebhookProviderId } from "../../src/providers/webhook-providers.js";
import { createContext } from "../../src/context.js";
import { ConfigError, UsageError } from "../../src/errors.js";
import { createCalendlyClient, type CalendlyClient } from "../../src/providers/calendly/client.js";
import { createStripeClient } from "../../src/providers/stripe-client.js";
import { runCli, tempDir } from "../support/cli.js";
import { startTestSandbox, type TestSandbox } from "../support/sandbox.js";
import { FREE_EVENT_TYPE, PAID_EVENT_TYPE, startIn, uniqueEmail, waitFor } from "./bookings-world.js";
import { openDatabase } from "../../src/db/client.js";

/**
 * `bookflow webhooks status` against the sandbox: the healthy world is as
 * expected (exit 0); each way of breaking a registration, made through the
 * emulators' APIs, gets its mark and exit 1. Each test undoes its change.
 */

describe("bookflow webhooks status", () => {
  let s: TestSandbox;
  let calendly: CalendlyClient;
  let stripe: Stripe;
  let me: { uri: string; current_organization: string };

  beforeAll(async () => {
    s = await startTestSandbox();
    calendly = createCalendlyClient({ token: s.world.env.CALENDLY_API_TOKEN!, baseUrl: s.world.env.CALENDLY_API_BASE! });
    stripe = await createStripeClient({ secretKey: s.world.env.STRIPE_SECRET_KEY!, apiBase: s.world.env.STRIPE_API_BASE! });
    me = await calendly.getCurrentUser();
  });
  afterAll(() => s?.stop());

  async function status(options: WebhooksStatusOptions = {}, env: Record<string, string | undefined> = {}, cwd?: string): Promise<{ code: number; report: WebhooksStatusReport; text: string }> {
    let out = "";
    const ctx = createContext({ env: { ...s.world.env, ...env } as NodeJS.ProcessEnv, out: (t) => (out += t), err: () => {}, cwd: cwd ?? tempDir() });
    const code = await webhooksStatus({ ...options, json: true }, { ctx });
    let text = "";
    const ctx2 = createContext({ env: { ...s.world.env, ...env } as NodeJS.ProcessEnv, out: (t) => (text += t), err: () => {}, cwd: cwd ?? tempDir() });
    await webhooksStatus({ ...options, json: false }, { ctx: ctx2 });
    return { code, report: JSON.parse(out) as WebhooksStatusReport, text };
  }

  /** The Checkout session the app created for a paid booking (from its database). */
  async function waitForCheckout(inviteeUri: string): Promise<string> {
    const db = await openDatabase({ databaseUrl: s.world.env.DATABASE_URL!, poolSize: 1 });
    try {
      const booking = await waitFor("checkout session", () => db.prisma.booking.findUnique({ where: { calendlyInviteeUri: inviteeUri } }), (b) => !!b?.stripeCheckoutSessionId);
      return booking!.stripeCheckoutSessionId!;
    } finally {
      await db.close();
    }
  }

  const stripeEndpoint = async () => (await stripe.webhookEndpoints.list()).data.find((e) => e.url === s.world.env.STRIPE_WEBHOOK_URL)!;
  const marksOf = (report: WebhooksStatusReport, provider: WebhookProviderId) => report.providers[provider]!.registrations.map((r) => [r.role, r.marks.map((m) => m.code)]);

  it("the healthy sandbox is as expected: exit 0, both providers ok (CLI, --json)", async () => {
    const r = await runCli(["webhooks", "status", "--json"], { env: s.world.env });
    expect(r.exitCode, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as WebhooksStatusReport;
    expect(report.ok).toBe(true);
    for (const p of WEBHOOK_PROVIDER_IDS) {
      expect(report.providers[p]).toMatchObject({ ok: true, missing: null, errors: 0, error: null });
      expect(marksOf(report, p)).toEqual([["primary", ["ok"]]]);
    }
    expect(report.providers.calendly!.registrations[0]).toMatchObject({ url: s.world.env.CALENDLY_WEBHOOK_URL, state: "active", scope: "organization" });
    expect(report.providers.stripe!.expected.events).toEqual([...DEFAULT_STRIPE_EVENTS]);
    expect(r.stdout).not.toContain(s.world.env.STRIPE_WEBHOOK_SECRET);
  });

  it("prints both providers side by side for a person", async () => {
    const r = await runCli(["webhooks", "status"], { env: s.world.env });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^Calendly: expects .*\/api\/webhooks\/calendly/m);
    expect(r.stdout).toMatch(/^Stripe: expects .*\/api\/webhooks\/stripe/m);
    expect(r.stdout).toContain("Result: as expected");
  });

  it("marks a Stripe endpoint that lacks an event (exit 1)", async () => {
    const e = await stripeEndpoint();
    await stripe.webhookEndpoints.update(e.id, { enabled_events: DEFAULT_STRIPE_EVENTS.filter((x) => x !== "payment_intent.succeeded") });
    try {
      const { code, report, text } = await status();
      expect(code).toBe(1);
      expect(report.ok).toBe(false);
      expect(report.providers.calendly!.ok).toBe(true);
      const reg = report.providers.stripe!.registrations[0]!;
      expect(reg.marks).toEqual([expect.objectContaining({ code: "missing-events", severity: "error", events: ["payment_intent.succeeded"] })]);
      expect(text).toMatch(/ERROR .*we_/);
      expect(text).toContain("missing-events");
    } finally {
      await stripe.webhookEndpoints.update(e.id, { enabled_events: [...DEFAULT_STRIPE_EVENTS] });
    }
  });

  it("marks a disabled registration (Stripe disabled in place, Calendly disabled by the provider)", async () => {
    const e = await stripeEndpoint();
    const [sub] = await calendly.listWebhookSubscriptions({ organization: me.current_organization, scope: "organization" });
    await stripe.webhookEndpoints.update(e.id, { disabled: true });
    s.world.calendly.setSubscriptionState(sub!.uri, "disabled");
    try {
      const { code, report } = await status();
      expect(code).toBe(1);
      expect(marksOf(report, "stripe")).toEqual([["primary", ["disabled"]]]);
      expect(marksOf(report, "calendly")).toEqual([["primary", ["disabled"]]]);
    } finally {
      await stripe.webhookEndpoints.update(e.id, { disabled: false });
      s.world.calendly.setSubscriptionState(sub!.uri, "active");
    }
  });

  it("marks an extra subscription on the same URL as a duplicate (Calendly user scope next to organization scope)", async () => {
    const dup = await calendly.createWebhookSubscription({
      url: s.world.env.CALENDLY_WEBHOOK_URL!,
      events: ["invitee.created", "invitee.canceled"],
      organization: me.current_organization,
      scope: "user",
      user: me.uri,
      signingKey: s.world.env.CALENDLY_WEBHOOK_SIGNING_KEY!,
    });
    try {
      const { code, report } = await status({ provider: "calendly" });
      expect(code).toBe(1);
      expect(Object.keys(report.providers)).toEqual(["calendly"]);
      expect(marksOf(report, "calendly")).toEqual([
        ["primary", ["ok"]],
        ["duplicate", ["duplicate"]],
      ]);
      const d = report.providers.calendly!.registrations[1]!;
      expect(d).toMatchObject({ id: dup.uri, scope: "user" });
      expect(d.marks[0]).toMatchObject({ severity: "error", duplicateOf: report.providers.calendly!.registrations[0]!.id });
    } finally {
      await calendly.deleteWebhookSubscription(dup.uri);
    }
  });

  it("marks a registration on another URL: a warning while the expected URL is served (an error with --strict)", async () => {
    const other = await stripe.webhookEndpoints.create({ url: "http://127.0.0.1:9/old-domain/api/webhooks/stripe", enabled_events: ["checkout.session.completed"] });
    try {
      const loose = await status();
      expect(loose.code).toBe(0);
      expect(loose.report.providers.stripe).toMatchObject({ ok: true, warnings: 1 });
      expect(marksOf(loose.report, "stripe")).toEqual([
        ["primary", ["ok"]],
        ["other-url", ["wrong-url"]],
      ]);
      const strict = await status({ strict: true });
      expect(strict.code).toBe(1);
      expect(strict.report).toMatchObject({ ok: false, strict: true });
    } finally {
      await stripe.webhookEndpoints.del(other.id);
    }
  });

  it("reports 'missing' when nothing points at the expected URL, and the wrong-URL registration as an error", async () => {
    const { code, report } = await status({ provider: "stripe" }, { STRIPE_WEBHOOK_URL: "http://127.0.0.1:9/api/webhooks/stripe" });
    expect(code).toBe(1);
    expect(report.providers.stripe!.missing).toEqual({ url: "http://127.0.0.1:9/api/webhooks/stripe", events: [...DEFAULT_STRIPE_EVENTS] });
    expect(marksOf(report, "stripe")).toEqual([["other-url", ["wrong-url"]]]);
    expect(report.providers.stripe!.registrations[0]!.marks[0]!.severity).toBe("error");
  });

  it("expects the events named in bookflow.config.json (--config)", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "hooks.json"), JSON.stringify({ stripe: { events: ["checkout.session.completed", "payment_intent.succeeded", "charge.dispute.funds_withdrawn"] } }));
    const { code, report } = await status({ provider: "stripe", config: "hooks.json" }, {}, dir);
    expect(code).toBe(1);
    expect(report.providers.stripe!.registrations[0]!.marks[0]).toMatchObject({ code: "missing-events", events: ["charge.dispute.funds_withdrawn"] });
  });

  it("marks a Calendly subscription whose real deliveries fail (signed with another key than the app's): deliveries-failing with the retry start (exit 1)", async () => {
    const [original] = await calendly.listWebhookSubscriptions({ organization: me.current_organization, scope: "organization" });
    const recreate = async (signingKey: string) => {
      const [current] = await calendly.listWebhookSubscriptions({ organization: me.current_organization, scope: "organization" });
      await calendly.deleteWebhookSubscription(current!.uri);
      return calendly.createWebhookSubscription({ url: original!.callback_url, events: original!.events, organization: original!.organization, scope: "organization", signingKey });
    };
    const wrong = await recreate("a-key-the-app-does-not-have-0000000000000");
    try {
      await s.world.calendly.book({ eventTypeUri: FREE_EVENT_TYPE, email: uniqueEmail("status"), name: "Refused Person", startTime: startIn(200) });
      await s.world.calendly.idle();
      const { retry_started_at: since } = await calendly.getWebhookSubscription(wrong.uri);
      const { code, report, text } = await status({ provider: "calendly" });
      expect(code).toBe(1);
      expect(marksOf(report, "calendly")).toEqual([["primary", ["deliveries-failing"]]]);
      expect(report.providers.calendly!.registrations[0]!.marks[0]).toMatchObject({ severity: "error", since });
      expect(text).toContain(`deliveries-failing: Calendly has been retrying failed deliveries since ${since}`);
    } finally {
      await recreate(s.world.env.CALENDLY_WEBHOOK_SIGNING_KEY!);
    }
    expect((await status({ provider: "calendly" })).code).toBe(0);
  });

  it("marks a Stripe endpoint whose real deliveries fail (its secret rolled at Stripe): deliveries-failing with how many and since when, after the grace from the config (exit 1)", async () => {
    const e = await stripeEndpoint();
    const { secret } = s.world.stripe.webhookEndpoints().find((x) => x.id === e.id)!;
    s.world.stripe.setWebhookSecret(e.id, "whsec_rolledInTheDashboard000000000000000");
    const dir = tempDir();
    writeFileSync(join(dir, "bookflow.config.json"), JSON.stringify({ thresholds: { webhookDeliveryGraceMinutes: 0 } }));
    try {
      const { inviteeUri } = await s.world.calendly.book({ eventTypeUri: PAID_EVENT_TYPE, email: uniqueEmail("rolled"), name: "Paying Person", startTime: startIn(220) });
      await s.world.calendly.idle();
      const session = await waitForCheckout(inviteeUri);
      await s.world.stripe.completeCheckout(session);
      await s.world.stripe.idle();
      const undelivered = s.world.stripe.events().filter((x) => x.pending_webhooks > 0);
      expect(undelivered.length).toBeGreaterThan(0);

      expect((await status({ provider: "stripe" })).code).toBe(0); // within the default grace (10 minutes)
      const { code, report, text } = await status({ provider: "stripe" }, {}, dir);
      expect(code).toBe(1);
      expect(marksOf(report, "stripe")).toEqual([["primary", ["deliveries-failing"]]]);
      expect(report.providers.stripe!.registrations[0]!.marks[0]).toMatchObject({
        severity: "error",
        count: undelivered.length,
        since: new Date(Math.min(...undelivered.map((x) => x.created)) * 1000).toISOString(),
      });
      expect(text).toMatch(/deliveries-failing: \d+ events? it receives still undelivered, the oldest since /);
    } finally {
      s.world.stripe.setWebhookSecret(e.id, secret);
    }
  });

  it("a provider that cannot be read is reported (exit 1), the other still shown", async () => {
    const { code, report } = await status({}, { CALENDLY_API_TOKEN: "wrong_token_FAKE_0000" });
    expect(code).toBe(1);
    expect(report.providers.calendly!.error!.message).toMatch(/401/);
    expect(report.providers.stripe!.ok).toBe(true);
  });

  it("configuration errors exit 2 with what to set (CLI): missing webhook URL, unknown provider, bad config file", async () => {
    const env: Record<string, string | undefined> = { ...s.world.env, STRIPE_WEBHOOK_URL: undefined };
    const noUrl = await runCli(["webhooks", "status"], { env });
    expect(noUrl.exitCode).toBe(2);
    expect(noUrl.stderr).toContain("STRIPE_WEBHOOK_URL is not set");
    expect(noUrl.stderr).toContain("fix:");

    await expect(status({ provider: "paypal" })).rejects.toMatchObject({ code: "BAD_PROVIDER" });
    await expect(status({ provider: "paypal" })).rejects.toBeInstanceOf(UsageError);
    const dir = tempDir();
    writeFileSync(join(dir, "bookflow.config.json"), JSON.stringify({ stripe: { events: [] } }));
    await expect(status({}, {}, dir)).rejects.toBeInstanceOf(ConfigError);
    await expect(status({}, { CALENDLY_API_TOKEN: undefined })).rejects.toMatchObject({ code: "ENV_MISSING" });
  });
});
