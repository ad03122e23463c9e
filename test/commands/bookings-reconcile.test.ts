import type Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bookingsReconcile, parseDateFlag, type BookingsReconcileOptions, type ReconcileReport } from "../../commands/handlers/bookings-reconcile.js";
import { createContext } from "../../src/context.js";
import { listAudit } from "../../src/core/audit.js";
import { DISAGREEMENT_KINDS, type DisagreementKind } from "../../src/core/reconcile.js";
import { openDatabase, type Database } from "../../src/db/client.js";
import { exitCodeForError } from "../../src/engine/exit-codes.js";
import { BookflowError } from "../../src/errors.js";
import { createCalendlyClient } from "../../src/providers/calendly/client.js";
import { createStripeClient } from "../../src/providers/stripe-client.js";
import { runCli } from "../support/cli.js";
import { startTestSandbox, type TestSandbox } from "../support/sandbox.js";
import { expectUsageFailure } from "../support/errors.js";

/**
 * `bookflow bookings reconcile` against one sandbox world built through the
 * real flows (Calendly bookings and cancellations delivered to the app as
 * webhooks, Stripe Checkout paid in the emulator), with disagreements planted
 * the way they happen: webhooks lost while a subscription / endpoint was
 * disabled, a refund made in Stripe by hand, a payment never made.
 */

const FREE = "https://api.calendly.com/event_types/ada-intro-call";
const PAID = "https://api.calendly.com/event_types/ada-build-session";
const ACTOR = "reconcile-test@example.com";
const HOUR = 3_600_000;

interface Planted {
  missing: string[]; // Calendly invitee URIs
  paid: string[]; // booking ids
  cancelled: string[];
  refunded: string[];
  stuck: string[];
}

describe("bookflow bookings reconcile", () => {
  let s: TestSandbox;
  let db: Database;
  let stripe: Stripe;
  let since: string;
  let until: string;
  let quiet: { since: string; until: string };
  const planted: Planted = { missing: [], paid: [], cancelled: [], refunded: [], stuck: [] };
  const agreeing: string[] = [];

  beforeAll(async () => {
    s = await startTestSandbox();
    db = await openDatabase({ databaseUrl: s.world.env.DATABASE_URL!, poolSize: 2 });
    stripe = await createStripeClient({ secretKey: s.world.env.STRIPE_SECRET_KEY!, apiBase: s.world.env.STRIPE_API_BASE! });
    const calendlyApi = createCalendlyClient({ token: s.world.env.CALENDLY_API_TOKEN!, baseUrl: s.world.env.CALENDLY_API_BASE! });
    const me = await calendlyApi.getCurrentUser();
    const [sub] = await calendlyApi.listWebhookSubscriptions({ organization: me.current_organization, scope: "organization" });
    const [endpoint] = (await stripe.webhookEndpoints.list()).data;

    const now = Date.now();
    const windowStart = Math.floor(now / HOUR) * HOUR;
    const base = windowStart + 72 * HOUR;
    since = new Date(windowStart).toISOString();
    until = new Date(base + 5 * 24 * HOUR).toISOString();
    quiet = { since: new Date(base + 10 * 24 * HOUR).toISOString(), until: new Date(base + 11 * 24 * HOUR).toISOString() };
    let slot = 0;
    let who = 0;
    const next = () => new Date(base + slot++ * HOUR).toISOString();

    const bookingOf = async (inviteeUri: string) => {
      const [b] = await db.sql.query<{ id: string; stripeCheckoutSessionId: string | null; stripePaymentIntentId: string | null }>(
        `SELECT id, "stripeCheckoutSessionId", "stripePaymentIntentId" FROM "Booking" WHERE "calendlyInviteeUri" = $1`,
        [inviteeUri],
      );
      return b;
    };
    const book = async (type: string, startTime = next()) => {
      const r = await s.world.calendly.book({ eventTypeUri: type, email: `customer${++who}@example.com`, name: `Customer ${who}`, startTime });
      return { ...r, booking: await bookingOf(r.inviteeUri) };
    };
    const pay = async (inviteeUri: string) => {
      const b = await bookingOf(inviteeUri);
      await s.world.stripe.completeCheckout(b!.stripeCheckoutSessionId!);
      await s.world.stripe.idle();
      return (await bookingOf(inviteeUri))!;
    };
    const calendlyHooks = (state: "active" | "disabled") => s.world.calendly.setSubscriptionState(sub!.uri, state);
    const stripeHooks = (disabled: boolean) => stripe.webhookEndpoints.update(endpoint!.id, { disabled });

    // Agreeing bookings: free, paid and paid, cancelled (refunded in the refund window), fresh unpaid ones.
    for (let i = 0; i < 6; i++) agreeing.push((await book(FREE)).booking!.id);
    for (let i = 0; i < 5; i++) agreeing.push((await pay((await book(PAID)).inviteeUri)).id);
    for (let i = 0; i < 2; i++) {
      const b = await book(FREE);
      await s.world.calendly.cancel({ inviteeUri: b.inviteeUri, reason: "changed plans" });
      agreeing.push(b.booking!.id);
    }
    for (let i = 0; i < 2; i++) {
      const b = await book(PAID);
      await pay(b.inviteeUri);
      await s.world.calendly.cancel({ inviteeUri: b.inviteeUri, reason: "changed plans" });
      await s.world.stripe.idle();
      agreeing.push(b.booking!.id);
    }
    for (let i = 0; i < 2; i++) agreeing.push((await book(PAID)).booking!.id); // PENDING, but fresh: not stuck

    // missing_in_db: booked while the Calendly subscription was disabled (and one outside the window: not reported).
    calendlyHooks("disabled");
    planted.missing.push((await book(FREE)).inviteeUri, (await book(PAID)).inviteeUri);
    await book(FREE, new Date(windowStart - 24 * HOUR).toISOString());
    calendlyHooks("active");

    // paid_not_recorded: paid while the Stripe endpoint was disabled; old enough to be stuck too, but the payment explains it.
    const unpaid = await book(PAID);
    await stripeHooks(true);
    await pay(unpaid.inviteeUri);
    await stripeHooks(false);
    planted.paid.push(unpaid.booking!.id);

    // cancelled_not_recorded: a free and a paid booking cancelled while the Calendly subscription was disabled.
    const free = await book(FREE);
    const paidOne = await book(PAID);
    await pay(paidOne.inviteeUri);
    calendlyHooks("disabled");
    await s.world.calendly.cancel({ inviteeUri: free.inviteeUri, reason: "cannot make it" });
    await s.world.calendly.cancel({ inviteeUri: paidOne.inviteeUri, reason: "cannot make it" });
    calendlyHooks("active");
    planted.cancelled.push(free.booking!.id, paidOne.booking!.id);

    // refunded_not_recorded: cancelled inside the no-refund window (stays CANCELLED/PAID), then refunded by hand in
    // Stripe while its endpoint was disabled (with it enabled, charge.refunded records the refund at once).
    const late = await book(PAID, new Date(windowStart + 3 * HOUR).toISOString());
    const paidLate = await pay(late.inviteeUri);
    await s.world.calendly.cancel({ inviteeUri: late.inviteeUri, reason: "last-minute" });
    await stripeHooks(true);
    await stripe.refunds.create({ payment_intent: paidLate.stripePaymentIntentId! });
    await s.world.stripe.idle();
    await stripeHooks(false);
    planted.refunded.push(late.booking!.id);

    // stuck_pending: never paid, created two hours ago.
    const stuck = await book(PAID);
    planted.stuck.push(stuck.booking!.id);
    await db.sql.query(`UPDATE "Booking" SET "createdAt" = "createdAt" - interval '2 hours' WHERE id = ANY($1::text[])`, [[stuck.booking!.id, unpaid.booking!.id]]);

    // A quiet window where everything agrees.
    slot = 10 * 24;
    await book(FREE);
    await pay((await book(PAID)).inviteeUri);
    await s.world.stripe.idle();
  });
  afterAll(async () => {
    await db?.close();
    await s?.stop();
  });

  async function reconcile(options: BookingsReconcileOptions = {}, extra: { env?: Record<string, string | undefined>; sleep?: (ms: number) => Promise<void>; interactive?: boolean; ask?: (q: string) => Promise<boolean> } = {}) {
    let out = "";
    let err = "";
    const ctx = createContext({ env: { ...s.world.env, BOOKFLOW_ACTOR: ACTOR, ...extra.env } as NodeJS.ProcessEnv, out: (t) => (out += t), err: (t) => (err += t) });
    const code = await bookingsReconcile(
      { since, until, ...options },
      { ctx, interactive: extra.interactive ?? false, ...(extra.sleep ? { sleep: extra.sleep } : {}), ...(extra.ask ? { ask: extra.ask } : {}) },
    );
    return { code, out, err, report: options.json ? (JSON.parse(out) as ReconcileReport) : undefined };
  }

  /** The keys of the reported disagreements, by kind (booking id; Calendly invitee URI for missing_in_db). */
  const found = (r: ReconcileReport) => {
    const by = Object.fromEntries(DISAGREEMENT_KINDS.map((k) => [k, [] as string[]])) as Record<DisagreementKind, string[]>;
    for (const d of r.disagreements) by[d.kind].push(d.kind === "missing_in_db" ? d.calendlyInviteeUri! : d.bookingId!);
    for (const k of Object.keys(by) as DisagreementKind[]) by[k].sort();
    return by;
  };
  const expected = () => ({
    ...(Object.fromEntries(DISAGREEMENT_KINDS.map((k) => [k, []])) as unknown as Record<DisagreementKind, string[]>),
    missing_in_db: [...planted.missing].sort(),
    paid_not_recorded: [...planted.paid].sort(),
    cancelled_not_recorded: [...planted.cancelled].sort(),
    refunded_not_recorded: [...planted.refunded].sort(),
    stuck_pending: [...planted.stuck].sort(),
  });
  const states = async () => {
    const rows = await db.sql.query<{ id: string; s: string }>(`SELECT id, status::text || '/' || "paymentStatus"::text AS s FROM "Booking" ORDER BY id`);
    return Object.fromEntries(rows.map((r) => [r.id, r.s]));
  };

  it("finds each planted disagreement, by kind, and nothing else; exit 1", async () => {
    const { code, report } = await reconcile({ json: true });
    expect(code).toBe(1);
    expect(found(report!)).toEqual(expected());
    expect(report!.counts).toEqual({ ...Object.fromEntries(DISAGREEMENT_KINDS.map((k) => [k, 0])), missing_in_db: 2, paid_not_recorded: 1, cancelled_not_recorded: 2, refunded_not_recorded: 1, stuck_pending: 1 });
    expect(report!.outcome).toBe("disagreements");
    expect(report!.window).toEqual({ basis: "start_time", since, until });
    // Each disagreement names what a person needs: ids on every side and an action.
    const paid = report!.disagreements.find((d) => d.kind === "paid_not_recorded")!;
    expect(paid.stripePaymentIntentId).toMatch(/^pi_/);
    expect(paid.database).toEqual({ status: "PENDING", paymentStatus: "UNPAID" });
    const refund = report!.disagreements.find((d) => d.kind === "refunded_not_recorded")!;
    expect(refund.stripeRefundIds[0]).toMatch(/^re_/);
    expect(refund.database).toEqual({ status: "CANCELLED", paymentStatus: "PAID" });
    const missing = report!.disagreements.filter((d) => d.kind === "missing_in_db");
    for (const d of missing) expect(d.calendlyEventUri).toMatch(/^https:\/\/api\.calendly\.com\/scheduled_events\//);
    expect(report!.disagreements.every((d) => d.suggestedAction.length > 0)).toBe(true);
    expect(report!.disagreements.filter((d) => d.fixable).map((d) => d.kind).sort()).toEqual(
      ["cancelled_not_recorded", "cancelled_not_recorded", "missing_in_db", "missing_in_db", "paid_not_recorded", "refunded_not_recorded"].sort(),
    );
    expect(report!.stats.calendly.events).toBeGreaterThan(20);
  });

  it("the built CLI, as a process: exit 1, the same report as JSON; a readable report without --json", async () => {
    const r = await runCli(["bookings", "reconcile", "--since", since, "--until", until, "--json"], { env: s.world.env });
    expect(r.exitCode, r.stderr).toBe(1);
    const report = JSON.parse(r.stdout) as ReconcileReport;
    expect(found(report)).toEqual(expected());
    expect(r.stdout).not.toContain(s.world.env.STRIPE_SECRET_KEY!);

    const human = await reconcile();
    expect(human.code).toBe(1);
    expect(human.out).toMatch(
      /7 disagreement\(s\): missing_in_db 2, paid_not_recorded 1, reschedule_not_recorded 0, cancelled_not_recorded 2, checkout_expired 0, refunded_not_recorded 1, dispute_open 0, slot_not_released 0, stuck_pending 1/,
    );
    expect(human.out).toContain(planted.stuck[0]!);
    expect(human.out).toMatch(/6 of 7 can be repaired with --fix/);
  });

  it("reports nothing in a window where the sources agree: exit 0", async () => {
    const { code, report } = await reconcile({ ...quiet, json: true });
    expect(code).toBe(0);
    expect(report!.total).toBe(0);
    expect(report!.outcome).toBe("clean");
    expect(report!.stats.calendly.events).toBe(2);
  });

  it("pages through every source with pages smaller than the data, and finds the same", async () => {
    const { report } = await reconcile({ json: true, pageSize: "2" });
    expect(found(report!)).toEqual(expected());
    expect(report!.stats.calendly.pages).toBeGreaterThan(10);
    expect(report!.stats.stripe.pages).toBeGreaterThan(5);
  });

  it("honours 429s with Retry-After from both emulators (sandbox faults) and still finds the same", async () => {
    const waits: number[] = [];
    const sleep = async (ms: number) => {
      waits.push(ms);
    };
    const logged = { calendly: s.world.calendly.requestLog.length, stripe: s.world.stripe.requestLog.length };
    // Retry-After 7 s: distinct from any back-off step, and slept through the injected sleep (recorded, not waited).
    // About 30 requests at a 30% share: at least one 429 all but certainly, nine in a row (the retry budget) practically never.
    s.world.calendly.setFaults({ rate429: 0.3, retryAfterSeconds: 7 });
    s.world.stripe.setFaults({ rate429: 0.3, retryAfterSeconds: 7 });
    try {
      const { report } = await reconcile({ json: true, pageSize: "2" }, { sleep });
      expect(found(report!)).toEqual(expected());
      const got429 = (log: { status: number }[], from: number) => log.slice(from).filter((r) => r.status === 429).length;
      const calendly429 = got429(s.world.calendly.requestLog, logged.calendly);
      const stripe429 = got429(s.world.stripe.requestLog, logged.stripe);
      expect(calendly429 + stripe429).toBeGreaterThan(0);
      // Every 429 was waited out for exactly what it asked.
      expect(waits.length).toBe(calendly429 + stripe429);
      expect(waits.every((w) => w === 7000)).toBe(true);
      expect(report!.stats.stripe.rateLimitedRetries).toBe(stripe429);
    } finally {
      s.world.calendly.setFaults({});
      s.world.stripe.setFaults({});
    }
  });

  it("--fix without a terminal and without --yes prints the plan as JSON, exits 2 and changes nothing", async () => {
    const before = await states();
    const r = await runCli(["bookings", "reconcile", "--since", since, "--until", until, "--fix"], { env: { ...s.world.env, BOOKFLOW_ACTOR: ACTOR } });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/--yes/);
    const plan = JSON.parse(r.stdout.slice(r.stdout.indexOf("\n{") + 1)) as ReconcileReport;
    expect(plan.fix?.decision).toBe("pending");
    expect(plan.fix?.planned).toBe(6);
    expect(await states()).toEqual(before);
  });

  it("--fix --dry-run lists the repairs and changes nothing (exit 1: the disagreements remain); a terminal's 'no' aborts", async () => {
    const before = await states();
    const dry = await reconcile({ fix: true, dryRun: true });
    expect(dry.code).toBe(1);
    expect(dry.out).toMatch(/Repairs \(--fix\): 6 of 7 disagreement\(s\); 1 reported only/);
    expect(dry.out).toMatch(/missing_in_db: create the booking for Calendly invitee/);
    expect(dry.out).toMatch(/refunded_not_recorded: record on booking .* the refunds made in Stripe \(re_\S+, \d+ cents\) — charge\.refunded through the intake/);
    const asked: string[] = [];
    const no = reconcile({ fix: true }, { interactive: true, ask: async (q) => (asked.push(q), false) });
    await expect(no).rejects.toMatchObject({ code: "ABORTED" });
    expect(asked).toHaveLength(1);
    expect(await states()).toEqual(before);
  });

  it("--fix --yes repairs only the safe ones, each audited; a second reconcile finds only the stuck booking", async () => {
    const auditBefore = (await listAudit(db.prisma, { action: "booking.reconcile.*", limit: 1000 })).length;
    const { code, report } = await reconcile({ fix: true, yes: true, json: true, actor: "ops@example.com" });
    expect(code).toBe(1); // stuck_pending is reported, not repaired
    expect(report!.fix).toMatchObject({ decision: "apply", planned: 6, repaired: 6, failed: 0 });
    expect(report!.fix!.results.every((r) => r.outcome === "repaired")).toBe(true);

    const after = await states();
    expect(after[planted.paid[0]!]).toBe("CONFIRMED/PAID");
    expect(after[planted.cancelled[0]!]).toBe("CANCELLED/NOT_REQUIRED");
    expect(after[planted.cancelled[1]!]).toBe("CANCELLED/PAID"); // its refund (if due) is a person's call: reconcile moves no money
    expect(after[planted.refunded[0]!]).toBe("CANCELLED/REFUNDED");
    expect(after[planted.stuck[0]!]).toBe("PENDING/UNPAID");
    const created = await db.sql.query<{ uri: string; s: string }>(
      `SELECT "calendlyInviteeUri" AS uri, status::text || '/' || "paymentStatus"::text AS s FROM "Booking" WHERE "calendlyInviteeUri" = ANY($1::text[]) ORDER BY 1`,
      [planted.missing],
    );
    expect(created.map((c) => c.s).sort()).toEqual(["CONFIRMED/NOT_REQUIRED", "PENDING/UNPAID"]);

    const audit = await listAudit(db.prisma, { action: "booking.reconcile.*", limit: 1000 });
    expect(audit.length - auditBefore).toBe(6);
    expect(audit.slice(0, 6).every((a) => a.actor === "ops@example.com")).toBe(true);
    expect(audit.map((a) => a.action).sort().slice(0, 6)).toEqual(
      ["booking.reconcile.cancelled_not_recorded", "booking.reconcile.cancelled_not_recorded", "booking.reconcile.missing_in_db", "booking.reconcile.missing_in_db", "booking.reconcile.paid_not_recorded", "booking.reconcile.refunded_not_recorded"],
    );
    // The stripe refund is recorded, not made again: still exactly one refund for that payment.
    const refundsOfLate = await stripe.refunds.list({ payment_intent: report!.disagreements.find((d) => d.kind === "refunded_not_recorded")!.stripePaymentIntentId! });
    expect(refundsOfLate.data).toHaveLength(1);

    const again = await reconcile({ json: true });
    expect(again.code).toBe(1);
    expect(found(again.report!)).toEqual({ ...(Object.fromEntries(DISAGREEMENT_KINDS.map((k) => [k, []])) as unknown as Record<DisagreementKind, string[]>), stuck_pending: planted.stuck });

    // Running --fix again finds nothing left to repair.
    const rerun = await reconcile({ fix: true, yes: true, json: true });
    expect(rerun.report!.fix).toMatchObject({ decision: "nothing-to-do", planned: 0 });
    expect(rerun.code).toBe(1);
  });

  describe("bad input: exit 2 with what is wrong and how to fix it", () => {
    const cases: [string, BookingsReconcileOptions, string, RegExp][] = [
      ["no --since", { since: undefined }, "BAD_OPTION", /--since/],
      ["a malformed --since", { since: "2026-13-45" }, "BAD_DATE", /--since/],
      ["a --since that is not a date", { since: "yesterday" }, "BAD_DATE", /not a date/],
      ["a time without a zone", { since: "2026-03-01T10:00" }, "BAD_DATE", /time zone/],
      ["--until before --since", { since: "2026-03-10", until: "2026-03-01" }, "BAD_WINDOW", /not after --since/],
      ["--until equal to --since", { since: "2026-03-10", until: "2026-03-10T00:00:00Z" }, "BAD_WINDOW", /empty/],
      ["a bad --stuck-after", { stuckAfter: "5 minutes" }, "BAD_OPTION", /--stuck-after/],
      ["a zero --stuck-after", { stuckAfter: "0m" }, "BAD_OPTION", /--stuck-after/],
      ["a bad --stripe-lookback", { stripeLookback: "forever" }, "BAD_OPTION", /--stripe-lookback/],
      ["a --page-size above 100", { pageSize: "500" }, "BAD_OPTION", /--page-size/],
      ["a --page-size that is not a number", { pageSize: "ten" }, "BAD_OPTION", /--page-size/],
      ["--yes without --fix", { yes: true }, "CONFLICTING_OPTIONS", /--fix/],
      ["--dry-run without --fix", { dryRun: true }, "CONFLICTING_OPTIONS", /--fix/],
      ["--yes with --dry-run", { fix: true, yes: true, dryRun: true }, "CONFLICTING_OPTIONS", /--dry-run/],
    ];
    it.each(cases)("%s", async (_name, options, code, message) => {
      const err = await expectUsageFailure(reconcile(options), { code, message });
      expect(err).toBeInstanceOf(BookflowError);
    });

    it("a missing CALENDLY_API_TOKEN is a configuration error naming it", async () => {
      const err = (await reconcile({}, { env: { CALENDLY_API_TOKEN: undefined } }).catch((e: unknown) => e)) as BookflowError;
      expect(err.code).toBe("ENV_MISSING");
      expect(err.message).toContain("CALENDLY_API_TOKEN");
      expect(exitCodeForError(err)).toBe(2);
    });

    it("the CLI process: exit 2 and the reason on stderr (malformed date; --until before --since; unknown flag)", async () => {
      const bad = await runCli(["bookings", "reconcile", "--since", "2026-02-30"], { env: s.world.env });
      expect(bad.exitCode).toBe(2);
      expect(bad.stderr).toMatch(/--since "2026-02-30" is not a date/);
      expect(bad.stderr).toMatch(/fix: Give a date/);
      const order = await runCli(["bookings", "reconcile", "--since", "2026-03-10", "--until", "2026-03-01"], { env: s.world.env });
      expect(order.exitCode).toBe(2);
      expect(order.stderr).toMatch(/--until .* is not after --since/);
      const unknown = await runCli(["bookings", "reconcile", "--since", "2026-03-10", "--frobnicate"], { env: s.world.env });
      expect(unknown.exitCode).toBe(2);
      expect(unknown.stderr).toMatch(/unknown option/);
    });

    it("parses the date forms it documents", () => {
      expect(parseDateFlag("2026-03-01", "--since").toISOString()).toBe("2026-03-01T00:00:00.000Z");
      expect(parseDateFlag("2026-03-01T09:30:00+02:00", "--since").toISOString()).toBe("2026-03-01T07:30:00.000Z");
      expect(parseDateFlag("2026-03-01T09:30Z", "--since").toISOString()).toBe("2026-03-01T09:30:00.000Z");
    });
  });
});
