/**
 * What is due after an event's transaction committed: provider calls (rare, so
 * through Prisma).
 *
 * - A refund: Stripe is asked (idempotency key `refund:<bookingId>`), then the
 *   booking is recorded by what Stripe answered (refund-record.ts: REFUNDED only
 *   when the refund succeeded; REFUND_PENDING while Stripe has not settled it;
 *   still PAID, with `booking.refund_failed`, when it failed).
 * - A slot release: the Calendly event of a booking whose Checkout was never
 *   paid is cancelled, so the invitee's time is free again.
 *
 * A failure is recorded in the AuditLog and on the WebhookEvent, not thrown; the
 * answer says what happened. A crash between the commit and the call loses the
 * call (the booking says what is owed: CANCELLED/PAID is refund-eligible, a
 * cancelled booking with an active Calendly event is a reconcile finding).
 */
import type { PrismaClient } from "../../generated/prisma/client.js";
import type { PaymentsGateway, SchedulingGateway } from "../ports.js";
import { recordRefundResult } from "../refund-record.js";
import type { AfterCommit } from "./model.js";

/** Does one after-commit action; answers a sentence for the event's result message. */
export async function runAfterCommit(prisma: PrismaClient, gateways: { payments?: PaymentsGateway | undefined; scheduling?: SchedulingGateway | undefined }, r: AfterCommit, actor: string): Promise<string> {
  return r.kind === "refund" ? runRefund(prisma, gateways.payments, r, actor) : releaseSlot(prisma, gateways.scheduling, r, actor);
}

async function noteFailure(prisma: PrismaClient, eventRowId: string, audit: { actor: string; action: string; target: string; reason: string; state: Record<string, string> }): Promise<void> {
  await prisma.$transaction([
    prisma.auditLog.create({ data: { actor: audit.actor, action: audit.action, target: audit.target, reason: audit.reason, before: audit.state, after: audit.state } }),
    prisma.webhookEvent.update({ where: { id: eventRowId }, data: { error: `${audit.action.replace("booking.", "").replace(/_/g, " ")}: ${audit.reason}`.slice(0, 1000) } }),
  ]);
}

async function runRefund(prisma: PrismaClient, payments: PaymentsGateway | undefined, r: Extract<AfterCommit, { kind: "refund" }>, actor: string): Promise<string> {
  const { due } = r;
  const fail = async (why: string) => {
    await noteFailure(prisma, r.eventRowId, { actor, action: "booking.refund_failed", target: due.bookingId, reason: why, state: { paymentStatus: "PAID" } });
    return `Refund of ${due.amountCents} failed (${why}); the booking stays PAID.`;
  };
  if (!payments) return `${due.reason} No payments gateway is configured, so no refund was made; the booking stays PAID.`;
  if (!due.paymentIntentId) return fail("the booking has no Stripe payment intent id to refund");
  let refund: { id: string; status: string | null };
  try {
    refund = await payments.refund({ paymentIntentId: due.paymentIntentId, amountCents: due.amountCents, reason: due.reason, idempotencyKey: `refund:${due.bookingId}` });
  } catch (err) {
    return fail(err instanceof Error ? err.message : String(err));
  }
  const { settlement } = await recordRefundResult(prisma, { bookingId: due.bookingId, actor, refund, amountCents: due.amountCents, reason: due.reason });
  if (settlement === "refunded") return `Refunded ${due.amountCents} (Stripe refund ${refund.id}).`;
  if (settlement === "pending") return `Refund of ${due.amountCents} asked for (Stripe refund ${refund.id}, ${refund.status ?? "no status"}); the booking is REFUND_PENDING until Stripe settles it.`;
  await prisma.webhookEvent.update({ where: { id: r.eventRowId }, data: { error: `refund failed: Stripe refund ${refund.id} ${refund.status}` } });
  return `Refund of ${due.amountCents} ${refund.status} in Stripe (refund ${refund.id}); the booking stays PAID.`;
}

async function releaseSlot(prisma: PrismaClient, scheduling: SchedulingGateway | undefined, r: Extract<AfterCommit, { kind: "release-slot" }>, actor: string): Promise<string> {
  const { release } = r;
  if (!scheduling) return `No Calendly gateway is configured, so the Calendly event ${release.eventUri} was not cancelled; cancel it in Calendly to free the slot.`;
  try {
    const { alreadyCanceled } = await scheduling.cancelEvent(release.eventUri, release.reason);
    await prisma.auditLog.create({
      data: { actor, action: "booking.slot_released", target: release.bookingId, reason: `Calendly event ${release.eventUri} ${alreadyCanceled ? "was already cancelled" : "cancelled"}: ${release.reason}`, before: { calendly: "active" }, after: { calendly: "canceled" } },
    });
    return alreadyCanceled ? "The Calendly event was already cancelled." : "The Calendly event was cancelled; the slot is free again.";
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    await noteFailure(prisma, r.eventRowId, { actor, action: "booking.slot_release_failed", target: release.bookingId, reason: `cancelling Calendly event ${release.eventUri} failed: ${why}`, state: { calendly: "active" } });
    return `Cancelling the Calendly event failed (${why}); the slot is still held: cancel it in Calendly, or run reconcile.`;
  }
}
