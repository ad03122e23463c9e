import { z } from "zod";
import { bookingTimeline, describeTimelineEntry, type TimelineEntry } from "../../src/core/booking-queries.js";
import { countRefundFailures } from "../../src/core/cancellation.js";
import { planReprocess, readCalendlyTruth, readStripeTruth, recordedEventKey, type CalendlyTruth, type ReprocessNote, type StripeTruth } from "../../src/core/reprocess.js";
import { isManualProcessing } from "../../src/core/webhook-intake.js";
import { EXIT } from "../../src/engine/exit-codes.js";
import { openCheckedDatabase as openDb } from "../../src/ops/database.js";
import { parseOptions } from "../support/flags.js";
import { resolveOneBooking } from "../../src/ops/booking-lookup.js";
import { policyFromEnv } from "../../src/ops/refund-policy.js";
import { stripeReader } from "../../src/ops/stripe-reader.js";
import { money, shortTime, type BookingsDeps } from "./bookings-shared.js";

/**
 * `bookflow bookings show <id | email | calendly-uri | stripe-id>`: the
 * booking, its timeline (webhook events with outcomes, emails with status,
 * audit entries, oldest first), and a live look at its Calendly event and
 * Stripe payment. A provider that cannot be read degrades its own section
 * (with the reason); it does not fail the command. When the providers disagree
 * with the database, the changes `bookings reprocess` would make are listed.
 */

const showOptionsSchema = z.object({
  booking: z.string(),
  json: z.boolean().default(false),
  /** --no-live: database only. */
  live: z.boolean().default(true),
});

export type BookingsShowOptions = z.input<typeof showOptionsSchema>;

/** A timeline entry with its time as an ISO string (each kind keeps its own fields). */
export type DatedEntry = TimelineEntry extends infer E ? (E extends TimelineEntry ? Omit<E, "at"> & { at: string } : never) : never;

type LiveSection<T> = { ok: true; data: T } | { ok: false; error: string } | { ok: null; note: string };

export interface BookingsShowReport {
  booking: Record<string, unknown>;
  timeline: DatedEntry[];
  live: { calendly: LiveSection<Record<string, unknown>>; stripe: LiveSection<Record<string, unknown>> } | null;
  /** What `bookings reprocess` would change (from the providers that could be read), and what needs a person. */
  providers: { changes: string[]; notes: ReprocessNote[] } | null;
}

export async function bookingsShow(rawOptions: BookingsShowOptions, deps: BookingsDeps): Promise<number> {
  const { ctx } = deps;
  try {
    const opts = parseOptions(showOptionsSchema, rawOptions, "bookings show");
    const db = await openDb(ctx, "look the booking up");
    const found = await resolveOneBooking(db, opts.booking, "bookings show");
    const b = await db.prisma.booking.findUniqueOrThrow({
      where: { id: found.id },
      include: { sessionType: { select: { slug: true, title: true } }, builder: { select: { slug: true, displayName: true } } },
    });
    const timeline = await bookingTimeline(db.prisma, b);

    let live: BookingsShowReport["live"] = null;
    let providers: BookingsShowReport["providers"] = null;
    if (opts.live) {
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
        runTag: b.runTag,
        createdAt: b.createdAt.toISOString(),
        updatedAt: b.updatedAt.toISOString(),
      },
      timeline: timeline.map((e) => ({ ...e, at: e.at.toISOString() }) as DatedEntry),
      live,
      providers,
    };
    if (opts.json) {
      ctx.out(`${JSON.stringify(report, null, 2)}\n`);
      return EXIT.OK;
    }
    ctx.out(formatShow(b, timeline, report));
    return EXIT.OK;
  } finally {
    await ctx.close();
  }
}

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

function formatShow(
  b: { id: string; inviteeName: string | null; inviteeEmail: string; amountCents: number; currency: string; startTime: Date; endTime: Date; createdAt: Date; cancelledAt: Date | null; cancelledBy: string | null; cancellationReason: string | null; calendlyEventUri: string | null; calendlyInviteeUri: string | null; stripeCheckoutSessionId: string | null; stripePaymentIntentId: string | null; status: string; paymentStatus: string; builder: { slug: string; displayName: string }; sessionType: { slug: string; title: string } },
  timeline: TimelineEntry[],
  report: BookingsShowReport,
): string {
  const lines: string[] = [];
  const row = (label: string, value: string) => lines.push(`  ${label.padEnd(10)}${value}`);
  lines.push(`Booking ${b.id}`);
  row("status", `${b.status} / ${b.paymentStatus}`);
  row("invitee", b.inviteeName ? `${b.inviteeName} <${b.inviteeEmail}>` : b.inviteeEmail);
  row("session", `${b.sessionType.title} with ${b.builder.displayName} (${b.builder.slug}/${b.sessionType.slug}), ${b.amountCents ? money(b.amountCents, b.currency) : "free"}`);
  row("when", `${shortTime(b.startTime)} → ${shortTime(b.endTime)}`);
  if (b.calendlyEventUri) row("calendly", `${b.calendlyEventUri}${b.calendlyInviteeUri ? `\n${" ".repeat(12)}invitee ${b.calendlyInviteeUri}` : ""}`);
  if (b.stripeCheckoutSessionId || b.stripePaymentIntentId) row("stripe", [b.stripeCheckoutSessionId, b.stripePaymentIntentId].filter(Boolean).join(" / "));
  if (b.cancelledAt) row("cancelled", `${b.cancelledAt.toISOString()}${b.cancelledBy ? ` by ${b.cancelledBy}` : ""}${b.cancellationReason ? `: ${b.cancellationReason}` : ""}`);
  row("created", b.createdAt.toISOString());
  lines.push("", `Timeline (${timeline.length} entr${timeline.length === 1 ? "y" : "ies"}, oldest first)`);
  if (!timeline.length) lines.push("  (nothing recorded)");
  for (const e of timeline) lines.push(`  ${describeTimelineEntry(e)}`);

  if (report.live) {
    const cal = report.live.calendly;
    lines.push("", "Calendly (live)");
    if (cal.ok === false) lines.push(`  could not be read: ${cal.error}`);
    else if (cal.ok === null) lines.push(`  ${cal.note}`);
    else {
      const d = cal.data as { status: string; startTime: string; invitee: { status: string; email: string } | null; cancellation: { reason?: string | null } | null };
      lines.push(`  event ${d.status}, starts ${d.startTime}${d.cancellation?.reason ? ` (cancelled: ${d.cancellation.reason})` : ""}`);
      lines.push(d.invitee ? `  invitee ${d.invitee.email}: ${d.invitee.status}` : "  invitee not found on the event");
    }
    const st = report.live.stripe;
    lines.push("", "Stripe (live)");
    if (st.ok === false) lines.push(`  could not be read: ${st.error}`);
    else if (st.ok === null) lines.push(`  ${st.note}`);
    else {
      const d = st.data as {
        checkoutSession: { id: string; status: string | null; paymentStatus: string } | null;
        paymentIntent: { id: string; status: string; amount: number; currency: string } | null;
        refunds: { id: string; amount: number; status: string | null }[];
      };
      if (d.checkoutSession) lines.push(`  Checkout session ${d.checkoutSession.id}: ${d.checkoutSession.status ?? "?"}, ${d.checkoutSession.paymentStatus}`);
      if (d.paymentIntent) lines.push(`  payment intent ${d.paymentIntent.id}: ${d.paymentIntent.status}, ${money(d.paymentIntent.amount, d.paymentIntent.currency)}`);
      lines.push(d.refunds.length ? `  refunds: ${d.refunds.map((r) => `${r.id} ${money(r.amount, d.paymentIntent?.currency ?? "usd")} ${r.status ?? ""}`.trim()).join(", ")}` : "  refunds: none");
    }
  }
  if (report.providers) {
    lines.push("");
    if (!report.providers.changes.length && !report.providers.notes.some((n) => n.level === "attention")) lines.push("The providers agree with the database.");
    if (report.providers.changes.length) {
      lines.push("The providers disagree with the database; `bookflow bookings reprocess " + b.id + "` would:");
      for (const c of report.providers.changes) lines.push(`  - ${c}`);
    }
    for (const n of report.providers.notes) lines.push(`${n.level === "attention" ? "Needs attention" : "Note"}: ${n.message}`);
  }
  return `${lines.join("\n")}\n`;
}
