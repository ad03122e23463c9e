/**
 * What a refund bookflow asked Stripe for does to the booking, by the status
 * Stripe answered (Refund.status: pending, requires_action, succeeded, failed,
 * canceled; `string | null` in the API's types):
 *
 *   succeeded                         CANCELLED/PAID → CANCELLED/REFUNDED
 *   pending, requires_action, other   CANCELLED/PAID → CANCELLED/REFUND_PENDING (refund.updated or
 *                                     charge.refunded settles it; reprocess can too)
 *   failed, canceled                  stays CANCELLED/PAID, `booking.refund_failed` recorded
 *                                     (`bookings list --stuck` and reconcile show it)
 *
 * The booking row is updated only while it is still CANCELLED/PAID (a webhook
 * that settled the refund first wins, and its audit entry is the one kept), with
 * its audit entry, in one transaction.
 */
import type { PrismaClient } from "../generated/prisma/client.js";
import { recordAudit } from "./audit.js";
import { assertTransition } from "./status-rules.js";

export type RefundSettlement = "refunded" | "pending" | "failed";

/** How a refund's Stripe status settles the booking. */
export function settlementOf(status: string | null): RefundSettlement {
  if (status === "succeeded") return "refunded";
  if (status === "failed" || status === "canceled") return "failed";
  return "pending";
}

const TX_OPTIONS = { maxWait: 15_000, timeout: 30_000 } as const;

export interface RefundRecordInput {
  bookingId: string;
  actor: string;
  refund: { id: string; status: string | null };
  amountCents: number;
  reason: string;
}

/** Records the refund's outcome on the booking; answers the settlement and whether the booking row changed. */
export async function recordRefundResult(prisma: PrismaClient, input: RefundRecordInput): Promise<{ settlement: RefundSettlement; applied: boolean }> {
  const { bookingId, refund } = input;
  const settlement = settlementOf(refund.status);
  const paid = { status: "CANCELLED", paymentStatus: "PAID" } as const;
  if (settlement === "failed") {
    await recordAudit(prisma, {
      actor: input.actor,
      action: "booking.refund_failed",
      target: bookingId,
      reason: `Stripe refund ${refund.id} ${refund.status}: the booking stays PAID and is still owed a refund.`,
      before: { paymentStatus: "PAID" },
      after: { paymentStatus: "PAID", refundId: refund.id },
    });
    return { settlement, applied: false };
  }
  const to = settlement === "refunded" ? "REFUNDED" : "REFUND_PENDING";
  assertTransition(bookingId, paid, { status: "CANCELLED", paymentStatus: to });
  return prisma.$transaction(async (tx) => {
    const { count } = await tx.booking.updateMany({
      where: { id: bookingId, status: "CANCELLED", paymentStatus: "PAID" },
      data: { paymentStatus: to, stripeRefundId: refund.id, ...(settlement === "refunded" ? { refundedCents: input.amountCents } : {}) },
    });
    // Settled first by Stripe's own event (charge.refunded, refund.updated): that one's entry already says so.
    if (count) {
      await recordAudit(tx, {
        actor: input.actor,
        action: settlement === "refunded" ? "booking.refunded" : "booking.refund_pending",
        target: bookingId,
        reason: `${input.reason} Stripe refund ${refund.id} (${refund.status ?? "no status"}).`,
        before: { paymentStatus: "PAID" },
        after: { paymentStatus: to, refundId: refund.id, amountCents: input.amountCents },
      });
    }
    return { settlement, applied: count === 1 };
  }, TX_OPTIONS);
}
