import { z } from "zod";
import { describeTimelineEntry } from "../../src/core/booking-queries.js";
import { EXIT } from "../../src/engine/exit-codes.js";
import { showBooking, type ShownBooking } from "../../src/ops/bookings-show.js";
import { parseOptions } from "../support/flags.js";
import { defineCommand } from "../support/run.js";
import { money, shortTime } from "../support/bookings-view.js";

/** `bookflow bookings show <id | email | calendly-uri | stripe-id>`: parse, read (src/ops/bookings-show.ts), print a page or --json. */

const showOptionsSchema = z.object({
  booking: z.string(),
  json: z.boolean().default(false),
  /** --no-live: database only. */
  live: z.boolean().default(true),
});

export type BookingsShowOptions = z.input<typeof showOptionsSchema>;

export const bookingsShow = defineCommand({
  command: "bookings show",
  parse: (raw) => parseOptions(showOptionsSchema, raw, "bookings show"),
  async run(opts, ctx) {
    const shown = await showBooking(ctx, opts);
    ctx.out(opts.json ? `${JSON.stringify(shown.report, null, 2)}\n` : formatShow(shown));
    return EXIT.OK;
  },
});

function formatShow({ booking: b, timeline, report }: ShownBooking): string {
  const lines: string[] = [];
  const row = (label: string, value: string) => lines.push(`  ${label.padEnd(10)}${value}`);
  lines.push(`Booking ${b.id}`);
  row("status", `${b.status} / ${b.paymentStatus}`);
  row("invitee", b.inviteeName ? `${b.inviteeName} <${b.inviteeEmail}>` : b.inviteeEmail);
  row("session", `${b.sessionType.title} with ${b.builder.displayName} (${b.builder.slug}/${b.sessionType.slug}), ${b.amountCents ? money(b.amountCents, b.currency) : "free"}`);
  row("when", `${shortTime(b.startTime)} → ${shortTime(b.endTime)}`);
  if (b.calendlyEventUri) row("calendly", `${b.calendlyEventUri}${b.calendlyInviteeUri ? `\n${" ".repeat(12)}invitee ${b.calendlyInviteeUri}` : ""}`);
  if (b.stripeCheckoutSessionId || b.stripePaymentIntentId) row("stripe", [b.stripeCheckoutSessionId, b.stripePaymentIntentId].filter(Boolean).join(" / "));
  if (b.previousInviteeUris.length) row("moved", `rescheduled ${b.previousInviteeUris.length}× (from ${b.previousInviteeUris.join(", then ")})`);
  if (b.reviewReason) row("REVIEW", b.reviewReason);
  if (b.refundedCents || b.stripeRefundId) row("refunds", `${money(b.refundedCents, b.currency)} refunded${b.stripeRefundId ? ` (last asked: ${b.stripeRefundId})` : ""}`);
  if (b.stripeDisputeId) row("dispute", `${b.stripeDisputeId}: ${b.disputeStatus ?? "?"}`);
  if (b.noShowAt) row("no-show", `marked ${b.noShowAt.toISOString()}`);
  if (b.cancelledAt) row("cancelled", `${b.cancelledAt.toISOString()}${b.cancelledBy ? ` by ${b.cancelledBy}` : ""}${b.cancellationReason ? `: ${b.cancellationReason}` : ""}`);
  row("created", b.createdAt.toISOString());
  lines.push("", `Timeline (${timeline.length} entr${timeline.length === 1 ? "y" : "ies"}, oldest first)`);
  if (!timeline.length) lines.push("  (nothing recorded)");
  for (const e of timeline) lines.push(`  ${describeTimelineEntry(e)}`);
  if (report.intents.length) {
    const open = report.intents.filter((i) => i.status !== "DONE").length;
    lines.push("", `Effects (${report.intents.length}${open ? `, ${open} not done` : ""})`);
    for (const i of report.intents) {
      const what = i.kind === "REFUND" ? `refund ${money((i.params as { amountCents: number }).amountCents, b.currency)}` : `cancel Calendly event`;
      const state = i.status === "PENDING" ? `PENDING (attempt ${i.attempts}, next ${i.nextAttemptAt})` : i.status;
      lines.push(`  ${what}: ${state}, decided by ${i.actor}${i.lastError && i.status !== "DONE" ? `; last error: ${i.lastError}` : ""}`);
    }
  }

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
