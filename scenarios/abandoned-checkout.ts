import { notYet, ready } from "../src/engine/scenarios/poll.js";
import { defineScenario, done, fail, withLimits } from "../src/engine/scenarios/scenario.js";
import { awaitEmail, awaitState, book, bookingRecorded, checkoutSession, chooseAnySession, pickSlot } from "../src/engine/scenarios/steps.js";

/**
 * A paid booking whose Checkout session expires unpaid: the booking must be
 * cancelled and its Calendly slot released (the app cancels the Calendly event
 * through the API), with one cancellation email.
 */
export default defineScenario({
  id: "scenarios.abandoned-checkout",
  name: "abandoned-checkout",
  title: "Checkout never paid: booking cancelled, Calendly slot released",
  checklist: "Booking lifecycle: abandoned checkout",
  steps: [
    { id: "choose-session", title: "Choose a paid session type" },
    { id: "pick-slot", title: "Pick an available time slot" },
    { id: "book", title: "Book it through Calendly" },
    { id: "booking-recorded", title: "Booking in the database: PENDING, payment UNPAID" },
    { id: "checkout-session", title: "The app created a Stripe Checkout session for it" },
    { id: "expire", title: "The Checkout session expires unpaid" },
    { id: "booking-cancelled", title: "Booking CANCELLED, payment UNPAID" },
    { id: "slot-released", title: "The Calendly event is cancelled: the slot is free again" },
    { id: "cancellation-email", title: "Cancellation email sent" },
  ],
  docs: {
    why: "A booking whose payment never comes stays PENDING forever and keeps the builder's slot blocked in Calendly.",
    fix: "Subscribe the Stripe endpoint to checkout.session.expired (`bookflow webhooks register`), and give the app CALENDLY_API_TOKEN so it can cancel the Calendly event (docs/booking-lifecycle.md).",
  },
  async run(t) {
    const choice = await chooseAnySession(t, "paid");
    const startTime = await pickSlot(t, choice);
    const who = t.invitee("abandon");
    const booked = await book(t, choice, startTime, who);
    const booking = await bookingRecorded(t, booked, { status: "PENDING", paymentStatus: "UNPAID", email: who.email, amountCents: choice.row.priceCents });
    const sessionId = await checkoutSession(t, booking);

    await t.step("expire", async () => {
      const r = await t.world.driver.expireCheckout({ bookingId: booking.id, checkoutSessionId: sessionId });
      return withLimits(done(r.message), r.limits);
    });
    await awaitState(t, "booking-cancelled", booking, { status: "CANCELLED", paymentStatus: "UNPAID" }, { sessionId, events: ["checkout.session.expired"] });

    if (!t.world.driver.calendlyHasRecords) {
      t.skip("slot-released", `the ${t.world.driver.name} driver books with signed webhooks only, so Calendly holds no event whose release could be checked`);
    } else await t.step("slot-released", async () => {
      const calendly = await t.world.calendly();
      const event = await t.world.wait(async () => {
        const e = await calendly.getScheduledEvent(booked.eventUri);
        return e.status === "canceled" ? ready(e) : notYet(`Calendly event ${booked.eventUri} is still ${e.status}`, { expected: "canceled", actual: e.status });
      });
      if (!event.cancellation) return fail(`Calendly event ${event.uri} is canceled but has no cancellation record.`);
      return done(`Calendly event ${event.uri} canceled by ${event.cancellation.canceler_type ?? "?"}${event.cancellation.reason ? `: ${event.cancellation.reason}` : ""}`);
    });

    await awaitEmail(t, "cancellation-email", booking, "CANCELLATION");
  },
});
