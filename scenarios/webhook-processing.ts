import type { WebhookOutcome } from "../src/generated/prisma/enums.js";
import { notYet, ready, settledWrong } from "../src/engine/scenarios/poll.js";
import { defineScenario, done, fail, type ScenarioRun } from "../src/engine/scenarios/scenario.js";
import { book, checkoutSession, chooseAnySession, formatBookingState, pay, pickSlot } from "../src/engine/scenarios/steps.js";

/**
 * Test Case 4 of the release checklist: the webhooks themselves. The
 * WebhookEvent log must show invitee.created and the payment's event
 * (checkout.session.completed; payment_intent.succeeded when the staging
 * driver pays by a test-mode payment intent and Stripe delivers it) received
 * and PROCESSED, and the database, Calendly and Stripe must agree about the
 * booking afterwards.
 */

type EventRow = { id: string; outcome: WebhookOutcome; error: string | null; bookingId: string | null; type: string };

const OUTCOME_HINT: Partial<Record<WebhookOutcome, string>> = {
  HELD: "the app is in manual-processing mode, so nothing is applied until the held events are released",
  DEFERRED: "its booking was not found, so it waits for the booking's invitee.created",
  IGNORED: "the app could not use it",
  FAILED: "applying it failed",
};

/** A "…-processed" step: the received event's outcome must be PROCESSED; HELD, IGNORED, FAILED will not change by waiting. */
async function processed<T>(t: ScenarioRun, stepId: string, find: () => Promise<EventRow | null>, what: string, then: (row: EventRow) => Promise<T>): Promise<T> {
  return t.step(stepId, async () => {
    const row = await t.world.wait(async () => {
      const e = await find();
      if (!e) return settledWrong(`${what} is no longer recorded`);
      if (e.outcome === "PROCESSED") return ready(e);
      const state = `${what} is ${e.outcome}: ${OUTCOME_HINT[e.outcome] ?? "not processed"}${e.error ? ` (${e.error})` : ""}`;
      return e.outcome === "DEFERRED" ? notYet(state, { expected: "PROCESSED", actual: e.outcome }) : settledWrong(state, { expected: "PROCESSED", actual: e.outcome });
    });
    const value = await then(row);
    return done(`${what} PROCESSED${row.bookingId ? ` for booking ${row.bookingId}` : ""}${row.error ? ` (note: ${row.error})` : ""}`, value);
  });
}

export default defineScenario({
  id: "scenarios.webhook-processing",
  name: "webhook-processing",
  title: "Webhooks received and processed; database, Calendly and Stripe agree",
  checklist: "Test Case 4: Webhook Processing",
  steps: [
    { id: "choose-session", title: "Choose a paid session type" },
    { id: "pick-slot", title: "Pick an available time slot" },
    { id: "book", title: "Create a booking through Calendly" },
    { id: "invitee-created-received", title: "invitee.created webhook received" },
    { id: "invitee-created-processed", title: "invitee.created processed: booking created" },
    { id: "checkout-session", title: "The app created a Stripe Checkout session" },
    { id: "pay", title: "Complete the payment through Stripe" },
    { id: "checkout-completed-received", title: "The payment's webhook received (checkout.session.completed, or payment_intent.succeeded)" },
    { id: "checkout-completed-processed", title: "The payment's webhook processed: booking CONFIRMED / PAID" },
    { id: "calendly-agrees", title: "Calendly's scheduled event and invitee match the booking" },
    { id: "stripe-agrees", title: "Stripe's Checkout session and payment match the booking" },
  ],
  docs: {
    why: "Every booking state comes from a webhook: one that is not received (or received and not applied) leaves the database disagreeing with Calendly and Stripe, which is what customers then see.",
    fix: "Not received: the provider's registration or signing secret is wrong (`bookflow webhooks status`). Received but HELD: manual-processing mode is on (release the held events and turn it off). Disagreement: re-apply the providers' truth (`bookflow bookings reconcile --fix`).",
  },
  async run(t) {
    const { prisma } = await t.world.db();
    const choice = await chooseAnySession(t, "paid");
    const startTime = await pickSlot(t, choice);
    const who = t.invitee("webhooks");
    const booked = await book(t, choice, startTime, who);
    const select = { id: true, outcome: true, error: true, bookingId: true, type: true } as const;

    const createdId = `invitee.created:${booked.inviteeUri}`;
    const findCreated = () => prisma.webhookEvent.findUnique({ where: { provider_providerEventId: { provider: "CALENDLY", providerEventId: createdId } }, select });
    await t.step("invitee-created-received", async () => {
      const e = await t.world.wait(
        async () => {
          const row = await findCreated();
          return row ? ready(row) : notYet(`no invitee.created webhook recorded for invitee ${booked.inviteeUri}`, { expected: "a WebhookEvent invitee.created", actual: null });
        },
        () => t.world.driver.deliveryNotes({ inviteeUri: booked.inviteeUri, events: ["invitee.created"] }),
      );
      return done(`WebhookEvent ${e.id}: invitee.created ${e.outcome}`, e);
    });
    const booking = await processed(t, "invitee-created-processed", findCreated, "invitee.created", async (row) => {
      const b = row.bookingId ? await prisma.booking.findUnique({ where: { id: row.bookingId } }) : null;
      if (!b) fail(`invitee.created was PROCESSED but no booking ${row.bookingId ?? "(none linked)"} exists.`, { expected: "a booking", actual: row.bookingId });
      t.created("booking", b.id);
      return b;
    });

    const sessionId = await checkoutSession(t, booking);
    const { paymentEvent } = await pay(t, booking, sessionId, who);
    const paymentType = paymentEvent.type;

    const findCompleted = async () => {
      const rows = await prisma.webhookEvent.findMany({
        where: { provider: "STRIPE", type: paymentType, OR: [{ bookingId: booking.id }, { correlationKey: booking.id }, { correlationKey: booked.inviteeUri }] },
        select: { ...select, payload: true },
        orderBy: { receivedAt: "asc" },
      });
      const mine = rows.find((r) => (r.payload as { data?: { object?: { id?: unknown } } } | null)?.data?.object?.id === paymentEvent.objectId);
      if (!mine) return null;
      const { payload: _payload, ...row } = mine;
      return row;
    };
    await t.step("checkout-completed-received", async () => {
      const e = await t.world.wait(
        async () => {
          const row = await findCompleted();
          return row ? ready(row) : notYet(`no ${paymentType} webhook recorded for ${paymentEvent.objectId}`, { expected: `a WebhookEvent ${paymentType}`, actual: null });
        },
        async () => [await t.world.lastWebhook({ bookingId: booking.id, inviteeUri: booked.inviteeUri }), ...(await t.world.driver.deliveryNotes({ bookingId: booking.id, checkoutSessionId: sessionId, events: [paymentType] }))],
      );
      return done(`WebhookEvent ${e.id}: ${paymentType} ${e.outcome}`, e);
    });
    const after = await processed(t, "checkout-completed-processed", findCompleted, paymentType, async () => {
      const b = await prisma.booking.findUniqueOrThrow({ where: { id: booking.id } });
      if (formatBookingState(b) !== "CONFIRMED/PAID") fail(`${paymentType} was PROCESSED but booking ${b.id} is ${formatBookingState(b)}.`, { expected: "CONFIRMED/PAID", actual: formatBookingState(b) });
      return b;
    });

    if (!t.world.driver.calendlyHasRecords) {
      t.skip("calendly-agrees", "the staging driver posts Calendly's webhooks itself, so Calendly holds no scheduled event to compare with");
    } else {
      await t.step("calendly-agrees", async () => {
        const b = after;
        const calendly = await t.world.calendly();
        const event = await calendly.getScheduledEvent(booked.eventUri);
        let invitee: { uri: string; email: string; status: string } | undefined;
        for await (const i of calendly.listEventInvitees(booked.eventUri)) if (i.uri === booked.inviteeUri) invitee = i;
        const expected = { status: "active", start_time: b.startTime.toISOString(), end_time: b.endTime.toISOString(), event_type: choice.sessionType.calendlyEventTypeUri, invitee: b.calendlyInviteeUri, email: b.inviteeEmail };
        const actual = {
          status: event.status,
          start_time: new Date(event.start_time).toISOString(),
          end_time: new Date(event.end_time).toISOString(),
          event_type: event.event_type,
          invitee: invitee?.uri ?? null,
          email: invitee?.email ?? null,
        };
        const differ = (Object.keys(expected) as (keyof typeof expected)[]).filter((k) => String(expected[k]).toLowerCase() !== String(actual[k]).toLowerCase());
        if (differ.length) fail(`Calendly and the database disagree about booking ${b.id}: ${differ.join(", ")}.`, { expected, actual });
        return done(`Calendly event ${event.status} at ${actual.start_time}, invitee ${actual.email}: as in the database`);
      });
    }

    await t.step("stripe-agrees", async () => {
      const b = after;
      const stripe = await t.world.stripe();
      const session = await stripe.checkout.sessions.retrieve(sessionId);
      const problems: string[] = [];
      if (b.stripeCheckoutSessionId !== session.id) problems.push(`booking's session ${b.stripeCheckoutSessionId}`);
      if (session.metadata?.booking_id !== b.id) problems.push(`session metadata.booking_id ${session.metadata?.booking_id ?? "missing"}`);
      if (session.amount_total !== b.amountCents) problems.push(`session amount_total ${session.amount_total} vs booking ${b.amountCents}`);
      if (t.world.driver.paysThroughCheckout) {
        if (session.payment_status !== "paid" || session.status !== "complete") problems.push(`session ${session.status}/${session.payment_status}`);
        const pi = typeof session.payment_intent === "string" ? session.payment_intent : (session.payment_intent?.id ?? null);
        if (pi !== b.stripePaymentIntentId) problems.push(`session payment_intent ${pi} vs booking ${b.stripePaymentIntentId}`);
      }
      if (!b.stripePaymentIntentId) problems.push("the booking records no payment intent");
      else {
        const intent = await stripe.paymentIntents.retrieve(b.stripePaymentIntentId);
        if (intent.status !== "succeeded") problems.push(`payment intent ${intent.id} ${intent.status}`);
        if (intent.amount_received !== b.amountCents) problems.push(`payment intent received ${intent.amount_received} vs booking ${b.amountCents}`);
        if (intent.metadata?.booking_id !== b.id) problems.push(`payment intent metadata.booking_id ${intent.metadata?.booking_id ?? "missing"}`);
      }
      if (formatBookingState(b) !== "CONFIRMED/PAID") problems.push(`booking ${formatBookingState(b)}`);
      if (problems.length) {
        fail(`Stripe and the database disagree about booking ${b.id}: ${problems.join("; ")}.`, {
          expected: { session: b.stripeCheckoutSessionId, paymentIntent: b.stripePaymentIntentId, amount: b.amountCents, state: "CONFIRMED/PAID" },
          actual: { session: session.id, status: `${session.status}/${session.payment_status}`, metadata: session.metadata, amount: session.amount_total },
        });
      }
      const how = t.world.driver.paysThroughCheckout ? `session ${session.id} complete/paid` : `session ${session.id} (${session.status}; the staging driver paid by payment intent)`;
      return done(`${how}, payment intent ${b.stripePaymentIntentId} succeeded for ${b.amountCents} ${b.currency}: as in the database`);
    });
  },
});
