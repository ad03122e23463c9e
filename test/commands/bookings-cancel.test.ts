import type Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bookingsCancel, type BookingsCancelOptions, type CancelReport } from "../../commands/handlers/bookings-cancel.js";
import { listAudit } from "../../src/core/audit.js";
import { openDatabase, type Database } from "../../src/db/client.js";
import { exitCodeForError } from "../../src/engine/exit-codes.js";
import { createCalendlyClient, type CalendlyClient } from "../../src/providers/calendly/client.js";
import { createStripeClient } from "../../src/providers/stripe-client.js";
import { runCli } from "../support/cli.js";
import { startTestSandbox, type TestSandbox } from "../support/sandbox.js";
import { freeBooking, inboxCount, PAID_AMOUNT, paidBooking, runHandler, waitFor } from "./bookings-world.js";
import { expectUsageFailure } from "../support/errors.js";

/**
 * `bookflow bookings cancel` against the sandbox: free and paid bookings, the
 * refund modes, a cancellation interrupted after the Calendly step (Stripe
 * refuses the refund once) and its re-run — exactly one refund and one email —
 * and the bad inputs that must exit 2.
 */
describe("bookflow bookings cancel", () => {
  let s: TestSandbox;
  let db: Database;
  let calendly: CalendlyClient;
  let stripe: Stripe;

  beforeAll(async () => {
    s = await startTestSandbox();
    db = await openDatabase({ databaseUrl: s.world.env.DATABASE_URL!, poolSize: 2 });
    calendly = createCalendlyClient({ token: s.world.env.CALENDLY_API_TOKEN!, baseUrl: s.world.env.CALENDLY_API_BASE! });
    stripe = await createStripeClient({ secretKey: s.world.env.STRIPE_SECRET_KEY!, apiBase: s.world.env.STRIPE_API_BASE! });
  });
  afterAll(async () => {
    await db?.close();
    await s?.stop();
  });

  const refundsOf = async (pi: string) => (await stripe.refunds.list({ payment_intent: pi })).data;
  /** Lets the invitee.canceled webhook (and the app's email sweep) run, so a test sees what they did. */
  const settle = async () => {
    await s.world.calendly.idle();
    await s.world.stripe.idle();
    await new Promise((r) => setTimeout(r, 1200));
  };
  const cancel = (options: Parameters<typeof bookingsCancel>[0], env: Record<string, string | undefined> = {}) => runHandler(bookingsCancel, options, s.world, { env });

  it("cancels a free booking: Calendly event canceled, CANCELLED, one cancellation email, audited; the webhook changes nothing more", async () => {
    const b = await freeBooking(s.world, db);
    const r = await cancel({ booking: b.id, reason: "customer asked by email", yes: true, actor: "ops@example.com" });
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/done\s+calendly/);
    const after = await db.prisma.booking.findUniqueOrThrow({ where: { id: b.id } });
    expect(after).toMatchObject({ status: "CANCELLED", paymentStatus: "NOT_REQUIRED", cancellationReason: "customer asked by email", cancelledBy: "ops@example.com (bookflow)" });
    expect((await calendly.getScheduledEvent(b.calendlyEventUri!)).status).toBe("canceled");
    await settle();
    // Calendly's invitee.canceled reached the app and was applied as "nothing to change".
    const webhook = await db.prisma.webhookEvent.findFirst({ where: { bookingId: b.id, type: "invitee.canceled" } });
    expect(webhook?.outcome).toBe("PROCESSED");
    expect(await db.prisma.emailMessage.count({ where: { bookingId: b.id, kind: "CANCELLATION" } })).toBe(1);
    expect(inboxCount(s.world, b.id, "CANCELLATION")).toBe(1);
    const audit = await listAudit(db.prisma, { target: b.id, actor: "ops@example.com" });
    expect(audit.map((e) => e.action)).toEqual(expect.arrayContaining(["booking.cancel", "booking.cancelled", "booking.slot_released", "booking.cancel.email"]));
    expect(audit.find((e) => e.action === "booking.cancel")).toMatchObject({ reason: "customer asked by email", after: { status: "CANCELLED", complete: true } });
  });

  it("cancels a paid booking inside the refund window (CLI, --json): one full refund, CANCELLED/REFUNDED, one email", async () => {
    const b = await paidBooking(s.world, db, { hoursAhead: 96 });
    const r = await runCli(["bookings", "cancel", b.id, "--reason", "builder is ill", "--yes", "--json", "--actor", "cli@example.com"], { env: s.world.env });
    expect(r.exitCode, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as CancelReport;
    expect(report.decision).toBe("apply");
    expect(report.plan.refund).toMatchObject({ action: "refund", amountCents: PAID_AMOUNT, code: "in_window", idempotencyKey: `refund:${b.id}` });
    expect(report.outcome).toMatchObject({ complete: true, after: { status: "CANCELLED", paymentStatus: "REFUNDED" } });
    await settle();
    const refunds = await refundsOf(b.stripePaymentIntentId!);
    expect(refunds.map((x) => x.amount)).toEqual([PAID_AMOUNT]);
    expect(inboxCount(s.world, b.id, "CANCELLATION")).toBe(1);
    expect(await db.prisma.booking.findUniqueOrThrow({ where: { id: b.id } })).toMatchObject({ status: "CANCELLED", paymentStatus: "REFUNDED" });
  });

  it("--refund none keeps the payment; --refund policy inside the no-refund window refunds nothing; --refund full refunds it anyway", async () => {
    const none = await paidBooking(s.world, db, { hoursAhead: 120 });
    expect((await cancel({ booking: none.id, reason: "no refund agreed", refund: ["none"], yes: true })).code).toBe(0);
    expect(await db.prisma.booking.findUniqueOrThrow({ where: { id: none.id } })).toMatchObject({ status: "CANCELLED", paymentStatus: "PAID" });

    const late = await paidBooking(s.world, db, { hoursAhead: 3 });
    const policy = await cancel({ booking: late.id, reason: "late cancellation", refund: "policy", yes: true, json: true });
    expect(policy.code).toBe(0);
    expect((JSON.parse(policy.out) as CancelReport).plan.refund).toMatchObject({ action: "skip", code: "outside_window" });
    expect(await db.prisma.booking.findUniqueOrThrow({ where: { id: late.id } })).toMatchObject({ status: "CANCELLED", paymentStatus: "PAID" });

    // Same booking, the operator decides on a goodwill refund: only the refund is left to do.
    const full = await cancel({ booking: late.id, reason: "goodwill", refund: "full", yes: true, json: true });
    expect(full.code).toBe(0);
    const report = JSON.parse(full.out) as CancelReport;
    expect(report.plan).toMatchObject({ calendly: { action: "skip" }, booking: { action: "skip" }, refund: { action: "refund", code: "full" }, email: { action: "skip" } });
    await settle();
    expect((await refundsOf(none.stripePaymentIntentId!)).length).toBe(0);
    expect((await refundsOf(late.stripePaymentIntentId!)).map((x) => x.amount)).toEqual([PAID_AMOUNT]);
    expect(inboxCount(s.world, late.id, "CANCELLATION")).toBe(1);
  });

  it("interrupted after the Calendly step (Stripe refuses the refund): says what was and was not done; the re-run completes with exactly one refund and one email", async () => {
    const b = await paidBooking(s.world, db, { hoursAhead: 100 });
    s.world.stripe.failNext({ method: "POST", path: "/v1/refunds", status: 400, error: { type: "invalid_request_error", code: "balance_insufficient", message: "Insufficient funds in Stripe account to refund." } });
    const first = await cancel({ booking: b.id, reason: "customer moved away", yes: true });
    expect(first.code).toBe(1);
    expect(first.err).toMatch(/Done: calendly, booking\. Not done: refund \(failed: .*Insufficient funds.*\); email/);
    expect(first.err).toContain("run the same command again");
    await settle();
    expect((await calendly.getScheduledEvent(b.calendlyEventUri!)).status).toBe("canceled");
    expect(await db.prisma.booking.findUniqueOrThrow({ where: { id: b.id } })).toMatchObject({ status: "CANCELLED", paymentStatus: "PAID" });
    expect(await refundsOf(b.stripePaymentIntentId!)).toHaveLength(0);
    expect(await db.prisma.emailMessage.count({ where: { bookingId: b.id, kind: "CANCELLATION" } })).toBe(0);
    expect((await listAudit(db.prisma, { target: b.id, action: "booking.refund_failed" })).length).toBe(1);

    const dry = await cancel({ booking: b.id, reason: "customer moved away", dryRun: true, json: true });
    expect((JSON.parse(dry.out) as CancelReport).plan).toMatchObject({
      calendly: { action: "skip" },
      booking: { action: "skip" },
      // A fresh key after the recorded failure: Stripe would replay the failed answer for the first one.
      refund: { action: "refund", idempotencyKey: `refund:${b.id}:retry-1` },
      email: { action: "send" },
    });

    const second = await cancel({ booking: b.id, reason: "customer moved away", yes: true });
    expect(second.code, second.err).toBe(0);
    expect(second.out).toMatch(/skipped\s+calendly/);
    expect(second.out).toMatch(/done\s+refund/);
    const third = await cancel({ booking: b.id, reason: "customer moved away", yes: true });
    expect(third.code).toBe(0);
    expect(third.out).toContain("Nothing left to do");
    await settle();
    expect((await refundsOf(b.stripePaymentIntentId!)).map((x) => x.amount)).toEqual([PAID_AMOUNT]);
    expect(inboxCount(s.world, b.id, "CANCELLATION")).toBe(1);
    expect(await db.prisma.emailMessage.findMany({ where: { bookingId: b.id, kind: "CANCELLATION" } })).toMatchObject([{ status: "SENT" }]);
    expect(await db.prisma.booking.findUniqueOrThrow({ where: { id: b.id } })).toMatchObject({ status: "CANCELLED", paymentStatus: "REFUNDED" });
  });

  it("without a terminal and without --yes (CLI): prints the plan as JSON, changes nothing, exit 2; --dry-run changes nothing; a 'no' on a terminal aborts", async () => {
    const b = await freeBooking(s.world, db);
    const r = await runCli(["bookings", "cancel", b.id, "--reason", "test"], { env: s.world.env });
    expect(r.exitCode).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ bookingId: b.id, calendly: { action: "cancel" }, booking: { action: "cancel" } });
    expect(r.stderr).toContain("--yes");

    const dry = await cancel({ booking: b.id, reason: "test", dryRun: true });
    expect(dry.code).toBe(0);
    expect(dry.out).toMatch(/1\. calendly: cancel the event/);
    expect(dry.out).toContain("Dry run: nothing was changed.");

    const asked: string[] = [];
    await expect(runHandler(bookingsCancel, { booking: b.id, reason: "test" }, s.world, { interactive: true, ask: async (q) => (asked.push(q), false) })).rejects.toMatchObject({ code: "ABORTED" });
    expect(asked).toHaveLength(1);
    expect((await db.prisma.booking.findUniqueOrThrow({ where: { id: b.id } })).status).toBe("CONFIRMED");
    expect((await calendly.getScheduledEvent(b.calendlyEventUri!)).status).toBe("active");
  });

  it("Calendly cannot be reached: stops before changing anything, exit 1", async () => {
    const b = await freeBooking(s.world, db);
    const r = await cancel({ booking: b.id, reason: "test", yes: true }, { CALENDLY_API_BASE: "http://127.0.0.1:9" }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(r).toMatchObject({ code: "PROVIDER_ERROR", provider: "calendly" });
    expect(exitCodeForError(r)).toBe(1);
    expect(await db.prisma.booking.findUniqueOrThrow({ where: { id: b.id } })).toMatchObject({ status: "CONFIRMED" });
    expect(await listAudit(db.prisma, { target: b.id, action: "booking.cancel" })).toEqual([]);
  });

  describe("bad input: a clear message and exit code 2", () => {
    let id: string;
    beforeAll(async () => {
      id = (await db.prisma.booking.findFirstOrThrow({ where: { status: "CONFIRMED" } })).id;
    });

    const cases: [string, Partial<BookingsCancelOptions>, string, RegExp][] = [
      ["no --reason", { reason: undefined }, "REASON_REQUIRED", /--reason is required/],
      ["an empty --reason", { reason: "   " }, "REASON_REQUIRED", /--reason is empty/],
      ["--refund none with --refund full", { refund: ["none", "full"] }, "CONFLICTING_OPTIONS", /--refund was given 2 different values/],
      ["an unknown --refund", { refund: ["half"] }, "BAD_OPTION", /not one of full, none, policy/],
      ["--dry-run with --yes", { dryRun: true, yes: true }, "CONFLICTING_OPTIONS", /--dry-run and --yes/],
      ["an unknown booking", { booking: "no-such-booking" }, "NOT_FOUND", /No booking matches "no-such-booking"/],
    ];
    it.each(cases)("%s", async (_name, options, code, message) => {
      await expectUsageFailure(cancel({ booking: id, reason: "valid reason", ...options }), { code, message });
    });

    it("an unknown booking on the command line: exit 2, the reason on stderr", async () => {
      const r = await runCli(["bookings", "cancel", "cs_test_doesnotexist", "--reason", "x", "--yes"], { env: s.world.env });
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toContain('No booking matches "cs_test_doesnotexist"');
      expect(r.stderr).toContain("fix:");
    });
  });

  it("two cancellations of one booking at once (a double click): both succeed, one cancellation email", async () => {
    const b = await freeBooking(s.world, db);
    const [x, y] = await Promise.all([cancel({ booking: b.id, reason: "double click", yes: true }), cancel({ booking: b.id, reason: "double click", yes: true })]);
    expect([x.code, y.code].sort()).toEqual([0, 0]);
    await settle();
    await waitFor("email", () => db.prisma.emailMessage.findMany({ where: { bookingId: b.id, kind: "CANCELLATION" } }), (m) => m[0]?.status === "SENT");
    expect(inboxCount(s.world, b.id, "CANCELLATION")).toBe(1);
  });
});
