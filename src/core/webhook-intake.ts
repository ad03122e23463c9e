/**
 * Webhook intake: turns verified Calendly and Stripe deliveries into booking
 * changes, exactly once.
 *
 * - Every accepted event is recorded once in WebhookEvent (provider +
 *   providerEventId is unique), in the same transaction as its effect (booking
 *   row, queued EmailMessage rows, AuditLog entries). A repeated delivery hits
 *   the unique key (P2002) and is answered "duplicate" with no effect.
 * - Every transaction that reads or creates a booking first takes
 *   pg_advisory_xact_lock(hashtext(<calendly invitee uri, else booking id>)), so
 *   deliveries for one booking are applied one at a time (READ COMMITTED: each
 *   later statement sees what the previous holder committed).
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
import { Prisma, type PrismaClient } from "../generated/prisma/client.js";
import type { EmailKind, WebhookOutcome, WebhookProvider } from "../generated/prisma/enums.js";
import { EMAIL_SUBJECTS } from "./notifications.js";
import { DEFAULT_POLICY, systemClock, type BookingPolicy, type Clock, type PaymentsGateway } from "./ports.js";
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
}

export interface WebhookIntakeDeps {
  prisma: PrismaClient;
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

function toSnapshot(b: {
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
}): Snapshot {
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

const SNAPSHOT_SELECT = {
  id: true,
  status: true,
  paymentStatus: true,
  amountCents: true,
  currency: true,
  startTime: true,
  stripeCheckoutSessionId: true,
  stripePaymentIntentId: true,
  cancellationReason: true,
  cancelledBy: true,
  cancelledAt: true,
  inviteeEmail: true,
} as const;

// ---------------------------------------------------------------------------
// The intake

type Tx = Prisma.TransactionClient;

interface LookupRow {
  what: "session_type" | "user" | "deferred";
  id: string;
  builderId: string | null;
  priceCents: number | null;
  currency: string | null;
  provider: string | null;
  payload: unknown;
  receivedAt: Date | string | null;
}

/** Thrown inside a transaction to roll it back and answer "duplicate". */
class DuplicateDelivery extends Error {}
/** The booking changed under us (a writer that does not take the advisory lock): retry the transaction. */
class ConcurrentChange extends Error {}

function isUniqueViolation(err: unknown): boolean {
  return err instanceof Prisma.PrismaClientKnownRequestError && err.code === "P2002";
}

const PROVIDER: Record<WebhookSource, WebhookProvider> = { calendly: "CALENDLY", stripe: "STRIPE" };
const TX_OPTIONS = { maxWait: 15_000, timeout: 30_000 } as const;

interface Held {
  rowId: string;
}

interface Outcome {
  result: IntakeResult;
  refunds: { due: RefundDue; eventRowId: string }[];
}

export function createWebhookIntake(deps: WebhookIntakeDeps): WebhookIntake {
  const { prisma, payments } = deps;
  const clock = deps.clock ?? systemClock;
  const policy = deps.policy ?? DEFAULT_POLICY;

  function result(ev: ParsedEvent, outcome: IntakeOutcome, bookingId: string | null, message: string, extra: Partial<IntakeResult> = {}): IntakeResult {
    return { outcome, provider: ev.provider, eventType: ev.type, providerEventId: ev.providerEventId, bookingId, message, ...extra };
  }

  /** Records the event (or, for a released HELD one, rewrites its row). A repeated event throws DuplicateDelivery. */
  async function record(
    tx: Tx,
    ev: ParsedEvent,
    held: Held | undefined,
    data: { id: string; outcome: WebhookOutcome; bookingId?: string | null; correlationKey?: string | null; error?: string | null },
  ): Promise<void> {
    const now = clock.now();
    const processedAt = data.outcome === "DEFERRED" || data.outcome === "HELD" ? null : now;
    if (held) {
      const { count } = await tx.webhookEvent.updateMany({
        where: { id: held.rowId, outcome: "HELD" },
        data: { outcome: data.outcome, bookingId: data.bookingId ?? null, correlationKey: data.correlationKey ?? null, error: data.error ?? null, processedAt },
      });
      if (count === 0) throw new DuplicateDelivery();
      return;
    }
    try {
      await tx.webhookEvent.create({
        data: {
          id: data.id,
          provider: PROVIDER[ev.provider],
          providerEventId: ev.providerEventId,
          type: ev.type,
          payload: ev.body as Prisma.InputJsonValue,
          receivedAt: now,
          processedAt,
          outcome: data.outcome,
          error: data.error ?? null,
          correlationKey: data.correlationKey ?? null,
          bookingId: data.bookingId ?? null,
        },
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new DuplicateDelivery();
      throw err;
    }
  }

  /** Takes the booking's advisory lock; answers whether manual processing is on (read in the same statement). */
  async function lock(tx: Tx, key: string, readManual: boolean): Promise<boolean> {
    if (!readManual) {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${key}))`;
      return false;
    }
    const rows = await tx.$queryRaw<{ manual: boolean | null }[]>`
      SELECT (SELECT value = 'true'::jsonb FROM "AppSetting" WHERE key = ${MANUAL_PROCESSING_KEY}) AS manual
      FROM pg_advisory_xact_lock(hashtext(${key}))`;
    return rows[0]?.manual === true;
  }

  /**
   * Queues the emails (at most one per booking and kind: EmailMessage's unique key, ON CONFLICT DO NOTHING)
   * and writes the audit entries, in one statement: every round trip counts on this path.
   */
  async function writeEffects(tx: Tx, ev: ParsedEvent, bookingId: string, to: string, emails: EmailKind[], audits: AuditDraft[]): Promise<void> {
    if (!emails.length && !audits.length) return;
    const data = JSON.stringify({
      emails: emails.map((kind) => ({ kind, subject: EMAIL_SUBJECTS[kind] })),
      audits: audits.map((a) => ({ action: a.action, reason: a.reason, before: a.before, after: a.after })),
    });
    await tx.$executeRawUnsafe(
      `WITH d AS (SELECT $1::jsonb AS j),
       queued AS (
         INSERT INTO "EmailMessage" (id, kind, "to", subject, "bookingId", status, attempts, "createdAt")
         SELECT gen_random_uuid()::text, (e->>'kind')::"EmailKind", $2, e->>'subject', $3, 'QUEUED', 0, now()
         FROM d, jsonb_array_elements(d.j->'emails') AS e
         ON CONFLICT ("bookingId", kind) DO NOTHING)
       INSERT INTO "AuditLog" (id, actor, action, target, reason, before, after, "createdAt")
       SELECT gen_random_uuid()::text, $4, a->>'action', $3, a->>'reason', NULLIF(a->'before', 'null'::jsonb), NULLIF(a->'after', 'null'::jsonb), now()
       FROM d, jsonb_array_elements(d.j->'audits') AS a`,
      data,
      to,
      bookingId,
      `webhook:${ev.provider}`,
    );
  }

  function eventRef(ev: ParsedEvent): string {
    return `${ev.provider} ${ev.type} ${ev.providerEventId}`;
  }

  // -- invitee.created ------------------------------------------------------

  async function applyCreated(tx: Tx, ev: ParsedEvent, a: CalendlyCreated, held: Held | undefined): Promise<Outcome> {
    const rowId = randomUUID();
    // One round trip for everything creation needs to know: the session type, the matching user, the deferred events.
    const emailLower = a.email.toLowerCase();
    const rows = await tx.$queryRawUnsafe<LookupRow[]>(
      `SELECT 'session_type' AS what, st.id, st."builderId" AS "builderId", st."priceCents" AS "priceCents", st.currency,
              NULL::text AS provider, NULL::jsonb AS payload, NULL::timestamp AS "receivedAt"
         FROM "SessionType" st WHERE st."calendlyEventTypeUri" = $1
       UNION ALL
       SELECT 'user', u.id, NULL, NULL, NULL, NULL, NULL, NULL FROM "User" u WHERE u.email IN ($2, $3)
       UNION ALL
       SELECT 'deferred', w.id, NULL, NULL, NULL, w.provider::text, w.payload, w."receivedAt"
         FROM "WebhookEvent" w WHERE w.outcome = 'DEFERRED' AND w."correlationKey" = $4`,
      a.eventTypeUri,
      a.email,
      emailLower,
      a.inviteeUri,
    );
    const sessionType = rows.find((r) => r.what === "session_type");
    if (!sessionType) {
      await record(tx, ev, held, { id: rowId, outcome: "IGNORED", correlationKey: a.inviteeUri, error: `unknown Calendly event type ${a.eventTypeUri}` });
      return {
        result: result(ev, "ignored", null, `No session type has Calendly event type ${a.eventTypeUri}; no booking created. Link it to a session type and re-send the event.`),
        refunds: [],
      };
    }
    const user = rows.find((r) => r.what === "user");
    const deferred = rows
      .filter((r) => r.what === "deferred")
      .sort((x, y) => new Date(x.receivedAt!).getTime() - new Date(y.receivedAt!).getTime() || x.id.localeCompare(y.id));

    const bookingId = randomUUID();
    const priceCents = Number(sessionType.priceCents);
    const start = initialState(priceCents);
    assertTransition(bookingId, null, start);
    let state: Snapshot = {
      id: bookingId,
      ...start,
      amountCents: priceCents,
      currency: sessionType.currency!,
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

    try {
      await tx.booking.create({
        data: {
          id: bookingId,
          sessionTypeId: sessionType.id,
          builderId: sessionType.builderId!,
          userId: user?.id ?? null,
          inviteeEmail: a.email,
          inviteeName: a.name,
          startTime: a.startTime,
          endTime: a.endTime,
          calendlyEventUri: a.eventUri,
          calendlyInviteeUri: a.inviteeUri,
          stripeCheckoutSessionId: state.stripeCheckoutSessionId,
          stripePaymentIntentId: state.stripePaymentIntentId,
          status: state.status,
          paymentStatus: state.paymentStatus,
          amountCents: state.amountCents,
          currency: state.currency,
          cancellationReason: state.cancellationReason,
          cancelledBy: state.cancelledBy,
          cancelledAt: state.cancelledAt,
        },
      });
    } catch (err) {
      // calendlyInviteeUri is unique, and this event's id is derived from it: the booking exists, so this is a repeat.
      if (isUniqueViolation(err)) throw new DuplicateDelivery();
      throw err;
    }
    await record(tx, ev, held, { id: rowId, outcome: "PROCESSED", bookingId, correlationKey: a.inviteeUri });
    await writeEffects(tx, ev, bookingId, a.email, emails, audits);
    if (applied.length) {
      await tx.webhookEvent.updateMany({ where: { id: { in: applied } }, data: { outcome: "PROCESSED", processedAt: clock.now(), bookingId } });
    }
    const needsCheckout = state.status === "PENDING" && state.paymentStatus === "UNPAID" && !state.stripeCheckoutSessionId;
    const label = start.paymentStatus === "UNPAID" ? "paid booking created, awaiting payment" : "free booking created and confirmed";
    const extra = applied.length ? `; applied ${applied.length} deferred event(s), now ${state.status}/${state.paymentStatus}` : "";
    return {
      result: result(ev, "processed", bookingId, `${label[0]!.toUpperCase()}${label.slice(1)}${extra}.`, needsCheckout ? { checkoutNeeded: { bookingId } } : {}),
      refunds,
    };
  }

  // -- invitee.canceled and payments ------------------------------------------

  async function applyToExisting(tx: Tx, ev: ParsedEvent, a: CalendlyCanceled | Payment, key: string, held: Held | undefined): Promise<Outcome> {
    const rowId = randomUUID();
    const where: Prisma.BookingWhereInput =
      a.kind === "payment" && a.bookingId
        ? { OR: [{ id: a.bookingId }, ...(a.inviteeUri ? [{ calendlyInviteeUri: a.inviteeUri }] : [])] }
        : { calendlyInviteeUri: a.inviteeUri! };
    const found = await tx.booking.findFirst({ where, select: SNAPSHOT_SELECT });
    if (!found) {
      await record(tx, ev, held, { id: rowId, outcome: "DEFERRED", correlationKey: key });
      return {
        result: result(ev, "deferred", null, `No booking for ${key} yet; the event is kept and applied when the booking is created.`),
        refunds: [],
      };
    }
    const current = toSnapshot(found);
    const plan = a.kind === "payment" ? planPayment(current, a, eventRef(ev)) : planCancel(current, a, clock.now(), policy, eventRef(ev));
    await record(tx, ev, held, { id: rowId, outcome: "PROCESSED", bookingId: current.id, correlationKey: key, error: plan.warning });
    if (Object.keys(plan.patch).length) {
      // Conditional on the state read: a writer outside the intake's lock makes us retry rather than overwrite.
      const { count } = await tx.booking.updateMany({
        where: { id: current.id, status: current.status, paymentStatus: current.paymentStatus },
        data: plan.patch,
      });
      if (count === 0) throw new ConcurrentChange();
    }
    await writeEffects(tx, ev, current.id, found.inviteeEmail, plan.emails, plan.audits);
    return {
      result: result(ev, "processed", current.id, plan.message),
      refunds: plan.refund ? [{ due: plan.refund, eventRowId: rowId }] : [],
    };
  }

  // -- refunds (after commit) -------------------------------------------------

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
    const b = await prisma.booking.findUnique({ where: { id: a.bookingId }, select: { calendlyInviteeUri: true } });
    return b?.calendlyInviteeUri ?? a.bookingId;
  }

  async function duplicateResult(ev: ParsedEvent): Promise<IntakeResult> {
    if (ev.action.kind === "invitee.created") {
      const b = await prisma.booking.findUnique({
        where: { calendlyInviteeUri: ev.action.inviteeUri },
        select: { id: true, status: true, paymentStatus: true, stripeCheckoutSessionId: true },
      });
      const needsCheckout = b && b.status === "PENDING" && b.paymentStatus === "UNPAID" && !b.stripeCheckoutSessionId;
      return result(ev, "duplicate", b?.id ?? null, "Already received; nothing changed.", needsCheckout ? { checkoutNeeded: { bookingId: b.id } } : {});
    }
    const row = await prisma.webhookEvent.findUnique({
      where: { provider_providerEventId: { provider: PROVIDER[ev.provider], providerEventId: ev.providerEventId } },
      select: { bookingId: true },
    });
    return result(ev, "duplicate", row?.bookingId ?? null, "Already received; nothing changed.");
  }

  async function handle(ev: ParsedEvent, held?: Held): Promise<IntakeResult> {
    const a = ev.action;
    if (a.kind === "other") {
      try {
        await record(prisma as unknown as Tx, ev, held, { id: randomUUID(), outcome: "IGNORED" });
      } catch (err) {
        if (err instanceof DuplicateDelivery) return duplicateResult(ev);
        throw err;
      }
      return result(ev, "ignored", null, `Event type ${ev.type} is not handled; recorded and ignored.`);
    }
    if (a.kind === "payment" && !a.paid) {
      try {
        await record(prisma as unknown as Tx, ev, held, { id: randomUUID(), outcome: "IGNORED", correlationKey: a.inviteeUri ?? a.bookingId });
      } catch (err) {
        if (err instanceof DuplicateDelivery) return duplicateResult(ev);
        throw err;
      }
      return result(ev, "ignored", a.bookingId, "The payment is not complete yet; recorded, booking unchanged.");
    }
    const key = a.kind === "payment" ? await lockKeyFor(a) : a.inviteeUri;
    if (key === null) {
      try {
        await record(prisma as unknown as Tx, ev, held, { id: randomUUID(), outcome: "IGNORED", error: "no booking_id or calendly_invitee_uri in the metadata" });
      } catch (err) {
        if (err instanceof DuplicateDelivery) return duplicateResult(ev);
        throw err;
      }
      return result(ev, "ignored", null, "The payment carries no booking_id or calendly_invitee_uri metadata (or client_reference_id); it cannot be matched to a booking.");
    }

    let outcome: Outcome | undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        outcome = await prisma.$transaction(async (tx) => {
          const manual = await lock(tx, key, !held);
          if (manual) {
            await record(tx, ev, held, { id: randomUUID(), outcome: "HELD", correlationKey: key });
            return { result: result(ev, "held", null, "Manual processing is on: the event is recorded and held, not applied."), refunds: [] };
          }
          return a.kind === "invitee.created" ? applyCreated(tx, ev, a, held) : applyToExisting(tx, ev, a, key, held);
        }, TX_OPTIONS);
        break;
      } catch (err) {
        if (err instanceof DuplicateDelivery) {
          // A released HELD event whose effect already exists: close its row so it is not released again.
          if (held) await prisma.webhookEvent.updateMany({ where: { id: held.rowId, outcome: "HELD" }, data: { outcome: "DUPLICATE", processedAt: clock.now() } });
          return duplicateResult(ev);
        }
        if (err instanceof ConcurrentChange && attempt < 3) continue;
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
