import { defineScenario } from "../src/engine/scenarios/scenario.js";
import { awaitEmail, bookingRecorded, book, browseMarketplace, chooseSession, pickSlot, selectBuilder } from "../src/engine/scenarios/steps.js";

/** Test Case 1 of the release checklist: an anonymous visitor books a free session. */
export default defineScenario({
  id: "scenarios.free-session",
  name: "free-session",
  title: "Anonymous user books a free session",
  checklist: "Test Case 1: Anonymous User - Free Session",
  steps: [
    { id: "browse-marketplace", title: "Browse the marketplace" },
    { id: "select-builder", title: "Open a builder profile" },
    { id: "choose-free-session", title: "Choose its free session type" },
    { id: "pick-slot", title: "Pick an available time slot" },
    { id: "book", title: "Book it through Calendly" },
    { id: "booking-recorded", title: "Booking in the database: CONFIRMED, payment NOT_REQUIRED" },
    { id: "confirmation-email", title: "Confirmation email sent to the invitee" },
  ],
  docs: {
    why: "Free intro calls are most visitors' first booking: if one does not land in the database confirmed, or no confirmation email goes out, the visitor has no booking as far as anyone knows.",
    fix: "Read the failed step: no booking means the Calendly webhook did not reach the app or was rejected (`bookflow webhooks status`, CALENDLY_WEBHOOK_SIGNING_KEY); no email means SendGrid refused it (see the EmailMessage error, `bookflow verify --only sendgrid`).",
  },
  async run(t) {
    const builders = await browseMarketplace(t, "free");
    const builder = await selectBuilder(t, builders, "free");
    const choice = await chooseSession(t, builder, "free", "choose-free-session");
    const startTime = await pickSlot(t, choice);
    const who = t.invitee("free");
    const booked = await book(t, choice, startTime, who);
    const booking = await bookingRecorded(t, booked, { status: "CONFIRMED", paymentStatus: "NOT_REQUIRED", email: who.email, amountCents: 0 });
    await awaitEmail(t, "confirmation-email", booking, "CONFIRMATION");
  },
});
