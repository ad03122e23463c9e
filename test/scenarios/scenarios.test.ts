import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scenariosCleanup, scenariosListCommand, scenariosRunCommand, type RunOptions } from "../../commands/handlers/scenarios.js";
import { verifyCommand } from "../../commands/handlers/verify.js";
import { SCENARIO_NAMES } from "../../scenarios/catalogue.js";
import { createContext, type ContextOptions } from "../../src/context.js";
import { exitCodeForError } from "../../src/engine/exit-codes.js";
import type { RunReport } from "../../src/engine/report.js";
import { runReportSchema } from "../../src/engine/report-schema.js";
import { CALENDLY_SIGNED_LIMIT as CALENDLY_LIMIT } from "../../src/engine/scenarios/drivers/types.js";
import { runCli, tempDir } from "../support/cli.js";
import { startTestSandbox, type TestSandbox } from "../support/sandbox.js";

/**
 * `bookflow scenarios` against one sandbox world on the real PostgreSQL: the
 * four scenarios pass with either driver, --cleanup removes exactly the run's
 * data, and every bad input is refused with exit 2 before anything runs.
 */

let s: TestSandbox;
beforeAll(async () => {
  s = await startTestSandbox();
});
afterAll(() => s?.stop());

interface Captured {
  code: number;
  out: string;
  err: string;
}

/** The handler, as the command calls it, with the sandbox's environment (plus overrides). */
async function handler(fn: (ctx: ReturnType<typeof createContext>) => Promise<number>, env: Record<string, string | undefined> = {}, context: Pick<ContextOptions, "cwd" | "interactive"> = {}): Promise<Captured> {
  const out: string[] = [];
  const err: string[] = [];
  const ctx = createContext({ env: { ...s.world.env, ...env } as NodeJS.ProcessEnv, out: (t) => out.push(t), err: (t) => err.push(t), cwd: tempDir(), ...context });
  const code = await fn(ctx);
  return { code, out: out.join(""), err: err.join("") };
}

async function run(options: Partial<RunOptions>, env: Record<string, string | undefined> = {}): Promise<Captured & { report: RunReport }> {
  const r = await handler((ctx) => scenariosRunCommand()({ format: ["json"], ...options }, { ctx }), env);
  return { ...r, report: JSON.parse(r.out) as RunReport };
}

/** What a usage or configuration error would exit with, and its code and text. */
async function refused(options: Partial<RunOptions>, env: Record<string, string | undefined> = {}): Promise<{ exit: number; code: string; text: string }> {
  try {
    await handler((ctx) => scenariosRunCommand()({ ...options }, { ctx }), env);
  } catch (err) {
    const e = err as { code: string; message: string; hint?: string };
    return { exit: exitCodeForError(err), code: e.code, text: `${e.message} ${e.hint ?? ""}` };
  }
  throw new Error("expected the run to be refused");
}

/** Every scenario of the catalogue, passed: what a healthy world reports. */
const allPassed = Object.fromEntries(SCENARIO_NAMES.map((name) => [`scenarios.${name}`, "pass"]));

const statuses = (report: RunReport) => Object.fromEntries(report.results.map((r) => [r.id, r.status]));

async function tagged(runTag: string) {
  const { prisma } = s.database.db;
  const [events] = await prisma.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM "WebhookEvent" WHERE payload::text LIKE ${`%${runTag}%`}`;
  return { bookings: await prisma.booking.count({ where: { runTag } }), webhookEvents: Number(events!.n) };
}

/** A booking made the ordinary way (no run tag): it must survive every cleanup. */
async function existingBooking(email: string): Promise<string> {
  const booked = await s.world.calendly.book({ eventTypeUri: "https://api.calendly.com/event_types/grace-intro-call", email, name: "Existing Customer", startTime: new Date(Date.now() + 3 * 86_400_000).toISOString() });
  await s.world.calendly.idle();
  const b = await s.database.db.prisma.booking.findUniqueOrThrow({ where: { calendlyInviteeUri: booked.inviteeUri } });
  return b.id;
}

describe("bookflow scenarios run in the sandbox", () => {
  it("the built CLI runs all seven with --format json: exit 0, one report, every step passed; --cleanup (the sandbox default) leaves nothing behind", { timeout: 60_000 }, async () => {
    const before = await existingBooking("existing.customer@example.com");
    const usersBefore = await s.database.db.prisma.user.count();
    const r = await runCli(["scenarios", "run", "--format", "json"], { env: s.world.env });
    expect(r.exitCode, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as RunReport;
    expect(runReportSchema.safeParse(report).success).toBe(true);
    expect(statuses(report)).toEqual(allPassed);
    for (const result of report.results) expect(result.steps!.filter((x) => x.status !== "pass").map((x) => `${result.id} ${x.id}: ${x.message}`)).toEqual([]);
    expect(report.target).toBe("sandbox");
    // The live view went to stderr, one line per step.
    expect(r.stderr).toMatch(/^ {2}PASS +payment-applied +booking \S+ CONFIRMED\/PAID/m);
    expect(r.stderr).toMatch(/^ {2}PASS +booking-cancelled +booking \S+ CANCELLED\/REFUNDED/m);
    expect(r.stderr).toMatch(/^ {2}PASS +booking-moved +booking \S+ moved to \S+ .*still CONFIRMED\/PAID/m);
    expect(r.stderr).toMatch(/^ {2}PASS +slot-released +Calendly event \S+ canceled/m);
    expect(r.stderr).toMatch(/^ {2}PASS +refund-recorded +booking \S+ CONFIRMED\/REFUNDED/m);
    expect(r.stderr).toContain("Cleanup: removed 7 booking(s)");

    const run = report.scenarioRun!;
    expect(run.driver).toBe("sandbox");
    expect(run.cleanup).toMatchObject({ bookings: 7, users: 1, remaining: 0 });
    expect(await tagged(run.runTag)).toEqual({ bookings: 0, webhookEvents: 0 });
    const { prisma } = s.database.db;
    const ids = report.results.flatMap((x) => (x.details as { bookings: string[] }).bookings);
    expect(ids.length).toBe(7);
    expect(await prisma.booking.count({ where: { id: { in: ids } } })).toBe(0);
    expect(await prisma.emailMessage.count({ where: { bookingId: { in: ids } } })).toBe(0);
    expect(await prisma.auditLog.count({ where: { target: { in: ids } } })).toBe(0);
    expect(await prisma.user.count({ where: { email: { contains: run.runId.toLowerCase() } } })).toBe(0);
    expect(await prisma.user.count()).toBe(usersBefore);
    // The booking that was there before is untouched, with its webhook and email.
    expect(await prisma.booking.findUnique({ where: { id: before } })).toMatchObject({ status: "CONFIRMED", runTag: null });
    expect(await prisma.webhookEvent.count({ where: { bookingId: before } })).toBe(1);
    expect(await prisma.emailMessage.count({ where: { bookingId: before } })).toBe(1);
  });

  it("--no-cleanup keeps the run's tagged data; `scenarios cleanup` previews it, then removes exactly that", async () => {
    const before = await existingBooking("another.customer@example.com");
    const kept = await run({ names: ["paid-session"], cleanup: false, runId: "keepme1" });
    expect(kept.code).toBe(0);
    expect(kept.report.scenarioRun).toMatchObject({ runId: "keepme1", runTag: "bookflow-keepme1", cleanup: null });
    expect(kept.err).toContain("bookflow scenarios cleanup keepme1");
    expect((await tagged("bookflow-keepme1")).bookings).toBe(1);
    expect(await s.database.db.prisma.user.count({ where: { email: "scenario+keepme1.paid@example.com" } })).toBe(1);

    const preview = await handler((ctx) => scenariosCleanup({ runId: "keepme1", dryRun: true, json: true }, { ctx }));
    expect(preview.code).toBe(0);
    expect(JSON.parse(preview.out)).toMatchObject({ runId: "keepme1", bookings: 1, users: 1, emails: 2 });
    expect((await tagged("bookflow-keepme1")).bookings).toBe(1);

    // No terminal and no --yes: the plan is printed as JSON, nothing is removed, exit 2.
    const unconfirmed = await handler((ctx) => scenariosCleanup({ runId: "keepme1" }, { ctx }), {}, { interactive: false }).catch((e: unknown) => e);
    expect(exitCodeForError(unconfirmed)).toBe(2);
    expect((await tagged("bookflow-keepme1")).bookings).toBe(1);

    const applied = await handler((ctx) => scenariosCleanup({ runId: "keepme1", yes: true }, { ctx }));
    expect(applied.code).toBe(0);
    expect(applied.out).toContain("removed 1 booking(s)");
    expect(await tagged("bookflow-keepme1")).toEqual({ bookings: 0, webhookEvents: 0 });
    expect(await s.database.db.prisma.user.count({ where: { email: "scenario+keepme1.paid@example.com" } })).toBe(0);
    expect(await s.database.db.prisma.booking.count({ where: { id: before } })).toBe(1);
  });

  it("the staging driver passes the same scenarios against the sandbox app with the emulators' control routes unused", { timeout: 40_000 }, async () => {
    const emulators = [s.world.calendly, s.world.stripe, s.world.sendgrid];
    const marks = emulators.map((e) => e.requestLog.length);
    const r = await run({ driver: "staging" });
    expect(r.code, r.err).toBe(0);
    expect(r.report.scenarioRun).toMatchObject({ driver: "staging", cleanup: { bookings: 7, remaining: 0 } });
    expect(statuses(r.report)).toEqual(allPassed);
    const webhooks = r.report.results.find((x) => x.id === "scenarios.webhook-processing")!;
    expect(webhooks.steps!.find((x) => x.id === "calendly-agrees")).toMatchObject({ status: "skip" });
    expect(webhooks.steps!.find((x) => x.id === "stripe-agrees")!.message).toContain("the staging driver paid by payment intent");
    const cancellation = r.report.results.find((x) => x.id === "scenarios.cancellation")!;
    expect(cancellation.steps!.find((x) => x.id === "booking-cancelled")!.message).toContain("CANCELLED/REFUNDED");
    // The staging driver's Calendly holds no event: the slot release is a stated skip, not a pass.
    const abandoned = r.report.results.find((x) => x.id === "scenarios.abandoned-checkout")!;
    expect(abandoned.steps!.find((x) => x.id === "slot-released")).toMatchObject({ status: "skip", message: expect.stringMatching(/Calendly holds no event/) });
    const moved = r.report.results.find((x) => x.id === "scenarios.reschedule")!;
    expect(moved.steps!.find((x) => x.id === "reschedule")!.message).toContain("posted Calendly's reschedule pair");
    const control = emulators.flatMap((e, i) => e.requestLog.slice(marks[i]).filter((x) => x.path.startsWith("/_control")).map((x) => `${e.name} ${x.method} ${x.path}`));
    expect(control).toEqual([]);

    // Stripe delivered the payment itself (payment_intent.succeeded); bookflow signed only Calendly's webhooks, and says so.
    expect(webhooks.steps!.find((x) => x.id === "pay")!.message).toMatch(/^paid \d+ usd with a test card \(payment intent pi_\w+\); Stripe delivers payment_intent\.succeeded to the registered endpoint itself$/);
    expect(webhooks.steps!.find((x) => x.id === "checkout-completed-received")!.message).toMatch(/: payment_intent\.succeeded PROCESSED$/);
    expect(abandoned.steps!.find((x) => x.id === "expire")!.message).toContain("Stripe delivers checkout.session.expired to the registered endpoint itself");
    const refunded = r.report.results.find((x) => x.id === "scenarios.refund-outside-bookflow")!;
    expect(refunded.steps!.find((x) => x.id === "refund-outside")!.message).toContain("Stripe delivers charge.refunded to the registered endpoint itself");
    for (const result of r.report.results) {
      expect(result.steps!.find((x) => x.id === "book")!.limits).toEqual([CALENDLY_LIMIT]);
      expect(result.limits![0]).toBe(CALENDLY_LIMIT);
      for (const step of result.steps!.filter((x) => x.id === "pay" || x.id === "expire" || x.id === "refund-outside")) expect(step.limits).toBeUndefined();
    }
    expect(cancellation.limits).toEqual([CALENDLY_LIMIT, expect.stringMatching(/^Calendly cannot be made to book through its API, so it holds no booking to cancel: bookflow signed this invitee\.canceled itself$/)]);
    expect(moved.steps!.find((x) => x.id === "reschedule")!.limits).toEqual([expect.stringContaining("bookflow signed this reschedule pair")]);
  });

  describe("the staging driver with Stripe's own deliveries (built CLI)", () => {
    it("the endpoint's secret rolled at Stripe (the app keeps the old one): the paid scenario fails on payment-applied, saying Stripe's deliveries did not arrive and what pending_webhooks says; --deliveries signed would have passed it", { timeout: 60_000 }, async () => {
      const [endpoint] = s.world.stripe.webhookEndpoints();
      s.world.stripe.setWebhookSecret(endpoint!.id, "whsec_rolledFAKEInTheDashboard0000000000");
      try {
        const r = await runCli(["scenarios", "run", "paid-session", "--driver", "staging", "--step-timeout", "2s", "--format", "json"], { env: s.world.env });
        expect(r.exitCode, r.stderr).toBe(1);
        const report = JSON.parse(r.stdout) as RunReport;
        const paid = report.results[0]!;
        expect(paid).toMatchObject({ id: "scenarios.paid-session", status: "fail" });
        const step = paid.steps!.find((x) => x.id === "payment-applied")!;
        expect(step.status).toBe("fail");
        expect(step.message).toMatch(/^booking \S+ still PENDING\/UNPAID after 2 s; /);
        expect(step.message).toMatch(/Stripe's deliveries did not arrive: payment_intent\.succeeded evt_\w+ \([^)]+\) has pending_webhooks 1, Stripe could not deliver it to 1 endpoint\(s\)/);
        expect(step.message).toContain("STRIPE_WEBHOOK_SECRET");
        expect(paid.message).toMatch(/^step payment-applied \(Booking CONFIRMED, payment PAID\) failed: /);
        // Stripe tried: its deliveries to the app were refused (the app verifies with the old secret).
        const attempts = s.world.stripe.deliveries().filter((d) => d.eventType === "payment_intent.succeeded" && d.body.includes(report.scenarioRun!.runId.toLowerCase()));
        expect(attempts.length).toBeGreaterThan(0);
        expect(attempts.some((d) => d.ok)).toBe(false);
        expect(s.world.stripe.events().filter((e) => e.type === "payment_intent.succeeded" && e.pending_webhooks > 0).length).toBeGreaterThan(0);

        // What the staging driver did before: bookflow signs with the same stale secret the app holds, so the run passes.
        const signed = await runCli(["scenarios", "run", "paid-session", "--driver", "staging", "--deliveries", "signed", "--step-timeout", "5s", "--format", "json"], { env: s.world.env });
        expect(signed.exitCode, signed.stderr).toBe(0);
        const signedReport = JSON.parse(signed.stdout) as RunReport;
        expect(signedReport.results[0]!.steps!.find((x) => x.id === "pay")!.limits).toEqual([
          "bookflow signed this checkout.session.completed itself with STRIPE_WEBHOOK_SECRET (--deliveries signed): Stripe's own delivery to the endpoint was not exercised",
        ]);
      } finally {
        s.world.stripe.setWebhookSecret(endpoint!.id, endpoint!.secret);
      }
    });

    it("healthy: the paid scenario passes, and the text and Markdown reports state the Calendly limit", { timeout: 60_000 }, async () => {
      const r = await runCli(["scenarios", "run", "paid-session", "--driver", "staging"], { env: s.world.env });
      expect(r.exitCode, r.stdout + r.stderr).toBe(0);
      const text = r.stdout + r.stderr;
      expect(text).toMatch(/^ {2}PASS +pay +paid \d+ usd with a test card \(payment intent pi_\w+\); Stripe delivers payment_intent\.succeeded/m);
      expect(text).toMatch(/^ {2}PASS +payment-applied +booking \S+ CONFIRMED\/PAID/m);
      expect(text).toContain(`        limit: ${CALENDLY_LIMIT}\n`);
      expect(text).toContain(`Stated limits (not proven by this run)\n  • scenarios.paid-session: ${CALENDLY_LIMIT}\n`);

      const md = await runCli(["scenarios", "run", "paid-session", "--driver", "staging", "--format", "markdown"], { env: s.world.env });
      expect(md.exitCode, md.stderr).toBe(0);
      expect(md.stdout).toMatch(new RegExp(`\\| ↳ \`book\` .*<br>Limit: ${CALENDLY_LIMIT.replace(/\./g, "\\.")} \\|`));
    });

    it("needs no STRIPE_WEBHOOK_SECRET when Stripe delivers (only --deliveries signed signs with it)", { timeout: 40_000 }, async () => {
      const r = await run({ names: ["free-session"], driver: "staging" }, { STRIPE_WEBHOOK_SECRET: undefined });
      expect(r.code, r.err).toBe(0);
      expect(statuses(r.report)).toEqual({ "scenarios.free-session": "pass" });
      expect(r.report.results[0]!.limits).toEqual([CALENDLY_LIMIT]);
    });
  });

  it("verify --with-scenarios runs the checks, then the scenarios, into one report (built CLI)", { timeout: 40_000 }, async () => {
    const r = await runCli(["verify", "--only", "env", "--with-scenarios", "free-session", "--format", "json"], { env: s.world.env });
    expect(r.exitCode, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as RunReport;
    expect(runReportSchema.safeParse(report).success).toBe(true);
    const ids = report.results.map((x) => x.id);
    expect(ids.at(-1)).toBe("scenarios.free-session");
    expect(ids.slice(0, -1).every((id) => id.startsWith("env."))).toBe(true);
    expect(report.summary.total).toBe(ids.length);
    expect(report.scenarioRun).toMatchObject({ driver: "sandbox", cleanup: { bookings: 1, remaining: 0 } });
    expect(r.stderr).toMatch(/PASS +env\.required-present/);
    expect(r.stderr).toMatch(/^ {2}PASS +confirmation-email/m);
  });

  it("lists the scenarios and their steps", async () => {
    const r = await handler((ctx) => scenariosListCommand()({ json: true }, { ctx }));
    const list = JSON.parse(r.out) as { name: string; steps: { id: string }[] }[];
    expect(list.map((x) => x.name)).toEqual(SCENARIO_NAMES);
    expect(list[1]!.steps.map((x) => x.id)).toContain("payment-applied");
  });
});

describe("bookflow scenarios: bad input is refused with exit 2 before anything runs", () => {
  it("refuses --target production without --allow-production (built CLI)", async () => {
    const bookings = await s.database.db.prisma.booking.count();
    const r = await runCli(["scenarios", "run", "--target", "production"], { env: s.world.env });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("Refusing to run the scenarios against production");
    expect(r.stderr).toContain("--allow-production");
    expect(r.stdout).toBe("");
    expect(await s.database.db.prisma.booking.count()).toBe(bookings);
    // BOOKFLOW_TARGET=production counts the same.
    expect((await refused({}, { BOOKFLOW_TARGET: "production" })).code).toBe("PRODUCTION_REFUSED");
  });

  it("verify --with-scenarios refuses production the same way, before any check runs", async () => {
    const err = await handler((ctx) => verifyCommand()({ withScenarios: true, target: "production", only: ["env"] }, { ctx })).catch((e: unknown) => e);
    expect(exitCodeForError(err)).toBe(2);
    expect(err).toMatchObject({ code: "PRODUCTION_REFUSED" });
  });

  it.each([
    ["an unknown scenario", { names: ["free-sesion"] }, {}, "UNKNOWN_SCENARIO", /Did you mean free-session/],
    ["a step timeout that is not a duration", { stepTimeout: "soon" }, {}, "BAD_OPTION", /--step-timeout "soon"/],
    ["an unknown driver", { driver: "browser" as never }, {}, "CONFIG_INVALID", /driver: must be auto, sandbox or staging/],
    ["a run id that cannot tag data", { runId: "bad id!" }, {}, "CONFIG_INVALID", /runId: must be 1 to 40 letters/],
    ["an unknown format", { format: ["pdf"] }, {}, "BAD_OPTION", /Unknown --format "pdf"/],
    ["an invitee email domain that is not a domain", { emailDomain: "not a domain" }, {}, "CONFIG_INVALID", /emailDomain: must be a domain name/],
    ["a --user-email nobody has", { userEmail: "nobody@example.com" }, {}, "USER_NOT_FOUND", /leave --user-email out/],
    ["no app URL in the environment", {}, { NEXT_PUBLIC_BASE_URL: undefined }, "ENV_MISSING", /NEXT_PUBLIC_BASE_URL/],
    ["the sandbox driver without reachable control routes", { driver: "sandbox" as const }, { CALENDLY_API_BASE: "http://127.0.0.1:9" }, "SANDBOX_UNREACHABLE", /--driver staging/],
    ["the staging driver without Calendly's signing key", { driver: "staging" as const }, { CALENDLY_WEBHOOK_SIGNING_KEY: undefined }, "ENV_MISSING", /CALENDLY_WEBHOOK_SIGNING_KEY.*Calendly cannot be made to book through its API/],
    ["--deliveries signed without the Stripe webhook secret", { driver: "staging" as const, deliveries: "signed" as const }, { STRIPE_WEBHOOK_SECRET: undefined }, "ENV_MISSING", /STRIPE_WEBHOOK_SECRET \(for --deliveries signed\)/],
    ["--deliveries signed with the sandbox driver", { deliveries: "signed" as const }, {}, "BAD_OPTION", /--deliveries signed applies to the staging driver only; this run uses the sandbox driver/],
    ["an unknown --deliveries", { driver: "staging" as const, deliveries: "pigeon" as never }, {}, "CONFIG_INVALID", /deliveries: must be provider \(Stripe delivers its events\) or signed/],
  ])("refuses %s", async (_what, options, env, code, text) => {
    const r = await refused(options as Partial<RunOptions>, env);
    expect(r.exit).toBe(2);
    expect(r.code).toBe(code);
    expect(r.text).toMatch(text);
  });

  it("refuses a cleanup of a run id that is not one (built CLI)", async () => {
    const r = await runCli(["scenarios", "cleanup", "not a run id", "--yes"], { env: s.world.env });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("runId: must be 1 to 40 letters");
  });
});
