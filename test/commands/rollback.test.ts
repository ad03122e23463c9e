import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rollback, type RollbackOptions, type RollbackReport } from "../../commands/handlers/rollback.js";
import { createContext } from "../../src/context.js";
import { listAudit } from "../../src/core/audit.js";
import { isManualProcessing } from "../../src/core/webhook-intake.js";
import type { RollbackJournal } from "../../src/core/rollback-plan.js";
import { createCalendlyClient, type CalendlyClient } from "../../src/providers/calendly/client.js";
import { SANDBOX_SECRETS } from "../../src/sandbox/world.js";
import { runCli, tempDir } from "../support/cli.js";
import { startTestSandbox, type TestSandbox } from "../support/sandbox.js";

/**
 * `bookflow rollback` against one sandbox world for the file. Each test starts
 * from the world as the sandbox made it (three READY production deployments,
 * the newest live; webhooks registered; manual processing off) and leaves it
 * so, by undoing its rollback: which is itself the check that --undo returns
 * the world to its original state.
 */

const FREE_EVENT_TYPE = "https://api.calendly.com/event_types/ada-intro-call";

describe("bookflow rollback", () => {
  let s: TestSandbox;
  let calendly: CalendlyClient;
  let me: { uri: string; current_organization: string };
  let root: string;
  let dataDir: string;
  let original: Awaited<ReturnType<typeof worldState>>;
  const ACTOR = "rollback-test@example.com";
  let day = 3;

  beforeAll(async () => {
    s = await startTestSandbox();
    calendly = createCalendlyClient({ token: s.world.env.CALENDLY_API_TOKEN!, baseUrl: s.world.env.CALENDLY_API_BASE! });
    me = await calendly.getCurrentUser();
    root = tempDir();
    dataDir = join(root, "data");
    original = await worldState();
  });
  afterAll(async () => {
    await s?.stop();
  });

  const prisma = () => s.database.db.prisma;
  const env = (extra: Record<string, string | undefined> = {}) => ({ ...s.world.env, BOOKFLOW_ACTOR: ACTOR, BOOKFLOW_DATA_DIR: dataDir, ...extra });
  const journals = () => (existsSync(join(dataDir, "rollbacks")) ? readdirSync(join(dataDir, "rollbacks")).filter((n) => n.endsWith(".json")).sort() : []);
  /** The most recently started rollback (ids started in the same second do not sort by time). */
  const newestId = () =>
    journals()
      .map((n) => journal(n.replace(/\.json$/, "")))
      .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt))[0]!.id;
  const journal = (id: string) => JSON.parse(readFileSync(join(dataDir, "rollbacks", `${id}.json`), "utf8")) as RollbackJournal;

  async function calendlySubs() {
    return [
      ...(await calendly.listWebhookSubscriptions({ organization: me.current_organization, scope: "organization" })),
      ...(await calendly.listWebhookSubscriptions({ organization: me.current_organization, scope: "user", user: me.uri })),
    ];
  }

  /** What a rollback changes: which deployment serves production, the webhooks, the manual-processing setting. */
  async function worldState() {
    const vercel = s.world.vercel.state();
    const subs = await calendlySubs();
    return {
      production: vercel.currentProductionId,
      rolledBack: vercel.rolledBack,
      stripe: s.world.stripe.webhookEndpoints(),
      calendly: subs.map((sub) => ({ url: sub.callback_url, events: sub.events, scope: sub.scope, state: sub.state, signingKey: s.world.calendly.signingKey(sub.uri) })),
      manual: await isManualProcessing(prisma()),
    };
  }

  async function run(options: RollbackOptions, extra: Record<string, string | undefined> = {}, more: { interactive?: boolean; ask?: (q: string) => Promise<boolean> } = {}) {
    let out = "";
    let err = "";
    const ctx = createContext({ env: env(extra) as NodeJS.ProcessEnv, out: (t) => (out += t), err: (t) => (err += t), cwd: root, interactive: more.interactive ?? false, ...(more.ask ? { ask: more.ask } : {}) });
    const code = await rollback(options, { ctx });
    return { code, out, err };
  }

  async function book(email: string) {
    const startTime = new Date(Date.now() + day++ * 86_400_000);
    const booked = await s.world.calendly.book({ eventTypeUri: FREE_EVENT_TYPE, email, name: "Rollback Person", startTime });
    await s.world.calendly.idle();
    return booked;
  }

  async function undoAndCheck(id: string, extra: Record<string, string | undefined> = {}) {
    const u = await run({ undo: id, yes: true, releaseHeld: true }, extra);
    expect(u.code, u.err).toBe(0);
    expect(journal(id).status).toBe("undone");
    expect(await worldState()).toEqual(original);
    return u;
  }

  it("--plan prints the four steps with what they would change now, and changes nothing", async () => {
    const r = await run({ plan: true, json: true });
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.out) as { rollback: string; bad: { uid: string }; previous: { uid: string }; steps: { name: string; status: string }[]; webhookActions: string[] };
    expect(plan.bad.uid).toBe(original.production);
    const deployments = s.world.vercel.state().deployments.sort((a, b) => b.createdAt - a.createdAt);
    expect(plan.previous.uid).toBe(deployments[1]!.uid);
    expect(plan.steps.map((st) => st.name)).toEqual(["promote", "disable-webhooks", "manual-processing", "affected-bookings"]);
    expect(plan.webhookActions).toEqual([expect.stringMatching(/^calendly: save, then delete/), expect.stringMatching(/^stripe: disable endpoint we_/)]);
    expect(journals()).toEqual([]);
    expect(await worldState()).toEqual(original);
  });

  it("CLI: without a terminal and without --yes, exit 2 with the plan as JSON; nothing changed, no journal", async () => {
    const r = await runCli(["rollback"], { env: env(), cwd: root });
    expect(r.exitCode).toBe(2);
    const plan = JSON.parse(r.stdout) as { rollback: string; steps: unknown[] };
    expect(plan.rollback).toMatch(/^rb-\d{8}-\d{6}-[0-9a-f]{4}$/);
    expect(plan.steps).toHaveLength(4);
    expect(r.stderr).toContain("--yes");
    expect(journals()).toEqual([]);
    expect(await worldState()).toEqual(original);
  });

  it("CLI: full rollback with --yes --csv; a webhook delivered in manual mode is HELD; --undo returns the world to its original state", async () => {
    const before = await book("before.rollback@example.com");
    const r = await runCli(["rollback", "--yes", "--csv", "--reason", "checkout broken"], { env: env(), cwd: root });
    expect(r.exitCode, r.stderr).toBe(0);
    const id = newestId();
    const j = journal(id!);
    expect(j.status).toBe("completed");
    expect(j.steps.map((st) => st.status)).toEqual(["done", "done", "done", "done"]);

    // Vercel: the previous deployment serves production, through an instant rollback.
    const vercel = s.world.vercel.state();
    expect(vercel.currentProductionId).toBe(j.previous.uid);
    expect(vercel.changes.at(-1)).toMatchObject({ kind: "rollback", from: original.production, to: j.previous.uid });
    // Webhooks: Stripe endpoint disabled in place, Calendly subscription gone (saved in the snapshot).
    expect(s.world.stripe.webhookEndpoints()).toEqual([{ ...original.stripe[0]!, status: "disabled" }]);
    expect(await calendlySubs()).toEqual([]);
    expect(existsSync(j.steps[1]!.detail.snapshot as string)).toBe(true);
    // The app setting.
    expect(await isManualProcessing(prisma())).toBe(true);
    // The affected bookings as CSV on stdout; progress on stderr; no secret anywhere.
    const csv = r.stdout.trimEnd().split("\n");
    expect(csv[0]).toMatch(/^id,inviteeEmail,/);
    const booking = await prisma().booking.findFirst({ where: { calendlyInviteeUri: before.inviteeUri } });
    expect(csv.slice(1).some((line) => line.startsWith(`${booking!.id},before.rollback@example.com,`))).toBe(true);
    expect(r.stderr).toContain("Step 1/4");
    for (const secret of Object.values(SANDBOX_SECRETS)) expect(r.stdout + r.stderr).not.toContain(secret);
    // One audit entry per step.
    const audit = await listAudit(prisma(), { target: `rollback:${id}` });
    expect(audit.map((a) => a.action).sort()).toEqual(["rollback.completed", "rollback.step.affected-bookings", "rollback.step.disable-webhooks", "rollback.step.manual-processing", "rollback.step.promote"]);
    expect(audit.every((a) => a.actor === ACTOR && a.reason === "checkout broken")).toBe(true);

    // The operator lets Calendly deliver again while keeping manual processing on: the delivery is HELD.
    const { webhooksRestore } = await import("../../commands/handlers/webhooks-disable-restore.js");
    const ctx = createContext({ env: env() as NodeJS.ProcessEnv, out: () => {}, err: () => {}, cwd: root, interactive: false });
    expect(await webhooksRestore({ provider: "calendly", yes: true }, { ctx })).toBe(0);
    const during = await book("during.rollback@example.com");
    const held = await prisma().webhookEvent.findMany({ where: { outcome: "HELD" } });
    expect(held.map((e) => e.type)).toEqual(["invitee.created"]);
    expect(await prisma().booking.findFirst({ where: { calendlyInviteeUri: during.inviteeUri } })).toBeNull();

    // A completed rollback, run again, lists the bookings again and changes nothing.
    const again = await run({ resume: id!, json: true });
    expect(again.code).toBe(0);
    expect((JSON.parse(again.out) as RollbackReport).bookings!.map((b) => b.inviteeEmail)).toContain("before.rollback@example.com");

    // Undo: the deployment that was live comes back, the webhooks too (Calendly's already was: not duplicated),
    // manual processing goes off and the held event is applied.
    const u = await undoAndCheck(id!);
    expect(u.out).toContain("cannot be undone: Calendly does not redeliver");
    expect(s.world.vercel.state().changes.at(-1)).toMatchObject({ kind: "promote", to: original.production });
    expect(await prisma().webhookEvent.count({ where: { outcome: "HELD" } })).toBe(0);
    expect(await prisma().booking.findFirst({ where: { calendlyInviteeUri: during.inviteeUri } })).toMatchObject({ inviteeEmail: "during.rollback@example.com" });
    // Undo again: nothing left to do.
    const twice = await run({ undo: id!, yes: true });
    expect(twice.code).toBe(0);
    expect(await worldState()).toEqual(original);
  });

  it("a failure at step 2 stops, reports which steps were done, exits 1; it can be resumed (re-running continues it)", async () => {
    s.world.stripe.failNext({ method: "POST", path: /^\/v1\/webhook_endpoints\/we_/, status: 400, error: { type: "invalid_request_error", message: "Simulated outage at step 2" } });
    const count = journals().length;
    const r = await run({ yes: true, json: true });
    expect(r.code).toBe(1);
    const report = JSON.parse(r.out) as RollbackReport;
    expect(report.status).toBe("failed");
    expect(report.failed).toMatchObject({ step: "disable-webhooks", message: expect.stringContaining("Simulated outage") });
    expect(report.steps.map((st) => st.status)).toEqual(["done", "failed", "pending", "pending"]);
    expect(r.err).toContain("steps done: promote");
    expect(r.err).toContain(`--resume ${report.rollback}`);
    expect(r.err).toContain(`--undo ${report.rollback}`);
    // Half done: production rolled back, Calendly deleted, Stripe still enabled, manual processing still off.
    expect(s.world.vercel.state().currentProductionId).toBe(report.previous.uid);
    expect(await calendlySubs()).toEqual([]);
    expect(s.world.stripe.webhookEndpoints()[0]!.status).toBe("enabled");
    expect(await isManualProcessing(prisma())).toBe(false);
    expect((await listAudit(prisma(), { target: `rollback:${report.rollback}`, action: "rollback.step.disable-webhooks.failed" })).length).toBe(1);

    // Running `bookflow rollback` again continues the same rollback (it does not roll back one deployment further).
    const again = await run({ yes: true });
    expect(again.code, again.err).toBe(0);
    expect(again.out).toContain(`Rollback ${report.rollback}`);
    expect(again.out).toContain("did not finish: continuing it");
    expect(journals()).toHaveLength(count + 1);
    expect(journal(report.rollback).status).toBe("completed");
    expect(s.world.vercel.state().currentProductionId).toBe(report.previous.uid);
    expect(s.world.vercel.state().changes.filter((c) => c.kind === "rollback")).toHaveLength(2); // one per rollback, not two for this one
    expect(s.world.stripe.webhookEndpoints()[0]!.status).toBe("disabled");
    // The snapshot written by the failed run still knows the Calendly subscription it deleted.
    const snapshot = JSON.parse(readFileSync(journal(report.rollback).steps[1]!.detail.snapshot as string, "utf8")) as { calendly: unknown[]; status: string };
    expect(snapshot).toMatchObject({ status: "disabled" });
    expect(snapshot.calendly).toHaveLength(1);
    await undoAndCheck(report.rollback);
  });

  it("a failure at step 2 can be undone directly: the undo reverses only what was done", async () => {
    s.world.stripe.failNext({ method: "POST", path: /^\/v1\/webhook_endpoints\/we_/, status: 400, error: { type: "invalid_request_error", message: "Simulated outage at step 2" } });
    const r = await run({ yes: true, json: true });
    expect(r.code).toBe(1);
    const id = (JSON.parse(r.out) as RollbackReport).rollback;
    const plan = await run({ undo: id, plan: true, json: true });
    expect(plan.code).toBe(0);
    expect((JSON.parse(plan.out) as { steps: { name: string; applies: boolean }[] }).steps.map((st) => [st.name, st.applies])).toEqual([
      ["promote", true],
      ["disable-webhooks", true],
      ["manual-processing", false],
      ["release-held", false],
    ]);
    await undoAndCheck(id);
    expect(journal(id).undo!.steps.map((st) => st.status)).toEqual(["done", "done", "skipped", "skipped"]);
    // An undone rollback cannot be resumed.
    await expect(run({ resume: id, yes: true })).rejects.toMatchObject({ code: "ROLLBACK_UNDONE" });
  });

  it("refuses to run while another rollback holds the lock (exit 2, changing nothing), and takes over a lock whose process is gone", async () => {
    const dir = join(dataDir, "rollbacks");
    const lock = join(dir, ".lock");
    mkdirSync(dir, { recursive: true });
    // A live holder: this test process.
    writeFileSync(lock, JSON.stringify({ pid: process.pid, host: hostname(), actor: "someone-else@example.com", rollbackId: "rb-other", since: new Date().toISOString() }));
    const before = await worldState();
    await expect(run({ yes: true })).rejects.toMatchObject({ code: "ROLLBACK_LOCKED", message: expect.stringContaining("someone-else@example.com") });
    expect(await worldState()).toEqual(before);
    // A stale holder: a process that no longer exists on this host.
    writeFileSync(lock, JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname(), actor: "crashed@example.com", rollbackId: "rb-crashed", since: new Date().toISOString() }));
    const r = await run({ yes: true, json: true });
    expect(r.code, r.err).toBe(0);
    expect(existsSync(lock)).toBe(false);
    await undoAndCheck((JSON.parse(r.out) as RollbackReport).rollback);
    expect(existsSync(lock)).toBe(false);
  });

  it("on a terminal each step is asked; answering no stops (exit 2) and --resume continues", async () => {
    const questions: string[] = [];
    let answers = [true, false];
    await expect(run({}, {}, { interactive: true, ask: async (q) => (questions.push(q), answers.shift() ?? false) })).rejects.toMatchObject({ code: "ABORTED", message: expect.stringContaining('"disable-webhooks"') });
    expect(questions).toHaveLength(2);
    const id = newestId();
    expect(journal(id).steps.map((st) => st.status)).toEqual(["done", "pending", "pending", "pending"]);
    expect(journal(id).status).toBe("in-progress");
    answers = [true, true];
    const resumed = await run({ resume: id }, {}, { interactive: true, ask: async () => answers.shift() ?? false });
    expect(resumed.code).toBe(0);
    expect(journal(id).status).toBe("completed");
    await undoAndCheck(id);
  });

  it("--use-vercel-cli runs `vercel rollback` / `vercel promote` with the token in the environment, never on the command line", async () => {
    const bin = tempDir("fake-vercel-");
    const log = join(bin, "calls.jsonl");
    writeFileSync(
      join(bin, "vercel"),
      `#!/usr/bin/env node
const { appendFileSync } = require("node:fs");
const args = process.argv.slice(2);
appendFileSync(process.env.FAKE_VERCEL_LOG, JSON.stringify({ args, token: process.env.VERCEL_TOKEN ? "set" : "unset" }) + "\\n");
if (process.env.FAKE_VERCEL_FAIL) { console.error("Error: simulated CLI failure"); process.exit(1); }
const [command, id] = args;
const project = process.env.VERCEL_PROJECT_ID;
const path = command === "rollback" ? "/v1/projects/" + project + "/rollback/" + id : "/v10/projects/" + project + "/promote/" + id;
fetch(process.env.VERCEL_API_BASE + path, { method: "POST", headers: { authorization: "Bearer " + process.env.VERCEL_TOKEN } })
  .then((r) => { if (r.status >= 300) { console.error("Error: HTTP " + r.status); process.exit(1); } console.log("Success!"); });
`,
    );
    chmodSync(join(bin, "vercel"), 0o755);
    const extra = { PATH: `${bin}:${process.env.PATH}`, FAKE_VERCEL_LOG: log };

    // A failing CLI: step 1 fails, exit 1, nothing else done.
    const failed = await run({ yes: true, useVercelCli: true, json: true }, { ...extra, FAKE_VERCEL_FAIL: "1" });
    expect(failed.code).toBe(1);
    const id = (JSON.parse(failed.out) as RollbackReport).rollback;
    expect((JSON.parse(failed.out) as RollbackReport).failed).toMatchObject({ step: "promote", message: expect.stringContaining("simulated CLI failure") });
    expect(await worldState()).toEqual(original);

    const r = await run({ resume: id, yes: true }, extra);
    expect(r.code, r.err).toBe(0);
    const j = journal(id);
    expect(s.world.vercel.state().currentProductionId).toBe(j.previous.uid);
    await undoAndCheck(id, extra);
    expect((await run({ undo: id, yes: true }, extra)).code).toBe(0); // already undone: no CLI call

    const calls = readFileSync(log, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { args: string[]; token: string });
    expect(calls.map((c) => c.args)).toEqual([
      ["rollback", j.previous.uid],
      ["rollback", j.previous.uid],
      ["promote", j.bad.uid],
    ]);
    expect(calls.every((c) => c.token === "set")).toBe(true);
    expect(JSON.stringify(calls)).not.toContain(SANDBOX_SECRETS.VERCEL_TOKEN);
  });

  it("--use-vercel-cli without `vercel` on PATH: exit 2 before anything changes", async () => {
    await expect(run({ yes: true, useVercelCli: true }, { PATH: tempDir("empty-path-") })).rejects.toMatchObject({ code: "VERCEL_CLI_MISSING" });
    expect(journals().every((n) => journal(n.replace(/\.json$/, "")).status === "undone")).toBe(true);
    expect(await worldState()).toEqual(original);
  });

  it("CLI bad inputs exit 2 with a clear message: unknown rollback id, malformed id, conflicting options, missing Vercel settings", async () => {
    const unknown = await runCli(["rollback", "--undo", "rb-20200101-000000-abcd", "--yes"], { env: env(), cwd: root });
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain("Unknown rollback rb-20200101-000000-abcd");
    expect(unknown.stderr).toMatch(/fix: Known rollbacks, newest first: rb-/);

    const malformed = await runCli(["rollback", "--resume", "yesterday", "--yes"], { env: env(), cwd: root });
    expect(malformed.exitCode).toBe(2);
    expect(malformed.stderr).toContain('"yesterday" is not a rollback id');

    const both = await runCli(["rollback", "--resume", "rb-20200101-000000-abcd", "--undo", "rb-20200101-000000-abcd"], { env: env(), cwd: root });
    expect(both.exitCode).toBe(2);
    expect(both.stderr).toContain("undo: cannot be combined with --resume");

    await expect(run({ json: true, csv: true })).rejects.toMatchObject({ code: "CONFIG_INVALID", message: expect.stringContaining("csv: cannot be combined with --json") });
    await expect(run({ releaseHeld: true })).rejects.toMatchObject({ message: expect.stringContaining("releaseHeld: only applies with --undo") });
    await expect(run({ yes: true }, { VERCEL_TOKEN: undefined })).rejects.toMatchObject({ code: "ENV_MISSING", message: expect.stringContaining("VERCEL_TOKEN") });
    await expect(run({ yes: true }, { STRIPE_WEBHOOK_URL: "" })).rejects.toMatchObject({ code: "ENV_MISSING", message: expect.stringContaining("STRIPE_WEBHOOK_URL") });
    expect(await worldState()).toEqual(original);
  });

  it.each([["not a url"], ["ftp://vercel.example.com"]])("`rollback --plan` with VERCEL_API_BASE=%j: a configuration error naming the variable and a valid value, exit 2", async (base) => {
    const r = await runCli(["rollback", "--plan"], { env: env({ VERCEL_API_BASE: base }), cwd: root });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`bookflow: VERCEL_API_BASE must be an http or https URL, got ${JSON.stringify(base)}.`);
    expect(r.stderr).toMatch(/fix: Set VERCEL_API_BASE to a full URL such as https:\/\/api\.vercel\.com/);
    expect(r.stderr).not.toMatch(/TypeError|Invalid URL|unexpected error/);
    expect(await worldState()).toEqual(original);
  });
});
