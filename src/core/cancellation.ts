/**
 * Cancelling a booking on a customer's behalf (`bookings cancel`), as a pure
 * plan and an apply that is safe to run again after an interruption.
 *
 * Steps, each skipped when it is already done (so a re-run completes the rest):
 *   1. the decision, in ONE transaction holding the booking's advisory lock (the
 *      webhook intake's lock): the booking CANCELLED with the operator and the
 *      reason, a `booking.cancelled` entry with the `--refund` choice, and the
 *      Calendly cancellation and the refund recorded as intents (intents.ts).
 *      The invitee.canceled webhook Calendly sends for step 2 then finds the
 *      booking CANCELLED and changes nothing: the intake never refunds by its
 *      own policy (the operator's `--refund` decides) nor queues a second
 *      cancellation email. A kill leaves either nothing or the whole decision;
 *   2. the Calendly cancellation intent, performed (already canceled = done);
 *   3. the refund intent (`--refund full|none|policy`, policy = `refundDecision`),
 *      performed: Stripe's refunds are read first (one already there is
 *      recorded, never repeated), then the refund is asked for with the intent's
 *      idempotency key; PAID → REFUNDED. After n recorded failures a run again
 *      records a new intent (its key carries `refundIdempotencyKey`'s retry
 *      suffix: Stripe replays a failed request's answer for the same key);
 *   4. the cancellation email through the outbox (EmailMessage is unique per
 *      booking and kind: queued once, sent once), once steps 1-3 succeeded;
 *   5. audit entries: one per step, and a `booking.cancel` summary.
 * An intent this run cannot finish stays recorded: the app's worker, or the
 * same command run again (which takes over a dead run's claim once it runs
 * out), finishes it. The outcome says what was done and what was not.
 */
import type { PrismaClient } from "../generated/prisma/client.js";
import type { EmailStatus } from "../generated/prisma/enums.js";
import { recordAudit } from "./audit.js";
import { EMAIL_SUBJECTS } from "./notifications.js";
import { cancelEventIntent, createIntentWorker, OPERATOR_LEASE_MS, performNow, recordIntents, refundIntent, type IntentDraft, type IntentOutcome } from "./intents.js";
import type { BookingPolicy, Clock, PaymentsGateway, SchedulingGateway } from "./ports.js";
import { assertTransition, formatState, refundDecision, stateAfterCancellation, type BookingState, type RefundReasonCode } from "./status-rules.js";

export const REFUND_MODES = ["full", "none", "policy"] as const;
export type RefundMode = (typeof REFUND_MODES)[number];

// ---------------------------------------------------------------------------
// Refunds: shared with `bookings reprocess`

/** The parts of a Stripe refund we read. */
export interface RefundTruth {
  id: string;
  amount: number;
  status: string | null;
  created?: number | undefined;
}

/** Refunds that count: succeeded, or on their way (pending, requires_action). Failed and canceled ones do not. */
export function countedRefunds(refunds: readonly RefundTruth[]): RefundTruth[] {
  return refunds.filter((r) => r.status === "succeeded" || r.status === "pending" || r.status === "requires_action" || r.status === null);
}

export function refundedAmount(refunds: readonly RefundTruth[]): number {
  return countedRefunds(refunds).reduce((sum, r) => sum + r.amount, 0);
}

/**
 * The idempotency key of a booking's refund: the webhook intake's own key, so
 * Stripe deduplicates a refund the intake and a command make at the same time;
 * after n recorded failures (`booking.refund_failed`) a fresh key, because
 * Stripe answers a key's later requests with its first answer, failures included.
 */
export function refundIdempotencyKey(bookingId: string, failures = 0): string {
  return failures > 0 ? `refund:${bookingId}:retry-${failures}` : `refund:${bookingId}`;
}

export interface RefundReader {
  /** The payment intent's refunds, any status. */
  listRefunds(paymentIntentId: string): Promise<RefundTruth[]>;
}

/** How many refund attempts for this booking failed so far (the intake's and the commands'). */
export async function countRefundFailures(prisma: Pick<PrismaClient, "auditLog">, bookingId: string): Promise<number> {
  return prisma.auditLog.count({ where: { target: bookingId, action: "booking.refund_failed" } });
}

/**
 * A PaymentsGateway whose refunds never repeat one Stripe already has: before
 * creating, it lists the payment intent's refunds and answers with the existing
 * one when they already cover the amount; it keys the request with
 * `refundIdempotencyKey` (retry suffix after recorded failures); and when Stripe
 * rejects the key (in use, or used with other parameters) it looks again.
 * The webhook intake gets it too (reprocess), so its refunds are as careful.
 */
export function guardedPayments(payments: PaymentsGateway, reader: RefundReader, failures: (bookingId: string) => number): PaymentsGateway {
  return {
    createCheckoutSession: (req) => payments.createCheckoutSession(req),
    async refund(req) {
      const existing = await reader.listRefunds(req.paymentIntentId);
      const covered = coveringRefund(existing, req.amountCents);
      if (covered) return covered;
      const bookingId = /^refund:([^:]+)/.exec(req.idempotencyKey)?.[1];
      const key = bookingId ? refundIdempotencyKey(bookingId, failures(bookingId)) : req.idempotencyKey;
      try {
        return await payments.refund({ ...req, idempotencyKey: key });
      } catch (err) {
        if (!isIdempotencyConflict(err)) throw err;
        const again = coveringRefund(await reader.listRefunds(req.paymentIntentId), req.amountCents);
        if (again) return again;
        throw err;
      }
    },
  };
}

function coveringRefund(refunds: readonly RefundTruth[], amountCents: number | undefined): { id: string; status: string } | undefined {
  const counted = countedRefunds(refunds);
  if (!counted.length || refundedAmount(counted) < (amountCents ?? 1)) return undefined;
  const last = [...counted].sort((a, b) => (b.created ?? 0) - (a.created ?? 0))[0]!;
  return { id: last.id, status: last.status ?? "unknown" };
}

function isIdempotencyConflict(err: unknown): boolean {
  const text = err instanceof Error ? err.message : String(err);
  return /idempoten/i.test(text);
}

/** PAID → REFUNDED (only from CANCELLED/PAID, the status rules' refund), with a `booking.refunded` audit entry. */
export async function markRefunded(
  prisma: PrismaClient,
  input: { bookingId: string; actor: string; refundId: string; amountCents: number; reason: string },
): Promise<boolean> {
  assertTransition(input.bookingId, { status: "CANCELLED", paymentStatus: "PAID" }, { status: "CANCELLED", paymentStatus: "REFUNDED" });
  return prisma.$transaction(async (tx) => {
    const { count } = await tx.booking.updateMany({ where: { id: input.bookingId, status: "CANCELLED", paymentStatus: "PAID" }, data: { paymentStatus: "REFUNDED" } });
    if (count === 1) {
      await recordAudit(tx, {
        actor: input.actor,
        action: "booking.refunded",
        target: input.bookingId,
        reason: `${input.reason} Stripe refund ${input.refundId}.`,
        before: { paymentStatus: "PAID" },
        after: { paymentStatus: "REFUNDED", refundId: input.refundId, amountCents: input.amountCents },
      });
    }
    return count === 1;
  });
}

// ---------------------------------------------------------------------------
// The plan (pure)

/** The booking as the cancellation reads it. */
export interface CancelSubject extends BookingState {
  id: string;
  amountCents: number;
  currency: string;
  startTime: Date;
  cancelledAt: Date | null;
  inviteeEmail: string;
  calendlyEventUri: string | null;
  calendlyInviteeUri: string | null;
  stripePaymentIntentId: string | null;
}

/** What the providers and the database say, read before planning. */
export interface CancelFacts {
  /** The Calendly event's status; null when the booking has no Calendly event. */
  calendlyEventStatus: "active" | "canceled" | null;
  /** The payment intent's refunds; null when not read (nothing paid, or no payment intent). */
  refunds: RefundTruth[] | null;
  /** When the payment was made (the payment intent's creation), if known. */
  paidAt: Date | null;
  /** The booking's CANCELLATION email, if one exists. */
  cancellationEmail: EmailStatus | null;
  /** Recorded refund failures (decides the idempotency key). */
  refundFailures: number;
}

export interface CancelOptions {
  reason: string;
  refund: RefundMode;
  now: Date;
  policy: BookingPolicy;
}

export type RefundStepAction = "refund" | "record" | "skip" | "blocked";

export interface CancelPlan {
  bookingId: string;
  reason: string;
  refundMode: RefundMode;
  before: BookingState;
  /** The state when every step succeeds. */
  after: BookingState;
  calendly: { action: "cancel" | "skip"; eventUri: string | null; note: string };
  booking: { action: "cancel" | "skip"; to: BookingState; note: string };
  refund: {
    action: RefundStepAction;
    amountCents: number;
    currency: string;
    paymentIntentId: string | null;
    idempotencyKey: string | null;
    /** Why: the policy's code, or `full`/`none` (operator), `already_refunded`, `not_paid`, `no_payment_intent`. */
    code: RefundReasonCode | "full" | "none" | "already_refunded" | "not_paid" | "no_payment_intent";
    note: string;
    /** Stripe refunds that already cover it (action "record"). */
    existingRefundIds: string[];
  };
  email: { action: "send" | "skip"; note: string };
}

/** Lines for people: what will be done, in order (empty: nothing to do). */
export function cancelPlanSteps(plan: CancelPlan): string[] {
  const steps: string[] = [];
  if (plan.calendly.action === "cancel") steps.push(`calendly: cancel the event ${plan.calendly.eventUri}`);
  if (plan.booking.action === "cancel") steps.push(`booking: ${formatState(plan.before)} → ${formatState(plan.booking.to)} (reason: ${plan.reason})`);
  if (plan.refund.action === "refund") steps.push(`stripe: refund ${money(plan.refund.amountCents, plan.refund.currency)} of ${plan.refund.paymentIntentId} (${plan.refund.note}) → REFUNDED`);
  if (plan.refund.action === "record") steps.push(`booking: record the refund Stripe already has (${plan.refund.existingRefundIds.join(", ")}) → REFUNDED`);
  if (plan.refund.action === "blocked") steps.push(`stripe: refund NOT possible: ${plan.refund.note}`);
  if (plan.email.action === "send") steps.push(`email: send the cancellation email to the invitee`);
  return steps;
}

/** Lines for people: what is already done or deliberately left alone. */
export function cancelPlanSkips(plan: CancelPlan): string[] {
  const skips: string[] = [];
  if (plan.calendly.action === "skip") skips.push(`calendly: ${plan.calendly.note}`);
  if (plan.booking.action === "skip") skips.push(`booking: ${plan.booking.note}`);
  if (plan.refund.action === "skip") skips.push(`refund: ${plan.refund.note}`);
  if (plan.email.action === "skip") skips.push(`email: ${plan.email.note}`);
  return skips;
}

export function planCancellation(b: CancelSubject, facts: CancelFacts, options: CancelOptions): CancelPlan {
  const before: BookingState = { status: b.status, paymentStatus: b.paymentStatus };

  const calendly: CancelPlan["calendly"] =
    facts.calendlyEventStatus === null
      ? { action: "skip", eventUri: null, note: "the booking has no Calendly event" }
      : facts.calendlyEventStatus === "canceled"
        ? { action: "skip", eventUri: b.calendlyEventUri, note: "the event is already canceled in Calendly" }
        : { action: "cancel", eventUri: b.calendlyEventUri, note: "cancel the event" };

  let state = before;
  let booking: CancelPlan["booking"];
  if (b.status === "CANCELLED") {
    booking = { action: "skip", to: before, note: `already ${formatState(before)}` };
  } else {
    const to = stateAfterCancellation(before);
    if (!to) throw new Error(`cancellation: no cancellation from ${formatState(before)}`);
    assertTransition(b.id, before, to);
    booking = { action: "cancel", to, note: "cancel" };
    state = to;
  }

  const refund = decideRefund(b, facts, options);
  if (refund.action === "refund" || refund.action === "record") state = { status: "CANCELLED", paymentStatus: "REFUNDED" };

  const email: CancelPlan["email"] =
    facts.cancellationEmail === "SENT" ? { action: "skip", note: "the cancellation email was already sent" } : { action: "send", note: facts.cancellationEmail ? `the cancellation email is ${facts.cancellationEmail}` : "send" };

  return { bookingId: b.id, reason: options.reason, refundMode: options.refund, before, after: state, calendly, booking, refund, email };
}

function decideRefund(b: CancelSubject, facts: CancelFacts, options: CancelOptions): CancelPlan["refund"] {
  const base = { amountCents: 0, currency: b.currency, paymentIntentId: b.stripePaymentIntentId, idempotencyKey: null, existingRefundIds: [] as string[] };
  if (b.paymentStatus === "REFUNDED") return { ...base, action: "skip", code: "already_refunded", note: "already REFUNDED" };
  if (b.paymentStatus !== "PAID") return { ...base, action: "skip", code: "not_paid", note: `nothing was paid (${b.paymentStatus})` };

  const refunds = facts.refunds ?? [];
  const refunded = refundedAmount(refunds);
  if (refunded > 0 && refunded >= b.amountCents) {
    return { ...base, action: "record", amountCents: refunded, code: "already_refunded", note: "Stripe already refunded it", existingRefundIds: countedRefunds(refunds).map((r) => r.id) };
  }
  const remaining = b.amountCents - refunded;
  if (options.refund === "none") return { ...base, action: "skip", code: "none", note: "no refund (--refund none); the booking stays PAID" };

  let amountCents = remaining;
  let code: CancelPlan["refund"]["code"] = "full";
  let note = "full refund (--refund full)";
  if (options.refund === "policy") {
    const cancelledAt = b.cancelledAt ?? options.now;
    const paidAfterCancellation = b.status === "CANCELLED" && !!b.cancelledAt && !!facts.paidAt && facts.paidAt > b.cancelledAt;
    const d = refundDecision({ ...b, amountCents: remaining }, cancelledAt, options.policy, { paidAfterCancellation });
    if (!d.refund) return { ...base, action: "skip", code: d.code, note: `${d.reason} (--refund policy); the booking stays PAID` };
    amountCents = d.amountCents;
    code = d.code;
    note = d.reason;
  }
  if (!b.stripePaymentIntentId) {
    return { ...base, action: "blocked", amountCents, code: "no_payment_intent", note: "the booking has no Stripe payment intent id; refund it in the Stripe dashboard, then run `bookflow bookings reprocess` to record it" };
  }
  return { ...base, action: "refund", amountCents, code, note, idempotencyKey: refundIdempotencyKey(b.id, facts.refundFailures) };
}

/** "149.00 USD". */
export function money(cents: number, currency: string): string {
  return `${(cents / 100).toFixed(2)} ${currency.toUpperCase()}`;
}

// ---------------------------------------------------------------------------
// Apply

export interface CalendlyCanceller {
  getScheduledEvent(uri: string): Promise<{ status: "active" | "canceled" }>;
  cancelScheduledEvent(uri: string, reason: string): Promise<unknown>;
}

/** Sends a booking's queued emails now (the notifier, over the configured mailer). */
export interface Outbox {
  dispatch(bookingId: string): Promise<void>;
}

export interface CancelApplyDeps {
  prisma: PrismaClient;
  /** Needed when the plan cancels the Calendly event. */
  calendly: CalendlyCanceller | null;
  /** Needed when the plan refunds. */
  payments: PaymentsGateway | null;
  refunds: RefundReader | null;
  /** null: the email is only queued (the app's outbox sends it). */
  outbox: Outbox | null;
  actor: string;
  clock: Clock;
  /** How long to wait for an email another dispatcher (the app) is sending (default 5000 ms). */
  emailWaitMs?: number;
}

export type CancelStepName = "calendly" | "booking" | "refund" | "email";
export type StepStatus = "done" | "skipped" | "failed" | "not-done";

export interface StepOutcome {
  step: CancelStepName;
  status: StepStatus;
  detail: string;
}

export interface CancelOutcome {
  bookingId: string;
  /** Every step done or skipped. */
  complete: boolean;
  steps: StepOutcome[];
  /** The booking's state afterwards (null when it could not be read). */
  after: BookingState | null;
}

const TX_OPTIONS = { maxWait: 15_000, timeout: 60_000 } as const;

export async function applyCancellation(plan: CancelPlan, deps: CancelApplyDeps): Promise<CancelOutcome> {
  const { prisma, actor } = deps;
  const steps: StepOutcome[] = [];
  const target = plan.bookingId;
  const finish = async (): Promise<CancelOutcome> => {
    const order = ["calendly", "booking", "refund", "email"] as const;
    for (const name of order) {
      if (!steps.some((s) => s.step === name)) steps.push({ step: name, status: "not-done", detail: "not attempted: an earlier step failed" });
    }
    steps.sort((a, b) => order.indexOf(a.step) - order.indexOf(b.step));
    const row = await prisma.booking.findUnique({ where: { id: target }, select: { status: true, paymentStatus: true } }).catch(() => null);
    const complete = steps.every((s) => s.status === "done" || s.status === "skipped");
    await recordAudit(prisma, {
      actor,
      action: "booking.cancel",
      target,
      reason: plan.reason,
      before: plan.before,
      after: { ...(row ?? {}), complete, refundMode: plan.refundMode, steps: Object.fromEntries(steps.map((s) => [s.step, `${s.status}: ${s.detail}`])) },
    }).catch(() => undefined);
    return { bookingId: target, complete, steps, after: row };
  };

  // 1: the decision, durably: the booking CANCELLED (with who and why), and the Calendly cancellation and the
  // refund the operator chose recorded as intents, in ONE transaction under the booking's advisory lock (the
  // intake's). Calendly's invitee.canceled webhook, which the cancellation below triggers, then finds the booking
  // CANCELLED and changes nothing: the intake never applies its own refund policy to an operator's cancellation,
  // and an interruption at any point leaves either nothing done or the whole decision recorded.
  const r = plan.refund;
  if (r.action === "blocked") steps.push({ step: "refund", status: "failed", detail: r.note });
  const drafts: IntentDraft[] = [];
  const calendlyIntent =
    plan.calendly.action === "cancel" ? cancelEventIntent({ bookingId: target, params: { eventUri: plan.calendly.eventUri!, reason: plan.reason }, actor, reason: plan.reason }) : null;
  const refundDraft =
    r.action === "refund"
      ? refundIntent({
          bookingId: target,
          params: { paymentIntentId: r.paymentIntentId, amountCents: r.amountCents, reason: `Cancelled by ${actor}: ${plan.reason}. ${r.note}` },
          actor,
          reason: `${plan.reason} (--refund ${plan.refundMode})`,
          // One operator refund at a time: a run again after an interruption finds the same intent; after a recorded failure, a new one.
          source: `operator:${r.idempotencyKey ?? "refund"}`,
        })
      : null;
  if (calendlyIntent) drafts.push(calendlyIntent);
  if (refundDraft) drafts.push(refundDraft);
  let recorded: { id: string; kind: string }[] = [];
  try {
    recorded = await prisma.$transaction(async (tx) => {
      const current = await tx.booking.findUnique({ where: { id: target }, select: { calendlyInviteeUri: true } });
      if (!current) throw new Error(`booking ${target} no longer exists`);
      await tx.$queryRaw`SELECT 1 AS locked FROM pg_advisory_xact_lock(hashtext(${current.calendlyInviteeUri ?? target}))`;
      const row = await tx.booking.findUniqueOrThrow({ where: { id: target }, select: { status: true, paymentStatus: true } });
      if (row.status !== "CANCELLED") {
        const to = stateAfterCancellation(row);
        if (!to) throw new Error(`booking ${target} cannot be cancelled from ${formatState(row)}`);
        assertTransition(target, row, to);
        await tx.booking.update({
          where: { id: target },
          data: { status: to.status, paymentStatus: to.paymentStatus, cancellationReason: plan.reason, cancelledBy: `${actor} (bookflow)`, cancelledAt: deps.clock.now() },
        });
        await recordAudit(tx, { actor, action: "booking.cancelled", target, reason: plan.reason, before: row, after: { ...to, cancelledBy: actor, refundMode: plan.refundMode, refund: r.action === "refund" ? r.amountCents : 0 } });
      }
      return recordIntents(tx, drafts, deps.clock.now());
    }, TX_OPTIONS);
  } catch (err) {
    const message = errorText(err);
    steps.push({ step: "calendly", status: plan.calendly.action === "cancel" ? "not-done" : "skipped", detail: plan.calendly.action === "cancel" ? "not attempted: the cancellation could not be recorded" : plan.calendly.note });
    steps.push({ step: "booking", status: "failed", detail: message });
    return finish();
  }
  steps.push(plan.booking.action === "cancel" ? { step: "booking", status: "done", detail: `${formatState(plan.before)} → ${formatState(plan.booking.to)}` } : { step: "booking", status: "skipped", detail: plan.booking.note });

  // 2 + 3: the recorded intents, performed now (the app's worker finishes any this run cannot).
  const worker = createIntentWorker({
    prisma,
    clock: deps.clock,
    // Short: a run killed mid-way holds its claim only this long, so the operator's next run takes it over.
    leaseMs: OPERATOR_LEASE_MS,
    ...(deps.payments ? { payments: deps.refunds ? { ...deps.payments, listRefunds: (pi: string) => deps.refunds!.listRefunds(pi) } : deps.payments } : {}),
    ...(deps.calendly ? { scheduling: calendlyScheduling(deps.calendly) } : {}),
  });
  const perform = async (kind: "CANCEL_EVENT" | "REFUND"): Promise<IntentOutcome | null> => {
    const id = recorded.find((i) => i.kind === kind)?.id;
    return id ? performNow(worker, id, Math.max(deps.emailWaitMs ?? 5000, OPERATOR_LEASE_MS + 5000)) : null;
  };
  const stepOf = (o: IntentOutcome): StepStatus => (o.status === "done" ? "done" : "failed");
  const cal = await perform("CANCEL_EVENT");
  steps.push(cal ? { step: "calendly", status: stepOf(cal), detail: cal.status === "done" ? `event ${plan.calendly.eventUri} canceled` : cal.message } : { step: "calendly", status: "skipped", detail: plan.calendly.note });

  if (r.action === "record") {
    const marked = await markRefunded(prisma, { bookingId: target, actor, refundId: r.existingRefundIds.join(", "), amountCents: r.amountCents, reason: "Already refunded in Stripe; recorded." });
    steps.push({ step: "refund", status: "done", detail: marked ? `recorded Stripe's refund ${r.existingRefundIds.join(", ")}` : "already recorded" });
  } else if (r.action === "refund") {
    const ref = await perform("REFUND");
    if (!ref) steps.push({ step: "refund", status: "failed", detail: "the refund could not be recorded" });
    else if (ref.status === "done") steps.push({ step: "refund", status: "done", detail: /already|Nothing to refund/i.test(ref.message) ? ref.message : `refunded ${money(r.amountCents, r.currency)} (${ref.message})` });
    else steps.push({ step: "refund", status: "failed", detail: `Stripe refund ${ref.status === "retry" ? "not made yet" : "failed"}: ${ref.message}` });
  } else if (r.action !== "blocked") {
    steps.push({ step: "refund", status: "skipped", detail: r.note });
  }
  // The email waits until the rest is done: a run again sends it.
  if (steps.some((x) => x.status === "failed")) return finish();

  // 4: the cancellation email.
  if (plan.email.action === "send") {
    try {
      steps.push({ step: "email", ...(await sendCancellationEmail(plan, deps)) });
    } catch (err) {
      steps.push({ step: "email", status: "failed", detail: errorText(err) });
    }
  } else {
    steps.push({ step: "email", status: "skipped", detail: plan.email.note });
  }
  return finish();
}

/** The Calendly client as the intents' SchedulingGateway: the event's status is read first (cancelled already = done). */
function calendlyScheduling(calendly: CalendlyCanceller): SchedulingGateway {
  return {
    async cancelEvent(eventUri, reason) {
      const before = await calendly.getScheduledEvent(eventUri).catch(() => null);
      if (before?.status === "canceled") return { alreadyCanceled: true };
      await cancelCalendlyEvent(calendly, eventUri, reason);
      return { alreadyCanceled: false };
    },
  };
}

async function cancelCalendlyEvent(calendly: CalendlyCanceller, eventUri: string, reason: string): Promise<void> {
  try {
    await calendly.cancelScheduledEvent(eventUri, reason);
  } catch (err) {
    // Canceled meanwhile (by the invitee, or a previous run whose answer was lost): that is done too.
    const now = await calendly.getScheduledEvent(eventUri).catch(() => null);
    if (now?.status === "canceled") return;
    throw err;
  }
}

async function sendCancellationEmail(plan: CancelPlan, deps: CancelApplyDeps): Promise<{ status: StepStatus; detail: string }> {
  const { prisma } = deps;
  const booking = await prisma.booking.findUniqueOrThrow({ where: { id: plan.bookingId }, select: { inviteeEmail: true } });
  // Unique per (booking, kind): a second run (or the intake) never queues a second one.
  await prisma.emailMessage.createMany({
    data: [{ kind: "CANCELLATION", to: booking.inviteeEmail, subject: EMAIL_SUBJECTS.CANCELLATION, bookingId: plan.bookingId, status: "QUEUED" }],
    skipDuplicates: true,
  });
  const read = () => prisma.emailMessage.findUniqueOrThrow({ where: { bookingId_kind_dedupeKey: { bookingId: plan.bookingId, kind: "CANCELLATION", dedupeKey: "" } }, select: { id: true, status: true, error: true, attempts: true } });
  let row = await read();
  if (row.status === "SENT") return { status: "done", detail: "already sent" };
  await recordAudit(prisma, { actor: deps.actor, action: "booking.cancel.email", target: plan.bookingId, after: { emailId: row.id, to: booking.inviteeEmail } });
  if (!deps.outbox) return { status: "done", detail: `queued for ${booking.inviteeEmail} (no mailer configured here: the app's outbox sends it)` };
  await deps.outbox.dispatch(plan.bookingId);
  row = await read();
  // Another dispatcher (the app's sweep) may hold the email: give it a moment to finish.
  const deadline = Date.now() + (deps.emailWaitMs ?? 5000);
  while (row.status === "QUEUED" && row.error?.startsWith("sending: lease until") && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    row = await read();
  }
  if (row.status === "SENT") return { status: "done", detail: `sent to ${booking.inviteeEmail}` };
  if (row.status === "FAILED") return { status: "failed", detail: `sending failed (${row.error ?? "unknown error"}); the outbox retries it, or run the command again` };
  return { status: "done", detail: `queued for ${booking.inviteeEmail} (being sent by the app's outbox)` };
}

function errorText(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split("\n")[0]!.slice(0, 500);
}
