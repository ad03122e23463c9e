import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { webhooksDisable, webhooksRestore, type DisableReport, type WebhooksDisableOptions, type WebhooksRestoreOptions } from "../../commands/handlers/webhooks-disable-restore.js";
import { createContext } from "../../src/context.js";
import { listAudit } from "../../src/core/audit.js";
import { createCalendlyClient, type CalendlyClient } from "../../src/providers/calendly/client.js";
import { SANDBOX_SECRETS } from "../../src/sandbox/world.js";
import { runCli, tempDir } from "../support/cli.js";
import { startTestSandbox, type TestSandbox } from "../support/sandbox.js";

/**
 * `bookflow webhooks disable | restore` against the sandbox (one world for the
 * file; every test leaves the webhooks as the sandbox registered them):
 * disable then restore gives back exactly the providers' state; a disable that
 * fails after the first provider finishes when run again; the confirmation
 * gate, bad inputs and the audit log.
 */

describe("bookflow webhooks disable | restore", () => {
  let s: TestSandbox;
  let calendly: CalendlyClient;
  let me: { uri: string; current_organization: string };
  let root: string;
  let dataDir: string;
  const ACTOR = "disable-test@example.com";

  beforeAll(async () => {
    s = await startTestSandbox();
    calendly = createCalendlyClient({ token: s.world.env.CALENDLY_API_TOKEN!, baseUrl: s.world.env.CALENDLY_API_BASE! });
    me = await calendly.getCurrentUser();
    root = tempDir();
    dataDir = join(root, "data");
  });
  afterAll(async () => {
    await s?.stop();
  });

  const env = (extra: Record<string, string | undefined> = {}) => ({ ...s.world.env, BOOKFLOW_ACTOR: ACTOR, BOOKFLOW_DATA_DIR: dataDir, ...extra });
  const snapshots = () => readdirSync(join(dataDir, "snapshots")).filter((n) => n.endsWith(".json")).sort();

  async function calendlySubs() {
    return [
      ...(await calendly.listWebhookSubscriptions({ organization: me.current_organization, scope: "organization" })),
      ...(await calendly.listWebhookSubscriptions({ organization: me.current_organization, scope: "user", user: me.uri })),
    ];
  }

  /** Everything both providers hold about the webhooks, including what only the dashboard shows (Stripe secrets, Calendly signing keys). */
  async function providerState() {
    const subs = await calendlySubs();
    return {
      calendly: subs.map((sub) => ({ ...sub, signingKey: s.world.calendly.signingKey(sub.uri) })),
      stripe: s.world.stripe.webhookEndpoints(),
    };
  }

  type Handler = (o: Record<string, unknown>, d: { ctx: ReturnType<typeof createContext> }) => Promise<number>;
  async function run<O>(handler: Handler, options: O, extra: Record<string, string | undefined> = {}, interactive = false, ask?: (q: string) => Promise<boolean>) {
    let out = "";
    let err = "";
    const ctx = createContext({ env: env(extra) as NodeJS.ProcessEnv, out: (t) => (out += t), err: (t) => (err += t), cwd: root, interactive, ...(ask ? { ask } : {}) });
    const code = await handler(options as Record<string, unknown>, { ctx });
    return { code, out, err };
  }
  const disable = (o: WebhooksDisableOptions, extra?: Record<string, string | undefined>) => run(webhooksDisable, o, extra);
  const restore = (o: WebhooksRestoreOptions, extra?: Record<string, string | undefined>) => run(webhooksRestore, o, extra);

  it("disable then restore leaves the providers exactly as before (compare full state)", async () => {
    const before = await providerState();
    expect(before.calendly).toHaveLength(1);
    expect(before.stripe).toHaveLength(1);

    const d = await disable({ yes: true, json: true, reason: "bad release" });
    expect(d.code).toBe(0);
    const report = JSON.parse(d.out) as DisableReport;
    expect(report.done.map((a) => a.kind)).toEqual(["delete-calendly", "disable-stripe"]);
    // Disabled: no Calendly subscription, the Stripe endpoint disabled in place (same id, same secret).
    expect(await calendlySubs()).toEqual([]);
    expect(s.world.stripe.webhookEndpoints()).toEqual([{ ...before.stripe[0]!, status: "disabled" }]);

    // The snapshot was written, holds the full definitions and no secret.
    const file = readFileSync(report.snapshot!, "utf8");
    const snap = JSON.parse(file) as { status: string; calendly: { url: string; scope: string; organization: string; events: string[] }[]; stripe: { id: string; state: string }[] };
    expect(snap.status).toBe("disabled");
    expect(snap.calendly).toEqual([expect.objectContaining({ url: before.calendly[0]!.callback_url, scope: "organization", organization: me.current_organization, events: before.calendly[0]!.events })]);
    expect(snap.stripe).toEqual([expect.objectContaining({ id: before.stripe[0]!.id, state: "enabled" })]);
    for (const secret of [...Object.values(SANDBOX_SECRETS), before.stripe[0]!.secret, s.world.env.STRIPE_WEBHOOK_SECRET!]) expect(file).not.toContain(secret);

    const r = await restore({ yes: true });
    expect(r.code).toBe(0);
    const after = await providerState();
    // Stripe: byte for byte the same endpoint (id, created, events, metadata, secret).
    expect(after.stripe).toEqual(before.stripe);
    // Calendly: a deleted subscription can only be re-created, so its uri and created_at/updated_at are new;
    // everything else, including the signing key the app verifies with, is as before.
    const comparable = (sub: Record<string, unknown>) => {
      const { uri: _uri, created_at: _c, updated_at: _u, ...rest } = sub;
      return rest;
    };
    expect(after.calendly.map(comparable)).toEqual(before.calendly.map(comparable));
    expect(after.calendly[0]!.signingKey).toBe(SANDBOX_SECRETS.CALENDLY_WEBHOOK_SIGNING_KEY);
    expect(JSON.parse(readFileSync(report.snapshot!, "utf8")).status).toBe("restored");

    // Restoring again changes nothing.
    const again = await restore({ yes: true });
    expect(again.code).toBe(0);
    expect(again.out).toContain("nothing to do");
    expect((await providerState()).calendly.map(comparable)).toEqual(before.calendly.map(comparable));

    // One audit entry per action, with the actor and the reason.
    const audit = await listAudit(s.database.db.prisma, { action: "webhooks.", limit: 20 });
    expect(audit.filter((a) => a.action.startsWith("webhooks.disable.")).map((a) => [a.action, a.actor])).toEqual([
      ["webhooks.disable.stripe", ACTOR],
      ["webhooks.disable.calendly", ACTOR],
    ]);
    expect(audit.find((a) => a.action === "webhooks.disable.stripe")!.reason).toContain("bad release");
    expect(audit.filter((a) => a.action.startsWith("webhooks.restore.")).map((a) => a.action).sort()).toEqual(["webhooks.restore.calendly", "webhooks.restore.stripe"]);
  });

  it("a disable interrupted after the first provider, then run again, completes (one snapshot, nothing duplicated)", async () => {
    const before = await providerState();
    const count = snapshots().length;
    // Calendly goes first; the Stripe update then fails once.
    s.world.stripe.failNext({ method: "POST", path: /^\/v1\/webhook_endpoints\/we_/, status: 400, error: { type: "invalid_request_error", message: "Simulated outage while disabling" } });
    const first = await disable({ yes: true });
    expect(first.code).toBe(1);
    expect(first.err).toContain("Simulated outage");
    expect(first.err).toContain("run the same command again");
    expect(await calendlySubs()).toEqual([]);
    expect(s.world.stripe.webhookEndpoints()[0]!.status).toBe("enabled");
    expect(snapshots()).toHaveLength(count + 1);
    const unfinished = JSON.parse(readFileSync(join(dataDir, "snapshots", snapshots().at(-1)!), "utf8")) as { status: string; calendly: unknown[] };
    expect(unfinished.status).toBe("disabling");
    expect(unfinished.calendly).toHaveLength(1);

    // The run is taken to have been killed between Calendly's answer and its audit entry: the entry is not there.
    const snapshotId = (unfinished as unknown as { id: string }).id;
    const killedWindow = await s.database.db.prisma.auditLog.deleteMany({ where: { action: "webhooks.disable.calendly", reason: { contains: `snapshot ${snapshotId}` } } });
    expect(killedWindow.count).toBe(1);

    const second = await disable({ yes: true });
    expect(second.code).toBe(0);
    expect(second.out).toContain("Continuing the unfinished disable");
    // Each change audited once: the resumed run records the one the interrupted run made without an entry.
    const disabledEntries = await s.database.db.prisma.auditLog.findMany({ where: { action: { startsWith: "webhooks.disable." }, reason: { contains: `snapshot ${snapshotId}` } }, orderBy: { createdAt: "asc" } });
    expect(disabledEntries.map((a) => a.action).sort()).toEqual(["webhooks.disable.calendly", "webhooks.disable.stripe"]);
    expect(disabledEntries.find((a) => a.action === "webhooks.disable.calendly")).toMatchObject({ actor: ACTOR, after: expect.objectContaining({ recordedOnResume: true }) });
    expect(snapshots()).toHaveLength(count + 1); // the same snapshot, continued
    const finished = JSON.parse(readFileSync(join(dataDir, "snapshots", snapshots().at(-1)!), "utf8")) as { status: string; calendly: unknown[]; stripe: unknown[] };
    expect(finished).toMatchObject({ status: "disabled" });
    expect(finished.calendly).toHaveLength(1); // still knows the subscription deleted by the first run
    expect(s.world.stripe.webhookEndpoints()[0]!.status).toBe("disabled");

    // A restore that stops half way finishes when run again, without creating the Calendly subscription twice.
    s.world.stripe.failNext({ method: "POST", path: /^\/v1\/webhook_endpoints\/we_/, status: 400, error: { type: "invalid_request_error", message: "Simulated outage while enabling" } });
    const r1 = await restore({ yes: true });
    expect(r1.code).toBe(1);
    expect(await calendlySubs()).toHaveLength(1);
    // Killed again between Calendly's answer and the audit entry.
    expect((await s.database.db.prisma.auditLog.deleteMany({ where: { action: "webhooks.restore.calendly", reason: { contains: `snapshot ${snapshotId}` } } })).count).toBe(1);
    const r2 = await restore({ yes: true });
    expect(r2.code).toBe(0);
    expect(await calendlySubs()).toHaveLength(1);
    const restoredEntries = await s.database.db.prisma.auditLog.findMany({ where: { action: { startsWith: "webhooks.restore." }, reason: { contains: `snapshot ${snapshotId}` } } });
    expect(restoredEntries.map((a) => a.action).sort()).toEqual(["webhooks.restore.calendly", "webhooks.restore.stripe"]);
    // Run once more: nothing to do, and nothing audited twice.
    expect((await restore({ yes: true })).code).toBe(0);
    expect(await s.database.db.prisma.auditLog.count({ where: { action: { startsWith: "webhooks." }, reason: { contains: `snapshot ${snapshotId}` } } })).toBe(4);
    expect(s.world.stripe.webhookEndpoints()).toEqual(before.stripe);
  });

  it("--dry-run shows the plan and changes nothing; `disable stripe` touches only Stripe", async () => {
    const before = await providerState();
    const dry = await disable({ dryRun: true });
    expect(dry.code).toBe(0);
    expect(dry.out).toMatch(/1\. calendly: save, then delete/);
    expect(dry.out).toMatch(/2\. stripe: disable endpoint we_/);
    expect(dry.out).toContain("Dry run");
    expect(await providerState()).toEqual(before);

    const count = snapshots().length;
    const only = await disable({ provider: "stripe", yes: true });
    expect(only.code).toBe(0);
    expect(await calendlySubs()).toHaveLength(1);
    expect(s.world.stripe.webhookEndpoints()[0]!.status).toBe("disabled");
    expect(snapshots()).toHaveLength(count + 1);
    // Nothing left to disable: no new snapshot.
    const none = await disable({ provider: "stripe", yes: true });
    expect(none.code).toBe(0);
    expect(none.out).toContain("Nothing to disable");
    expect(snapshots()).toHaveLength(count + 1);
    expect((await restore({ yes: true })).code).toBe(0);
    expect(await providerState()).toEqual(before);
  });

  it("on a terminal it asks; answering no changes nothing (exit 2)", async () => {
    const before = await providerState();
    const questions: string[] = [];
    await expect(run(webhooksDisable, {}, {}, true, async (q) => (questions.push(q), false))).rejects.toMatchObject({ code: "ABORTED" });
    expect(questions).toHaveLength(1);
    expect(await providerState()).toEqual(before);
  });

  it("CLI: without a terminal and without --yes, prints the plan as JSON and exits 2; with --yes it disables, and restore puts it back", async () => {
    const before = await providerState();
    const plan = await runCli(["webhooks", "disable"], { env: env(), cwd: root });
    expect(plan.exitCode).toBe(2);
    expect(JSON.parse(plan.stdout)).toMatchObject({ command: "webhooks disable", actions: [{ kind: "delete-calendly" }, { kind: "disable-stripe" }] });
    expect(plan.stderr).toContain("--yes");
    expect(await providerState()).toEqual(before);

    const done = await runCli(["webhooks", "disable", "all", "--yes", "--json"], { env: env(), cwd: root });
    expect(done.exitCode).toBe(0);
    expect(JSON.parse(done.stdout)).toMatchObject({ decision: "apply", failed: null, done: [{ kind: "delete-calendly" }, { kind: "disable-stripe" }] });
    for (const secret of Object.values(SANDBOX_SECRETS)) expect(done.stdout + done.stderr).not.toContain(secret);

    const back = await runCli(["webhooks", "restore", "--yes"], { env: env(), cwd: root });
    expect(back.exitCode).toBe(0);
    expect(back.stdout).toContain("Restored: 2 changes");
    expect(s.world.stripe.webhookEndpoints()).toEqual(before.stripe);
    expect(await calendlySubs()).toHaveLength(1);
  });

  it("CLI bad inputs exit 2 saying what is wrong: unknown provider, unknown snapshot, malformed snapshot", async () => {
    const provider = await runCli(["webhooks", "disable", "paypal", "--yes"], { env: env(), cwd: root });
    expect(provider.exitCode).toBe(2);
    expect(provider.stderr).toContain('Unknown provider "paypal"');
    expect(provider.stderr).toContain("fix:");

    const unknown = await runCli(["webhooks", "restore", "--snapshot", "nope.json", "--yes"], { env: env(), cwd: root });
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain('Snapshot "nope.json" not found');
    expect(unknown.stderr).toMatch(/fix: Snapshots in .* newest first/);

    mkdirSync(join(root, "broken"), { recursive: true });
    // A real snapshot with two fields damaged.
    const good = JSON.parse(readFileSync(join(dataDir, "snapshots", snapshots().at(-1)!), "utf8")) as Record<string, unknown>;
    writeFileSync(join(root, "broken", "snap.json"), JSON.stringify({ ...good, calendly: "nope", status: "paused" }));
    const malformed = await runCli(["webhooks", "restore", "--snapshot", "broken/snap.json", "--yes"], { env: env(), cwd: root });
    expect(malformed.exitCode).toBe(2);
    expect(malformed.stderr).toContain("is not a valid bookflow webhook snapshot");
    expect(malformed.stderr).toContain("calendly:");
    expect(malformed.stderr).toContain("status:");
  });

  it("a missing webhook URL or signing key is a configuration error before anything changes", async () => {
    const before = await providerState();
    await expect(disable({ yes: true }, { STRIPE_WEBHOOK_URL: undefined })).rejects.toMatchObject({ code: "ENV_MISSING", message: expect.stringContaining("STRIPE_WEBHOOK_URL") });
    expect(await providerState()).toEqual(before);

    expect((await disable({ provider: "calendly", yes: true })).code).toBe(0);
    await expect(restore({ yes: true }, { CALENDLY_WEBHOOK_SIGNING_KEY: undefined })).rejects.toMatchObject({ code: "ENV_MISSING", message: expect.stringContaining("CALENDLY_WEBHOOK_SIGNING_KEY") });
    await expect(restore({ yes: true, provider: "ftp" })).rejects.toMatchObject({ code: "BAD_PROVIDER" });
    expect((await restore({ yes: true })).code).toBe(0);
    expect(await calendlySubs()).toHaveLength(1);
  });
});
