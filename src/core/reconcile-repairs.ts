/**
 * `bookings reconcile --fix`: what a repair reports, and the one repair that is
 * a pure database change: markRefundedFromStripe records a refund that already
 * happened in Stripe (CANCELLED/PAID → CANCELLED/REFUNDED only), audited in the
 * same transaction. The repairs that read the providers again and go through
 * the webhook intake are applied by src/ops/reconcile-fix.ts.
 */
import type { PrismaClient } from "../generated/prisma/client.js";
import { recordAudit } from "./audit.js";
import type { DisagreementKind } from "./reconcile.js";
import { canTransition, formatState, type BookingState } from "./status-rules.js";
import type { IntakeResult } from "./webhook-intake.js";

export type RepairOutcome = "repaired" | "unchanged" | "failed";

export interface RepairResult {
  kind: DisagreementKind;
  /** The booking repaired (for missing_in_db: the one created), else null. */
  bookingId: string | null;
  calendlyInviteeUri: string | null;
  stripePaymentIntentId: string | null;
  outcome: RepairOutcome;
  message: string;
  /** The intake's answer, for the repairs that go through it. */
  intakeOutcome: IntakeResult["outcome"] | null;
  before: BookingState | null;
  after: BookingState | null;
}

// ---------------------------------------------------------------- refunded_not_recorded

export interface MarkRefundedInput {
  bookingId: string;
  actor: string;
  refundIds: readonly string[];
  refundedCents: number;
  reason: string;
}

export type MarkRefundedResult =
  | { outcome: "repaired"; before: BookingState; after: BookingState }
  | { outcome: "unchanged"; before: BookingState; message: string }
  | { outcome: "refused"; before: BookingState | null; message: string };

/**
 * Records that a booking's payment was refunded in Stripe (no money moves):
 * CANCELLED/PAID → CANCELLED/REFUNDED, the only refund the status rules allow,
 * with its audit entry in the same transaction. Conditional on the state read,
 * so a concurrent change is refused rather than overwritten.
 */
export async function markRefundedFromStripe(prisma: PrismaClient, input: MarkRefundedInput): Promise<MarkRefundedResult> {
  return prisma.$transaction(async (tx) => {
    const row = await tx.booking.findUnique({ where: { id: input.bookingId }, select: { status: true, paymentStatus: true } });
    if (!row) return { outcome: "refused", before: null, message: `booking ${input.bookingId} no longer exists` };
    const before: BookingState = { status: row.status, paymentStatus: row.paymentStatus };
    if (row.paymentStatus === "REFUNDED") return { outcome: "unchanged", before, message: "already REFUNDED" };
    const after: BookingState = { status: row.status, paymentStatus: "REFUNDED" };
    if (!canTransition(before, after)) {
      return { outcome: "refused", before, message: `a booking in ${formatState(before)} cannot become ${formatState(after)} under the status rules (a refund follows a cancellation of a paid booking)` };
    }
    const { count } = await tx.booking.updateMany({ where: { id: input.bookingId, status: row.status, paymentStatus: row.paymentStatus }, data: { paymentStatus: "REFUNDED" } });
    if (count === 0) return { outcome: "refused", before, message: "the booking changed meanwhile; run reconcile again" };
    await recordAudit(tx, {
      actor: input.actor,
      action: "booking.reconcile.refunded_not_recorded",
      target: input.bookingId,
      reason: input.reason,
      before,
      after: { ...after, refundIds: input.refundIds, refundedCents: input.refundedCents },
    });
    return { outcome: "repaired", before, after };
  });
}
