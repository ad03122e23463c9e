/**
 * Refunds due after an event's transaction committed (Stripe calls; rare, so
 * through Prisma): the booking is marked REFUNDED in a second transaction. A
 * failed refund leaves it PAID and is recorded in the AuditLog and on the
 * WebhookEvent, not thrown; the answer says what happened.
 */
import type { PrismaClient } from "../../generated/prisma/client.js";
import type { PaymentsGateway } from "../ports.js";
import type { RefundAfterCommit } from "./model.js";

const TX_OPTIONS = { maxWait: 15_000, timeout: 30_000 } as const;

/** Makes the refund; answers a sentence for the event's result message. */
export async function runRefund(prisma: PrismaClient, payments: PaymentsGateway | undefined, r: RefundAfterCommit, actor: string): Promise<string> {
  const { due } = r;
  const fail = async (why: string) => {
    await prisma.$transaction([
      prisma.auditLog.create({ data: { actor, action: "booking.refund_failed", target: due.bookingId, reason: why, before: { paymentStatus: "PAID" }, after: { paymentStatus: "PAID" } } }),
      prisma.webhookEvent.update({ where: { id: r.eventRowId }, data: { error: `refund failed: ${why}`.slice(0, 1000) } }),
    ]);
    return `Refund of ${due.amountCents} failed (${why}); the booking stays PAID.`;
  };
  if (!payments) return `${due.reason} No payments gateway is configured, so no refund was made; the booking stays PAID.`;
  if (!due.paymentIntentId) return fail("the booking has no Stripe payment intent id to refund");
  let refund: { id: string; status: string };
  try {
    refund = await payments.refund({ paymentIntentId: due.paymentIntentId, amountCents: due.amountCents, reason: due.reason, idempotencyKey: `refund:${due.bookingId}` });
  } catch (err) {
    return fail(err instanceof Error ? err.message : String(err));
  }
  await prisma.$transaction(async (tx) => {
    const { count } = await tx.booking.updateMany({ where: { id: due.bookingId, paymentStatus: "PAID" }, data: { paymentStatus: "REFUNDED" } });
    await tx.auditLog.create({
      data: {
        actor,
        action: "booking.refunded",
        target: due.bookingId,
        reason: `${due.reason} Stripe refund ${refund.id} (${refund.status}).`,
        before: { paymentStatus: "PAID" },
        after: { paymentStatus: count ? "REFUNDED" : "unchanged (no longer PAID)", refundId: refund.id, amountCents: due.amountCents },
      },
    });
  }, TX_OPTIONS);
  return `Refunded ${due.amountCents} (Stripe refund ${refund.id}).`;
}
