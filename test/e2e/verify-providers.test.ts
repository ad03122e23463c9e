import { DEFAULT_STRIPE_EVENTS } from "../../src/config/webhook-events.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { catalogue } from "../../checks/index.js";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { defaultConfig, type BookflowConfig } from "../../src/config/bookflow-config.js";
import { openDatabase, type Database } from "../../src/db/client.js";
import { FactStore, gatherers } from "../../src/engine/facts/index.js";
import type { RunReport } from "../../src/engine/report.js";
import { runChecks } from "../../src/engine/runner.js";
import { selectChecks } from "../../src/engine/selection.js";
import { createCalendlyClient } from "../../src/providers/calendly/client.js";
import { createStripeClient } from "../../src/providers/stripe-client.js";
import { DEFAULT_SENDGRID_SCOPES, DEFAULT_SENDGRID_TEMPLATES } from "../../src/sandbox/sendgrid/emulator.js";
import { type SandboxWorld } from "../../src/sandbox/world.js";
import { runCli, tempDir } from "../support/cli.js";
import { PAID_EVENT_TYPE, FREE_EVENT_TYPE, startIn, uniqueEmail, waitFor } from "../commands/bookings-world.js";
import { startTestSandbox, type TestSandbox } from "../support/sandbox.js";

/**
 * The calendly, stripe and sendgrid checks against the sandbox's emulators:
 * the gatherers read what the checks expect (everything passes in the healthy
 * world), and each way of breaking the world fails exactly the check that names it.
 */

const SECTIONS = ["calendly", "stripe", "sendgrid"];
const PROVIDER_CHECKS = catalogue.filter((c) => SECTIONS.includes(c.section)).map((c) => c.id);

describe("verify: calendly, stripe and sendgrid checks against the sandbox", () => {
  let sandbox: TestSandbox;
  let world: SandboxWorld;
  let db: Database;

  beforeAll(async () => {
    sandbox = await startTestSandbox();
    ({ world } = sandbox);
    db = await openDatabase({ databaseUrl: world.env.DATABASE_URL!, poolSize: 2 });
  });
  afterAll(async () => {
    await db?.close();
    await sandbox?.stop();
  });

  /** Runs the provider checks (and their env prerequisites) in-process, as `verify --only calendly,stripe,sendgrid --target sandbox` does. */
  async function verify(overrides: Record<string, string | undefined> = {}, options: { sharedDb?: boolean; config?: BookflowConfig } = {}): Promise<RunReport> {
    const env = { ...world.env, ...overrides };
    const { checks } = selectChecks(catalogue, { only: SECTIONS });
    const abort = new AbortController();
    const ctx = { env, target: "sandbox" as const, config: options.config ?? defaultConfig(), signal: abort.signal, ...(options.sharedDb ? { db: async () => db } : {}) };
    try {
      return await runChecks(checks, { facts: new FactStore(ctx, gatherers), target: "sandbox" });
    } finally {
      abort.abort();
    }
  }

  /** Every check that did not pass or skip, with its status. */
  const problems = (report: RunReport) => Object.fromEntries(report.results.filter((r) => r.status !== "pass" && r.status !== "skip").map((r) => [r.id, r.status]));
  const result = (report: RunReport, id: string) => report.results.find((r) => r.id === id)!;
  /** thresholds.webhookDeliveryGraceMinutes 0: any undelivered Stripe event counts at once. */
  const noGrace = (): BookflowConfig => ({ ...defaultConfig(), thresholds: { ...defaultConfig().thresholds, webhookDeliveryGraceMinutes: 0 } });

  it("passes every calendly, stripe and sendgrid check in the healthy sandbox", async () => {
    const report = await verify();
    expect(problems(report)).toEqual({});
    const statuses = Object.fromEntries(report.results.filter((r) => PROVIDER_CHECKS.includes(r.id)).map((r) => [r.id, r.status]));
    expect(statuses).toEqual(Object.fromEntries(PROVIDER_CHECKS.map((id) => [id, "pass"])));
    expect(PROVIDER_CHECKS.length).toBe(16);
    expect(result(report, "stripe.prices-match").message).toMatch(/^2 paid session types/);
    expect(result(report, "calendly.event-types-active").message).toMatch(/^4 active session types/);
  });

  it("passes the delivery checks in the healthy sandbox even without a grace period", async () => {
    const report = await verify({}, { config: noGrace() });
    expect(problems(report)).toEqual({});
    expect(result(report, "stripe.webhook-deliveries-succeeding").messageId).toBe("deliveriesSucceeding");
    expect(result(report, "calendly.webhook-deliveries-succeeding").messageId).toBe("succeeding");
  });

  it("passes too through the run's shared database handle (ctx.db), as the verify command provides it", async () => {
    expect(problems(await verify({}, { sharedDb: true }))).toEqual({});
  });

  it("the built CLI exits 0 for verify --only calendly,stripe,sendgrid --target sandbox", async () => {
    const r = await runCli(["verify", "--only", "calendly,stripe,sendgrid", "--target", "sandbox"], { env: world.env });
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    for (const id of PROVIDER_CHECKS) expect(r.stdout).toMatch(new RegExp(`^PASS +${id.replace(/\./g, "\\.")} `, "m"));
  });

  it("bookflow sandbox run -- verify --only calendly,stripe,sendgrid exits 0 (its own sandbox, embedded database)", async () => {
    const r = await runCli(["sandbox", "run", "--", "verify", "--only", "calendly,stripe,sendgrid"], { timeout: 110_000 });
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/ 0 failed · 0 skipped · 0 errors/);
    for (const id of PROVIDER_CHECKS) expect(r.stdout).toMatch(new RegExp(`^PASS +${id.replace(/\./g, "\\.")} `, "m"));
  }, 120_000);

  describe("calendly", () => {
    it("a token of another Calendly user fails calendly.token-valid only; its dependents are skipped", async () => {
      const report = await verify({ CALENDLY_USERNAME: "someone-else" });
      expect(problems(report)).toEqual({ "calendly.token-valid": "fail" });
      expect(result(report, "calendly.token-valid").message).toMatch(/belongs to Calendly user "bookflow-sandbox"/);
      expect(result(report, "calendly.webhook-subscription-active")).toMatchObject({ status: "skip", message: "prerequisite calendly.token-valid failed" });
      expect(result(report, "calendly.event-types-active").status).toBe("skip");
    });

    it("a token Calendly refuses (401) is a failure, not an error", async () => {
      const report = await verify({ CALENDLY_API_TOKEN: "revoked_calendly_token_FAKE_0009" });
      expect(problems(report)).toEqual({ "calendly.token-valid": "fail" });
      expect(result(report, "calendly.token-valid").message).toMatch(/refused the token \(HTTP 401\)/);
    });

    it("Calendly unreachable makes calendly.token-valid an error (could not decide), not a failure", async () => {
      const report = await verify({ CALENDLY_API_BASE: "http://127.0.0.1:1" });
      expect(problems(report)).toEqual({ "calendly.token-valid": "error" });
      expect(result(report, "calendly.token-valid").message).toMatch(/fact "calendlyUser" could not be gathered: calendly GET \/users\/me/);
    });

    it("a deleted webhook subscription fails calendly.webhook-subscription-active only", async () => {
      const client = createCalendlyClient({ token: world.env.CALENDLY_API_TOKEN!, baseUrl: world.env.CALENDLY_API_BASE });
      const [sub] = await client.listWebhookSubscriptions({ organization: world.calendly.organizationUri, scope: "organization" });
      await client.deleteWebhookSubscription(sub!.uri);
      try {
        const report = await verify();
        expect(problems(report)).toEqual({ "calendly.webhook-subscription-active": "fail" });
        expect(result(report, "calendly.webhook-subscription-active").message).toBe(`No webhook subscription for ${world.env.CALENDLY_WEBHOOK_URL}`);
      } finally {
        await client.createWebhookSubscription({
          url: sub!.callback_url,
          events: sub!.events,
          organization: sub!.organization,
          scope: "organization",
          signingKey: world.env.CALENDLY_WEBHOOK_SIGNING_KEY,
        });
      }
      expect(problems(await verify())).toEqual({});
    });

    it("a subscription Calendly disabled fails calendly.webhook-subscription-active only", async () => {
      const client = createCalendlyClient({ token: world.env.CALENDLY_API_TOKEN!, baseUrl: world.env.CALENDLY_API_BASE });
      const [sub] = await client.listWebhookSubscriptions({ organization: world.calendly.organizationUri, scope: "organization" });
      world.calendly.setSubscriptionState(sub!.uri, "disabled");
      try {
        const report = await verify();
        expect(problems(report)).toEqual({ "calendly.webhook-subscription-active": "fail" });
        expect(result(report, "calendly.webhook-subscription-active").message).toMatch(/is disabled/);
      } finally {
        world.calendly.setSubscriptionState(sub!.uri, "active");
      }
    });

    it("a subscription signed with another key than the app's: Calendly's real deliveries fail (401) and calendly.webhook-deliveries-succeeding fails with the retry start", async () => {
      const client = createCalendlyClient({ token: world.env.CALENDLY_API_TOKEN!, baseUrl: world.env.CALENDLY_API_BASE });
      const [sub] = await client.listWebhookSubscriptions({ organization: world.calendly.organizationUri, scope: "organization" });
      const recreate = async (signingKey: string) => {
        const [current] = await client.listWebhookSubscriptions({ organization: world.calendly.organizationUri, scope: "organization" });
        await client.deleteWebhookSubscription(current!.uri);
        return client.createWebhookSubscription({ url: sub!.callback_url, events: sub!.events, organization: sub!.organization, scope: "organization", signingKey });
      };
      const wrong = await recreate("a-key-the-app-does-not-have-0000000000000");
      try {
        const before = world.calendly.deliveries().length;
        await world.calendly.book({ eventTypeUri: FREE_EVENT_TYPE, email: uniqueEmail("unsigned"), name: "Refused Person", startTime: startIn(96) });
        await world.calendly.idle();
        const attempts = world.calendly.deliveries().slice(before);
        expect(attempts.length).toBeGreaterThan(0);
        expect(attempts.every((a) => a.status === 401)).toBe(true);
        const { retry_started_at: since } = await client.getWebhookSubscription(wrong.uri);
        expect(since).toEqual(expect.any(String));

        const report = await verify();
        expect(problems(report)).toEqual({ "calendly.webhook-deliveries-succeeding": "fail" });
        expect(result(report, "calendly.webhook-deliveries-succeeding")).toMatchObject({
          messageId: "retrying",
          message: `Calendly has been retrying failed deliveries to ${wrong.uri} since ${since}: it disables the subscription at ${new Date(Date.parse(since!) + 86_400_000).toISOString()}`,
        });
      } finally {
        await recreate(world.env.CALENDLY_WEBHOOK_SIGNING_KEY!);
      }
      expect(problems(await verify({}, { config: noGrace() }))).toEqual({});
    });

    it("a session type whose event type is not in Calendly fails calendly.event-types-active only", async () => {
      const uri = "https://api.calendly.com/event_types/grace-code-review";
      await db.prisma.sessionType.update({ where: { calendlyEventTypeUri: uri }, data: { calendlyEventTypeUri: "https://api.calendly.com/event_types/deleted-long-ago" } });
      try {
        const report = await verify();
        expect(problems(report)).toEqual({ "calendly.event-types-active": "fail" });
        expect(result(report, "calendly.event-types-active").message).toBe("grace-hopper/code-review: event type https://api.calendly.com/event_types/deleted-long-ago does not exist in Calendly");
      } finally {
        await db.prisma.sessionType.update({ where: { calendlyEventTypeUri: "https://api.calendly.com/event_types/deleted-long-ago" }, data: { calendlyEventTypeUri: uri } });
      }
    });
  });

  describe("stripe", () => {
    it("a publishable key of another Stripe account fails stripe.publishable-key-same-account only; an unknown one is refused", async () => {
      const otherAccount = "pk_test_FAKEotherAccount00000000000000";
      world.stripe.addOtherAccountPublishableKey(otherAccount);
      const report = await verify({ STRIPE_PUBLISHABLE_KEY: otherAccount });
      expect(problems(report)).toEqual({ "stripe.publishable-key-same-account": "fail" });
      expect(result(report, "stripe.publishable-key-same-account")).toMatchObject({ messageId: "otherAccount", message: expect.stringMatching(/^STRIPE_PUBLISHABLE_KEY belongs to another Stripe account: a token it created \(pii_\w+\) is unknown to STRIPE_SECRET_KEY$/) });
      const unknown = await verify({ STRIPE_PUBLISHABLE_KEY: "pk_test_FAKEunknownKey0000000000000000" });
      expect(problems(unknown)).toEqual({ "stripe.publishable-key-same-account": "fail" });
      expect(result(unknown, "stripe.publishable-key-same-account").messageId).toBe("keyRefused");
      expect(result(await verify(), "stripe.publishable-key-same-account")).toMatchObject({ status: "pass", message: "STRIPE_PUBLISHABLE_KEY and STRIPE_SECRET_KEY are keys of one account (test mode)" });
    });

    it("a disabled webhook endpoint fails stripe.webhook-endpoint-enabled only", async () => {
      const stripe = await createStripeClient({ secretKey: world.env.STRIPE_SECRET_KEY!, apiBase: world.env.STRIPE_API_BASE });
      const [endpoint] = world.stripe.webhookEndpoints();
      await stripe.webhookEndpoints.update(endpoint!.id, { disabled: true });
      try {
        const report = await verify();
        expect(problems(report)).toEqual({ "stripe.webhook-endpoint-enabled": "fail" });
        expect(result(report, "stripe.webhook-endpoint-enabled").message).toMatch(new RegExp(`^Endpoint ${endpoint!.id} for .* is disabled`));
      } finally {
        await stripe.webhookEndpoints.update(endpoint!.id, { disabled: false });
      }
    });

    it("an endpoint without payment_intent.succeeded fails stripe.webhook-endpoint-enabled only", async () => {
      const stripe = await createStripeClient({ secretKey: world.env.STRIPE_SECRET_KEY!, apiBase: world.env.STRIPE_API_BASE });
      const [endpoint] = world.stripe.webhookEndpoints();
      await stripe.webhookEndpoints.update(endpoint!.id, { enabled_events: DEFAULT_STRIPE_EVENTS.filter((e) => e !== "payment_intent.succeeded") });
      try {
        const report = await verify();
        expect(problems(report)).toEqual({ "stripe.webhook-endpoint-enabled": "fail" });
        expect(result(report, "stripe.webhook-endpoint-enabled").message).toMatch(/does not receive payment_intent\.succeeded/);
      } finally {
        await stripe.webhookEndpoints.update(endpoint!.id, { enabled_events: [...DEFAULT_STRIPE_EVENTS] });
      }
    });

    it("a key Stripe refuses fails stripe.key-valid only; its dependents are skipped", async () => {
      const report = await verify({ STRIPE_SECRET_KEY: "sk_test_rolledFAKE0000000000000000" });
      expect(problems(report)).toEqual({ "stripe.key-valid": "fail" });
      expect(result(report, "stripe.key-valid").message).toMatch(/refused STRIPE_SECRET_KEY \(HTTP 401\)/);
      expect(result(report, "stripe.webhook-endpoint-enabled").status).toBe("skip");
      expect(result(report, "stripe.prices-match").status).toBe("skip");
    });

    it("a session type priced differently from its Stripe price fails stripe.prices-match only", async () => {
      const where = { stripePriceId: "price_ada_build_session" };
      await db.prisma.sessionType.updateMany({ where, data: { priceCents: 12_900 } });
      try {
        const report = await verify();
        expect(problems(report)).toEqual({ "stripe.prices-match": "fail" });
        expect(result(report, "stripe.prices-match").message).toBe("ada-lovelace/build-session: price price_ada_build_session is 99.00 USD, the session type says 129.00 USD");
      } finally {
        await db.prisma.sessionType.updateMany({ where, data: { priceCents: 9900 } });
      }
    });

    it("a session type naming a price Stripe does not have fails stripe.prices-match only", async () => {
      await db.prisma.sessionType.updateMany({ where: { stripePriceId: "price_grace_code_review" }, data: { stripePriceId: "price_never_created" } });
      try {
        const report = await verify();
        expect(problems(report)).toEqual({ "stripe.prices-match": "fail" });
        expect(result(report, "stripe.prices-match").message).toBe("grace-hopper/code-review: price price_never_created does not exist in Stripe");
      } finally {
        await db.prisma.sessionType.updateMany({ where: { stripePriceId: "price_never_created" }, data: { stripePriceId: "price_grace_code_review" } });
      }
    });
  });

  describe("stripe deliveries", () => {
    it("the endpoint's secret rolled at Stripe (the app keeps the old one): a real payment's deliveries fail and stripe.webhook-deliveries-succeeding fails, naming how many and since when", async () => {
      const [endpoint] = world.stripe.webhookEndpoints();
      world.stripe.setWebhookSecret(endpoint!.id, "whsec_rolledInTheDashboard000000000000000");
      try {
        const { inviteeUri } = await world.calendly.book({ eventTypeUri: PAID_EVENT_TYPE, email: uniqueEmail("rolled"), name: "Paying Person", startTime: startIn(120) });
        await world.calendly.idle();
        const booking = await waitFor("checkout session", () => db.prisma.booking.findUnique({ where: { calendlyInviteeUri: inviteeUri } }), (b) => !!b?.stripeCheckoutSessionId);
        const before = world.stripe.deliveries().length;
        await world.stripe.completeCheckout(booking!.stripeCheckoutSessionId!);
        await world.stripe.idle();
        const attempts = world.stripe.deliveries().slice(before);
        expect(attempts.length).toBeGreaterThan(0);
        expect(attempts.some((a) => a.ok)).toBe(false);
        const undelivered = world.stripe.events().filter((e) => e.pending_webhooks > 0);
        expect(undelivered.length).toBeGreaterThan(0);
        const oldest = Math.min(...undelivered.map((e) => e.created));

        // Within the default grace (10 minutes) it is too early to tell.
        expect(problems(await verify())).toEqual({});
        const report = await verify({}, { config: noGrace() });
        expect(problems(report)).toEqual({ "stripe.webhook-deliveries-succeeding": "fail" });
        expect(result(report, "stripe.webhook-deliveries-succeeding")).toMatchObject({
          messageId: "deliveriesFailing",
          message: expect.stringMatching(new RegExp(`^${undelivered.length} Stripe events for ${endpoint!.id} are still undelivered after 0 minutes, the oldest since ${new Date(oldest * 1000).toISOString()} \\(evt_`)),
        });

        // The same through the CLI, the grace from a config file.
        const dir = tempDir("bookflow-deliveries-");
        writeFileSync(join(dir, "grace.json"), JSON.stringify({ thresholds: { webhookDeliveryGraceMinutes: 0 } }));
        const r = await runCli(["verify", "--only", "calendly,stripe,sendgrid", "--target", "sandbox", "--config", join(dir, "grace.json")], { env: world.env });
        expect(r.exitCode, r.stdout + r.stderr).toBe(1);
        expect(r.stdout).toMatch(/^FAIL +stripe\.webhook-deliveries-succeeding /m);
        expect(r.stdout).toMatch(/ 1 failed · /);
      } finally {
        world.stripe.setWebhookSecret(endpoint!.id, endpoint!.secret);
      }
      // The failed events stay undelivered (Stripe retries them for days); a new payment's are delivered again.
      const { inviteeUri } = await world.calendly.book({ eventTypeUri: PAID_EVENT_TYPE, email: uniqueEmail("restored"), name: "Paying Person", startTime: startIn(144) });
      await world.calendly.idle();
      const booking = await waitFor("checkout session", () => db.prisma.booking.findUnique({ where: { calendlyInviteeUri: inviteeUri } }), (b) => !!b?.stripeCheckoutSessionId);
      const before = world.stripe.deliveries().length;
      await world.stripe.completeCheckout(booking!.stripeCheckoutSessionId!);
      await world.stripe.idle();
      expect(world.stripe.deliveries().slice(before).every((a) => a.ok)).toBe(true);
      expect(problems(await verify())).toEqual({});
    });
  });

  describe("sendgrid", () => {
    it("a key without mail.send fails sendgrid.key-can-send only; its dependents are skipped", async () => {
      world.sendgrid.setScopes(DEFAULT_SENDGRID_SCOPES.filter((s) => s !== "mail.send"));
      try {
        const report = await verify();
        expect(problems(report)).toEqual({ "sendgrid.key-can-send": "fail" });
        expect(result(report, "sendgrid.key-can-send").message).toMatch(/lacks the mail\.send scope/);
        for (const id of ["sendgrid.template-active", "sendgrid.sender-verified", "sendgrid.domain-authenticated", "sendgrid.template-renders", "sendgrid.send-accepted", "sendgrid.delivery-rates"]) {
          expect(result(report, id)).toMatchObject({ status: "skip", message: "prerequisite sendgrid.key-can-send failed" });
        }
      } finally {
        world.sendgrid.setScopes(DEFAULT_SENDGRID_SCOPES);
      }
    });

    it("a from-address that is neither a verified sender nor on an authenticated domain fails sendgrid.sender-verified, sendgrid.domain-authenticated and sendgrid.send-accepted", async () => {
      const report = await verify({ SENDGRID_FROM_EMAIL: "bookings@unverified.example" });
      expect(problems(report)).toEqual({ "sendgrid.sender-verified": "fail", "sendgrid.domain-authenticated": "fail", "sendgrid.send-accepted": "fail" });
      expect(result(report, "sendgrid.sender-verified").message).toMatch(/will not send from bookings@unverified\.example/);
      expect(result(report, "sendgrid.send-accepted").message).toMatch(/^SendGrid refused a confirmation email from bookings@unverified\.example \(HTTP 403\): The from address does not match a verified Sender Identity.* \(field from\)$/);
      expect(result(report, "sendgrid.domain-authenticated").message).toBe("Domain unverified.example is not authenticated in SendGrid");
    });

    it("a template id SendGrid does not know fails sendgrid.template-active only", async () => {
      const report = await verify({ SENDGRID_BOOKING_TEMPLATE_ID: "d-00000000000000000000000000000000" });
      expect(problems(report)).toEqual({ "sendgrid.template-active": "fail", "sendgrid.send-accepted": "fail" });
      expect(result(report, "sendgrid.template-active").message).toBe("SendGrid has no template d-00000000000000000000000000000000");
      expect(result(report, "sendgrid.send-accepted").message).toMatch(/\(HTTP 400\): The template_id must be a valid template ID.* \(field template_id\)$/);
      expect(result(report, "sendgrid.template-renders")).toMatchObject({ status: "skip", message: expect.stringMatching(/no active version to render \(see sendgrid\.template-active\)/) });
    });

    it("no template id skips sendgrid.template-active, saying why", async () => {
      const report = await verify({ SENDGRID_BOOKING_TEMPLATE_ID: "" });
      expect(problems(report)).toEqual({});
      expect(result(report, "sendgrid.template-active")).toMatchObject({ status: "skip", message: expect.stringMatching(/SENDGRID_BOOKING_TEMPLATE_ID is not set/) });
      expect(result(report, "sendgrid.template-renders")).toMatchObject({ status: "skip", message: expect.stringMatching(/SENDGRID_BOOKING_TEMPLATE_ID is not set/) });
      // Sent as a plain email (subject and content), which SendGrid accepts too.
      expect(result(report, "sendgrid.send-accepted")).toMatchObject({ status: "pass", message: expect.stringMatching(/^SendGrid accepted a confirmation email from .* \(sandbox mode, HTTP 200\)$/) });
    });

    it("the healthy sandbox sends in sandbox mode with the template (nothing delivered) and renders every kind", async () => {
      const before = world.sendgrid.inbox().length;
      const report = await verify();
      expect(result(report, "sendgrid.send-accepted")).toMatchObject({ status: "pass", message: expect.stringMatching(new RegExp(`with template ${world.env.SENDGRID_BOOKING_TEMPLATE_ID} \\(sandbox mode, HTTP 200\\)$`)) });
      expect(result(report, "sendgrid.template-renders")).toMatchObject({ status: "pass", message: expect.stringMatching(/renders for confirmation, receipt, cancellation, rescheduled/) });
      expect(world.sendgrid.inbox()).toHaveLength(before);
    });

    it("SendGrid failing every send makes verify exit 1 with sendgrid.send-accepted failing (and only it)", async () => {
      world.sendgrid.failSends("all");
      try {
        const report = await verify();
        expect(problems(report)).toEqual({ "sendgrid.send-accepted": "fail" });
        expect(result(report, "sendgrid.send-accepted").message).toMatch(/\(HTTP 500\): Internal server error/);
        const r = await runCli(["verify", "--only", "sendgrid", "--target", "sandbox"], { env: world.env });
        expect(r.exitCode, r.stdout + r.stderr).toBe(1);
        expect(r.stdout).toMatch(/^FAIL +sendgrid\.send-accepted /m);
      } finally {
        world.sendgrid.failSends(0);
      }
      expect(problems(await verify())).toEqual({});
    });

    it("a template version using a variable the app does not send fails sendgrid.template-renders, naming it", async () => {
      const [template] = DEFAULT_SENDGRID_TEMPLATES;
      const version = template!.versions.find((v) => v.active === 1)!;
      const before = world.sendgrid.updateTemplateVersion(template!.id, version.id, { html_content: `${version.html_content}\n<p>Your code: {{promoCode}}</p>` });
      try {
        const report = await verify();
        expect(problems(report)).toEqual({ "sendgrid.template-renders": "fail" });
        expect(result(report, "sendgrid.template-renders").message).toBe(
          `Template ${template!.id} version v1 uses variables the app does not send: promoCode (confirmation, receipt, cancellation, rescheduled)`,
        );
      } finally {
        world.sendgrid.updateTemplateVersion(template!.id, version.id, { html_content: before.html_content! });
      }
      expect(problems(await verify())).toEqual({});
    });

    it("bookflow emails preview confirmation renders the sandbox's template with the session title; a bad kind exits 2", async () => {
      const r = await runCli(["emails", "preview", "confirmation"], { env: world.env });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout).toContain("<h1>Build Session with Ada Lovelace</h1>");
      const bad = await runCli(["emails", "preview", "invoice"], { env: world.env });
      expect(bad.exitCode).toBe(2);
      expect(bad.stderr).toMatch(/the kinds are confirmation, receipt, cancellation, rescheduled/);
    });

    it("bounces made through the emulator's control API make verify exit 1 on sendgrid.delivery-rates (and only it), naming the rates, the counts and the reasons, addresses masked", async () => {
      const control = (path: string, init: RequestInit = {}) => fetch(`${world.env.SENDGRID_API_BASE}${path}`, { ...init, headers: { "content-type": "application/json" } });
      // The figures of this test only (earlier tests' booking emails were delivered and would dilute them).
      expect((await control("/_control/stats", { method: "DELETE" })).status).toBe(204);
      expect((await control("/_control/delivery-outcomes", { method: "POST", body: JSON.stringify({ match: "@bounces.example", outcome: "bounce" }) })).status).toBe(200);
      try {
        // 30 customers, 12 of them at a domain whose server says the address does not exist: as the app's mailer sends, one request each.
        for (let i = 0; i < 30; i++) {
          const to = i < 12 ? `customer${i}@bounces.example` : `customer${i}@example.org`;
          const sent = await fetch(`${world.env.SENDGRID_API_BASE}/v3/mail/send`, {
            method: "POST",
            headers: { authorization: `Bearer ${world.env.SENDGRID_API_KEY}`, "content-type": "application/json" },
            body: JSON.stringify({ personalizations: [{ to: [{ email: to }] }], from: { email: world.env.SENDGRID_FROM_EMAIL }, subject: "Booked", content: [{ type: "text/plain", value: "Booked" }] }),
          });
          expect(sent.status).toBe(202);
        }
        const report = await verify();
        expect(problems(report)).toEqual({ "sendgrid.delivery-rates": "fail" });
        const failed = result(report, "sendgrid.delivery-rates");
        expect(failed.message).toMatch(/^Email delivery over the last 24 hours \(SendGrid's (daily )?stats for .* UTC\) is outside the thresholds: delivered \d+\.\d% \(minimum 95\.0%\), bounced \d+\.\d% \(maximum 5\.0%\)/);
        expect(failed.message).toMatch(/\(30 emails requested, 18 delivered, 12 bounced, 0 blocked\); top reasons: bounce: 12× "550 5\.1\.1 The email account that you tried to reach does not exist\." \(5\.1\.1, e\.g\. c\*\*\*@bounces\.example\)$/);
        expect(JSON.stringify(report)).not.toMatch(/customer\d+@bounces\.example/);
        const r = await runCli(["verify", "--only", "sendgrid", "--target", "sandbox"], { env: world.env });
        expect(r.exitCode, r.stdout + r.stderr).toBe(1);
        expect(r.stdout).toMatch(/^FAIL +sendgrid\.delivery-rates /m);
        expect(r.stdout).not.toMatch(/customer\d+@bounces\.example/);
      } finally {
        await control("/_control/delivery-outcomes", { method: "DELETE" });
        await control("/_control/stats", { method: "DELETE" });
      }
      expect(problems(await verify())).toEqual({});
    });

    it("a key without the Stats and Suppressions read scopes skips sendgrid.delivery-rates, naming the scopes to add", async () => {
      world.sendgrid.setScopes(DEFAULT_SENDGRID_SCOPES.filter((s) => !s.startsWith("stats.") && !s.startsWith("suppression.")));
      try {
        const report = await verify();
        expect(problems(report)).toEqual({});
        expect(result(report, "sendgrid.delivery-rates")).toMatchObject({
          status: "skip",
          message: "The SendGrid key cannot read its delivery figures (GET /v3/stats, GET /v3/suppression/bounces, GET /v3/suppression/blocks): give it Stats: Read Access and Suppressions: Read Access (scopes stats.global.read, suppression.bounces.read, suppression.blocks.read) in Settings → API Keys",
        });
      } finally {
        world.sendgrid.setScopes(DEFAULT_SENDGRID_SCOPES);
      }
    });

    it("SendGrid unreachable makes its checks errors, not failures", async () => {
      const report = await verify({ SENDGRID_API_BASE: "http://127.0.0.1:1" });
      expect(problems(report)).toEqual({ "sendgrid.key-can-send": "error" });
      expect(result(report, "sendgrid.key-can-send").message).toMatch(/fact "sendgridScopes" could not be gathered: sendgrid GET \/v3\/scopes/);
    });
  });

  describe("a missing variable skips only the checks that read it", () => {
    it("with SENDGRID_API_KEY unset, env.required-present fails naming it, the calendly and stripe checks run and pass, and every sendgrid check is skipped naming the variable", async () => {
      const { checks } = selectChecks(catalogue, { only: ["env.required-present", ...SECTIONS] });
      const abort = new AbortController();
      const ctx = { env: { ...world.env, SENDGRID_API_KEY: "" }, target: "sandbox" as const, config: defaultConfig(), signal: abort.signal };
      const report = await runChecks(checks, { facts: new FactStore(ctx, gatherers), target: "sandbox" }).finally(() => abort.abort());
      expect(problems(report)).toEqual({ "env.required-present": "fail" });
      expect(result(report, "env.required-present").message).toBe("Missing: SENDGRID_API_KEY");
      const others = PROVIDER_CHECKS.filter((id) => !id.startsWith("sendgrid."));
      expect(others.length).toBeGreaterThan(0);
      for (const id of others) expect(result(report, id).status, id).toBe("pass");
      for (const id of [...PROVIDER_CHECKS.filter((c) => c.startsWith("sendgrid.")), "env.sendgrid-well-formed"]) {
        expect(result(report, id), id).toMatchObject({ status: "skip", message: "SENDGRID_API_KEY is not set (see env.required-present)" });
      }
    });

    it("the built CLI exits 1 on env.required-present alone, with the stripe checks passing and the sendgrid ones skipped", async () => {
      const r = await runCli(["verify", "--only", "env.required-present,stripe,sendgrid", "--target", "sandbox"], { env: { ...world.env, SENDGRID_API_KEY: "" } });
      expect(r.exitCode, r.stdout + r.stderr).toBe(1);
      expect(r.stdout).toMatch(/^FAIL +env\.required-present /m);
      expect(r.stdout).toMatch(/^PASS +stripe\.key-valid /m);
      expect(r.stdout).toMatch(/^SKIP +sendgrid\.key-can-send .*SENDGRID_API_KEY is not set/m);
    });
  });
});
