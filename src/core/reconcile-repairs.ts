/**
 * `bookings reconcile --fix`: what a repair reports. The repairs themselves
 * (each reads the providers again and goes through the webhook intake, or, for
 * a slot never released, cancels the Calendly event) are src/ops/reconcile-fix.ts.
 */
import type { DisagreementKind } from "./reconcile.js";
import type { BookingState } from "./status-rules.js";
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
