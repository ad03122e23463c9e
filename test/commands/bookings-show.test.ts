import type Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bookingsShow } from "../../commands/handlers/bookings-show.js";
import type { BookingsShowReport } from "../../src/ops/bookings-show.js";
import { openDatabase, type Database } from "../../src/db/client.js";
import { exitCodeForError } from "../../src/engine/exit-codes.js";
import type { Booking } from "../../src/generated/prisma/client.js";
import { createStripeClient } from "../../src/providers/stripe-client.js";
import { runCli } from "../support/cli.js";
import { startTestSandbox, type TestSandbox } from "../support/sandbox.js";
import { freeBooking, paidBooking, pendingBooking, runHandler, uniqueEmail } from "./bookings-world.js";

/**
 * `bookflow bookings show` against the sandbox: a booking found by every kind
 * of identifier, its timeline, the live Calendly and Stripe sections (and a
 * provider that cannot be read degrading only its section), the disagreements
 * reprocess would repair, and the lookups that must exit 2.
 */
describe("bookflow bookings show", () => {
  let s: TestSandbox;
  let db: Database;
  let stripe: Stripe;
  let paid: Booking;
  let free: Booking;
  const sharedEmail = uniqueEmail("twice");

  beforeAll(async () => {
    s = await startTestSandbox();
    db = await openDatabase({ databaseUrl: s.world.env.DATABASE_URL!, poolSize: 2 });
    stripe = await createStripeClient({ secretKey: s.world.env.STRIPE_SECRET_KEY!, apiBase: s.world.env.STRIPE_API_BASE! });
    paid = await paidBooking(s.world, db);
    free = await freeBooking(s.world, db, { email: sharedEmail });
    await freeBooking(s.world, db, { email: sharedEmail.toUpperCase() });
  });
  afterAll(async () => {
    await db?.close();
    await s?.stop();
  });

  async function show(booking: string, options: { live?: boolean; env?: Record<string, string | undefined> } = {}): Promise<BookingsShowReport> {
    const r = await runHandler(bookingsShow, { booking, json: true, live: options.live ?? false }, s.world, { env: options.env ?? {} });
    expect(r.code).toBe(0);
    return JSON.parse(r.out) as BookingsShowReport;
  }

  it.each([
    ["its id", (b: Booking) => b.id],
    ["its invitee email (any case)", (b: Booking) => b.inviteeEmail.toUpperCase()],
    ["its Calendly invitee URI", (b: Booking) => b.calendlyInviteeUri!],
    ["its Calendly event URI", (b: Booking) => b.calendlyEventUri!],
    ["its Stripe Checkout session", (b: Booking) => b.stripeCheckoutSessionId!],
    ["its Stripe payment intent", (b: Booking) => b.stripePaymentIntentId!],
  ])("finds a booking by %s", async (_kind, identifier) => {
    const report = await show(identifier(paid));
    expect(report.booking).toMatchObject({ id: paid.id, status: "CONFIRMED", paymentStatus: "PAID", sessionType: "code-review", builder: "grace-hopper" });
  });

  it("shows the timeline in time order (webhooks with outcomes, emails with status, audit) and a live look at Calendly and Stripe", async () => {
    const report = await show(paid.id, { live: true });
    const kinds = report.timeline.map((e) => (e.kind === "webhook" ? `webhook ${e.type} ${e.outcome}` : e.kind === "email" ? `email ${e.emailKind} ${e.status}` : `audit ${e.action}`));
    expect(kinds).toEqual(
      expect.arrayContaining([
        "webhook invitee.created PROCESSED",
        "webhook checkout.session.completed PROCESSED",
        "webhook payment_intent.succeeded PROCESSED",
        "email CONFIRMATION SENT",
        "email RECEIPT SENT",
        "audit booking.created",
        "audit booking.paid",
      ]),
    );
    const times = report.timeline.map((e) => Date.parse(e.at));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(report.live?.calendly).toMatchObject({ ok: true, data: { status: "active", invitee: { status: "active", email: paid.inviteeEmail } } });
    expect(report.live?.stripe).toMatchObject({ ok: true, data: { checkoutSession: { id: paid.stripeCheckoutSessionId, paymentStatus: "paid" }, paymentIntent: { id: paid.stripePaymentIntentId, status: "succeeded" }, refunds: [] } });
    expect(report.providers).toEqual({ changes: [], notes: [] });
  });

  it("a provider that cannot be read degrades its own section, with the reason; the command still succeeds", async () => {
    const report = await show(paid.id, { live: true, env: { STRIPE_API_BASE: "http://127.0.0.1:9" } });
    expect(report.live?.stripe).toMatchObject({ ok: false, error: expect.stringContaining("stripe") });
    expect(report.live?.calendly).toMatchObject({ ok: true });
    const noKey = await show(paid.id, { live: true, env: { CALENDLY_API_TOKEN: "" } });
    expect(noKey.live?.calendly).toMatchObject({ ok: false, error: expect.stringContaining("CALENDLY_API_TOKEN") });
  });

  it("lists what reprocess would change when the providers disagree (a payment whose webhook was lost)", async () => {
    const b = await pendingBooking(s.world, db);
    const [endpoint] = s.world.stripe.webhookEndpoints();
    await stripe.webhookEndpoints.update(endpoint!.id, { disabled: true });
    try {
      await s.world.stripe.completeCheckout(b.stripeCheckoutSessionId!);
      await s.world.stripe.idle();
    } finally {
      await stripe.webhookEndpoints.update(endpoint!.id, { disabled: false });
    }
    const report = await show(b.id, { live: true });
    expect(report.booking).toMatchObject({ status: "PENDING", paymentStatus: "UNPAID" });
    expect(report.providers?.changes).toEqual([expect.stringContaining("Stripe: paid")]);
  });

  it("prints a readable page on the command line (CLI)", async () => {
    const r = await runCli(["bookings", "show", free.id], { env: s.world.env });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Booking ${free.id}`);
    expect(r.stdout).toMatch(/Timeline \(\d+ entries, oldest first\)/);
    expect(r.stdout).toContain("Calendly (live)");
    expect(r.stdout).toContain("free booking: no payment");
    expect(r.stdout).not.toContain(s.world.env.STRIPE_SECRET_KEY!);
  });

  it("several bookings match an email: they are listed, and an id is asked for (exit 2)", async () => {
    const err = await runHandler(bookingsShow, { booking: sharedEmail }, s.world).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: "AMBIGUOUS" });
    expect((err as Error).message).toContain(free.id);
    expect((err as Error).message.match(/CONFIRMED\/NOT_REQUIRED/g)).toHaveLength(2);
    expect((err as { hint: string }).hint).toContain("one booking id");
    expect(exitCodeForError(err)).toBe(2);
  });

  it("no booking matches (CLI): exit 2, what is wrong and what to do", async () => {
    const r = await runCli(["bookings", "show", "nobody@example.com"], { env: s.world.env });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('No booking matches "nobody@example.com"');
    expect(r.stderr).toContain("fix:");
  });
});
