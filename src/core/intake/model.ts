/**
 * The data between the intake's parts: what the lock+read statement reads
 * (the planners' input), what the planners decide (the write statement's
 * input). Types only.
 */
import type { Prisma } from "../../generated/prisma/client.js";
import type { EmailKind, WebhookOutcome, WebhookProvider } from "../../generated/prisma/enums.js";
import type { IntentDraft } from "../intents.js";
import type { BookingState } from "../status-rules.js";
import type { IntakeResult } from "./types.js";

// ---------------------------------------------------------------- read

/** What every lock+read statement reads: the lock (got), the manual-processing setting, whether the event was already recorded. */
export interface LockedRead {
  got: boolean;
  manual: boolean | null;
  seen: boolean;
}

/** A deferred event waiting for its booking, as read (`payload` may come back as JSON text). */
export interface DeferredRow {
  id: string;
  provider: WebhookProvider;
  payload: unknown;
  receivedMs: number;
}

/** For invitee.created: the session type of the Calendly event type (nulls when there is none), the user, the deferred events. */
export interface CreatedRead extends LockedRead {
  stId: string | null;
  builderId: string | null;
  priceCents: number | null;
  currency: string | null;
  title: string | null;
  stripePriceId: string | null;
  userId: string | null;
  deferred: DeferredRow[] | null;
}

/** The booking columns the intake reads. */
export interface BookingRow extends Snapshot {
  inviteeEmail: string;
}

/** A booking row with its row version (xmin), which a conditional update checks. */
export type VersionedBookingRow = BookingRow & { version: string };

/** For a cancellation or payment: the booking with its row version (nulls when there is none). */
export type ExistingRead = LockedRead & { [K in keyof VersionedBookingRow]: VersionedBookingRow[K] | null };

/**
 * For an invitee.created of a reschedule (Calendly's `old_invitee`): what invitee.created reads for the new
 * invitee, and the booking of the old invitee (`old`, with its row version), or whether a booking was moved off
 * the old invitee already (`movedFrom`).
 */
export interface RescheduleRead extends CreatedRead {
  old: VersionedBookingRow | null;
  movedFrom: boolean;
}

// ---------------------------------------------------------------- decide

/** A booking's state as the planners see it: the status pair and what the rules read or write. */
export interface Snapshot extends BookingState {
  id: string;
  sessionTypeId: string;
  amountCents: number;
  currency: string;
  startTime: Date;
  endTime: Date;
  calendlyEventUri: string | null;
  calendlyInviteeUri: string | null;
  previousInviteeUris: string[];
  reviewReason: string | null;
  stripeCheckoutSessionId: string | null;
  stripePaymentIntentId: string | null;
  stripeRefundId: string | null;
  refundedCents: number;
  stripeDisputeId: string | null;
  disputeStatus: string | null;
  cancellationReason: string | null;
  cancelledBy: string | null;
  cancelledAt: Date | null;
  noShowAt: Date | null;
  noShowChangedAt: Date | null;
}

/** An email to queue: its kind, and what tells apart two of one kind for one booking (a RESCHEDULED per move). */
export interface EmailDraft {
  kind: EmailKind;
  dedupeKey: string;
}

export interface AuditDraft {
  action: string;
  reason: string | null;
  before: Prisma.InputJsonValue | null;
  after: Prisma.InputJsonValue | null;
}

export interface RefundDue {
  bookingId: string;
  paymentIntentId: string | null;
  amountCents: number;
  reason: string;
}

/** A Calendly event to cancel (its slot released) after the transaction commits. */
export interface SlotRelease {
  bookingId: string;
  eventUri: string;
  reason: string;
}

/** What to do after the transaction commits (a provider call); a failure is noted on the event's row. */
export type AfterCommit = { kind: "refund"; due: RefundDue; eventRowId: string } | { kind: "release-slot"; release: SlotRelease; eventRowId: string };

/** The WebhookEvent row an event ends with. */
export interface EventRecord {
  id: string;
  outcome: WebhookOutcome;
  bookingId?: string | null;
  correlationKey?: string | null;
  error?: string | null;
}

export interface NewBooking {
  id: string;
  builderId: string;
  userId: string | null;
  inviteeEmail: string;
  inviteeName: string | null;
  runTag: string | null;
  /** The booking as created (its invitee, event and times included: a deferred reschedule may have moved it). */
  state: Snapshot;
}

/** Everything the write statement writes. */
export interface Writes {
  record: EventRecord;
  createBooking?: NewBooking;
  /** A conditional update: applied only if the booking still has row version `version` (else ConcurrentChange). */
  updateBooking?: { id: string; version: string; patch: Partial<Snapshot> };
  /** Deferred events applied by this one: marked PROCESSED for `bookingId`. */
  applied?: { ids: string[]; bookingId: string };
  effects?: { bookingId: string; to: string; emails: EmailDraft[]; audits: AuditDraft[] };
  /** External effects the change implies (a refund, a Calendly cancellation), recorded with it and performed after the commit (core/intents.ts). */
  intents?: IntentDraft[];
  /** What the read may have missed (see sql.ts lockedRead); checked on the write's fresh snapshot. */
  staleIf?: {
    /** Deferred events for this correlation key other than these (recorded after the read's snapshot). */
    deferredOtherThan?: { key: string; ids: string[] };
    /** The booking the read did not find (created, or moved off `inviteeUri` by a reschedule, after its snapshot). */
    bookingExists?: { id: string | null; inviteeUri: string | null; formerInvitee?: boolean };
  };
}

/**
 * What the intake does with an event once its booking is locked and read: nothing but answer "duplicate"
 * (a repeat), or one all-or-nothing write, the answer it gives when the write goes through, and the refunds
 * to make after the commit.
 */
export type Decision = { kind: "duplicate" } | { kind: "write"; writes: Writes; result: IntakeResult; after: AfterCommit[] };

/** An event recorded alone (no lock, no booking change), and the answer. */
export interface RecordOnly {
  record: Omit<EventRecord, "id">;
  result: IntakeResult;
}
