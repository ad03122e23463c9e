/**
 * `bookflow bookings resolve-review`: an operator closes a booking's review
 * (`Booking.reviewReason`, set when a reschedule moved it into a session type
 * with another price) once they have settled the difference in Stripe. The
 * review is cleared only if it is still the one shown (a newer reason is not
 * cleared by an older decision), with one audit entry naming the operator and
 * what they decided.
 */
import type { Context } from "../context.js";
import { recordAudit } from "../core/audit.js";
import { UsageError } from "../errors.js";
import { resolveOneBooking } from "./booking-lookup.js";
import { openCheckedDatabase } from "./database.js";

export interface ResolveReviewPlan {
  bookingId: string;
  /** The review being closed; null when the booking has none (nothing to do). */
  reviewReason: string | null;
}

export async function planResolveReview(ctx: Context, input: { booking: string }): Promise<ResolveReviewPlan> {
  const db = await openCheckedDatabase(ctx, "look the booking up");
  const b = await resolveOneBooking(db, input.booking, "bookings resolve-review");
  return { bookingId: b.id, reviewReason: b.reviewReason };
}

export async function applyResolveReview(ctx: Context, plan: ResolveReviewPlan, input: { actor: string; reason: string }): Promise<{ cleared: boolean }> {
  if (plan.reviewReason === null) return { cleared: false };
  const db = await ctx.db();
  return db.prisma.$transaction(async (tx) => {
    const { count } = await tx.booking.updateMany({ where: { id: plan.bookingId, reviewReason: plan.reviewReason }, data: { reviewReason: null } });
    if (count === 0) {
      throw new UsageError(
        `Booking ${plan.bookingId}'s review changed while this command ran; nothing was cleared.`,
        "Look at it again (`bookflow bookings show`) and rerun if the new review is settled too.",
        "CONCURRENT_CHANGE",
      );
    }
    await recordAudit(tx, { actor: input.actor, action: "booking.review_resolved", target: plan.bookingId, reason: input.reason, before: { reviewReason: plan.reviewReason }, after: { reviewReason: null } });
    return { cleared: true };
  });
}
