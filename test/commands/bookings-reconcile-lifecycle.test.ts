import type Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bookingsReconcile, type BookingsReconcileOptions, type ReconcileReport } from "../../commands/handlers/bookings-reconcile.js";
import { createContext } from "../../src/context.js";
import { listAudit } from "../../src/core/audit.js";
import { openDatabase, type Database } from "../../src/db/client.js";
import { createCalendlyClient, type CalendlyClient } from "../../src/providers/calendly/client.js";
import { createStripeClient } from "../../src/providers/stripe-client.js";
import { startTestSandbox, type TestSandbox } from "../support/sandbox.js";

/**
 * `bookings reconcile` and the kinds the booking lifecycle can leave behind,
 * planted the way they happen in a sandbox world (the webhook lost while the
 * subscription / endpoint was off, or a slot release that failed): a
 * reschedule the booking never followed, a Checkout that expired unpaid, a
 * dispute opened in Stripe, and a booking bookflow cancelled whose Calendly
 * event still holds the slot. `--fix` repairs each through the intake (or, for
 * the slot, the Calendly cancellation), and a second run finds nothing.
 */

const PAID = "https://api.calendly.com/event_types/ada-build-session";
const HOUR = 3_600_000;

describe("bookings reconcile: the lifecycle's kinds", () => {
  let s: TestSandbox;
  let db: Database;
  let stripe: Stripe;
  let calendly: CalendlyClient;
  let since: string;
  let until: string;
  const planted: Record<"rescheduled" | "expired" | "disputed" | "slot", string> = { rescheduled: "", expired: "", disputed: "", slot: "" };
  let newInvitee = "";
  let slotEvent = "";
  let disputeId = "";

  beforeAll(async () => {
    s = await startTestSandbox();
    db = await openDatabase({ databaseUrl: s.world.env.DATABASE_URL!, poolSize: 2 });
    stripe = await createStripeClient({ secretKey: s.world.env.STRIPE_SECRET_KEY!, apiBase: s.world.env.STRIPE_API_BASE! });
    calendly = createCalendlyClient({ token: s.world.env.CALENDLY_API_TOKEN!, baseUrl: s.world.env.CALENDLY_API_BASE! });
    const me = await calendly.getCurrentUser();
    const [sub] = await calendly.listWebhookSubscriptions({ organization: me.current_organization, scope: "organization" });
    const [endpoint] = (await stripe.webhookEndpoints.list()).data;
    const calendlyHooks = (state: "active" | "disabled") => s.world.calendly.setSubscriptionState(sub!.uri, state);
    const stripeHooks = (disabled: boolean) => stripe.webhookEndpoints.update(endpoint!.id, { disabled });

    const windowStart = Math.floor(Date.now() / HOUR) * HOUR;
    since = new Date(windowStart).toISOString();
    until = new Date(windowStart + 30 * 24 * HOUR).toISOString();
    let slot = 0;
    const next = () => new Date(windowStart + 96 * HOUR + slot++ * HOUR).toISOString();
    const bookingOf = async (inviteeUri: string) =>
      (await db.sql.query<{ id: string; stripeCheckoutSessionId: string | null; stripePaymentIntentId: string | null }>(`SELECT id, "stripeCheckoutSessionId", "stripePaymentIntentId" FROM "Booking" WHERE "calendlyInviteeUri" = $1`, [inviteeUri]))[0]!;
    const book = async (n: number) => {
      const r = await s.world.calendly.book({ eventTypeUri: PAID, email: `lifecycle${n}@example.com`, name: `Lifecycle ${n}`, startTime: next() });
      return { ...r, booking: await bookingOf(r.inviteeUri) };
    };
    const paid = async (n: number) => {
      const b = await book(n);
      await s.world.stripe.completeCheckout(b.booking.stripeCheckoutSessionId!);
      await s.world.stripe.idle();
      return { ...b, booking: await bookingOf(b.inviteeUri) };
    };

    // reschedule_not_recorded: the invitee rescheduled while the Calendly subscription was off.
    const moving = await paid(1);
    calendlyHooks("disabled");
    newInvitee = (await s.world.calendly.reschedule({ inviteeUri: moving.inviteeUri, startTime: next() })).newInviteeUri;
    calendlyHooks("active");
    planted.rescheduled = moving.booking.id;

    // checkout_expired: the Checkout expired while the Stripe endpoint was off; the booking is old enough to be stuck.
    const abandoned = await book(2);
    await stripeHooks(true);
    await s.world.stripe.expireCheckout(abandoned.booking.stripeCheckoutSessionId!);
    await s.world.stripe.idle();
    await stripeHooks(false);
    await db.sql.query(`UPDATE "Booking" SET "createdAt" = "createdAt" - interval '2 hours' WHERE id = $1`, [abandoned.booking.id]);
    planted.expired = abandoned.booking.id;

    // dispute_open: the customer's bank disputed the charge while the Stripe endpoint was off.
    const disputed = await paid(3);
    await stripeHooks(true);
    disputeId = s.world.stripe.createDispute({ paymentIntentId: disputed.booking.stripePaymentIntentId! }).id;
    await s.world.stripe.idle();
    await stripeHooks(false);
    planted.disputed = disputed.booking.id;

    // slot_not_released: bookflow cancelled an unpaid booking, and the Calendly cancellation that should follow never happened.
    const unpaid = await book(4);
    await db.sql.query(`UPDATE "Booking" SET status = 'CANCELLED', "cancelledBy" = 'bookflow (unpaid)', "cancelledAt" = now(), "cancellationReason" = 'never paid' WHERE id = $1`, [unpaid.booking.id]);
    slotEvent = unpaid.eventUri;
    planted.slot = unpaid.booking.id;
  });
  afterAll(async () => {
    await db?.close();
    await s?.stop();
  });

  async function reconcile(options: BookingsReconcileOptions = {}): Promise<{ code: number; report: ReconcileReport }> {
    let out = "";
    const ctx = createContext({ env: { ...s.world.env, BOOKFLOW_ACTOR: "ops@example.com" } as NodeJS.ProcessEnv, out: (t) => (out += t), err: () => {} });
    const code = await bookingsReconcile({ since, until, json: true, ...options }, { ctx, interactive: false });
    return { code, report: JSON.parse(out) as ReconcileReport };
  }
  const kinds = (r: ReconcileReport) => Object.fromEntries(r.disagreements.map((d) => [d.kind, d.bookingId]));

  it("finds each planted kind on its booking, and nothing else; each fixable", async () => {
    const { code, report } = await reconcile();
    expect(code).toBe(1);
    expect(kinds(report)).toEqual({ reschedule_not_recorded: planted.rescheduled, checkout_expired: planted.expired, dispute_open: planted.disputed, slot_not_released: planted.slot });
    expect(report.disagreements.every((d) => d.fixable)).toBe(true);
    expect(report.disagreements.find((d) => d.kind === "reschedule_not_recorded")).toMatchObject({ newInviteeUri: newInvitee });
    expect(report.disagreements.find((d) => d.kind === "dispute_open")).toMatchObject({ stripeDisputeId: disputeId });
  });

  it("--fix --yes repairs all four through the intake (and Calendly for the slot), audited; a second run finds nothing", async () => {
    const { code, report } = await reconcile({ fix: true, yes: true });
    expect(code, JSON.stringify(report.fix?.results ?? report.fix, null, 1)).toBe(0);
    const state = async (id: string) => (await db.prisma.booking.findUniqueOrThrow({ where: { id } }));
    expect(await state(planted.rescheduled)).toMatchObject({ status: "CONFIRMED", paymentStatus: "PAID", calendlyInviteeUri: newInvitee });
    expect(await state(planted.expired)).toMatchObject({ status: "CANCELLED", paymentStatus: "UNPAID", cancelledBy: "bookflow (unpaid)" });
    expect(await state(planted.disputed)).toMatchObject({ paymentStatus: "DISPUTED", stripeDisputeId: disputeId });
    expect((await calendly.getScheduledEvent(slotEvent)).status).toBe("canceled");
    // The expired booking's slot was released by the intake's Calendly cancellation too.
    const expiredEvent = (await state(planted.expired)).calendlyEventUri!;
    expect((await calendly.getScheduledEvent(expiredEvent)).status).toBe("canceled");
    const audit = (await listAudit(db.prisma, { action: "booking.reconcile.*", limit: 100 })).map((a) => a.action).sort();
    expect(audit).toEqual(["booking.reconcile.checkout_expired", "booking.reconcile.dispute_open", "booking.reconcile.reschedule_not_recorded", "booking.reconcile.slot_not_released"]);
    // Nothing refunded anywhere.
    expect((await stripe.refunds.list({ limit: 100 })).data).toEqual([]);

    const again = await reconcile();
    expect(again.report.disagreements.map((d) => `${d.kind} ${d.bookingId}: ${d.provider}`)).toEqual([]);
    expect(again.code).toBe(0);
  });
});
