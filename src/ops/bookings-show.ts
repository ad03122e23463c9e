/**
 * One booking (`bookflow bookings show`): its details, its timeline (webhook
 * events with outcomes, emails with status, audit entries, oldest first), and
 * a live look at its Calendly event and Stripe payment. A provider that cannot
 * be read degrades its own section (with the reason); it does not fail. When
 * the providers disagree with the database, the changes `bookings reprocess`
 * would make are listed.
 */
import type { Context } from "../context.js";
import { bookingTimeline, type TimelineEntry } from "../core/booking-queries.js";
import { countRefundFailures } from "../core/cancellation.js";
import { planReprocess, readCalendlyTruth, readStripeTruth, recordedEventKey, type CalendlyTruth, type ReprocessNote, type StripeTruth } from "../core/reprocess.js";
import { isManualProcessing } from "../core/webhook-intake.js";
import { resolveOneBooking } from "./booking-lookup.js";
import { openCheckedDatabase } from "./database.js";
import { policyFromEnv } from "./refund-policy.js";
import { stripeReader } from "./stripe-reader.js";

/** A timeline entry with its time as an ISO string (each kind keeps its own fields). */
export type DatedEntry = TimelineEntry extends infer E ? (E extends TimelineEntry ? Omit<E, "at"> & { at: string } : never) : never;

type LiveSection<T> = { ok: true; data: T } | { ok: false; error: string } | { ok: null; note: string };

export interface BookingsShowReport {
  booking: Record<string, unknown>;
  timeline: DatedEntry[];
  /** The booking's external effects (refunds, Calendly cancellations): PENDING ones are still to be done. */
  intents: IntentView[];
  live: { calendly: LiveSection<Record<string, unknown>>; stripe: LiveSection<Record<string, unknown>> } | null;
  /** What `bookings reprocess` would change (from the providers that could be read), and what needs a person. */
  providers: { changes: string[]; notes: ReprocessNote[] } | null;
}

export interface IntentView {
  id: string;
  kind: string;
  status: string;
  attempts: number;
  actor: string;
  reason: string | null;
  params: unknown;
  nextAttemptAt: string | null;
  lastError: string | null;
  result: unknown;
  createdAt: string;
  doneAt: string | null;
}

export interface BookingsShowInput {
  booking: string;
  /** false: database only. */
  live: boolean;
}

export async function showBooking(ctx: Context, input: BookingsShowInput) {
  const db = await openCheckedDatabase(ctx, "look the booking up");
  const found = await resolveOneBooking(db, input.booking, "bookings show");
  const b = await db.prisma.booking.findUniqueOrThrow({
    where: { id: found.id },
    include: { sessionType: { select: { slug: true, title: true } }, builder: { select: { slug: true, displayName: true } } },
  });
  const timeline = await bookingTimeline(db.prisma, b);
  const intentRows = await db.prisma.effectIntent.findMany({ where: { bookingId: b.id }, orderBy: { createdAt: "asc" } });
  const intents: IntentView[] = intentRows.map((i) => ({
    id: i.id,
    kind: i.kind,
    status: i.status,
    attempts: i.attempts,
    actor: i.actor,
    reason: i.reason,
    params: i.params,
    nextAttemptAt: i.status === "PENDING" ? i.nextAttemptAt.toISOString() : null,
    lastError: i.lastError,
    result: i.result,
    createdAt: i.createdAt.toISOString(),
    doneAt: i.doneAt?.toISOString() ?? null,
  }));

  let live: BookingsShowReport["live"] = null;
  let providers: BookingsShowReport["providers"] = null;
  if (input.live) {
    const [cal, str] = await Promise.all([
      b.calendlyEventUri
        ? settle(async () => readCalendlyTruth(b, await ctx.clients.calendly()))
        : Promise.resolve<Settled<CalendlyTruth | null>>({ ok: true, value: null }),
      b.stripeCheckoutSessionId || b.stripePaymentIntentId
        ? settle(async () => readStripeTruth(b, stripeReader(await ctx.clients.stripe())))
        : Promise.resolve<Settled<StripeTruth | null>>({ ok: true, value: null }),
    ]);
    live = {
      calendly: !cal.ok ? { ok: false, error: cal.error } : cal.value ? { ok: true, data: calendlyView(cal.value) } : { ok: null, note: "the booking has no Calendly event" },
      stripe: !str.ok ? { ok: false, error: str.error } : str.value ? { ok: true, data: stripeView(str.value) } : { ok: null, note: b.amountCents ? "the booking has no Stripe Checkout session or payment intent yet" : "free booking: no payment" },
    };
    const recorded = new Set(timeline.filter((e) => e.kind === "webhook").map((e) => recordedEventKey(e.provider, e.providerEventId)));
    const plan = planReprocess(
      b,
      { calendly: cal.ok ? cal.value : null, stripe: str.ok ? str.value : null },
      { policy: policyFromEnv(ctx.env), now: ctx.clock.now(), recordedEvents: recorded, refundFailures: await countRefundFailures(db.prisma, b.id), manualProcessing: await isManualProcessing(db.prisma) },
    );
    providers = { changes: plan.changes.map((c) => c.summary), notes: plan.notes };
  }

  const report: BookingsShowReport = {
    booking: {
      id: b.id,
      status: b.status,
      paymentStatus: b.paymentStatus,
      inviteeEmail: b.inviteeEmail,
      inviteeName: b.inviteeName,
      builder: b.builder.slug,
      builderName: b.builder.displayName,
      sessionType: b.sessionType.slug,
      sessionTitle: b.sessionType.title,
      startTime: b.startTime.toISOString(),
      endTime: b.endTime.toISOString(),
      amountCents: b.amountCents,
      currency: b.currency,
      calendlyEventUri: b.calendlyEventUri,
      calendlyInviteeUri: b.calendlyInviteeUri,
      stripeCheckoutSessionId: b.stripeCheckoutSessionId,
      stripePaymentIntentId: b.stripePaymentIntentId,
      cancellationReason: b.cancellationReason,
      cancelledBy: b.cancelledBy,
      cancelledAt: b.cancelledAt?.toISOString() ?? null,
      previousInviteeUris: b.previousInviteeUris,
      reviewReason: b.reviewReason,
      refundedCents: b.refundedCents,
      stripeRefundId: b.stripeRefundId,
      stripeDisputeId: b.stripeDisputeId,
      disputeStatus: b.disputeStatus,
      noShowAt: b.noShowAt?.toISOString() ?? null,
      runTag: b.runTag,
      createdAt: b.createdAt.toISOString(),
      updatedAt: b.updatedAt.toISOString(),
    },
    timeline: timeline.map((e) => ({ ...e, at: e.at.toISOString() }) as DatedEntry),
    intents,
    live,
    providers,
  };
  return { booking: b, timeline, report };
}

export type ShownBooking = Awaited<ReturnType<typeof showBooking>>;

type Settled<T> = { ok: true; value: T } | { ok: false; error: string };

async function settle<T>(run: () => Promise<T>): Promise<Settled<T>> {
  try {
    return { ok: true, value: await run() };
  } catch (err) {
    const e = err as { message?: unknown; hint?: unknown };
    const message = typeof e?.message === "string" ? e.message : String(err);
    return { ok: false, error: `${message.split("\n")[0]!.slice(0, 300)}${typeof e?.hint === "string" ? ` (${e.hint})` : ""}` };
  }
}

function calendlyView(t: CalendlyTruth): Record<string, unknown> {
  return {
    eventUri: t.event.uri,
    status: t.event.status,
    startTime: t.event.start_time,
    endTime: t.event.end_time,
    cancellation: t.event.cancellation ?? null,
    invitee: t.invitee ? { uri: t.invitee.uri, email: t.invitee.email, status: t.invitee.status, cancellation: t.invitee.cancellation ?? null } : null,
  };
}

function stripeView(t: StripeTruth): Record<string, unknown> {
  return {
    checkoutSession: t.session ? { id: t.session.id, status: t.session.status ?? null, paymentStatus: t.session.payment_status, amountTotal: t.session.amount_total ?? null, currency: t.session.currency ?? null } : null,
    paymentIntent: t.paymentIntent ? { id: t.paymentIntent.id, status: t.paymentIntent.status, amount: t.paymentIntent.amount, amountReceived: t.paymentIntent.amount_received ?? null, currency: t.paymentIntent.currency } : null,
    refunds: t.refunds.map((r) => ({ id: r.id, amount: r.amount, status: r.status })),
  };
}
