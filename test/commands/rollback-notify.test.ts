import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rollback, type RollbackOptions } from "../../commands/handlers/rollback.js";
import { createContext } from "../../src/context.js";
import { listAudit } from "../../src/core/audit.js";
import { isManualProcessing } from "../../src/core/webhook-intake.js";
import type { RollbackJournal } from "../../src/core/rollback-plan.js";
import { runCli, tempDir } from "../support/cli.js";
import { modulesLoaded } from "../support/imports.js";
import { startTestSandbox, type TestSandbox } from "../support/sandbox.js";

/**
 * `bookflow rollback --notify` and the emergency contacts, against one sandbox
 * world for the file: the notices land in the SendGrid emulator's inbox once per
 * affected booking across reruns; each rollback is undone so the next test starts
 * from the world as the sandbox made it.
 */

const FREE_EVENT_TYPE = "https://api.calendly.com/event_types/ada-intro-call";
/** The sandbox's SendGrid template (DEFAULT_SENDGRID_TEMPLATES). */
const SANDBOX_TEMPLATE = "d-5f2c1a7e9b3d4c6e8a0b1c2d3e4f5a6b";
const HEAVY = ["@prisma/", "/generated/prisma/", "/stripe/", "@sendgrid/", "/listr2/", "@electric-sql/", "pglite-prisma-adapter", "/zod/", "/undici/", "/prom-client/"];
const CONTACTS = [
  { role: "on-call", name: "Release on-call", phone: "+1 415 555 0100" },
  { role: "stripe", name: "Stripe Support", url: "https://support.stripe.com", when: "payment issues" },
];

describe("bookflow rollback --notify, and the emergency contacts", () => {
  let s: TestSandbox;
  let root: string;
  let dataDir: string;
  let day = 40;
  const ACTOR = "notify-test@example.com";

  beforeAll(async () => {
    s = await startTestSandbox();
    root = tempDir();
    dataDir = join(root, "data");
    writeFileSync(join(root, "bookflow.config.json"), JSON.stringify({ contacts: CONTACTS }));
  });
  afterAll(async () => {
    await s?.stop();
  });

  const prisma = () => s.database.db.prisma;
  const env = (extra: Record<string, string | undefined> = {}) => ({ ...s.world.env, BOOKFLOW_ACTOR: ACTOR, BOOKFLOW_DATA_DIR: dataDir, ...extra });
  const journal = (id: string) => JSON.parse(readFileSync(join(dataDir, "rollbacks", `${id}.json`), "utf8")) as RollbackJournal;
  const journalIds = () => (existsSync(join(dataDir, "rollbacks")) ? readdirSync(join(dataDir, "rollbacks")).filter((n) => n.endsWith(".json")).map((n) => n.replace(/\.json$/, "")) : []);
  const newestId = () => journalIds().map(journal).sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt))[0]!.id;
  /** The notices the emulator received, by recipient. */
  const notices = () => s.world.sendgrid.inbox().filter((m) => m.customArgs.kind === "ROLLBACK_NOTICE");
  const noticesTo = (email: string) => notices().filter((m) => m.to.includes(email));

  async function run(options: RollbackOptions, extra: Record<string, string | undefined> = {}) {
    let out = "";
    let err = "";
    const ctx = createContext({ env: env(extra) as NodeJS.ProcessEnv, out: (t) => (out += t), err: (t) => (err += t), cwd: root, interactive: false });
    const code = await rollback(options, { ctx });
    return { code, out, err };
  }

  async function book(email: string) {
    const booked = await s.world.calendly.book({ eventTypeUri: FREE_EVENT_TYPE, email, name: "Notice Person", startTime: new Date(Date.now() + day++ * 86_400_000) });
    await s.world.calendly.idle();
    const row = await prisma().booking.findFirstOrThrow({ where: { inviteeEmail: email } });
    return { ...booked, bookingId: row.id };
  }

  async function undo(id: string) {
    const u = await run({ undo: id, yes: true, releaseHeld: true });
    expect(u.code, u.err).toBe(0);
    expect(await isManualProcessing(prisma())).toBe(false);
  }

  it("--notify --plan shows the notice one invitee gets and how many get it, and sends nothing", async () => {
    await book("plan-a@example.com");
    await book("plan-b@example.com");
    const text = await run({ plan: true, notify: true });
    expect(text.code, text.err).toBe(0);
    expect(text.out).toMatch(/Notice to affected invitees: \d+ recipients?, bookflow's own text/);
    expect(text.out).toMatch(/Subject: An update about your .+ with .+/);
    expect(text.out).toContain("What happens next:");
    expect(text.out).toContain("no notice was sent");
    const json = await run({ plan: true, notify: true, json: true });
    const plan = JSON.parse(json.out) as { notice: { recipients: number; alreadySent: number; sample: { to: string; subject: string; text: string } }; contacts: string[] };
    const affected = await prisma().booking.count({ where: { updatedAt: { gte: new Date(JSON.parse(json.out).since as string) } } });
    expect(plan.notice.recipients).toBe(affected);
    expect(plan.notice.recipients).toBeGreaterThanOrEqual(2);
    expect(plan.notice.alreadySent).toBe(0);
    expect(plan.notice.sample.text).toContain("Booking reference:");
    expect(notices()).toEqual([]);
    expect(await prisma().emailMessage.count({ where: { kind: "ROLLBACK_NOTICE" } })).toBe(0);
    expect(journalIds()).toEqual([]);
  });

  it("--plan and the plan a rollback prints name the configured emergency contacts, in the checklist's order", async () => {
    const r = await run({ plan: true });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Emergency contacts:\n {2}Stripe \(payment issues\): Stripe Support, https:\/\/support\.stripe\.com \(when: payment issues\)\n {2}On-call: Release on-call, \+1 415 555 0100\n/);
    const json = JSON.parse((await run({ plan: true, json: true })).out) as { contacts: string[] };
    expect(json.contacts).toEqual(["Stripe (payment issues): Stripe Support, https://support.stripe.com (when: payment issues)", "On-call: Release on-call, +1 415 555 0100"]);
  });

  it("--yes --notify sends one notice per affected booking, recorded and audited; --resume --notify sends nothing more; a crash-style rerun sends nothing twice", async () => {
    const a = await book("notice-a@example.com");
    const b = await book("notice-b@example.com");
    const r = await run({ yes: true, notify: true, reason: "bad release" });
    expect(r.code, r.err).toBe(0);
    const id = newestId();
    const detail = journal(id).steps.find((st) => st.name === "affected-bookings")!.detail as { count: number; notices: { sent: number; recipients: number } };
    expect(detail.notices.sent).toBe(detail.count);
    expect(notices()).toHaveLength(detail.count);
    expect(noticesTo("notice-a@example.com")).toHaveLength(1);
    expect(noticesTo("notice-b@example.com")).toHaveLength(1);
    const [toA] = noticesTo("notice-a@example.com");
    expect(toA!.subject).toMatch(/^An update about your /);
    expect(toA!.customArgs).toMatchObject({ bookingId: a.bookingId, idempotency_key: `${a.bookingId}:ROLLBACK_NOTICE:rollback-notice:${id}` });
    // Recorded in the email outbox, where `bookings show` reads a booking's emails.
    const rows = await prisma().emailMessage.findMany({ where: { kind: "ROLLBACK_NOTICE", bookingId: { in: [a.bookingId, b.bookingId] } } });
    expect(rows.map((m) => [m.status, m.dedupeKey]).sort()).toEqual([["SENT", `rollback-notice:${id}`], ["SENT", `rollback-notice:${id}`]]);
    const audit = (await listAudit(prisma(), { target: `rollback:${id}` })).filter((e) => e.action === "rollback.notify");
    expect(audit).toHaveLength(1);
    expect(audit[0]!.after).toMatchObject({ sent: detail.count, dedupeKey: `rollback-notice:${id}` });

    // The notify step again on the completed rollback: every notice was sent, nothing goes.
    const again = await run({ resume: id, yes: true, notify: true });
    expect(again.code, again.err).toBe(0);
    expect(notices()).toHaveLength(detail.count);
    expect(again.out).toMatch(/Notices to affected invitees: 0 sent now, \d+ already sent before/);

    // A crash between SendGrid's answer and the SENT mark leaves the row claimed (as the notifier claims it): a rerun does not send it again.
    await prisma().emailMessage.updateMany({ where: { bookingId: a.bookingId, kind: "ROLLBACK_NOTICE" }, data: { status: "QUEUED", error: `sending: lease until ${new Date(Date.now() + 300_000).toISOString()} (claim crashed)` } });
    const crashRerun = await run({ resume: id, yes: true, notify: true });
    expect(crashRerun.code, crashRerun.err).toBe(0);
    expect(crashRerun.out).toMatch(/1 in flight from a run that stopped/);
    expect(noticesTo("notice-a@example.com")).toHaveLength(1);
    expect(notices()).toHaveLength(detail.count);
    await undo(id);
  });

  it("a SendGrid failure stops step 4 (exit 1); the resume sends only what is left, through the configured template", async () => {
    s.world.sendgrid.clearInbox();
    const c = await book("notice-c@example.com");
    writeFileSync(join(root, "notify.config.json"), JSON.stringify({ contacts: CONTACTS, rollback: { noticeTemplateId: SANDBOX_TEMPLATE } }));
    const affected = async (id: string) => (journal(id).steps.find((st) => st.name === "affected-bookings")!.detail as { count?: number }).count;
    // The app's own emails (the booking's confirmation) are sent first, so the one failed send is a notice's.
    const deadline = Date.now() + 10_000;
    while ((await prisma().emailMessage.count({ where: { status: "QUEUED", kind: { not: "ROLLBACK_NOTICE" } } })) > 0 && Date.now() < deadline) await new Promise((done) => setTimeout(done, 50));
    s.world.sendgrid.failSends(1);
    const first = await run({ yes: true, notify: true, config: "notify.config.json" });
    expect(first.code).toBe(1);
    expect(first.err).toMatch(/1 notice could not be sent/);
    expect(first.err).toContain("--resume");
    const id = newestId();
    expect(journal(id).notify).toEqual({ templateId: SANDBOX_TEMPLATE });
    const sentFirst = notices().length;
    // The resume needs no --notify: the journal says the rollback notifies, and with which template.
    const resumed = await run({ resume: id, yes: true });
    expect(resumed.code, resumed.err).toBe(0);
    const total = (await affected(id))!;
    expect(notices()).toHaveLength(total);
    expect(notices().length).toBeGreaterThan(sentFirst);
    expect(noticesTo("notice-c@example.com")).toHaveLength(1);
    expect(noticesTo("notice-c@example.com")[0]!.templateId).toBe(SANDBOX_TEMPLATE);
    expect(new Set(notices().map((m) => m.to[0])).size).toBe(total);
    expect(await prisma().emailMessage.count({ where: { bookingId: c.bookingId, kind: "ROLLBACK_NOTICE", status: "SENT" } })).toBe(1);
    await undo(id);
  });

  it("bad inputs exit 2 with a fix, before anything changes", async () => {
    const before = journalIds().length;
    const cases: [string[], RegExp][] = [
      [["rollback", "--notify", "--undo", "rb-20250601-123005-3fa9"], /notify: cannot be combined with --undo/],
      [["rollback", "--notice-template", SANDBOX_TEMPLATE, "--plan"], /only applies with --notify/],
      [["rollback", "--notify", "--notice-template", "welcome", "--plan"], /SendGrid dynamic template id/],
      [["rollback", "--notify", "--notice-template", "d-00000000000000000000000000000000", "--yes"], /SendGrid has no template d-0{32}/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(args, { env: env(), cwd: root });
      expect(r.exitCode, `${args.join(" ")}\n${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toMatch(/fix:|See `bookflow rollback --help`/);
    }
    const noKey = await runCli(["rollback", "--notify", "--plan"], { env: env({ SENDGRID_API_KEY: "" }), cwd: root });
    expect(noKey.exitCode).toBe(2);
    expect(noKey.stderr).toContain("SENDGRID_API_KEY");
    expect(journalIds()).toHaveLength(before);
    expect(notices().filter((m) => m.templateId === "d-00000000000000000000000000000000")).toEqual([]);
  });

  it("rollback --help prints the configured contacts, loading no Prisma, SDK, listr2 or zod; a broken config file is one line", async () => {
    const { result: r, loaded } = await modulesLoaded(["rollback", "--help"], { cwd: root });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("  Stripe (payment issues): Stripe Support, https://support.stripe.com (when: payment issues)\n  On-call: Release on-call, +1 415 555 0100");
    expect(loaded.filter((u) => HEAVY.some((h) => u.includes(h)))).toEqual([]);

    const empty = tempDir();
    const none = await runCli(["rollback", "--help"], { cwd: empty });
    expect(none.exitCode).toBe(0);
    expect(none.stdout).toContain('none configured: add "contacts" to bookflow.config.json');
    writeFileSync(join(empty, "bookflow.config.json"), "{ not json");
    const broken = await runCli(["rollback", "--help"], { cwd: empty });
    expect(broken.exitCode).toBe(0);
    expect(broken.stdout).toMatch(/cannot show the contacts of .*bookflow\.config\.json: it is not valid JSON/);
    const viaFlag = await runCli(["rollback", "--config", join(root, "notify.config.json"), "--help"], { cwd: empty });
    expect(viaFlag.stdout).toContain("On-call: Release on-call");
  });

  it("--drill in the sandbox performs the rollback and its undo and reports both: production as before, webhooks restored, manual processing off", async () => {
    const production = s.world.vercel.state().currentProductionId;
    const stripeBefore = s.world.stripe.webhookEndpoints();
    const r = await run({ drill: true, yes: true, json: true });
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.out) as {
      ok: boolean;
      drill: string;
      target: string;
      rollback: { status: string; steps: { name: string; status: string; ms: number | null }[] };
      undo: { status: string; steps: { name: string; status: string }[] };
      production: { before: string; afterRollback: string; expectedAfterRollback: string; afterUndo: string };
      webhooksRestored: boolean;
      manualProcessingOff: boolean;
      reportPath: string;
      problems: string[];
    };
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ ok: true, target: "sandbox", webhooksRestored: true, manualProcessingOff: true });
    expect(report.rollback.status).toBe("completed");
    expect(report.rollback.steps.map((st) => [st.name, st.status])).toEqual([["promote", "done"], ["disable-webhooks", "done"], ["manual-processing", "done"], ["affected-bookings", "done"]]);
    expect(report.rollback.steps.every((st) => typeof st.ms === "number" && st.ms >= 0)).toBe(true);
    expect(report.undo.status).toBe("undone");
    expect(report.production.before).toBe(production);
    expect(report.production.afterRollback).toBe(report.production.expectedAfterRollback);
    expect(report.production.afterRollback).not.toBe(production);
    expect(report.production.afterUndo).toBe(production);
    expect(s.world.vercel.state().currentProductionId).toBe(production);
    expect(s.world.stripe.webhookEndpoints().map((e) => [e.id, e.status])).toEqual(stripeBefore.map((e) => [e.id, e.status]));
    expect(await isManualProcessing(prisma())).toBe(false);
    expect(JSON.parse(readFileSync(report.reportPath, "utf8"))).toMatchObject({ drill: report.drill, ok: true });
    expect(report.reportPath).toBe(join(dataDir, "drills", `${report.drill}.json`));
    expect(journal(report.drill).status).toBe("undone");
    const audit = await listAudit(prisma(), { target: `rollback:${report.drill}` });
    expect(audit.map((e) => e.action)).toEqual(expect.arrayContaining(["rollback.step.promote", "rollback.completed", "rollback.undone", "rollback.drill"]));
  });

  it("--drill is refused (exit 2, nothing changed) for production, a live Stripe key, and with --resume, --undo or --notify", async () => {
    const before = journalIds().length;
    const production = s.world.vercel.state().currentProductionId;
    const cases: [string[], Record<string, string>, RegExp][] = [
      [["rollback", "--drill", "--target", "production", "--yes"], {}, /runs only on the sandbox or staging/],
      [["rollback", "--drill", "--yes"], { STRIPE_SECRET_KEY: "sk_live_FAKEsecret0123456789abcdefgh" }, /refuses a live Stripe key/],
      [["rollback", "--drill", "--resume", "rb-20250601-123005-3fa9"], {}, /drill: cannot be combined with --resume or --undo/],
      [["rollback", "--drill", "--undo", "rb-20250601-123005-3fa9"], {}, /cannot be combined with --resume or --undo/],
      [["rollback", "--drill", "--notify", "--yes"], {}, /a drill emails nobody/],
      [["rollback", "--target", "staging", "--plan"], {}, /only applies with --drill/],
    ];
    for (const [args, extra, message] of cases) {
      const r = await runCli(args, { env: env(extra), cwd: root });
      expect(r.exitCode, `${args.join(" ")}\n${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toMatch(/fix:|See `bookflow rollback --help`/);
    }
    expect(journalIds()).toHaveLength(before);
    expect(s.world.vercel.state().currentProductionId).toBe(production);
  });

  it("verify --target production without contacts warns on deployment.emergency-contacts; with them it passes", async () => {
    const empty = tempDir();
    const without = await runCli(["verify", "--only", "deployment.emergency-contacts", "--target", "production", "--format", "json"], { cwd: empty, env: env() });
    const result = (JSON.parse(without.stdout) as { results: { id: string; status: string; message: string }[] }).results[0]!;
    expect(result).toMatchObject({ id: "deployment.emergency-contacts", status: "warn" });
    expect(without.exitCode).toBe(0);
    const withThem = await runCli(["verify", "--only", "deployment.emergency-contacts", "--target", "production", "--format", "json"], { cwd: root, env: env() });
    expect((JSON.parse(withThem.stdout) as { results: { status: string }[] }).results[0]!.status).toBe("pass");
  });
});
