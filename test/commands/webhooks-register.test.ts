import { DEFAULT_CALENDLY_EVENTS, DEFAULT_STRIPE_EVENTS } from "../../src/config/webhook-events.js";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { webhooksRegister, type RegisterReport, type WebhooksRegisterOptions } from "../../commands/handlers/webhooks-register.js";
import { createContext } from "../../src/context.js";
import { listAudit } from "../../src/core/audit.js";
import { openDatabase, type Database } from "../../src/db/client.js";
import { ConfigError, UsageError } from "../../src/errors.js";
import { createCalendlyClient, type CalendlyClient } from "../../src/providers/calendly/client.js";
import { createStripeClient } from "../../src/providers/stripe-client.js";
import { runCli, tempDir } from "../support/cli.js";
import { startTestSandbox, type TestSandbox } from "../support/sandbox.js";

/**
 * `bookflow webhooks register` against the sandbox: the sandbox's own
 * registrations are deleted first, then register creates them, and running it
 * again creates nothing (counted in the emulators). Fixing in place (Stripe),
 * replacing (Calendly, --replace), the confirmation gate and the audit log.
 */

describe("bookflow webhooks register", () => {
  let s: TestSandbox;
  let calendly: CalendlyClient;
  let stripe: Stripe;
  let db: Database;
  let me: { uri: string; current_organization: string };
  const ACTOR = "register-test@example.com";

  beforeAll(async () => {
    s = await startTestSandbox();
    calendly = createCalendlyClient({ token: s.world.env.CALENDLY_API_TOKEN!, baseUrl: s.world.env.CALENDLY_API_BASE! });
    stripe = await createStripeClient({ secretKey: s.world.env.STRIPE_SECRET_KEY!, apiBase: s.world.env.STRIPE_API_BASE! });
    db = await openDatabase({ databaseUrl: s.world.env.DATABASE_URL!, poolSize: 2 });
    me = await calendly.getCurrentUser();
    // Start from nothing registered.
    for (const sub of await calendlySubs()) await calendly.deleteWebhookSubscription(sub.uri);
    for (const e of (await stripe.webhookEndpoints.list()).data) await stripe.webhookEndpoints.del(e.id);
  });
  afterAll(async () => {
    await db?.close();
    await s?.stop();
  });

  const calendlySubs = async () => [
    ...(await calendly.listWebhookSubscriptions({ organization: me.current_organization, scope: "organization" })),
    ...(await calendly.listWebhookSubscriptions({ organization: me.current_organization, scope: "user", user: me.uri })),
  ];
  const stripeEndpoints = () => s.world.stripe.webhookEndpoints();

  async function register(options: WebhooksRegisterOptions, env: Record<string, string | undefined> = {}): Promise<{ code: number; out: string; err: string; report?: RegisterReport }> {
    let out = "";
    let err = "";
    const ctx = createContext({ env: { ...s.world.env, BOOKFLOW_ACTOR: ACTOR, ...env } as NodeJS.ProcessEnv, out: (t) => (out += t), err: (t) => (err += t), cwd: tempDir(), interactive: false });
    const code = await webhooksRegister(options, { ctx });
    return { code, out, err, ...(options.json ? { report: JSON.parse(out) as RegisterReport } : {}) };
  }

  it("--dry-run prints the plan (one create per provider) and changes nothing", async () => {
    const r = await register({ dryRun: true });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/1\. calendly: create an organization-scope subscription for .*\/api\/webhooks\/calendly/);
    expect(r.out).toMatch(/2\. stripe: create a webhook endpoint for .*\/api\/webhooks\/stripe/);
    expect(r.out).toContain("Dry run: nothing was changed.");
    expect(await calendlySubs()).toHaveLength(0);
    expect(stripeEndpoints()).toHaveLength(0);
  });

  it("without a terminal and without --yes: prints the plan as JSON, changes nothing, exit 2 (CLI)", async () => {
    const r = await runCli(["webhooks", "register"], { env: s.world.env });
    expect(r.exitCode).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ actions: [{ kind: "create", provider: "calendly" }, { kind: "create", provider: "stripe" }] });
    expect(r.stderr).toContain("--yes");
    expect(await calendlySubs()).toHaveLength(0);
    expect(stripeEndpoints()).toHaveLength(0);
  });

  it("on a terminal it asks; answering no changes nothing (exit 2)", async () => {
    const questions: string[] = [];
    const ctx = createContext({ env: { ...s.world.env, BOOKFLOW_ACTOR: ACTOR } as NodeJS.ProcessEnv, out: () => {}, err: () => {}, cwd: tempDir(), interactive: true, ask: async (q) => (questions.push(q), false) });
    const answer = webhooksRegister({}, { ctx });
    await expect(answer).rejects.toMatchObject({ code: "ABORTED" });
    expect(questions).toEqual(["Apply these changes?"]);
    expect(await calendlySubs()).toHaveLength(0);
    expect(stripeEndpoints()).toHaveLength(0);
  });

  it("creates both registrations; a second run plans and creates nothing (idempotent)", async () => {
    const first = await register({ yes: true, json: true });
    expect(first.code).toBe(0);
    expect(first.report).toMatchObject({ decision: "apply", ok: true });
    expect(first.report!.applied.map((a) => [a.action.provider, a.action.kind])).toEqual([
      ["calendly", "create"],
      ["stripe", "create"],
    ]);

    const subs = await calendlySubs();
    expect(subs).toHaveLength(1);
    expect(subs[0]).toMatchObject({ callback_url: s.world.env.CALENDLY_WEBHOOK_URL, events: [...DEFAULT_CALENDLY_EVENTS], scope: "organization", state: "active" });
    // Signed with the key the app verifies with.
    expect(s.world.calendly.signingKey(subs[0]!.uri)).toBe(s.world.env.CALENDLY_WEBHOOK_SIGNING_KEY);
    const endpoints = stripeEndpoints();
    expect(endpoints).toHaveLength(1);
    expect(endpoints[0]).toMatchObject({ url: s.world.env.STRIPE_WEBHOOK_URL, enabled_events: [...DEFAULT_STRIPE_EVENTS], status: "enabled" });
    // The new signing secret is reported once, masked.
    const shown = first.report!.applied[1]!.signingSecret!;
    expect(shown).toMatch(/^whsec_\*\*\*\*.{4}$/);
    expect(endpoints[0]!.secret.endsWith(shown.slice(-4))).toBe(true);
    expect(first.out).not.toContain(endpoints[0]!.secret);

    const audit = await listAudit(db.prisma, { actor: ACTOR, action: "webhooks.register.*" });
    expect(audit.map((e) => [e.action, e.target]).sort()).toEqual([
      ["webhooks.register.create", `calendly:${subs[0]!.uri}`],
      ["webhooks.register.create", `stripe:${endpoints[0]!.id}`],
    ]);
    expect(JSON.stringify(audit)).not.toContain(endpoints[0]!.secret);

    const second = await register({ yes: true, json: true });
    expect(second.code).toBe(0);
    expect(second.report).toMatchObject({ decision: "nothing-to-do", actions: [], applied: [], ok: true });
    expect(await calendlySubs()).toHaveLength(1);
    expect(stripeEndpoints()).toHaveLength(1);
    expect(await listAudit(db.prisma, { actor: ACTOR, action: "webhooks.register.*" })).toHaveLength(2);

    const cli = await runCli(["webhooks", "register"], { env: s.world.env });
    expect(cli.exitCode, cli.stderr).toBe(0);
    expect(cli.stdout).toContain("nothing to do");
  });

  it("prints a new Stripe secret in full with --show-secret and says to set STRIPE_WEBHOOK_SECRET (CLI)", async () => {
    for (const e of stripeEndpoints()) await stripe.webhookEndpoints.del(e.id);
    const r = await runCli(["webhooks", "register", "stripe", "--yes", "--show-secret", "--actor", ACTOR], { env: s.world.env });
    expect(r.exitCode, r.stderr).toBe(0);
    const [endpoint] = stripeEndpoints();
    expect(r.stdout).toContain(`created Stripe webhook endpoint ${endpoint!.id}`);
    expect(r.stdout).toContain(`signing secret: ${endpoint!.secret}`);
    expect(r.stdout).toContain("set STRIPE_WEBHOOK_SECRET");
  });

  it("updates a Stripe endpoint that lacks an event in place (same id, events kept), audited", async () => {
    const [endpoint] = stripeEndpoints();
    await stripe.webhookEndpoints.update(endpoint!.id, { enabled_events: ["charge.dispute.funds_withdrawn", "checkout.session.completed"] });
    const r = await register({ provider: "stripe", yes: true });
    expect(r.code).toBe(0);
    expect(r.out).toContain(`updated Stripe webhook endpoint ${endpoint!.id}`);
    const after = stripeEndpoints();
    expect(after).toHaveLength(1);
    expect(after[0]!.id).toBe(endpoint!.id);
    expect([...after[0]!.enabled_events].sort()).toEqual([...new Set(["charge.dispute.funds_withdrawn", ...DEFAULT_STRIPE_EVENTS])].sort());
    const [entry] = await listAudit(db.prisma, { target: `stripe:${endpoint!.id}`, action: "webhooks.register.update_events" });
    expect(entry).toMatchObject({ actor: ACTOR, before: { events: ["charge.dispute.funds_withdrawn", "checkout.session.completed"] } });
  });

  it("leaves a disabled Stripe endpoint disabled: exit 1, pointing at restore", async () => {
    const [endpoint] = stripeEndpoints();
    await stripe.webhookEndpoints.update(endpoint!.id, { disabled: true });
    try {
      const r = await register({ provider: "stripe", yes: true });
      expect(r.code).toBe(1);
      expect(r.out).toMatch(/needs attention \(stripe\): we_.* is disabled/);
      expect(r.out).toContain("webhooks restore");
      expect(stripeEndpoints()[0]).toMatchObject({ id: endpoint!.id, status: "disabled" });
    } finally {
      await stripe.webhookEndpoints.update(endpoint!.id, { disabled: false });
    }
  });

  it("Calendly: an incomplete subscription is refused without --replace (exit 1), replaced with it (new one complete, old one gone)", async () => {
    for (const sub of await calendlySubs()) await calendly.deleteWebhookSubscription(sub.uri);
    const partial = await calendly.createWebhookSubscription({
      url: s.world.env.CALENDLY_WEBHOOK_URL!,
      events: ["invitee.created"],
      organization: me.current_organization,
      scope: "organization",
      signingKey: "some_other_signing_key_0001",
    });

    const refused = await register({ provider: "calendly", yes: true });
    expect(refused.code).toBe(1);
    expect(refused.out).toContain("--replace");
    expect((await calendlySubs()).map((x) => x.uri)).toEqual([partial.uri]);

    const dry = await register({ provider: "calendly", replace: true, dryRun: true });
    expect(dry.code).toBe(0);
    expect(dry.out).toMatch(/replace the incomplete subscription .*: delete it, then create/);
    expect((await calendlySubs()).map((x) => x.uri)).toEqual([partial.uri]);

    const replaced = await register({ provider: "calendly", replace: true, yes: true, json: true });
    expect(replaced.code).toBe(0);
    const subs = await calendlySubs();
    expect(subs).toHaveLength(1);
    expect(subs[0]!.uri).not.toBe(partial.uri);
    expect(subs[0]).toMatchObject({ events: [...DEFAULT_CALENDLY_EVENTS], scope: "organization" });
    expect(s.world.calendly.signingKey(subs[0]!.uri)).toBe(s.world.env.CALENDLY_WEBHOOK_SIGNING_KEY);
    expect(replaced.report!.applied[0]).toMatchObject({ deleted: partial.uri, id: subs[0]!.uri });
    const [deletion] = await listAudit(db.prisma, { target: `calendly:${partial.uri}`, action: "webhooks.register.replace.delete" });
    expect(deletion!.before).toMatchObject({ id: partial.uri, events: ["invitee.created"] });
    expect(await listAudit(db.prisma, { target: `calendly:${subs[0]!.uri}`, action: "webhooks.register.replace.create" })).toHaveLength(1);

    expect((await register({ yes: true })).code).toBe(0);
    expect(await calendlySubs()).toHaveLength(1);
  });

  it("bad usage and configuration exit 2 before anything changes", async () => {
    await expect(register({ provider: "paypal", yes: true })).rejects.toBeInstanceOf(UsageError);
    for (const sub of await calendlySubs()) await calendly.deleteWebhookSubscription(sub.uri);
    // Creating a Calendly subscription without the signing key the app verifies with is refused.
    await expect(register({ provider: "calendly", yes: true }, { CALENDLY_WEBHOOK_SIGNING_KEY: "" })).rejects.toMatchObject({ code: "ENV_MISSING", message: expect.stringContaining("CALENDLY_WEBHOOK_SIGNING_KEY") });
    expect(await calendlySubs()).toHaveLength(0);
    await expect(register({ yes: true }, { CALENDLY_WEBHOOK_URL: "not a url" })).rejects.toBeInstanceOf(ConfigError);

    // A misspelled Stripe event in bookflow.config.json is a configuration error, before Stripe is called (Stripe would answer 400).
    const endpointsBefore = stripeEndpoints().length;
    const dir = tempDir();
    writeFileSync(join(dir, "bookflow.config.json"), JSON.stringify({ stripe: { events: ["checkout.session.complete"] } }));
    const typo = await runCli(["webhooks", "register", "stripe", "--yes"], { env: s.world.env, cwd: dir });
    expect(typo.exitCode).toBe(2);
    expect(typo.stderr).toMatch(/stripe\.events\.0.*checkout\.session\.complete.*not a Stripe event type/);
    expect(stripeEndpoints()).toHaveLength(endpointsBefore);

    const cli = await runCli(["webhooks", "register", "calendly", "--yes"], { env: { ...s.world.env, STRIPE_WEBHOOK_URL: undefined, CALENDLY_WEBHOOK_URL: undefined } });
    expect(cli.exitCode).toBe(2);
    expect(cli.stderr).toContain("CALENDLY_WEBHOOK_URL is not set");
    expect(await calendlySubs()).toHaveLength(0);
  });
});
