import { notYet, ready, settledWrong } from "../src/engine/scenarios/poll.js";
import { defineScenario, done, fail, withLimits } from "../src/engine/scenarios/scenario.js";
import { awaitEmail, BOOK_AND_PAY_STEPS, bookAndPay, formatBookingState } from "../src/engine/scenarios/steps.js";

/**
 * Test Case 3 of the release checklist: a booking cancelled through Calendly.
 * The booking is a paid one, paid before it is cancelled, so the refund policy
 * is exercised too: a cancellation at least BOOKFLOW_REFUND_WINDOW_HOURS
 * (default 24) before the start is refunded in full; a later one is not.
 */
export default defineScenario({
  id: "scenarios.cancellation",
  name: "cancellation",
  title: "Booking cancelled through Calendly (refunded when the policy says so)",
  checklist: "Test Case 3: Booking Cancellation",
  steps: [
    ...BOOK_AND_PAY_STEPS,
    { id: "cancel", title: "Cancel it through Calendly" },
    { id: "cancellation-processed", title: "The invitee.canceled webhook was received and processed" },
    { id: "booking-cancelled", title: "Booking CANCELLED, and REFUNDED when the policy says so" },
    { id: "cancellation-email", title: "Cancellation email sent" },
  ],
  docs: {
    why: "A cancellation the app never hears about keeps the slot blocked, sends no cancellation email and keeps money the policy says to give back.",
    fix: "If invitee.canceled never arrived, the Calendly webhook subscription lacks that event or is disabled (`bookflow webhooks status`, re-register with both invitee.created and invitee.canceled); if the refund is missing, see the booking's audit log (`bookflow bookings show <id>`).",
  },
  async run(t) {
    const { booked, booking, paid } = await bookAndPay(t, "cancel");

    const cancelledAt = await t.step("cancel", async () => {
      const at = new Date();
      const r = await t.world.driver.cancel({ inviteeUri: booked.inviteeUri, eventUri: booked.eventUri, reason: `bookflow scenario ${t.runId}: cancellation test` });
      return withLimits(done(r.message, at), r.limits);
    });

    await t.step("cancellation-processed", async () => {
      const { prisma } = await t.world.db();
      const providerEventId = `invitee.canceled:${booked.inviteeUri}`;
      const row = await t.world.wait(
        async () => {
          const e = await prisma.webhookEvent.findUnique({ where: { provider_providerEventId: { provider: "CALENDLY", providerEventId } }, select: { outcome: true, error: true, bookingId: true } });
          if (!e) return notYet(`no invitee.canceled webhook recorded for booking ${booking.id}`, { expected: "invitee.canceled PROCESSED", actual: null });
          if (e.outcome === "PROCESSED") return ready(e);
          if (e.outcome === "HELD") return settledWrong(`invitee.canceled was recorded HELD: the app is in manual-processing mode`, { expected: "PROCESSED", actual: "HELD" });
          return settledWrong(`invitee.canceled was recorded ${e.outcome}${e.error ? ` (${e.error})` : ""}`, { expected: "PROCESSED", actual: e.outcome });
        },
        async () => [await t.world.lastWebhook({ bookingId: booking.id, inviteeUri: booked.inviteeUri }), ...(await t.world.driver.deliveryNotes({ inviteeUri: booked.inviteeUri, events: ["invitee.canceled"] }))],
      );
      return done(`invitee.canceled PROCESSED for booking ${row.bookingId ?? booking.id}`);
    });

    await t.step("booking-cancelled", async () => {
      const hoursBefore = (paid.startTime.getTime() - cancelledAt.getTime()) / 3_600_000;
      const refund = hoursBefore >= t.world.settings.refundWindowHours;
      const want = refund ? "CANCELLED/REFUNDED" : "CANCELLED/PAID";
      const why = `cancelled ${hoursBefore.toFixed(1)}h before the start, refund window ${t.world.settings.refundWindowHours}h`;
      const { prisma } = await t.world.db();
      const b = await t.world.wait(async () => {
        const now = await prisma.booking.findUnique({ where: { id: booking.id } });
        if (!now) return settledWrong(`booking ${booking.id} no longer exists`);
        const s = formatBookingState(now);
        if (s === want) return ready(now);
        // A refund that failed is recorded, not retried: waiting will not change it.
        const failed = refund && s === "CANCELLED/PAID" ? await prisma.auditLog.findFirst({ where: { target: booking.id, action: "booking.refund_failed" }, select: { reason: true } }) : null;
        if (failed) return settledWrong(`booking ${booking.id} is CANCELLED/PAID: the refund failed (${failed.reason ?? "no reason recorded"})`, { expected: want, actual: s });
        return notYet(`booking ${booking.id} still ${s} (${why})`, { expected: want, actual: s });
      });
      if (refund) {
        const stripe = await t.world.stripe();
        const refunds = await stripe.refunds.list({ payment_intent: b.stripePaymentIntentId ?? undefined, limit: 10 });
        const total = refunds.data.reduce((sum, r) => sum + (r.status === "failed" || r.status === "canceled" ? 0 : r.amount), 0);
        if (!b.stripePaymentIntentId || total !== b.amountCents) {
          fail(`Booking ${b.id} is REFUNDED, but Stripe shows ${total} refunded on ${b.stripePaymentIntentId ?? "no payment intent"}, not ${b.amountCents}.`, { expected: b.amountCents, actual: total });
        }
        return done(`booking ${b.id} ${want} (${why}); Stripe refunded ${total} ${b.currency}`);
      }
      return done(`booking ${b.id} ${want} (${why}: no refund due)`);
    });

    await awaitEmail(t, "cancellation-email", booking, "CANCELLATION");
  },
});
