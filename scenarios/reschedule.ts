import { notYet, ready, settledWrong } from "../src/engine/scenarios/poll.js";
import { defineScenario, done, fail, withLimits } from "../src/engine/scenarios/scenario.js";
import { awaitEmail, BOOK_AND_PAY_STEPS, bookAndPay, formatBookingState } from "../src/engine/scenarios/steps.js";

/**
 * A paid booking moved to another time through Calendly. Calendly reschedules
 * by cancelling the old invitee (`rescheduled: true`) and creating a new one
 * (`old_invitee`): the booking must move with its payment, get one
 * "rescheduled" email, and never be cancelled or refunded.
 */
export default defineScenario({
  id: "scenarios.reschedule",
  name: "reschedule",
  title: "Paid booking rescheduled through Calendly (moved, still paid, never refunded)",
  checklist: "Booking lifecycle: reschedule",
  steps: [
    ...BOOK_AND_PAY_STEPS,
    { id: "pick-new-slot", title: "Pick another free time slot" },
    { id: "reschedule", title: "Reschedule it through Calendly" },
    { id: "booking-moved", title: "The same booking moved to the new time and invitee, still CONFIRMED/PAID" },
    { id: "no-refund", title: "Nothing refunded in Stripe, no cancellation email" },
    { id: "rescheduled-email", title: "One rescheduled email sent" },
  ],
  docs: {
    why: "A reschedule read as a cancellation cancels and refunds a paid booking, emails 'Cancelled', and asks the invitee to pay again for the new time.",
    fix: "The app must treat invitee.canceled with rescheduled: true as no cancellation and invitee.created with old_invitee as a move (docs/booking-lifecycle.md); if the booking did not move, check the Calendly subscription includes invitee.created (`bookflow webhooks status`).",
  },
  async run(t) {
    const { choice, startTime, booked, booking } = await bookAndPay(t, "reschedule");

    const newStart = await t.step("pick-new-slot", async () => {
      const query = { eventTypeUri: choice.sessionType.calendlyEventTypeUri, durationMinutes: choice.sessionType.durationMinutes, builderId: choice.row.builderId };
      for (let i = 1; i <= 5; i++) {
        const slot = await t.world.slot(query, `${t.runId}:${t.scenario.name}:new-${i}`);
        if (slot.startTime !== startTime) return done(`${slot.startTime} (${slot.source})`, slot.startTime);
      }
      return fail(`No free slot other than ${startTime} was found for ${choice.sessionType.title}.`);
    });

    const moved = await t.step("reschedule", async () => {
      const r = await t.world.driver.reschedule({ inviteeUri: booked.inviteeUri, eventTypeUri: choice.sessionType.calendlyEventTypeUri, startTime: newStart });
      t.created("inviteeUri", r.newInviteeUri);
      return withLimits(done(r.message, r), r.limits);
    });

    await t.step("booking-moved", async () => {
      const { prisma } = await t.world.db();
      const b = await t.world.wait(
        async () => {
          const now = await prisma.booking.findUnique({ where: { id: booking.id } });
          if (!now) return settledWrong(`booking ${booking.id} no longer exists`);
          if (now.status === "CANCELLED") return settledWrong(`booking ${booking.id} was cancelled (${formatBookingState(now)}): the reschedule was read as a cancellation`, { expected: "CONFIRMED/PAID at the new time", actual: formatBookingState(now) });
          if (now.calendlyInviteeUri !== moved.newInviteeUri) return notYet(`booking ${booking.id} is still on invitee ${now.calendlyInviteeUri}`, { expected: moved.newInviteeUri, actual: now.calendlyInviteeUri });
          return ready(now);
        },
        async () => [await t.world.lastWebhook({ bookingId: booking.id, inviteeUri: moved.newInviteeUri }), ...(await t.world.driver.deliveryNotes({ inviteeUri: moved.newInviteeUri, events: ["invitee.created"] }))],
      );
      const problems: string[] = [];
      if (formatBookingState(b) !== "CONFIRMED/PAID") problems.push(`state ${formatBookingState(b)}`);
      if (b.startTime.toISOString() !== new Date(newStart).toISOString()) problems.push(`start ${b.startTime.toISOString()}, expected ${newStart}`);
      if (!b.previousInviteeUris.includes(booked.inviteeUri)) problems.push(`previous invitees ${JSON.stringify(b.previousInviteeUris)} lack ${booked.inviteeUri}`);
      const others = await prisma.booking.count({ where: { calendlyInviteeUri: { in: [booked.inviteeUri, moved.newInviteeUri] }, id: { not: b.id } } });
      if (others) problems.push(`${others} other booking(s) for the old or new invitee`);
      if (problems.length) fail(`Booking ${b.id} after the reschedule: ${problems.join("; ")}.`, { expected: { state: "CONFIRMED/PAID", startTime: newStart }, actual: { state: formatBookingState(b), startTime: b.startTime.toISOString() } });
      return done(`booking ${b.id} moved to ${b.startTime.toISOString()} (invitee ${b.calendlyInviteeUri}), still ${formatBookingState(b)}`);
    });

    await t.step("no-refund", async () => {
      const { prisma } = await t.world.db();
      const b = await prisma.booking.findUniqueOrThrow({ where: { id: booking.id } });
      const stripe = await t.world.stripe();
      const refunds = b.stripePaymentIntentId ? (await stripe.refunds.list({ payment_intent: b.stripePaymentIntentId, limit: 10 })).data : [];
      if (refunds.length) fail(`Stripe holds ${refunds.length} refund(s) for the rescheduled booking ${b.id}: ${refunds.map((r) => `${r.id} ${r.amount}`).join(", ")}.`, { expected: 0, actual: refunds.length });
      const cancellation = await prisma.emailMessage.findFirst({ where: { bookingId: b.id, kind: "CANCELLATION" }, select: { status: true } });
      if (cancellation) fail(`A cancellation email (${cancellation.status}) was queued for the rescheduled booking ${b.id}.`, { expected: "no cancellation email", actual: cancellation.status });
      return done(`no refund in Stripe for ${b.stripePaymentIntentId ?? "the booking"}, no cancellation email`);
    });

    await awaitEmail(t, "rescheduled-email", booking, "RESCHEDULED");
  },
});
