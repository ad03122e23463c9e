import { notYet, ready, settledWrong } from "../src/engine/scenarios/poll.js";
import { defineScenario, done, fail, withLimits } from "../src/engine/scenarios/scenario.js";
import { BOOK_AND_PAY_STEPS, bookAndPay, formatBookingState } from "../src/engine/scenarios/steps.js";

/**
 * A paid booking refunded in the Stripe dashboard, not through bookflow: the
 * charge.refunded event must reach the database (REFUNDED, the amount, an
 * audit entry), while the session itself stays booked.
 */
export default defineScenario({
  id: "scenarios.refund-outside-bookflow",
  name: "refund-outside-bookflow",
  title: "Payment refunded in the Stripe dashboard: the refund reaches the booking",
  checklist: "Booking lifecycle: refunds made outside bookflow",
  steps: [
    ...BOOK_AND_PAY_STEPS,
    { id: "refund-outside", title: "Refund the payment in full in the Stripe dashboard" },
    { id: "refund-recorded", title: "Booking CONFIRMED/REFUNDED with the amount refunded, audited" },
  ],
  docs: {
    why: "A refund made in the Stripe dashboard that never reaches the database leaves support and reconcile believing the customer paid.",
    fix: "Subscribe the Stripe endpoint to charge.refunded (`bookflow webhooks register`); `bookflow bookings reconcile` lists refunds the database lacks.",
  },
  async run(t) {
    const { booking, sessionId, paid } = await bookAndPay(t, "refund");

    await t.step("refund-outside", async () => {
      if (!paid.stripePaymentIntentId) return fail(`Booking ${paid.id} is PAID but records no Stripe payment intent to refund.`);
      const r = await t.world.driver.refundOutside({ bookingId: paid.id, paymentIntentId: paid.stripePaymentIntentId, amountCents: paid.amountCents, currency: paid.currency });
      return withLimits(done(r.message), r.limits);
    });

    await t.step("refund-recorded", async () => {
      const { prisma } = await t.world.db();
      const b = await t.world.wait(
        async () => {
          const now = await prisma.booking.findUnique({ where: { id: booking.id } });
          if (!now) return settledWrong(`booking ${booking.id} no longer exists`);
          const s = formatBookingState(now);
          return s === "CONFIRMED/REFUNDED" ? ready(now) : notYet(`booking ${booking.id} still ${s}`, { expected: "CONFIRMED/REFUNDED", actual: s });
        },
        async () => [await t.world.lastWebhook({ bookingId: booking.id }), ...(await t.world.driver.deliveryNotes({ bookingId: booking.id, checkoutSessionId: sessionId, events: ["charge.refunded"] }))],
      );
      if (b.refundedCents !== b.amountCents) fail(`Booking ${b.id} is REFUNDED but records ${b.refundedCents} refunded of ${b.amountCents}.`, { expected: b.amountCents, actual: b.refundedCents });
      const audit = await prisma.auditLog.findFirst({ where: { target: b.id, action: "booking.refunded_outside" }, select: { reason: true } });
      if (!audit) fail(`Booking ${b.id} is REFUNDED but its audit trail has no booking.refunded_outside entry.`);
      return done(`booking ${b.id} CONFIRMED/REFUNDED, ${b.refundedCents} ${b.currency} refunded; audited: ${audit!.reason ?? ""}`);
    });
  },
});
