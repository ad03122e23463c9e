import type Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bookingsReprocess, type ReprocessReport } from "../../commands/handlers/bookings-reprocess.js";
import { listAudit } from "../../src/core/audit.js";
import { openDatabase, type Database } from "../../src/db/client.js";
import { exitCodeForError } from "../../src/engine/exit-codes.js";
import { createCalendlyClient, type CalendlyClient } from "../../src/providers/calendly/client.js";
import { createStripeClient } from "../../src/providers/stripe-client.js";
import { runCli } from "../support/cli.js";
import { startTestSandbox, type TestSandbox } from "../support/sandbox.js";
import { inboxCount, PAID_AMOUNT, paidBooking, pendingBooking, runHandler, waitFor } from "./bookings-world.js";
import { expectUsageFailure } from "../support/errors.js";
import { createContext } from "../../src/context.js";
import { createIntentWorker } from "../../src/core/intents.js";
import { systemClock, type PaymentsGateway } from "../../src/core/ports.js";
import { applyReprocess } from "../../src/core/reprocess.js";
import { createWebhookIntake } from "../../src/core/webhook-intake.js";
import { planBookingReprocess } from "../../src/ops/bookings-reprocess.js";
import { stripeReader } from "../../src/ops/stripe-reader.js";
import { createStripePayments } from "../../src/providers/stripe-payments.js";

/**
 * `bookflow bookings reprocess` against the sandbox: webhooks lost on the way
 * (the Stripe endpoint or the Calendly subscription disabled while the
 * customer pays or cancels), a refund the intake could not make, a refund made
 * in the Stripe dashboard; every repair applied through the intake once, and a
 * second run finding nothing to change.
 */
describe("bookflow bookings reprocess", () => {
  let s: TestSandbox;
  let db: Database;
  let stripe: Stripe;
  let calendly: CalendlyClient;

  beforeAll(async () => {
    s = await startTestSandbox();
    db = await openDatabase({ databaseUrl: s.world.env.DATABASE_URL!, poolSize: 2 });
    stripe = await createStripeClient({ secretKey: s.world.env.STRIPE_SECRET_KEY!, apiBase: s.world.env.STRIPE_API_BASE! });
    calendly = createCalendlyClient({ token: s.world.env.CALENDLY_API_TOKEN!, baseUrl: s.world.env.CALENDLY_API_BASE! });
  });
  afterAll(async () => {
    await db?.close();
    await s?.stop();
  });

  const reprocess = (options: Parameters<typeof bookingsReprocess>[0]) => runHandler(bookingsReprocess, options, s.world);
  const refundsOf = async (pi: string) => (await stripe.refunds.list({ payment_intent: pi })).data;
  const booking = (id: string) => db.prisma.booking.findUniqueOrThrow({ where: { id } });

  /** Runs `fn` while Stripe cannot deliver webhooks to the app (the endpoint disabled). */
  async function withoutStripeWebhooks(fn: () => Promise<void>): Promise<void> {
    const [endpoint] = s.world.stripe.webhookEndpoints();
    await stripe.webhookEndpoints.update(endpoint!.id, { disabled: true });
    try {
      await fn();
      await s.world.stripe.idle();
    } finally {
      await stripe.webhookEndpoints.update(endpoint!.id, { disabled: false });
    }
  }

  /** Runs `fn` while Calendly cannot deliver webhooks to the app (the subscription disabled). */
  async function withoutCalendlyWebhooks(fn: () => Promise<void>): Promise<void> {
    const subs = await calendly.listWebhookSubscriptions({ organization: s.world.calendly.organizationUri, scope: "organization" });
    for (const sub of subs) s.world.calendly.setSubscriptionState(sub.uri, "disabled");
    try {
      await fn();
      await s.world.calendly.idle();
    } finally {
      for (const sub of subs) s.world.calendly.setSubscriptionState(sub.uri, "active");
    }
  }

  it("a payment whose webhook was lost: the plan (no terminal → JSON, exit 2), then PAID through the intake with its emails, audited; a second run finds nothing", async () => {
    const b = await pendingBooking(s.world, db);
    await withoutStripeWebhooks(async () => {
      await s.world.stripe.completeCheckout(b.stripeCheckoutSessionId!);
    });
    expect(await booking(b.id)).toMatchObject({ status: "PENDING", paymentStatus: "UNPAID" });

    const noTty = await runCli(["bookings", "reprocess", b.id], { env: s.world.env });
    expect(noTty.exitCode).toBe(2);
    expect(JSON.parse(noTty.stdout)).toMatchObject({ bookingId: b.id, after: { status: "CONFIRMED", paymentStatus: "PAID" }, changes: [{ kind: "apply-event", provider: "stripe", eventType: "checkout.session.completed" }] });
    expect(noTty.stderr).toContain("--yes");
    expect((await booking(b.id)).paymentStatus).toBe("UNPAID");

    const dry = await reprocess({ booking: b.id, dryRun: true });
    expect(dry.code).toBe(0);
    expect(dry.out).toMatch(/1\. Stripe: paid \(Checkout session cs_/);
    expect(dry.out).toContain("Dry run: nothing was changed.");

    const r = await reprocess({ booking: b.stripeCheckoutSessionId!, yes: true, json: true, actor: "ops@example.com" });
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.out) as ReprocessReport;
    expect(report.outcome).toMatchObject({ complete: true, after: { status: "CONFIRMED", paymentStatus: "PAID" }, outcomes: [{ status: "done" }] });
    expect(report.emails).toEqual({ CONFIRMATION: "SENT", RECEIPT: "SENT" });
    const paid = await booking(b.id);
    expect(paid.stripePaymentIntentId).toMatch(/^pi_/);
    expect(inboxCount(s.world, b.id, "RECEIPT")).toBe(1);
    const audit = await listAudit(db.prisma, { target: b.id, action: "booking.reprocess" });
    expect(audit).toMatchObject([{ actor: "ops@example.com", before: { status: "PENDING", paymentStatus: "UNPAID" }, after: { status: "CONFIRMED", paymentStatus: "PAID", complete: true } }]);

    const again = await reprocess({ booking: b.id, yes: true, json: true });
    expect(again.code).toBe(0);
    expect(JSON.parse(again.out)).toMatchObject({ decision: "nothing-to-do", plan: { changes: [] } });
    expect(await listAudit(db.prisma, { target: b.id, action: "booking.reprocess" })).toHaveLength(1);
  });

  it("a Calendly cancellation whose webhook was lost (CLI): CANCELLED, refunded per policy, one cancellation email; idempotent", async () => {
    const b = await paidBooking(s.world, db, { hoursAhead: 80 });
    await withoutCalendlyWebhooks(async () => {
      await s.world.calendly.cancel({ inviteeUri: b.calendlyInviteeUri!, reason: "cannot make it", cancelerType: "invitee" });
    });
    expect(await booking(b.id)).toMatchObject({ status: "CONFIRMED", paymentStatus: "PAID" });

    const r = await runCli(["bookings", "reprocess", b.id, "--yes", "--json", "--actor", "cli@example.com"], { env: s.world.env });
    expect(r.exitCode, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as ReprocessReport;
    expect(report.plan.changes).toMatchObject([{ kind: "apply-event", provider: "calendly", eventType: "invitee.canceled", to: { status: "CANCELLED", paymentStatus: "REFUNDED" } }]);
    expect(report.outcome).toMatchObject({ complete: true, after: { status: "CANCELLED", paymentStatus: "REFUNDED" } });
    expect(await booking(b.id)).toMatchObject({ status: "CANCELLED", paymentStatus: "REFUNDED", cancellationReason: "cannot make it" });
    expect((await refundsOf(b.stripePaymentIntentId!)).map((x) => x.amount)).toEqual([PAID_AMOUNT]);
    await waitFor("email", async () => inboxCount(s.world, b.id, "CANCELLATION"), (n) => n >= 1);

    const again = await reprocess({ booking: b.id, yes: true });
    expect(again.code).toBe(0);
    expect(again.out).toContain("nothing to change");
    expect(await refundsOf(b.stripePaymentIntentId!)).toHaveLength(1);
    expect(inboxCount(s.world, b.id, "CANCELLATION")).toBe(1);
  });

  it("a CANCELLED/PAID booking whose refund failed in the intake: reprocess makes the refund (fresh idempotency key), once", async () => {
    const b = await paidBooking(s.world, db, { hoursAhead: 90 });
    s.world.stripe.failNext({ method: "POST", path: "/v1/refunds", status: 402, error: { type: "card_error", code: "expired_card", message: "The refund could not be processed." } });
    await s.world.calendly.cancel({ inviteeUri: b.calendlyInviteeUri!, reason: "changed plans", cancelerType: "invitee" });
    await s.world.calendly.idle();
    await waitFor("refund failure", () => listAudit(db.prisma, { target: b.id, action: "booking.refund_failed" }), (a) => a.length === 1);
    expect(await booking(b.id)).toMatchObject({ status: "CANCELLED", paymentStatus: "PAID" });

    const r = await reprocess({ booking: b.id, yes: true, json: true });
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.out) as ReprocessReport;
    expect(report.plan.changes).toMatchObject([{ kind: "refund", amountCents: PAID_AMOUNT, idempotencyKey: `refund:${b.id}:retry-1` }]);
    expect(await booking(b.id)).toMatchObject({ status: "CANCELLED", paymentStatus: "REFUNDED" });
    expect(await refundsOf(b.stripePaymentIntentId!)).toHaveLength(1);
    expect(JSON.parse((await reprocess({ booking: b.id, yes: true, json: true })).out)).toMatchObject({ decision: "nothing-to-do" });
  });

  it("a refund the policy declined and then made in the Stripe dashboard while its webhook was lost: nothing to do at first, then recorded REFUNDED", async () => {
    const b = await paidBooking(s.world, db, { hoursAhead: 2 });
    await s.world.calendly.cancel({ inviteeUri: b.calendlyInviteeUri!, reason: "last minute", cancelerType: "invitee" });
    await s.world.calendly.idle();
    await waitFor("cancellation", () => booking(b.id), (x) => x.status === "CANCELLED");
    const first = await reprocess({ booking: b.id, yes: true });
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/note: Cancelled and PAID, not refunded: No refund: cancelled .* inside the 24h no-refund window/);

    // With the endpoint on, charge.refunded would record it at once: the webhook is lost while it is off.
    const [endpoint] = (await stripe.webhookEndpoints.list()).data;
    await stripe.webhookEndpoints.update(endpoint!.id, { disabled: true });
    const refund = await stripe.refunds.create({ payment_intent: b.stripePaymentIntentId! });
    await s.world.stripe.idle();
    await stripe.webhookEndpoints.update(endpoint!.id, { disabled: false });
    expect(await booking(b.id)).toMatchObject({ paymentStatus: "PAID" });
    const r = await reprocess({ booking: b.id, yes: true, json: true });
    expect(r.code).toBe(0);
    expect((JSON.parse(r.out) as ReprocessReport).plan.changes).toMatchObject([{ kind: "mark-refunded", refundIds: [refund.id] }]);
    expect(await booking(b.id)).toMatchObject({ paymentStatus: "REFUNDED" });
    expect(await refundsOf(b.stripePaymentIntentId!)).toHaveLength(1);
  });

  it("a provider that cannot be read: exit 1, nothing changed", async () => {
    const b = await pendingBooking(s.world, db);
    s.world.stripe.failNext({ method: "GET", path: `/v1/checkout/sessions/${b.stripeCheckoutSessionId}`, status: 404, error: { type: "invalid_request_error", code: "resource_missing", message: "No such checkout.session" } });
    const err = await reprocess({ booking: b.id, yes: true }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: "PROVIDER_ERROR", provider: "stripe" });
    expect(exitCodeForError(err)).toBe(1);
    expect(await booking(b.id)).toMatchObject({ status: "PENDING", paymentStatus: "UNPAID" });
  });

  it.each([
    ["an unknown booking", { booking: "4b0c6c34-0000-4000-8000-000000000000" }, "NOT_FOUND"],
    ["--dry-run with --yes", { dryRun: true, yes: true }, "CONFLICTING_OPTIONS"],
  ] as const)("bad input, %s: a message saying what to do, exit 2", async (_name, options, code) => {
    const any = await db.prisma.booking.findFirstOrThrow();
    await expectUsageFailure(reprocess({ booking: any.id, ...options }), { code });
  });
});

describe("bookflow bookings reprocess, killed between Stripe's answer and the record", () => {
  let s: TestSandbox;
  let db: Database;
  let stripe: Stripe;

  beforeAll(async () => {
    s = await startTestSandbox({ appSweepMs: 3_600_000 });
    db = await openDatabase({ databaseUrl: s.world.env.DATABASE_URL!, poolSize: 2 });
    stripe = await createStripeClient({ secretKey: s.world.env.STRIPE_SECRET_KEY!, apiBase: s.world.env.STRIPE_API_BASE! });
  });
  afterAll(async () => {
    await db?.close();
    await s?.stop();
  });

  const reprocess = (options: Parameters<typeof bookingsReprocess>[0]) => runHandler(bookingsReprocess, options, s.world);
  const refundsOf = async (pi: string) => (await stripe.refunds.list({ payment_intent: pi })).data;
  const booking = (id: string) => db.prisma.booking.findUniqueOrThrow({ where: { id } });

  it("killed after Stripe made the refund and before the booking recorded it: the refund is an intent, so the app's worker records it once the claim runs out, and nothing is refunded twice", async () => {
    const b = await paidBooking(s.world, db, { hoursAhead: 90 });
    s.world.stripe.failNext({ method: "POST", path: "/v1/refunds", status: 402, error: { type: "card_error", code: "expired_card", message: "The refund could not be processed." } });
    await s.world.calendly.cancel({ inviteeUri: b.calendlyInviteeUri!, reason: "changed plans", cancelerType: "invitee" });
    await s.world.calendly.idle();
    await waitFor("refund failure", () => listAudit(db.prisma, { target: b.id, action: "booking.refund_failed" }), (a) => a.length === 1);
    // The app's own sweep is slowed down here (it would take the intent first): the test plays it below.
    const ctx = createContext({ env: { ...s.world.env } as NodeJS.ProcessEnv, out: () => undefined, err: () => undefined });
    const { plan } = await planBookingReprocess(ctx, { booking: b.id, actor: "ops@example.com" }).finally(() => ctx.close());
    expect(plan.changes).toMatchObject([{ kind: "refund", amountCents: PAID_AMOUNT }]);

    // The process dies right after Stripe answered: the refund exists at Stripe, the answer never reaches the booking.
    const real = createStripePayments(stripe);
    let answered!: () => void;
    const stripeAnswered = new Promise<void>((done) => (answered = done));
    const dying: PaymentsGateway = { ...real, async refund(req) { await real.refund(req); answered(); return new Promise<never>(() => undefined); } };
    const intake = createWebhookIntake({ prisma: db.prisma, sql: db.sql, policy: { refundWindowHours: 24 } });
    // Stripe's charge.refunded would record the refund too (the other way back): it is held off, to prove the intent alone suffices.
    const [endpoint] = s.world.stripe.webhookEndpoints();
    await stripe.webhookEndpoints.update(endpoint!.id, { disabled: true });
    void applyReprocess(plan, { prisma: db.prisma, intake, payments: dying, refunds: stripeReader(stripe), actor: "ops@example.com", clock: systemClock });
    await stripeAnswered;
    expect(await refundsOf(b.stripePaymentIntentId!)).toHaveLength(1); // the intake's attempt was refused; this one was made
    expect(await booking(b.id)).toMatchObject({ status: "CANCELLED", paymentStatus: "PAID" });
    const [intent] = await db.prisma.effectIntent.findMany({ where: { bookingId: b.id, actor: "ops@example.com" } });
    expect(intent).toMatchObject({ kind: "REFUND", status: "PENDING" });

    // The dead run's claim runs out; the app's sweep performs what is due: Stripe's refund is found and recorded.
    await db.prisma.effectIntent.update({ where: { id: intent!.id }, data: { leaseUntil: new Date(Date.now() - 1000) } });
    const worker = createIntentWorker({ prisma: db.prisma, payments: { ...real, listRefunds: (pi: string) => stripeReader(stripe).listRefunds(pi) } });
    expect(await worker.runDue({ bookingIds: [b.id] })).toMatchObject([{ id: intent!.id, status: "done" }]);
    expect(await booking(b.id)).toMatchObject({ status: "CANCELLED", paymentStatus: "REFUNDED" });
    expect((await refundsOf(b.stripePaymentIntentId!)).map((r) => r.amount)).toEqual([PAID_AMOUNT]);
    expect(JSON.parse((await reprocess({ booking: b.id, yes: true, json: true })).out)).toMatchObject({ decision: "nothing-to-do" });
    await stripe.webhookEndpoints.update(endpoint!.id, { disabled: false });
  });
});
