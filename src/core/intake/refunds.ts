/**
 * What is due after an event's transaction commits, as durable intents
 * (core/intents.ts) recorded in that same transaction:
 *
 * - a refund (a paid booking cancelled inside the refund policy): Stripe is
 *   asked after the commit, and the booking recorded by what Stripe answered
 *   (refund-record.ts: REFUNDED when the refund succeeded, REFUND_PENDING while
 *   Stripe has not settled it, still PAID with `booking.refund_failed` when it
 *   failed);
 * - a slot release: the Calendly event of a booking whose Checkout was never
 *   paid is cancelled, so the invitee's time is free again.
 *
 * The intake performs them right after the commit; a crash before that, or a
 * transient provider failure, leaves them PENDING for the worker's sweep.
 */
import { cancelEventIntent, refundIntent, type IntentDraft } from "../intents.js";
import type { AfterCommit } from "./model.js";

/** The intents of an event's after-commit actions, decided by `actor`. */
export function intentsOf(after: readonly AfterCommit[], actor: string): IntentDraft[] {
  return after.map((r) =>
    r.kind === "refund"
      ? refundIntent({ bookingId: r.due.bookingId, params: { paymentIntentId: r.due.paymentIntentId, amountCents: r.due.amountCents, reason: r.due.reason }, actor, reason: r.due.reason, source: `event:${r.eventRowId}`, sourceEventId: r.eventRowId })
      : cancelEventIntent({ bookingId: r.release.bookingId, params: { eventUri: r.release.eventUri, reason: r.release.reason }, actor, reason: r.release.reason, sourceEventId: r.eventRowId }),
  );
}
