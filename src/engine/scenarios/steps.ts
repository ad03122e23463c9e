import type { Booking } from "../../generated/prisma/client.js";
import type { EmailKind } from "../../generated/prisma/enums.js";
import type { Booked, Paid } from "./drivers/types.js";
import { notYet, ready, settledWrong } from "./poll.js";
import { done, fail, withLimits, type ScenarioRun } from "./scenario.js";
import type { PublicBuilder, PublicSessionType } from "./world.js";

/**
 * The steps the scenarios share (browse, choose, book, pay, wait for the
 * webhook's effect, wait for an email), each one `t.step(id, …)` with the
 * same assertions whichever driver plays the providers.
 */

export type SessionKind = "free" | "paid";

/** A session type as the marketplace shows it, with its row in the database. */
export interface Choice {
  builder: PublicBuilder;
  sessionType: PublicSessionType & { calendlyEventTypeUri: string };
  row: { id: string; builderId: string; priceCents: number; currency: string; title: string };
}

export interface Invitee {
  email: string;
  name: string;
}

const state = (b: { status: string; paymentStatus: string }) => `${b.status}/${b.paymentStatus}`;

function offers(b: PublicBuilder, kind: SessionKind): PublicSessionType | undefined {
  return b.sessionTypes.find((s) => (kind === "free" ? s.priceCents === 0 : s.priceCents > 0) && !!s.calendlyEventTypeUri);
}

/** "browse-marketplace": GET /api/marketplace/builders lists at least one builder offering the kind of session needed. */
export function browseMarketplace(t: ScenarioRun, kind: SessionKind, stepId = "browse-marketplace"): Promise<PublicBuilder[]> {
  return t.step(stepId, async () => {
    const builders = await t.world.marketplace();
    const wanted = t.world.settings.builderSlug;
    const offering = builders.filter((b) => !!offers(b, kind) && (!wanted || b.slug === wanted));
    if (!offering.length) {
      fail(
        wanted
          ? `The marketplace does not list builder ${wanted} with a ${kind} session type that has a Calendly event type (${builders.length} builders listed).`
          : `No builder in the marketplace offers a ${kind} session type with a Calendly event type (${builders.length} builders listed).`,
        { expected: `a visible builder with a ${kind} session type`, actual: builders.map((b) => b.slug) },
      );
    }
    return done(`${builders.length} builder(s) listed; ${offering.length} offer a ${kind} session`, offering);
  });
}

/** "select-builder": GET /api/builders/:slug of the first builder offering it. */
export function selectBuilder(t: ScenarioRun, builders: PublicBuilder[], kind: SessionKind): Promise<PublicBuilder> {
  return t.step("select-builder", async () => {
    const profile = await t.world.builder(builders[0]!.slug);
    if (!offers(profile, kind)) fail(`Builder ${profile.slug}'s profile offers no ${kind} session type, though the marketplace lists one.`);
    return done(`${profile.displayName} (${profile.slug}): ${profile.sessionTypes.length} session type(s)`, profile);
  });
}

/** The `kind` session type of a builder, and its database row (by Calendly event type URI). */
export function chooseSession(t: ScenarioRun, builder: PublicBuilder, kind: SessionKind, stepId: string): Promise<Choice> {
  return t.step(stepId, async () => {
    const sessionType = offers(builder, kind)!;
    const uri = sessionType.calendlyEventTypeUri!;
    const { prisma } = await t.world.db();
    const row = await prisma.sessionType.findUnique({ where: { calendlyEventTypeUri: uri }, select: { id: true, builderId: true, priceCents: true, currency: true, title: true, active: true } });
    if (!row) fail(`No session type in the database has Calendly event type ${uri}, though the app lists it.`, { expected: uri, actual: null });
    if (row.priceCents !== sessionType.priceCents) {
      fail(`Session type ${sessionType.slug} costs ${row.priceCents} in the database but ${sessionType.priceCents} in the marketplace.`, { expected: row.priceCents, actual: sessionType.priceCents });
    }
    const price = kind === "free" ? "free" : `${(sessionType.priceCents / 100).toFixed(2)} ${sessionType.currency.toUpperCase()}`;
    return done(`${sessionType.title} (${sessionType.slug}, ${sessionType.durationMinutes} min, ${price})`, {
      builder,
      sessionType: { ...sessionType, calendlyEventTypeUri: uri },
      row,
    });
  });
}

/** "choose-session": marketplace, builder and session type in one step (scenarios that are not about browsing). */
export function chooseAnySession(t: ScenarioRun, kind: SessionKind): Promise<Choice> {
  return t.step("choose-session", async () => {
    const builders = (await t.world.marketplace()).filter((b) => !!offers(b, kind) && (!t.world.settings.builderSlug || b.slug === t.world.settings.builderSlug));
    if (!builders.length) fail(`No builder in the marketplace offers a ${kind} session type with a Calendly event type.`, { expected: `a ${kind} session type` });
    const builder = builders[0]!;
    const sessionType = offers(builder, kind)!;
    const uri = sessionType.calendlyEventTypeUri!;
    const { prisma } = await t.world.db();
    const row = await prisma.sessionType.findUnique({ where: { calendlyEventTypeUri: uri }, select: { id: true, builderId: true, priceCents: true, currency: true, title: true } });
    if (!row) fail(`No session type in the database has Calendly event type ${uri}.`, { expected: uri, actual: null });
    return done(`${builder.slug}: ${sessionType.title} (${sessionType.priceCents ? `${sessionType.priceCents} ${sessionType.currency}` : "free"})`, {
      builder,
      sessionType: { ...sessionType, calendlyEventTypeUri: uri },
      row,
    });
  });
}

/** "pick-slot". */
export function pickSlot(t: ScenarioRun, choice: Choice): Promise<string> {
  return t.step("pick-slot", async () => {
    const slot = await t.world.slot({ eventTypeUri: choice.sessionType.calendlyEventTypeUri, durationMinutes: choice.sessionType.durationMinutes, builderId: choice.row.builderId }, `${t.runId}:${t.scenario.name}`);
    return done(`${slot.startTime} (${slot.source})`, slot.startTime);
  });
}

/** "book": the driver books as the invitee; the run remembers the invitee for the cleanup. */
export function book(t: ScenarioRun, choice: Choice, startTime: string, who: Invitee): Promise<Booked> {
  return t.step("book", async () => {
    const booked = await t.world.driver.book({
      eventTypeUri: choice.sessionType.calendlyEventTypeUri,
      eventName: choice.sessionType.title,
      durationMinutes: choice.sessionType.durationMinutes,
      email: who.email,
      name: who.name,
      startTime,
      runTag: t.runTag,
    });
    t.created("inviteeUri", booked.inviteeUri);
    return withLimits(done(booked.message, booked), booked.limits);
  });
}

async function bookingOf(t: ScenarioRun, inviteeUri: string): Promise<Booking | null> {
  const { prisma } = await t.world.db();
  return prisma.booking.findUnique({ where: { calendlyInviteeUri: inviteeUri } });
}

/** Waits until the booking for `inviteeUri` exists (the invitee.created webhook landed) and checks what it holds. */
export function bookingRecorded(
  t: ScenarioRun,
  booked: Booked,
  expected: { status: string; paymentStatus: string; email: string; userId?: string | undefined; amountCents: number },
): Promise<Booking> {
  return t.step("booking-recorded", async () => {
    const booking = await t.world.wait(
      async () => {
        const b = await bookingOf(t, booked.inviteeUri);
        if (!b) return notYet(`no booking for invitee ${booked.inviteeUri} yet`, { expected: `a ${expected.status}/${expected.paymentStatus} booking`, actual: null });
        t.created("booking", b.id);
        return ready(b);
      },
      async () => [await t.world.lastWebhook({ inviteeUri: booked.inviteeUri }), ...(await t.world.driver.deliveryNotes({ inviteeUri: booked.inviteeUri, events: ["invitee.created"] }))],
    );
    const problems: string[] = [];
    if (state(booking) !== `${expected.status}/${expected.paymentStatus}`) problems.push(`state ${state(booking)}, expected ${expected.status}/${expected.paymentStatus}`);
    if (booking.inviteeEmail.toLowerCase() !== expected.email.toLowerCase()) problems.push(`invitee ${booking.inviteeEmail}, expected ${expected.email}`);
    if (booking.amountCents !== expected.amountCents) problems.push(`amount ${booking.amountCents}, expected ${expected.amountCents}`);
    if (expected.userId !== undefined && booking.userId !== expected.userId) problems.push(`user ${booking.userId ?? "none"}, expected ${expected.userId}`);
    if (booking.runTag !== t.runTag) problems.push(`run tag ${booking.runTag ?? "none"}, expected ${t.runTag} (the app does not store Calendly's tracking.utm_campaign)`);
    if (problems.length) {
      fail(`Booking ${booking.id} was recorded with ${problems.join("; ")}.`, {
        expected: { status: expected.status, paymentStatus: expected.paymentStatus, inviteeEmail: expected.email, amountCents: expected.amountCents, userId: expected.userId, runTag: t.runTag },
        actual: { status: booking.status, paymentStatus: booking.paymentStatus, inviteeEmail: booking.inviteeEmail, amountCents: booking.amountCents, userId: booking.userId, runTag: booking.runTag },
      });
    }
    return done(`booking ${booking.id} ${state(booking)} for ${booking.inviteeEmail}`, booking);
  });
}

/** "checkout-session": the app created a Checkout session for the booking, and Stripe has it for the right amount. */
export function checkoutSession(t: ScenarioRun, booking: Booking): Promise<string> {
  return t.step("checkout-session", async () => {
    const { prisma } = await t.world.db();
    const sessionId = await t.world.wait(
      async () => {
        const b = await prisma.booking.findUnique({ where: { id: booking.id }, select: { stripeCheckoutSessionId: true } });
        return b?.stripeCheckoutSessionId ? ready(b.stripeCheckoutSessionId) : notYet(`booking ${booking.id} has no Stripe Checkout session yet`);
      },
      async () => [await t.world.lastWebhook({ bookingId: booking.id, inviteeUri: booking.calendlyInviteeUri ?? undefined })],
    );
    const stripe = await t.world.stripe();
    const session = await stripe.checkout.sessions.retrieve(sessionId);
    const problems: string[] = [];
    if (session.metadata?.booking_id !== booking.id) problems.push(`metadata.booking_id ${session.metadata?.booking_id ?? "missing"}`);
    if (session.amount_total !== booking.amountCents) problems.push(`amount_total ${session.amount_total}`);
    if ((session.currency ?? "").toLowerCase() !== booking.currency.toLowerCase()) problems.push(`currency ${session.currency}`);
    if (problems.length) {
      fail(`Checkout session ${sessionId} does not match booking ${booking.id}: ${problems.join(", ")}.`, {
        expected: { booking_id: booking.id, amount_total: booking.amountCents, currency: booking.currency },
        actual: { booking_id: session.metadata?.booking_id ?? null, amount_total: session.amount_total, currency: session.currency },
      });
    }
    return done(`Checkout session ${sessionId} (${session.status}/${session.payment_status}) for ${session.amount_total} ${session.currency}`, sessionId);
  });
}

/** "pay": the driver pays the session as the customer; what it paid names the payment event the app is to apply. */
export function pay(t: ScenarioRun, booking: Booking, sessionId: string, who: Invitee): Promise<Paid> {
  return t.step("pay", async () => {
    const paid = await t.world.driver.pay({ bookingId: booking.id, checkoutSessionId: sessionId, amountCents: booking.amountCents, currency: booking.currency, email: who.email, name: who.name });
    return withLimits(done(paid.message, paid), paid.limits);
  });
}

/** Waits until the booking is in `want` (e.g. CONFIRMED/PAID); the timeout says what it is in, the last webhook and the delivery logs. */
export function awaitState(t: ScenarioRun, stepId: string, booking: Booking, want: { status: string; paymentStatus: string }, about: { sessionId?: string; events: string[] }): Promise<Booking> {
  return t.step(stepId, async () => {
    const { prisma } = await t.world.db();
    const wanted = state(want);
    const b = await t.world.wait(
      async () => {
        const now = await prisma.booking.findUnique({ where: { id: booking.id } });
        if (!now) return settledWrong(`booking ${booking.id} no longer exists`);
        return state(now) === wanted ? ready(now) : notYet(`booking ${booking.id} still ${state(now)}`, { expected: wanted, actual: state(now) });
      },
      async () => [
        await t.world.lastWebhook({ bookingId: booking.id, inviteeUri: booking.calendlyInviteeUri ?? undefined }),
        ...(await t.world.driver.deliveryNotes({ inviteeUri: booking.calendlyInviteeUri ?? undefined, bookingId: booking.id, checkoutSessionId: about.sessionId, events: about.events })),
      ],
    );
    return done(`booking ${b.id} ${state(b)}`, b);
  });
}

/** Waits for an email of `kind` about the booking, to the invitee. */
export function awaitEmail(t: ScenarioRun, stepId: string, booking: Booking, kind: EmailKind): Promise<void> {
  return t.step(stepId, async () => {
    const message = await t.world.wait(() => t.world.email({ bookingId: booking.id, to: booking.inviteeEmail, kind }));
    return done(message);
  });
}

export { state as formatBookingState };

/** The steps of `bookAndPay`, in order, for a scenario's `steps` list. */
export const BOOK_AND_PAY_STEPS = [
  { id: "choose-session", title: "Choose a paid session type" },
  { id: "pick-slot", title: "Pick an available time slot" },
  { id: "book", title: "Book it through Calendly" },
  { id: "booking-recorded", title: "Booking in the database: PENDING, payment UNPAID" },
  { id: "checkout-session", title: "The app created a Stripe Checkout session for it" },
  { id: "pay", title: "Pay through Stripe (Checkout, or a test-mode payment intent)" },
  { id: "payment-applied", title: "Booking CONFIRMED, payment PAID" },
] as const;

/** A paid booking made and paid through the providers (the steps of BOOK_AND_PAY_STEPS), for scenarios that start from one. */
export async function bookAndPay(t: ScenarioRun, label: string): Promise<{ choice: Choice; startTime: string; booked: Booked; booking: Booking; sessionId: string; paid: Booking }> {
  const choice = await chooseAnySession(t, "paid");
  const startTime = await pickSlot(t, choice);
  const who = t.invitee(label);
  const booked = await book(t, choice, startTime, who);
  const booking = await bookingRecorded(t, booked, { status: "PENDING", paymentStatus: "UNPAID", email: who.email, amountCents: choice.row.priceCents });
  const sessionId = await checkoutSession(t, booking);
  const payment = await pay(t, booking, sessionId, who);
  const paid = await awaitState(t, "payment-applied", booking, { status: "CONFIRMED", paymentStatus: "PAID" }, { sessionId, events: [payment.paymentEvent.type] });
  return { choice, startTime, booked, booking, sessionId, paid };
}
