import { execa } from "execa";
import type Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "../../src/db/client.js";
import { createCalendlyClient, type CalendlyClient } from "../../src/providers/calendly/client.js";
import { createStripeClient } from "../../src/providers/stripe-client.js";
import { BIN, cleanEnv, runCli, tempDir } from "../support/cli.js";
import { startTestSandbox, type TestSandbox } from "../support/sandbox.js";
import { PAID_AMOUNT, paidBooking } from "./bookings-world.js";

/**
 * `bookflow bookings cancel` SIGKILLed at points spread over its run, then run again, as an operator would after
 * a dropped SSH session: the operator's refund choice survives any interruption. With `--refund none` no refund is
 * ever made (neither by the command nor by the app's own policy when Calendly's invitee.canceled arrives); with
 * `--refund full` exactly one. Every booking ends CANCELLED with the operator and the reason on record.
 */
describe("bookflow bookings cancel, killed mid-way and run again", () => {
  let s: TestSandbox;
  let db: Database;
  let stripe: Stripe;
  let calendly: CalendlyClient;
  const ACTOR = "night-shift@example.com";

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

  const env = () => cleanEnv({ ...s.world.env, BOOKFLOW_ACTOR: ACTOR });
  const args = (id: string, refund: string) => ["bookings", "cancel", id, "--reason", "customer asked at 3am", "--refund", refund, "--yes"];
  const settle = async () => {
    await s.world.calendly.idle();
    await s.world.stripe.idle();
    await new Promise((r) => setTimeout(r, 1500));
  };
  const refundsOf = async (pi: string) => (await stripe.refunds.list({ payment_intent: pi })).data.filter((r) => r.status !== "failed" && r.status !== "canceled");

  /** Starts the command and SIGKILLs it after `afterMs` (if it is still running then). */
  async function killedRun(id: string, refund: string, afterMs: number): Promise<"killed" | "finished"> {
    const child = execa("node", ["--", BIN, ...args(id, refund)], { cwd: tempDir(), env: env(), extendEnv: false, reject: false, input: "" });
    const timer = setTimeout(() => child.kill("SIGKILL"), afterMs);
    const r = await child;
    clearTimeout(timer);
    return r.signal === "SIGKILL" ? "killed" : "finished";
  }

  async function fullRunMs(refund: string): Promise<number> {
    const b = await paidBooking(s.world, db, { hoursAhead: 100 });
    const started = performance.now();
    const r = await runCli(args(b.id, refund), { env: { ...s.world.env, BOOKFLOW_ACTOR: ACTOR } });
    expect(r.exitCode, r.stderr).toBe(0);
    const ms = performance.now() - started;
    console.log(`bookings cancel --refund ${refund}: ${Math.round(ms)} ms for a whole run`);
    return ms;
  }

  /**
   * Kills runs at points spread over a whole run's time (measured here, warm), then homes in on the part after the
   * decision was recorded: a run killed before it moves the next kill later, a run that finished first moves it
   * earlier. At least five runs, until three were killed mid-way and one after the decision (at most 14).
   */
  async function interrupted(refund: string) {
    const total = await fullRunMs(refund);
    const bookings = [];
    let killed = 0;
    let afterDecision = 0;
    const spread = [0.4, 0.6, 0.8];
    let late = 0.92;
    for (let run = 0; run < 14; run++) {
      if (run >= 5 && killed >= 3 && afterDecision >= 1) break;
      const fraction = run < spread.length ? spread[run]! : late;
      const b = await paidBooking(s.world, db, { hoursAhead: 100 });
      bookings.push(b);
      const outcome = await killedRun(b.id, refund, Math.round(total * fraction));
      if (outcome === "finished") {
        if (run >= spread.length) late = Math.max(0.3, late - 0.08);
        continue;
      }
      killed++;
      if ((await db.prisma.booking.findUniqueOrThrow({ where: { id: b.id } })).status === "CANCELLED") afterDecision++;
      else if (run >= spread.length) late = Math.min(1.5, late + 0.08);
    }
    console.log(`bookings cancel --refund ${refund}: ${killed} of ${bookings.length} runs killed mid-way, ${afterDecision} after the decision was recorded`);
    return { bookings, killed, afterDecision };
  }

  it("--refund none: never a refund, whatever the point of the kill; the re-run finishes the cancellation", { timeout: 180_000 }, async () => {
    const { bookings, killed, afterDecision } = await interrupted("none");
    expect(killed).toBeGreaterThanOrEqual(3);
    expect(afterDecision).toBeGreaterThanOrEqual(1);
    await settle();
    for (const b of bookings) {
      const again = await runCli(args(b.id, "none"), { env: { ...s.world.env, BOOKFLOW_ACTOR: ACTOR } });
      expect(again.exitCode, again.stderr).toBe(0);
    }
    await settle();
    for (const b of bookings) {
      expect(await refundsOf(b.stripePaymentIntentId!)).toEqual([]);
      const after = await db.prisma.booking.findUniqueOrThrow({ where: { id: b.id } });
      expect(after).toMatchObject({ status: "CANCELLED", paymentStatus: "PAID", cancellationReason: "customer asked at 3am", cancelledBy: `${ACTOR} (bookflow)` });
      const cancelled = await db.prisma.auditLog.findFirstOrThrow({ where: { target: b.id, action: "booking.cancelled" } });
      expect(cancelled).toMatchObject({ actor: ACTOR, reason: "customer asked at 3am", after: expect.objectContaining({ refundMode: "none" }) });
      expect(await db.prisma.auditLog.count({ where: { target: b.id, action: "booking.refunded" } })).toBe(0);
      expect(await db.prisma.effectIntent.count({ where: { bookingId: b.id, kind: "REFUND" } })).toBe(0);
      // Calendly's cancellation was done once, by the command or by the app's worker.
      expect((await calendly.getScheduledEvent(b.calendlyEventUri!)).status).toBe("canceled");
    }
  });

  it("--refund full: exactly one refund at Stripe and on the booking, whatever the point of the kill", { timeout: 180_000 }, async () => {
    const { bookings, killed } = await interrupted("full");
    expect(killed).toBeGreaterThanOrEqual(3);
    await settle();
    for (const b of bookings) {
      const again = await runCli(args(b.id, "full"), { env: { ...s.world.env, BOOKFLOW_ACTOR: ACTOR } });
      expect(again.exitCode, again.stderr).toBe(0);
    }
    await settle();
    for (const b of bookings) {
      expect((await refundsOf(b.stripePaymentIntentId!)).map((r) => r.amount)).toEqual([PAID_AMOUNT]);
      expect(await db.prisma.booking.findUniqueOrThrow({ where: { id: b.id } })).toMatchObject({ status: "CANCELLED", paymentStatus: "REFUNDED" });
      const refunded = await db.prisma.auditLog.findMany({ where: { target: b.id, action: "booking.refunded" } });
      if (refunded.length !== 1) console.log(JSON.stringify(refunded, null, 1));
      expect(refunded.length).toBe(1);
    }
  });
});
