/**
 * Webhook intake: turns verified Calendly and Stripe deliveries into booking
 * changes, exactly once.
 *
 * - The per-event path runs on parameterised SQL (`db.sql`, src/db/sql.ts): a
 *   transaction of two statements (lock + read, write), see "The intake's SQL"
 *   below. Prisma serves the rare paths (reading held events to release them,
 *   refunds after commit, the manual-processing setting).
 * - Every accepted event is recorded once in WebhookEvent (provider +
 *   providerEventId is unique), in the same transaction as its effect (booking
 *   row, queued EmailMessage rows, AuditLog entries). A repeated delivery is
 *   seen (or, in a race with a writer that does not lock, hits the unique key,
 *   which rolls everything back) and is answered "duplicate" with no effect.
 * - Every transaction that reads or creates a booking first takes
 *   pg_advisory_xact_lock(hashtext(<calendly invitee uri, else booking id>)), so
 *   deliveries for one booking are applied one at a time (READ COMMITTED: the
 *   write re-checks, on its own snapshot, what the read may have missed). The
 *   app's Checkout-session attach takes the same lock.
 * - A payment or cancellation whose booking does not exist yet is recorded
 *   DEFERRED with correlationKey = the invitee URI (else the booking id); the
 *   invitee.created that creates the booking applies the deferred events, oldest
 *   first, in its own transaction.
 * - Manual-processing mode (AppSetting manualProcessing = true): events are
 *   recorded HELD and nothing is applied; `releaseHeldEvents` applies them later,
 *   in the order they were received.
 * - Refunds (Stripe calls) happen after the transaction commits, then the
 *   booking is marked REFUNDED in a second transaction; a failed refund leaves
 *   it PAID and is recorded in the AuditLog and on the WebhookEvent, not thrown.
 *
 * Status rules come from status-rules.ts; the planning functions below are pure
 * (state in, state + emails + audit entries out) and the writers batch them.
 */
import { createHash, randomUUID } from "node:crypto";
import type { Prisma, PrismaClient } from "../generated/prisma/client.js";
import type { EmailKind, WebhookOutcome, WebhookProvider } from "../generated/prisma/enums.js";
import { sqlErrorCode, toSqlTimestamp, UNIQUE_VIOLATION, type SqlClient, type SqlTx } from "../db/sql.js";
import { EMAIL_SUBJECTS } from "./notifications.js";
import { DEFAULT_POLICY, systemClock, type BookingPolicy, type CheckoutRequest, type Clock, type PaymentsGateway } from "./ports.js";
import { assertTransition, initialState, refundDecision, stateAfterCancellation, stateAfterPayment, type BookingState } from "./status-rules.js";
import {
  calendlyEnvelopeSchema,
  calendlyInviteeEventSchema,
  formatIssues,
  stripeCheckoutSessionSchema,
  stripeEnvelopeSchema,
  stripePaymentIntentSchema,
} from "./webhook-payloads.js";

export type WebhookSource = "calendly" | "stripe";
export type IntakeOutcome = "processed" | "duplicate" | "ignored" | "deferred" | "held" | "invalid";

export interface IntakeResult {
  outcome: IntakeOutcome;
  provider: WebhookSource;
  eventType: string;
  providerEventId: string | null;
  bookingId: string | null;
  message: string;
  issues?: string[];
  /** A paid booking without a Stripe Checkout session yet: the app should create one (then attachCheckoutSession). */
  checkoutNeeded?: { bookingId: string };
  /**
   * With checkoutNeeded, when the intake has just created the booking: what the Checkout session is for, so the
   * caller needs no lookup (the return URLs are the caller's business).
   */
  checkoutDetails?: Omit<CheckoutRequest, "successUrl" | "cancelUrl">;
}

export interface WebhookIntakeDeps {
  /** Rare paths: releasing held events (reading them), refunds after commit, manual-processing mode. */
  prisma: PrismaClient;
  /** The per-event path (db.sql): parameterised SQL, a few statements per event. */
  sql: SqlClient;
  clock?: Clock;
  policy?: BookingPolicy;
  /** Needed for automatic refunds; without it a refund-eligible booking stays PAID (and the result says so). */
  payments?: PaymentsGateway;
}

export interface WebhookIntake {
  /** `body`: parsed JSON whose signature the caller verified. Never throws for a bad payload ("invalid"). */
  receive(provider: WebhookSource, body: unknown): Promise<IntakeResult>;
  /** Applies HELD events in the order they were received (oldest first), whatever the manual-processing setting. */
  releaseHeld(options?: { limit?: number }): Promise<IntakeResult[]>;
}

export const MANUAL_PROCESSING_KEY = "manualProcessing";

/** Turns manual-processing mode on or off (AppSetting manualProcessing), with an audit entry. */
export async function setManualProcessing(prisma: PrismaClient, on: boolean, actor: string, reason?: string): Promise<{ previous: boolean }> {
  return prisma.$transaction(async (tx) => {
    const before = await tx.appSetting.findUnique({ where: { key: MANUAL_PROCESSING_KEY } });
    await tx.appSetting.upsert({ where: { key: MANUAL_PROCESSING_KEY }, create: { key: MANUAL_PROCESSING_KEY, value: on }, update: { value: on } });
    await tx.auditLog.create({
      data: {
        actor,
        action: on ? "webhooks.manual_processing.on" : "webhooks.manual_processing.off",
        target: `setting:${MANUAL_PROCESSING_KEY}`,
        reason: reason ?? null,
        before: { value: before?.value ?? false },
        after: { value: on },
      },
    });
    return { previous: before?.value === true };
  });
}

export async function isManualProcessing(prisma: PrismaClient): Promise<boolean> {
  const row = await prisma.appSetting.findUnique({ where: { key: MANUAL_PROCESSING_KEY } });
  return row?.value === true;
}

/** Applies every HELD event, oldest first (in batches of `batchSize`); returns what happened to each. */
export async function releaseHeldEvents(intake: WebhookIntake, options: { batchSize?: number } = {}): Promise<{ released: number; results: IntakeResult[] }> {
  const results: IntakeResult[] = [];
  for (;;) {
    const batch = await intake.releaseHeld({ limit: options.batchSize ?? 500 });
    results.push(...batch);
    if (batch.length === 0) break;
  }
  return { released: results.length, results };
}

// ---------------------------------------------------------------------------
// Parsed events

type CalendlyCreated = {
  kind: "invitee.created";
  inviteeUri: string;
  eventUri: string;
  eventTypeUri: string;
  email: string;
  name: string | null;
  startTime: Date;
  endTime: Date;
  /** `tracking.utm_campaign` when it is a bookflow run tag (`bookflow-…`): scenario runs tag what they create. */
  runTag: string | null;
};

type CalendlyCanceled = {
  kind: "invitee.canceled";
  inviteeUri: string;
  reason: string | null;
  canceledBy: string | null;
  cancelerType: string | null;
  /** When Calendly says the cancellation happened (the refund window is judged at this time). */
  at: Date | null;
};

type Payment = {
  kind: "payment";
  bookingId: string | null;
  inviteeUri: string | null;
  /** checkout payment_status "paid" / intent status "succeeded". */
  paid: boolean;
  checkoutSessionId: string | null;
  paymentIntentId: string | null;
  amountCents: number | null;
  currency: string | null;
};

type Other = { kind: "other" };

type Action = CalendlyCreated | CalendlyCanceled | Payment | Other;

interface ParsedEvent {
  provider: WebhookSource;
  type: string;
  providerEventId: string;
  body: unknown;
  action: Action;
}

type ParseResult = { ok: true; event: ParsedEvent } | { ok: false; type: string; providerEventId: string | null; issues: string[] };

function typeOf(body: unknown, key: string): string {
  if (body && typeof body === "object" && typeof (body as Record<string, unknown>)[key] === "string") return (body as Record<string, string>)[key]!;
  return "unknown";
}

export function parseWebhook(provider: WebhookSource, body: unknown): ParseResult {
  return provider === "calendly" ? parseCalendly(body) : parseStripe(body);
}

function parseCalendly(body: unknown): ParseResult {
  const env = calendlyEnvelopeSchema.safeParse(body);
  if (!env.success) return { ok: false, type: typeOf(body, "event"), providerEventId: null, issues: formatIssues(env.error) };
  const type = env.data.event;
  if (type !== "invitee.created" && type !== "invitee.canceled") {
    const id = env.data.payload.uri ?? `sha256:${createHash("sha256").update(JSON.stringify(body)).digest("hex").slice(0, 32)}`;
    return { ok: true, event: { provider: "calendly", type, providerEventId: `${type}:${id}`, body, action: { kind: "other" } } };
  }
  const parsed = calendlyInviteeEventSchema.safeParse(body);
  if (!parsed.success) return { ok: false, type, providerEventId: null, issues: formatIssues(parsed.error) };
  const p = parsed.data.payload;
  const providerEventId = `${type}:${p.uri}`;
  let action: Action;
  if (type === "invitee.created") {
    action = {
      kind: "invitee.created",
      inviteeUri: p.uri,
      eventUri: p.event,
      eventTypeUri: p.scheduled_event.event_type,
      email: p.email,
      name: p.name ?? null,
      startTime: new Date(p.scheduled_event.start_time),
      endTime: new Date(p.scheduled_event.end_time),
      runTag: runTagOf(p.tracking?.utm_campaign),
    };
  } else {
    const c = p.cancellation ?? null;
    const at = c?.created_at ?? parsed.data.created_at ?? null;
    action = {
      kind: "invitee.canceled",
      inviteeUri: p.uri,
      reason: c?.reason ?? null,
      canceledBy: c?.canceled_by ?? null,
      cancelerType: c?.canceler_type ?? null,
      at: at ? new Date(at) : null,
    };
  }
  return { ok: true, event: { provider: "calendly", type, providerEventId, body, action } };
}

/** Run tags mark data created by `bookflow scenarios` (so `--cleanup` removes exactly that): `bookflow-<run id>`. */
export const RUN_TAG_PATTERN = /^bookflow-[A-Za-z0-9_-]{1,64}$/;

function runTagOf(campaign: string | null | undefined): string | null {
  return campaign && RUN_TAG_PATTERN.test(campaign) ? campaign : null;
}

function parseStripe(body: unknown): ParseResult {
  const env = stripeEnvelopeSchema.safeParse(body);
  if (!env.success) return { ok: false, type: typeOf(body, "type"), providerEventId: typeOf(body, "id") === "unknown" ? null : typeOf(body, "id"), issues: formatIssues(env.error) };
  const { type, id } = env.data;
  const base = { provider: "stripe" as const, type, providerEventId: id, body };
  const prefix = ["data", "object"];
  if (type === "checkout.session.completed" || type === "checkout.session.async_payment_succeeded") {
    const o = stripeCheckoutSessionSchema.safeParse(env.data.data.object);
    if (!o.success) return { ok: false, type, providerEventId: id, issues: formatIssues(o.error, prefix) };
    const s = o.data;
    return {
      ok: true,
      event: {
        ...base,
        action: {
          kind: "payment",
          bookingId: nonEmpty(s.metadata?.booking_id) ?? nonEmpty(s.client_reference_id),
          inviteeUri: nonEmpty(s.metadata?.calendly_invitee_uri),
          paid: s.payment_status === "paid",
          checkoutSessionId: s.id,
          paymentIntentId: s.payment_intent ?? null,
          amountCents: s.amount_total ?? null,
          currency: s.currency ?? null,
        },
      },
    };
  }
  if (type === "payment_intent.succeeded") {
    const o = stripePaymentIntentSchema.safeParse(env.data.data.object);
    if (!o.success) return { ok: false, type, providerEventId: id, issues: formatIssues(o.error, prefix) };
    const pi = o.data;
    return {
      ok: true,
      event: {
        ...base,
        action: {
          kind: "payment",
          bookingId: nonEmpty(pi.metadata?.booking_id),
          inviteeUri: nonEmpty(pi.metadata?.calendly_invitee_uri),
          paid: pi.status === "succeeded",
          checkoutSessionId: null,
          paymentIntentId: pi.id,
          amountCents: pi.amount_received ?? pi.amount,
          currency: pi.currency,
        },
      },
    };
  }
  return { ok: true, event: { ...base, action: { kind: "other" } } };
}

function nonEmpty(s: string | null | undefined): string | null {
  return s && s.trim() ? s : null;
}

// ---------------------------------------------------------------------------
// Pure planning: booking state in, next state + emails + audit entries out

interface Snapshot extends BookingState {
  id: string;
  amountCents: number;
  currency: string;
  startTime: Date;
  stripeCheckoutSessionId: string | null;
  stripePaymentIntentId: string | null;
  cancellationReason: string | null;
  cancelledBy: string | null;
  cancelledAt: Date | null;
}

interface AuditDraft {
  action: string;
  reason: string | null;
  before: Prisma.InputJsonValue | null;
  after: Prisma.InputJsonValue | null;
}

interface RefundDue {
  bookingId: string;
  paymentIntentId: string | null;
  amountCents: number;
  reason: string;
}

interface Plan {
  next: Snapshot;
  /** Columns to write (empty: the booking is unchanged). */
  patch: Partial<Snapshot>;
  emails: EmailKind[];
  audits: AuditDraft[];
  refund: RefundDue | null;
  message: string;
  /** Recorded on the WebhookEvent (processed, but a person should look). */
  warning: string | null;
}

const stateOf = (s: BookingState): { status: string; paymentStatus: string } => ({ status: s.status, paymentStatus: s.paymentStatus });

function planPayment(current: Snapshot, pay: Payment, eventRef: string): Plan {
  const ids: Partial<Snapshot> = {};
  if (pay.checkoutSessionId && current.stripeCheckoutSessionId !== pay.checkoutSessionId) ids.stripeCheckoutSessionId = pay.checkoutSessionId;
  if (pay.paymentIntentId && !current.stripePaymentIntentId) ids.stripePaymentIntentId = pay.paymentIntentId;
  const mismatch =
    (pay.amountCents !== null && pay.amountCents < current.amountCents) || (pay.currency !== null && pay.currency.toLowerCase() !== current.currency.toLowerCase())
      ? `payment of ${pay.amountCents ?? "?"} ${pay.currency ?? "?"} does not cover the booking's ${current.amountCents} ${current.currency}`
      : null;

  if (current.paymentStatus === "PAID" || current.paymentStatus === "REFUNDED") {
    return { next: { ...current, ...ids }, patch: ids, emails: [], audits: [], refund: null, message: `Payment already recorded (${current.paymentStatus}); nothing to change.`, warning: null };
  }
  const to = stateAfterPayment(current);
  if (!to) {
    // A payment for a booking that needs none (free): keep the money visible, change nothing else.
    const warning = `payment received for booking ${current.id} in state ${current.status}/${current.paymentStatus}, which takes no payment; not applied — check it in Stripe`;
    return {
      next: { ...current, ...ids },
      patch: ids,
      emails: [],
      audits: [{ action: "booking.payment_anomaly", reason: `${eventRef}: ${warning}`, before: stateOf(current), after: stateOf(current) }],
      refund: null,
      message: `Payment recorded as an anomaly: ${warning}.`,
      warning,
    };
  }
  assertTransition(current.id, current, to);
  const next: Snapshot = { ...current, ...ids, ...to };
  const patch: Partial<Snapshot> = { ...ids, ...to };
  const audits: AuditDraft[] = [
    { action: "booking.paid", reason: mismatch ? `${eventRef}; warning: ${mismatch}` : eventRef, before: stateOf(current), after: { ...stateOf(to), ...ids } },
  ];
  if (current.status === "CANCELLED") {
    const decision = refundDecision(next, current.cancelledAt ?? new Date(), DEFAULT_POLICY, { paidAfterCancellation: true });
    return {
      next,
      patch,
      emails: ["RECEIPT"],
      audits,
      refund: { bookingId: current.id, paymentIntentId: next.stripePaymentIntentId, amountCents: decision.amountCents, reason: decision.reason },
      message: "Payment received for a cancelled booking: recorded as PAID, refund due.",
      warning: mismatch,
    };
  }
  return { next, patch, emails: ["CONFIRMATION", "RECEIPT"], audits, refund: null, message: "Payment received: booking confirmed and paid.", warning: mismatch };
}

function planCancel(current: Snapshot, c: CalendlyCanceled, now: Date, policy: BookingPolicy, eventRef: string): Plan {
  const to = stateAfterCancellation(current);
  if (!to) {
    return { next: current, patch: {}, emails: [], audits: [], refund: null, message: `Booking already ${current.status}; nothing to change.`, warning: null };
  }
  assertTransition(current.id, current, to);
  const cancelledAt = c.at ?? now;
  const cancelledBy = c.canceledBy ? (c.cancelerType ? `${c.canceledBy} (${c.cancelerType})` : c.canceledBy) : c.cancelerType;
  const patch: Partial<Snapshot> = { ...to, cancellationReason: c.reason, cancelledBy, cancelledAt };
  const next: Snapshot = { ...current, ...patch };
  const audits: AuditDraft[] = [
    { action: "booking.cancelled", reason: c.reason ? `${eventRef}: ${c.reason}` : eventRef, before: stateOf(current), after: { ...stateOf(to), cancelledBy } },
  ];
  let refund: RefundDue | null = null;
  let message = "Booking cancelled.";
  if (current.paymentStatus === "PAID") {
    const decision = refundDecision(next, cancelledAt, policy);
    message = `Booking cancelled. ${decision.reason}`;
    if (decision.refund) refund = { bookingId: current.id, paymentIntentId: next.stripePaymentIntentId, amountCents: decision.amountCents, reason: decision.reason };
    else audits.push({ action: "booking.refund_declined", reason: decision.reason, before: null, after: null });
  }
  return { next, patch, emails: ["CANCELLATION"], audits, refund, message, warning: null };
}

// ---------------------------------------------------------------------------
// The intake's SQL (db.sql): the per-event transaction is two statements and
// two round trips when the booking's lock is free (BEGIN goes with the first
// statement, COMMIT right after the second):
//
//   BEGIN
//   1+2. try the booking's advisory lock (pg_try_advisory_xact_lock) and, in
//      the same statement, read whether manual processing is on, whether the
//      event was already recorded, and what the event needs (the booking with
//      its row version; or, for invitee.created, the session type, the user and
//      the deferred events). When another delivery holds the lock: wait for it
//      (pg_advisory_xact_lock), then read again in a new statement — under READ
//      COMMITTED a statement's snapshot is taken when it starts, so only a
//      statement after the wait sees what the previous holder committed;
//   3. write everything in one all-or-nothing statement, which first checks on
//      its own (fresh) snapshot that the event is not a repeat and that step 2
//      missed nothing (a lock got at once can still come with a snapshot from
//      just before the previous holder's commit): the WebhookEvent row, the
//      booking insert or conditional update (row version), the applied deferred
//      events, the queued emails and the audit entries. When a check fails it
//      writes nothing and says why (repeat → "duplicate"; stale read or
//      concurrent change → the transaction is run again);
//   COMMIT (sent without waiting for statement 3's answer: committing a
//      statement that wrote nothing, or one that failed, changes nothing)
//
// Measured on a 2-core VM (npm run bench -- intake): each statement is a
// loopback round trip whose wake-ups cost more CPU than the SQL itself, so
// round trips, not queries' work, set the rate.
//
// The statements only write what the pure planners above decided: status
// rules live in status-rules.ts alone.

interface BookingRow {
  id: string;
  status: BookingState["status"];
  paymentStatus: BookingState["paymentStatus"];
  amountCents: number;
  currency: string;
  startTime: Date;
  stripeCheckoutSessionId: string | null;
  stripePaymentIntentId: string | null;
  cancellationReason: string | null;
  cancelledBy: string | null;
  cancelledAt: Date | null;
  inviteeEmail: string;
}

function toSnapshot(b: BookingRow): Snapshot {
  return {
    id: b.id,
    status: b.status,
    paymentStatus: b.paymentStatus,
    amountCents: b.amountCents,
    currency: b.currency,
    startTime: b.startTime,
    stripeCheckoutSessionId: b.stripeCheckoutSessionId,
    stripePaymentIntentId: b.stripePaymentIntentId,
    cancellationReason: b.cancellationReason,
    cancelledBy: b.cancelledBy,
    cancelledAt: b.cancelledAt,
  };
}

/** The Booking columns a plan's patch may write, with their casts. */
const PATCH_COLUMNS: Partial<Record<keyof Snapshot, string>> = {
  status: `::"BookingStatus"`,
  paymentStatus: `::"PaymentStatus"`,
  stripeCheckoutSessionId: "",
  stripePaymentIntentId: "",
  cancellationReason: "",
  cancelledBy: "",
  cancelledAt: "::timestamp",
};

/** Collects positional parameters: `p(value, cast)` appends one and answers "$n<cast>". */
function sqlParams() {
  const values: unknown[] = [];
  return {
    values,
    p(value: unknown, cast = ""): string {
      values.push(value instanceof Date ? toSqlTimestamp(value) : value);
      return `$${values.length}${cast}`;
    },
  };
}

/** Thrown inside a transaction to roll it back and answer "duplicate". */
class DuplicateDelivery extends Error {}
/** The booking changed under us (a writer that does not take the advisory lock): retry the transaction. */
class ConcurrentChange extends Error {}
/** Step 2 read from a snapshot older than the last lock holder's commit and missed something: retry the transaction. */
class StaleRead extends Error {}

function isUniqueViolation(err: unknown): boolean {
  return sqlErrorCode(err) === UNIQUE_VIOLATION;
}

/** The violated constraint's name (pg and PGlite errors carry it; else the message, which names it). */
function uniqueConstraintOf(err: unknown): string {
  const e = err as { constraint?: unknown; message?: unknown };
  return typeof e.constraint === "string" ? e.constraint : typeof e.message === "string" ? e.message : "";
}

const PROVIDER: Record<WebhookSource, WebhookProvider> = { calendly: "CALENDLY", stripe: "STRIPE" };
const TX_OPTIONS = { maxWait: 15_000, timeout: 30_000 } as const;

interface Held {
  rowId: string;
}

/** What steps 1 and 2 read: the lock (got), the manual-processing setting, whether the event was already recorded. */
interface LockedRead {
  got: boolean;
  manual: boolean | null;
  seen: boolean;
}

/** For invitee.created: the session type of the Calendly event type (nulls when there is none), the user, the deferred events. */
interface CreatedRead extends LockedRead {
  stId: string | null;
  builderId: string | null;
  priceCents: number | null;
  currency: string | null;
  title: string | null;
  stripePriceId: string | null;
  userId: string | null;
  deferred: { id: string; provider: string; payload: unknown; receivedMs: number }[] | null;
}

/** For a cancellation or payment: the booking with its row version (nulls when there is none). */
type ExistingRead = LockedRead & ({ [K in keyof (BookingRow & { version: string })]: (BookingRow & { version: string })[K] | null });

interface Outcome {
  result: IntakeResult;
  refunds: { due: RefundDue; eventRowId: string }[];
  /** Step 3, sent but not awaited inside the transaction (see write): awaited once the COMMIT was sent. */
  written: Promise<void>;
}

/** The WebhookEvent row an event ends with. */
interface EventRecord {
  id: string;
  outcome: WebhookOutcome;
  bookingId?: string | null;
  correlationKey?: string | null;
  error?: string | null;
}

interface NewBooking {
  id: string;
  sessionTypeId: string;
  builderId: string;
  userId: string | null;
  inviteeEmail: string;
  inviteeName: string | null;
  startTime: Date;
  endTime: Date;
  calendlyEventUri: string;
  calendlyInviteeUri: string;
  runTag: string | null;
  state: Snapshot;
}

/** Everything step 3 writes. */
interface Writes {
  record: EventRecord;
  createBooking?: NewBooking;
  /** A conditional update: applied only if the booking is still in `from` (else ConcurrentChange). */
  updateBooking?: { id: string; version: string; patch: Partial<Snapshot> };
  /** Deferred events applied by this one: marked PROCESSED for `bookingId`. */
  applied?: { ids: string[]; bookingId: string };
  effects?: { bookingId: string; to: string; emails: EmailKind[]; audits: AuditDraft[] };
  /** What step 2 may have missed (see lockedRead); checked on step 3's fresh snapshot. */
  staleIf?: {
    /** Deferred events for this correlation key other than these (recorded after step 2's snapshot). */
    deferredOtherThan?: { key: string; ids: string[] };
    /** The booking step 2 did not find (created after its snapshot). */
    bookingExists?: { id: string | null; inviteeUri: string | null };
  };
}

export function createWebhookIntake(deps: WebhookIntakeDeps): WebhookIntake {
  const { prisma, sql, payments } = deps;
  const clock = deps.clock ?? systemClock;
  const policy = deps.policy ?? DEFAULT_POLICY;

  function result(ev: ParsedEvent, outcome: IntakeOutcome, bookingId: string | null, message: string, extra: Partial<IntakeResult> = {}): IntakeResult {
    return { outcome, provider: ev.provider, eventType: ev.type, providerEventId: ev.providerEventId, bookingId, message, ...extra };
  }

  /**
   * Step 3: one statement, all or nothing. It first checks, on its own snapshot (fresh: taken after the lock),
   * that the event is not a repeat (its row exists; for a released HELD event, its row is no longer HELD) and
   * that step 2 missed nothing (`staleIf`); every write depends on those checks, and the event's side effects on
   * its row being written (and a booking update on the row version still being the one read). So a statement
   * that finds a repeat, a stale read or a concurrent change writes nothing at all, and the COMMIT that follows
   * it may be sent without waiting for its answer (one round trip less): the caller awaits the returned promise
   * after the transaction, and it rejects with DuplicateDelivery, StaleRead or ConcurrentChange.
   * The unique keys stay the last line of defence: a repeat recorded by a writer that did not take the lock
   * fails the statement (unique violation, answered as a repeat), which rolls back the whole transaction.
   */
  function write(tx: SqlTx, ev: ParsedEvent, held: Held | undefined, w: Writes): Promise<void> {
    const { values, p } = sqlParams();
    const now = clock.now();
    const wallNow = new Date();
    const r = w.record;
    const processedAt = r.outcome === "DEFERRED" || r.outcome === "HELD" ? null : now;

    const duplicate = held
      ? `NOT EXISTS (SELECT 1 FROM "WebhookEvent" WHERE id = ${p(held.rowId)} AND outcome = 'HELD')`
      : `EXISTS (SELECT 1 FROM "WebhookEvent" WHERE provider = ${p(PROVIDER[ev.provider], `::"WebhookProvider"`)} AND "providerEventId" = ${p(ev.providerEventId)})`;
    let stale = "false";
    if (w.staleIf?.deferredOtherThan) {
      const d = w.staleIf.deferredOtherThan;
      stale = `EXISTS (SELECT 1 FROM "WebhookEvent" WHERE outcome = 'DEFERRED' AND "correlationKey" = ${p(d.key)}
        AND id NOT IN (SELECT jsonb_array_elements_text(${p(JSON.stringify(d.ids), "::jsonb")})))`;
    } else if (w.staleIf?.bookingExists) {
      const b = w.staleIf.bookingExists;
      stale = `EXISTS (SELECT 1 FROM "Booking" WHERE id = ${p(b.id)} OR "calendlyInviteeUri" = ${p(b.inviteeUri)})`;
    }
    const ctes: string[] = [`chk AS (SELECT ${duplicate} AS duplicate, ${stale} AS stale)`, `go AS (SELECT 1 FROM chk WHERE NOT duplicate AND NOT stale)`];

    let updating = false;
    if (w.updateBooking && Object.keys(w.updateBooking.patch).length) {
      const u = w.updateBooking;
      const sets = Object.entries(u.patch).map(([key, value]) => {
        const cast = PATCH_COLUMNS[key as keyof Snapshot];
        if (cast === undefined) throw new Error(`webhook intake: booking column ${key} is not writable here`);
        return `"${key}" = ${p(value ?? null, cast)}`;
      });
      sets.push(`"updatedAt" = ${p(wallNow, "::timestamp")}`);
      ctes.push(`ub AS (
        UPDATE "Booking" SET ${sets.join(", ")}
        WHERE id = ${p(u.id)} AND xmin = ${p(u.version, "::xid")} AND EXISTS (SELECT 1 FROM go)
        RETURNING id)`);
      updating = true;
    }
    // The event's row is written when the checks pass (and, for an update, when the booking was updated).
    const recordIf = `EXISTS (SELECT 1 FROM go)${updating ? " AND EXISTS (SELECT 1 FROM ub)" : ""}`;
    if (w.createBooking) {
      const b = w.createBooking;
      const s = b.state;
      const at = p(wallNow, "::timestamp");
      ctes.push(`nb AS (
        INSERT INTO "Booking" (id, "sessionTypeId", "builderId", "userId", "inviteeEmail", "inviteeName", "startTime", "endTime",
          "calendlyEventUri", "calendlyInviteeUri", "stripeCheckoutSessionId", "stripePaymentIntentId", status, "paymentStatus",
          "amountCents", currency, "cancellationReason", "cancelledBy", "cancelledAt", "runTag", "createdAt", "updatedAt")
        SELECT ${p(b.id)}, ${p(b.sessionTypeId)}, ${p(b.builderId)}, ${p(b.userId)}, ${p(b.inviteeEmail)}, ${p(b.inviteeName)},
          ${p(b.startTime, "::timestamp")}, ${p(b.endTime, "::timestamp")}, ${p(b.calendlyEventUri)}, ${p(b.calendlyInviteeUri)},
          ${p(s.stripeCheckoutSessionId)}, ${p(s.stripePaymentIntentId)}, ${p(s.status, `::"BookingStatus"`)}, ${p(s.paymentStatus, `::"PaymentStatus"`)},
          ${p(s.amountCents, "::int")}, ${p(s.currency)}, ${p(s.cancellationReason)}, ${p(s.cancelledBy)}, ${p(s.cancelledAt, "::timestamp")}, ${p(b.runTag)}, ${at}, ${at}
        WHERE ${recordIf})`);
    }
    if (held) {
      ctes.push(`ev AS (
        UPDATE "WebhookEvent" SET outcome = ${p(r.outcome, `::"WebhookOutcome"`)}, "bookingId" = ${p(r.bookingId ?? null)},
          "correlationKey" = ${p(r.correlationKey ?? null)}, error = ${p(r.error ?? null)}, "processedAt" = ${p(processedAt, "::timestamp")}
        WHERE id = ${p(held.rowId)} AND outcome = 'HELD' AND ${recordIf}
        RETURNING id)`);
    } else {
      ctes.push(`ev AS (
        INSERT INTO "WebhookEvent" (id, provider, "providerEventId", type, payload, "receivedAt", "processedAt", outcome, error, "correlationKey", "bookingId")
        SELECT ${p(r.id)}, ${p(PROVIDER[ev.provider], `::"WebhookProvider"`)}, ${p(ev.providerEventId)}, ${p(ev.type)}, ${p(JSON.stringify(ev.body), "::jsonb")},
          ${p(now, "::timestamp")}, ${p(processedAt, "::timestamp")}, ${p(r.outcome, `::"WebhookOutcome"`)}, ${p(r.error ?? null)},
          ${p(r.correlationKey ?? null)}, ${p(r.bookingId ?? null)}
        WHERE ${recordIf}
        RETURNING id)`);
    }
    if (w.applied && w.applied.ids.length) {
      ctes.push(`ap AS (
        UPDATE "WebhookEvent" SET outcome = 'PROCESSED', "processedAt" = ${p(now, "::timestamp")}, "bookingId" = ${p(w.applied.bookingId)}
        WHERE id IN (SELECT jsonb_array_elements_text(${p(JSON.stringify(w.applied.ids), "::jsonb")})) AND EXISTS (SELECT 1 FROM ev))`);
    }
    const fx = w.effects;
    if (fx && fx.emails.length) {
      const rows = fx.emails.map((kind) => ({ id: randomUUID(), kind, subject: EMAIL_SUBJECTS[kind] }));
      // At most one email per booking and kind (EmailMessage's unique key).
      ctes.push(`em AS (
        INSERT INTO "EmailMessage" (id, kind, "to", subject, "bookingId", status, attempts, "createdAt")
        SELECT e->>'id', (e->>'kind')::"EmailKind", ${p(fx.to)}, e->>'subject', ${p(fx.bookingId)}, 'QUEUED', 0, ${p(wallNow, "::timestamp")}
        FROM jsonb_array_elements(${p(JSON.stringify(rows), "::jsonb")}) AS e
        WHERE EXISTS (SELECT 1 FROM ev)
        ON CONFLICT ("bookingId", kind) DO NOTHING)`);
    }
    if (fx && fx.audits.length) {
      const rows = fx.audits.map((a) => ({ id: randomUUID(), action: a.action, reason: a.reason, before: a.before, after: a.after }));
      ctes.push(`au AS (
        INSERT INTO "AuditLog" (id, actor, action, target, reason, before, after, "createdAt")
        SELECT a->>'id', ${p(`webhook:${ev.provider}`)}, a->>'action', ${p(fx.bookingId)}, a->>'reason',
          NULLIF(a->'before', 'null'::jsonb), NULLIF(a->'after', 'null'::jsonb), ${p(wallNow, "::timestamp")}
        FROM jsonb_array_elements(${p(JSON.stringify(rows), "::jsonb")}) AS a
        WHERE EXISTS (SELECT 1 FROM ev))`);
    }
    const text = `WITH ${ctes.join(",\n")}
      SELECT (SELECT count(*) FROM ev)::int AS recorded, chk.duplicate, chk.stale${updating ? ", (SELECT count(*) FROM ub)::int AS updated" : ""} FROM chk`;
    const written = tx.query<{ recorded: number; duplicate: boolean; stale: boolean; updated?: number }>(text, values).then(
      ([row]) => {
        if (!row) throw new Error("webhook intake: the write statement returned no row");
        if (row.duplicate) throw new DuplicateDelivery();
        if (row.stale) throw new StaleRead();
        if (updating && row.updated === 0) throw new ConcurrentChange();
        if (row.recorded === 0) throw new DuplicateDelivery(); // a released HELD row no longer HELD
      },
      (err: unknown) => {
        // The event's unique key, or the invitee URI's of a booking being created (invitee.created's event id
        // derives from it): the event was recorded meanwhile. Other unique keys (a Stripe id that belongs to
        // another booking) are real errors.
        if (isUniqueViolation(err) && /WebhookEvent_provider_providerEventId|Booking_calendlyInviteeUri/.test(uniqueConstraintOf(err))) throw new DuplicateDelivery();
        throw err;
      },
    );
    written.catch(() => {}); // awaited by the caller, after the COMMIT was sent
    return written;
  }

  /** Records an event that changes nothing else, outside any transaction. A repeat throws DuplicateDelivery. */
  async function recordAlone(ev: ParsedEvent, held: Held | undefined, r: EventRecord): Promise<void> {
    await write(sql, ev, held, { record: r });
  }

  /**
   * Steps 1 and 2 in one statement when the booking's advisory lock is free: `read` tries the lock
   * (pg_try_advisory_xact_lock) and, in the same statement, reads whether manual processing is on, whether the
   * event was already recorded, and what the event needs. When the lock is taken by another delivery, we wait for
   * it and read again in a new statement, whose snapshot then sees what that delivery committed.
   *
   * A statement's snapshot is taken when it starts, so even a lock got at once may come with a snapshot from just
   * before the previous holder committed. Step 3 therefore checks what such a read could have missed (a booking
   * updated meanwhile: row version; a booking created meanwhile; a deferred event recorded meanwhile) and throws
   * StaleRead, which retries the transaction.
   */
  async function lockedRead<R extends { got: boolean }>(tx: SqlTx, key: string, read: () => Promise<R | undefined>): Promise<R> {
    let row = await read();
    if (!row?.got) {
      await tx.query(`SELECT 1 FROM pg_advisory_xact_lock(hashtext($1))`, [key]);
      row = await read(); // the lock is ours now (advisory locks are re-entrant): got is true
    }
    if (!row?.got) throw new Error(`webhook intake: could not take the advisory lock for ${key}`);
    return row;
  }

  async function holdEvent(tx: SqlTx, ev: ParsedEvent, key: string): Promise<Outcome> {
    const written = write(tx, ev, undefined, { record: { id: randomUUID(), outcome: "HELD", correlationKey: key } });
    return { result: result(ev, "held", null, "Manual processing is on: the event is recorded and held, not applied."), refunds: [], written };
  }

  function eventRef(ev: ParsedEvent): string {
    return `${ev.provider} ${ev.type} ${ev.providerEventId}`;
  }

  // -- invitee.created ------------------------------------------------------

  /** Steps 1 and 2 for invitee.created: the lock, then the session type, the matching user and the deferred events. */
  function readCreated(tx: SqlTx, ev: ParsedEvent, a: CalendlyCreated): Promise<CreatedRead | undefined> {
    return tx
      .query<CreatedRead>(
        `SELECT l.got,
                (SELECT value = 'true'::jsonb FROM "AppSetting" WHERE key = $2) AS manual,
                EXISTS (SELECT 1 FROM "WebhookEvent" WHERE provider = $3::"WebhookProvider" AND "providerEventId" = $4) AS seen,
                st.id AS "stId", st."builderId", st."priceCents", st.currency, st.title, st."stripePriceId",
                (SELECT u.id FROM "User" u WHERE u.email IN ($6, $7) LIMIT 1) AS "userId",
                (SELECT json_agg(json_build_object('id', w.id, 'provider', w.provider, 'payload', w.payload,
                                                   'receivedMs', (extract(epoch FROM w."receivedAt") * 1000)::float8))
                   FROM "WebhookEvent" w WHERE w.outcome = 'DEFERRED' AND w."correlationKey" = $1) AS deferred
           FROM pg_try_advisory_xact_lock(hashtext($1)) AS l(got)
           LEFT JOIN "SessionType" st ON st."calendlyEventTypeUri" = $5`,
        [a.inviteeUri, MANUAL_PROCESSING_KEY, PROVIDER[ev.provider], ev.providerEventId, a.eventTypeUri, a.email, a.email.toLowerCase()],
      )
      .then((rows) => rows[0]);
  }

  async function applyCreated(tx: SqlTx, ev: ParsedEvent, a: CalendlyCreated, held: Held | undefined, read: CreatedRead): Promise<Outcome> {
    const rowId = held?.rowId ?? randomUUID();
    const row = read.stId === null ? undefined : { ...read, stId: read.stId, builderId: read.builderId!, priceCents: read.priceCents!, currency: read.currency!, title: read.title! };
    if (!row) {
      const written = write(tx, ev, held, { record: { id: rowId, outcome: "IGNORED", correlationKey: a.inviteeUri, error: `unknown Calendly event type ${a.eventTypeUri}` } });
      return {
        result: result(ev, "ignored", null, `No session type has Calendly event type ${a.eventTypeUri}; no booking created. Link it to a session type and re-send the event.`),
        refunds: [],
        written,
      };
    }
    const deferred = (row.deferred ?? []).sort((x, y) => x.receivedMs - y.receivedMs || x.id.localeCompare(y.id));

    const bookingId = randomUUID();
    const priceCents = Number(row.priceCents);
    const start = initialState(priceCents);
    assertTransition(bookingId, null, start);
    let state: Snapshot = {
      id: bookingId,
      ...start,
      amountCents: priceCents,
      currency: row.currency,
      startTime: a.startTime,
      stripeCheckoutSessionId: null,
      stripePaymentIntentId: null,
      cancellationReason: null,
      cancelledBy: null,
      cancelledAt: null,
    };
    const emails: EmailKind[] = start.status === "CONFIRMED" ? ["CONFIRMATION"] : [];
    const audits: AuditDraft[] = [{ action: "booking.created", reason: eventRef(ev), before: null, after: { ...stateOf(start), inviteeUri: a.inviteeUri } }];
    const refunds: Outcome["refunds"] = [];
    const applied: string[] = [];

    // Apply the deferred events in the order they arrived.
    for (const d of deferred) {
      const payload: unknown = typeof d.payload === "string" ? JSON.parse(d.payload) : d.payload;
      const parsed = parseWebhook(d.provider === "CALENDLY" ? "calendly" : "stripe", payload);
      if (!parsed.ok || parsed.event.action.kind === "other" || parsed.event.action.kind === "invitee.created") continue;
      const dev = parsed.event;
      const plan =
        dev.action.kind === "payment"
          ? planPayment(state, dev.action, eventRef(dev))
          : planCancel(state, dev.action as CalendlyCanceled, clock.now(), policy, eventRef(dev));
      state = plan.next;
      for (const k of plan.emails) if (!emails.includes(k)) emails.push(k);
      audits.push(...plan.audits.map((x) => ({ ...x, reason: `${x.reason ?? ""} (deferred, applied on booking creation)`.trim() })));
      if (plan.refund) refunds.push({ due: plan.refund, eventRowId: d.id });
      applied.push(d.id);
    }

    const written = write(tx, ev, held, {
      record: { id: rowId, outcome: "PROCESSED", bookingId, correlationKey: a.inviteeUri },
      staleIf: { deferredOtherThan: { key: a.inviteeUri, ids: deferred.map((d) => d.id) } },
      createBooking: {
        id: bookingId,
        sessionTypeId: row.stId,
        builderId: row.builderId,
        userId: row.userId,
        inviteeEmail: a.email,
        inviteeName: a.name,
        startTime: a.startTime,
        endTime: a.endTime,
        calendlyEventUri: a.eventUri,
        calendlyInviteeUri: a.inviteeUri,
        runTag: a.runTag,
        state,
      },
      applied: { ids: applied, bookingId },
      effects: { bookingId, to: a.email, emails, audits },
    });
    const needsCheckout = state.status === "PENDING" && state.paymentStatus === "UNPAID" && !state.stripeCheckoutSessionId;
    const label = start.paymentStatus === "UNPAID" ? "paid booking created, awaiting payment" : "free booking created and confirmed";
    const extra = applied.length ? `; applied ${applied.length} deferred event(s), now ${state.status}/${state.paymentStatus}` : "";
    return {
      result: result(
        ev,
        "processed",
        bookingId,
        `${label[0]!.toUpperCase()}${label.slice(1)}${extra}.`,
        needsCheckout
          ? {
              checkoutNeeded: { bookingId },
              checkoutDetails: {
                bookingId,
                calendlyInviteeUri: a.inviteeUri,
                amountCents: state.amountCents,
                currency: state.currency,
                productName: row.title,
                customerEmail: a.email,
                stripePriceId: row.stripePriceId,
              },
            }
          : {},
      ),
      refunds,
      written,
    };
  }

  // -- invitee.canceled and payments ------------------------------------------

  /** Steps 1 and 2 for a cancellation or a payment: the lock, then the booking with its row version. */
  function readExisting(tx: SqlTx, ev: ParsedEvent, a: CalendlyCanceled | Payment, key: string): Promise<ExistingRead | undefined> {
    return tx
      .query<ExistingRead>(
        `SELECT l.got,
                (SELECT value = 'true'::jsonb FROM "AppSetting" WHERE key = $2) AS manual,
                EXISTS (SELECT 1 FROM "WebhookEvent" WHERE provider = $3::"WebhookProvider" AND "providerEventId" = $4) AS seen,
                b.*
           FROM pg_try_advisory_xact_lock(hashtext($1)) AS l(got)
           LEFT JOIN LATERAL (
             SELECT xmin::text AS version, id, status::text AS status, "paymentStatus"::text AS "paymentStatus", "amountCents", currency, "startTime",
                    "stripeCheckoutSessionId", "stripePaymentIntentId", "cancellationReason", "cancelledBy", "cancelledAt", "inviteeEmail"
               FROM "Booking" WHERE id = $5 OR "calendlyInviteeUri" = $6 LIMIT 1) b ON true`,
        [key, MANUAL_PROCESSING_KEY, PROVIDER[ev.provider], ev.providerEventId, a.kind === "payment" ? a.bookingId : null, a.inviteeUri],
      )
      .then((rows) => rows[0]);
  }

  async function applyToExisting(tx: SqlTx, ev: ParsedEvent, a: CalendlyCanceled | Payment, key: string, held: Held | undefined, read: ExistingRead): Promise<Outcome> {
    const rowId = held?.rowId ?? randomUUID();
    const row = read.id === null ? undefined : (read as BookingRow & { version: string });
    if (!row) {
      const byId = a.kind === "payment" ? a.bookingId : null;
      const written = write(tx, ev, held, { record: { id: rowId, outcome: "DEFERRED", correlationKey: key }, staleIf: { bookingExists: { id: byId, inviteeUri: a.inviteeUri } } });
      return {
        result: result(ev, "deferred", null, `No booking for ${key} yet; the event is kept and applied when the booking is created.`),
        refunds: [],
        written,
      };
    }
    const found = row;
    const current = toSnapshot(found);
    const plan = a.kind === "payment" ? planPayment(current, a, eventRef(ev)) : planCancel(current, a, clock.now(), policy, eventRef(ev));
    // The update is conditional on the row version read: a change made meanwhile by a writer that does not
    // take the lock makes us retry rather than overwrite.
    const written = write(tx, ev, held, {
      record: { id: rowId, outcome: "PROCESSED", bookingId: current.id, correlationKey: key, error: plan.warning },
      updateBooking: { id: current.id, version: found.version, patch: plan.patch },
      effects: { bookingId: current.id, to: found.inviteeEmail, emails: plan.emails, audits: plan.audits },
    });
    return {
      result: result(ev, "processed", current.id, plan.message),
      refunds: plan.refund ? [{ due: plan.refund, eventRowId: rowId }] : [],
      written,
    };
  }

  // -- refunds (after commit; rare, through Prisma) ------------------------------

  async function runRefund(r: { due: RefundDue; eventRowId: string }, actor: string): Promise<string> {
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

  // -- dispatch -----------------------------------------------------------------

  async function lockKeyFor(a: Payment): Promise<string | null> {
    if (a.inviteeUri) return a.inviteeUri;
    if (!a.bookingId) return null;
    const [b] = await sql.query<{ calendlyInviteeUri: string | null }>(`SELECT "calendlyInviteeUri" FROM "Booking" WHERE id = $1`, [a.bookingId]);
    return b?.calendlyInviteeUri ?? a.bookingId;
  }

  async function duplicateResult(ev: ParsedEvent): Promise<IntakeResult> {
    if (ev.action.kind === "invitee.created") {
      const [b] = await sql.query<{ id: string; status: string; paymentStatus: string; stripeCheckoutSessionId: string | null }>(
        `SELECT id, status::text AS status, "paymentStatus"::text AS "paymentStatus", "stripeCheckoutSessionId" FROM "Booking" WHERE "calendlyInviteeUri" = $1`,
        [ev.action.inviteeUri],
      );
      const needsCheckout = b && b.status === "PENDING" && b.paymentStatus === "UNPAID" && !b.stripeCheckoutSessionId;
      return result(ev, "duplicate", b?.id ?? null, "Already received; nothing changed.", needsCheckout ? { checkoutNeeded: { bookingId: b.id } } : {});
    }
    const [row] = await sql.query<{ bookingId: string | null }>(
      `SELECT "bookingId" FROM "WebhookEvent" WHERE provider = $1::"WebhookProvider" AND "providerEventId" = $2`,
      [PROVIDER[ev.provider], ev.providerEventId],
    );
    return result(ev, "duplicate", row?.bookingId ?? null, "Already received; nothing changed.");
  }

  async function handle(ev: ParsedEvent, held?: Held): Promise<IntakeResult> {
    const a = ev.action;
    const recordOnly = async (r: Omit<EventRecord, "id">, answer: IntakeResult): Promise<IntakeResult> => {
      try {
        await recordAlone(ev, held, { id: held?.rowId ?? randomUUID(), ...r });
      } catch (err) {
        if (err instanceof DuplicateDelivery) return duplicateResult(ev);
        throw err;
      }
      return answer;
    };
    if (a.kind === "other") {
      return recordOnly({ outcome: "IGNORED" }, result(ev, "ignored", null, `Event type ${ev.type} is not handled; recorded and ignored.`));
    }
    if (a.kind === "payment" && !a.paid) {
      return recordOnly(
        { outcome: "IGNORED", correlationKey: a.inviteeUri ?? a.bookingId },
        result(ev, "ignored", a.bookingId, "The payment is not complete yet; recorded, booking unchanged."),
      );
    }
    const key = a.kind === "payment" ? await lockKeyFor(a) : a.inviteeUri;
    if (key === null) {
      return recordOnly(
        { outcome: "IGNORED", error: "no booking_id or calendly_invitee_uri in the metadata" },
        result(ev, "ignored", null, "The payment carries no booking_id or calendly_invitee_uri metadata (or client_reference_id); it cannot be matched to a booking."),
      );
    }

    let outcome: Outcome | undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        outcome = await sql.transaction(async (tx) => {
          // A released HELD event has its own row already (seen) and is applied whatever the setting.
          if (a.kind === "invitee.created") {
            const read = await lockedRead(tx, key, () => readCreated(tx, ev, a));
            if (!held && read.seen) throw new DuplicateDelivery();
            if (!held && read.manual) return holdEvent(tx, ev, key);
            return applyCreated(tx, ev, a, held, read);
          }
          const read = await lockedRead(tx, key, () => readExisting(tx, ev, a, key));
          if (!held && read.seen) throw new DuplicateDelivery();
          if (!held && read.manual) return holdEvent(tx, ev, key);
          return applyToExisting(tx, ev, a, key, held, read);
        });
        // The write was the transaction's last statement; the COMMIT went right after it. It wrote nothing if
        // it found a repeat, a stale read or a concurrent change (and rejects with which).
        await outcome.written;
        break;
      } catch (err) {
        if (err instanceof DuplicateDelivery) {
          // A released HELD event whose effect already exists: close its row so it is not released again.
          if (held) {
            await sql.query(`UPDATE "WebhookEvent" SET outcome = 'DUPLICATE', "processedAt" = $2::timestamp WHERE id = $1 AND outcome = 'HELD'`, [
              held.rowId,
              toSqlTimestamp(clock.now()),
            ]);
          }
          return duplicateResult(ev);
        }
        if ((err instanceof ConcurrentChange || err instanceof StaleRead) && attempt < 5) continue;
        throw err;
      }
    }

    if (outcome.refunds.length) {
      const notes: string[] = [];
      for (const r of outcome.refunds) notes.push(await runRefund(r, `webhook:${ev.provider}`));
      outcome.result.message = `${outcome.result.message} ${notes.join(" ")}`;
    }
    return outcome.result;
  }

  return {
    async receive(provider, body) {
      const parsed = parseWebhook(provider, body);
      if (!parsed.ok) {
        return {
          outcome: "invalid",
          provider,
          eventType: parsed.type,
          providerEventId: parsed.providerEventId,
          bookingId: null,
          message: `The ${provider} payload does not have the expected shape (${parsed.issues.length} issue${parsed.issues.length === 1 ? "" : "s"}).`,
          issues: parsed.issues,
        };
      }
      return handle(parsed.event);
    },

    async releaseHeld(options = {}) {
      const rows = await prisma.webhookEvent.findMany({
        where: { outcome: "HELD" },
        orderBy: [{ receivedAt: "asc" }, { id: "asc" }],
        take: options.limit ?? 500,
        select: { id: true, provider: true, payload: true },
      });
      const results: IntakeResult[] = [];
      for (const row of rows) {
        const provider: WebhookSource = row.provider === "CALENDLY" ? "calendly" : "stripe";
        const parsed = parseWebhook(provider, row.payload);
        if (!parsed.ok) {
          await prisma.webhookEvent.updateMany({ where: { id: row.id, outcome: "HELD" }, data: { outcome: "FAILED", error: `stored payload no longer parses: ${parsed.issues.join("; ")}`.slice(0, 1000) } });
          results.push({ outcome: "invalid", provider, eventType: parsed.type, providerEventId: parsed.providerEventId, bookingId: null, message: "Held event no longer parses; marked FAILED.", issues: parsed.issues });
          continue;
        }
        try {
          results.push(await handle(parsed.event, { rowId: row.id }));
        } catch (err) {
          // One broken event must not block the others (or loop releaseHeldEvents forever).
          const message = err instanceof Error ? err.message : String(err);
          await prisma.webhookEvent.updateMany({ where: { id: row.id, outcome: "HELD" }, data: { outcome: "FAILED", error: message.slice(0, 1000) } });
          results.push({ outcome: "invalid", provider, eventType: parsed.event.type, providerEventId: parsed.event.providerEventId, bookingId: null, message: `Applying the held event failed: ${message}; marked FAILED.` });
        }
      }
      return results;
    },
  };
}
