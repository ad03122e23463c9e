import { defineScenario, done, fail } from "../src/engine/scenarios/scenario.js";
import { awaitEmail, awaitState, bookingRecorded, book, browseMarketplace, checkoutSession, chooseSession, pay, pickSlot, selectBuilder } from "../src/engine/scenarios/steps.js";

/**
 * Test Case 2 of the release checklist: a signed-in user books a paid session
 * and pays through Stripe Checkout. The app links a booking to the user whose
 * email the invitee books with; the run creates such a user (tagged with the
 * run id, removed by --cleanup) unless --user-email names an existing one.
 */
export default defineScenario({
  id: "scenarios.paid-session",
  name: "paid-session",
  title: "Signed-in user books and pays for a session",
  checklist: "Test Case 2: Authenticated User - Paid Session",
  steps: [
    { id: "sign-in", title: "Sign in as a user of the platform" },
    { id: "browse-marketplace", title: "Browse the marketplace" },
    { id: "select-builder", title: "Open a builder profile" },
    { id: "choose-paid-session", title: "Choose its paid session type" },
    { id: "pick-slot", title: "Pick an available time slot" },
    { id: "book", title: "Book it through Calendly" },
    { id: "booking-recorded", title: "Booking in the database: PENDING, payment UNPAID, linked to the user" },
    { id: "checkout-session", title: "The app created a Stripe Checkout session for it" },
    { id: "pay", title: "Pay through Stripe (Checkout, or a test-mode payment intent)" },
    { id: "payment-applied", title: "Booking CONFIRMED, payment PAID" },
    { id: "confirmation-email", title: "Confirmation email sent" },
    { id: "receipt-email", title: "Payment receipt email sent" },
    { id: "linked-to-user", title: "Booking linked to the user" },
  ],
  docs: {
    why: "Paid sessions are the revenue: a payment that never reaches the booking leaves a paying customer PENDING with no confirmation, and support finds out from the customer.",
    fix: "Read the failed step: a booking stuck PENDING/UNPAID after paying means the Stripe webhook was rejected or never sent (STRIPE_WEBHOOK_SECRET must be the endpoint's secret; `bookflow webhooks status`); no Checkout session means the app could not call Stripe (STRIPE_SECRET_KEY).",
  },
  async run(t) {
    const user = await t.step("sign-in", async () => {
      const { prisma } = await t.world.db();
      const existing = t.world.settings.userEmail;
      if (existing) {
        const u = await prisma.user.findFirst({ where: { email: { equals: existing, mode: "insensitive" } }, select: { id: true, email: true, name: true } });
        if (!u) fail(`No user with email ${existing}.`, { expected: existing, actual: null });
        return done(`signed in as the existing user ${u.email}`, u);
      }
      const who = t.invitee("paid");
      const u = await prisma.user.create({ data: { email: who.email, name: who.name }, select: { id: true, email: true, name: true } });
      t.created("user", u.id);
      return done(`created user ${u.email} for this run`, u);
    });
    const builders = await browseMarketplace(t, "paid");
    const builder = await selectBuilder(t, builders, "paid");
    const choice = await chooseSession(t, builder, "paid", "choose-paid-session");
    const startTime = await pickSlot(t, choice);
    const who = { email: user.email, name: user.name ?? user.email };
    const booked = await book(t, choice, startTime, who);
    const booking = await bookingRecorded(t, booked, { status: "PENDING", paymentStatus: "UNPAID", email: who.email, userId: user.id, amountCents: choice.row.priceCents });
    const sessionId = await checkoutSession(t, booking);
    const payment = await pay(t, booking, sessionId, who);
    const paid = await awaitState(t, "payment-applied", booking, { status: "CONFIRMED", paymentStatus: "PAID" }, { sessionId, events: [payment.paymentEvent.type] });
    await awaitEmail(t, "confirmation-email", paid, "CONFIRMATION");
    await awaitEmail(t, "receipt-email", paid, "RECEIPT");
    await t.step("linked-to-user", async () => {
      const { prisma } = await t.world.db();
      const b = await prisma.booking.findUnique({ where: { id: booking.id }, select: { userId: true, user: { select: { email: true } } } });
      if (b?.userId !== user.id) fail(`Booking ${booking.id} is linked to ${b?.user?.email ?? "no user"}, not ${user.email}.`, { expected: user.id, actual: b?.userId ?? null });
      const count = await prisma.booking.count({ where: { userId: user.id } });
      return done(`booking ${booking.id} belongs to ${user.email} (${count} booking(s) for this user)`);
    });
  },
});
