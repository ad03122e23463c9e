/**
 * Durable intents: every external effect a state change implies (a Stripe
 * refund, a Calendly cancellation) is recorded as an EffectIntent row in the
 * SAME transaction as the change, then performed by a worker.
 *
 *   record   the intake's write statement (intake/sql.ts) or an operator
 *            command's transaction inserts the row, PENDING, with who decided
 *            it and why (an operator's `--refund` choice is in its params);
 *   claim    one UPDATE … FOR UPDATE SKIP LOCKED sets a short lease and counts
 *            the attempt: two workers (two app instances, an operator command
 *            and the app) never perform one intent at once, and a worker that
 *            died mid-way leaves the intent to the next claim once the lease
 *            has run out;
 *   perform  the provider's truth first (the booking is no longer PAID, Stripe
 *            already has a refund that covers it, the Calendly event is already
 *            cancelled: done, nothing asked twice), then the call, with Stripe's
 *            Idempotency-Key from the intent (the same for every attempt); the outcome is recorded where the booking's state
 *            lives (refund-record.ts) and audited;
 *   settle   DONE with the provider's answer; a transient failure (network,
 *            429, 5xx) is retried with back-off until maxAttempts; a refusal
 *            (another 4xx) or the last attempt is FAILED, which `bookings list
 *            --stuck` shows and a person resolves.
 *
 * A crash at any point leaves a PENDING intent whose lease runs out: it is
 * performed again, and the truth check plus the idempotency key make the second
 * performance find the first one's effect instead of repeating it.
 */
import { randomUUID } from "node:crypto";
import type { Prisma, PrismaClient } from "../generated/prisma/client.js";
import { redactText } from "../config/redact.js";
import { ProviderError } from "../errors.js";
import { recordAudit } from "./audit.js";
import { systemClock, type Clock, type PaymentsGateway, type SchedulingGateway } from "./ports.js";
import { recordRefundResult } from "./refund-record.js";

export type IntentKind = "REFUND" | "CANCEL_EVENT";

export interface RefundIntentParams {
  paymentIntentId: string | null;
  amountCents: number;
  reason: string;
}

export interface CancelEventIntentParams {
  eventUri: string;
  reason: string;
}

interface DraftBase {
  id: string;
  bookingId: string;
  dedupeKey: string;
  actor: string;
  reason: string | null;
  sourceEventId: string | null;
}

export type IntentDraft = (DraftBase & { kind: "REFUND"; params: RefundIntentParams }) | (DraftBase & { kind: "CANCEL_EVENT"; params: CancelEventIntentParams });

/** A refund to make; `source` tells apart two decisions about one booking (the event row, or the operator run). */
export function refundIntent(input: { bookingId: string; params: RefundIntentParams; actor: string; reason?: string | null; source: string; sourceEventId?: string | null }): IntentDraft {
  return { id: randomUUID(), kind: "REFUND", bookingId: input.bookingId, dedupeKey: `refund:${input.bookingId}:${input.source}`, params: input.params, actor: input.actor, reason: input.reason ?? null, sourceEventId: input.sourceEventId ?? null };
}

/** A Calendly event to cancel: one intent per event, whoever asks. */
export function cancelEventIntent(input: { bookingId: string; params: CancelEventIntentParams; actor: string; reason?: string | null; sourceEventId?: string | null }): IntentDraft {
  return { id: randomUUID(), kind: "CANCEL_EVENT", bookingId: input.bookingId, dedupeKey: `cancel-event:${input.params.eventUri}`, params: input.params, actor: input.actor, reason: input.reason ?? null, sourceEventId: input.sourceEventId ?? null };
}

/** The rows as JSON for one INSERT … SELECT FROM jsonb_array_elements (the intake's write statement). */
export function intentRowsJson(drafts: readonly IntentDraft[]): string {
  return JSON.stringify(drafts.map((d) => ({ id: d.id, kind: d.kind, bookingId: d.bookingId, dedupeKey: d.dedupeKey, params: d.params, actor: d.actor, reason: d.reason, sourceEventId: d.sourceEventId })));
}

type IntentWriter = Pick<PrismaClient, "effectIntent"> | Prisma.TransactionClient;

/** Records intents (an operator command's transaction); one already recorded under the same key is kept. Answers the intents now recorded for those keys. */
export async function recordIntents(db: IntentWriter, drafts: readonly IntentDraft[], now: Date): Promise<{ id: string; kind: IntentKind }[]> {
  if (!drafts.length) return [];
  await db.effectIntent.createMany({
    data: drafts.map((d) => ({ id: d.id, kind: d.kind, bookingId: d.bookingId, dedupeKey: d.dedupeKey, params: d.params as unknown as Prisma.InputJsonValue, actor: d.actor, reason: d.reason, sourceEventId: d.sourceEventId, nextAttemptAt: now, createdAt: now })),
    skipDuplicates: true,
  });
  return db.effectIntent.findMany({ where: { dedupeKey: { in: drafts.map((d) => d.dedupeKey) } }, select: { id: true, kind: true } });
}

// ---------------------------------------------------------------------------
// The worker

export interface IntentWorkerOptions {
  prisma: PrismaClient;
  payments?: PaymentsGateway | undefined;
  scheduling?: SchedulingGateway | undefined;
  clock?: Clock;
  /** How long a claim protects an intent being performed (default 2 minutes: longer than any provider call with its retries). */
  leaseMs?: number;
  /** Attempts before an intent that keeps failing transiently is FAILED (default 8). */
  maxAttempts?: number;
  /** Wait before attempt n+1 after a transient failure (default 30 s · 2^(n-1), at most 1 hour). */
  backoffMs?: (attempts: number) => number;
}

export type IntentOutcomeStatus = "done" | "retry" | "failed" | "busy";

export interface IntentOutcome {
  id: string;
  kind: IntentKind;
  bookingId: string | null;
  status: IntentOutcomeStatus;
  /** A sentence for people (the event's answer, the command's step). */
  message: string;
}

export interface IntentWorker {
  /** Performs these intents now (right after the transaction that recorded them); one claimed elsewhere is `busy`. */
  run(ids: readonly string[]): Promise<IntentOutcome[]>;
  /** Performs the intents that are due (the sweep), at most `limit`, optionally only some bookings'. */
  runDue(options?: { limit?: number; bookingIds?: readonly string[] }): Promise<IntentOutcome[]>;
}

export const DEFAULT_INTENT_MAX_ATTEMPTS = 8;

interface ClaimedIntent {
  id: string;
  kind: IntentKind;
  bookingId: string | null;
  params: unknown;
  actor: string;
  reason: string | null;
  attempts: number;
  sourceEventId: string | null;
}

type Performed = { status: "done"; message: string; result: Record<string, unknown> } | { status: "transient" | "refused"; message: string; audited?: boolean };

export function defaultIntentBackoff(attempts: number): number {
  return Math.min(30_000 * 2 ** Math.max(0, attempts - 1), 3_600_000);
}

export function createIntentWorker(options: IntentWorkerOptions): IntentWorker {
  const { prisma } = options;
  const clock = options.clock ?? systemClock;
  const leaseMs = options.leaseMs ?? 120_000;
  const maxAttempts = options.maxAttempts ?? DEFAULT_INTENT_MAX_ATTEMPTS;
  const backoff = options.backoffMs ?? defaultIntentBackoff;
  // A worker claims only the kinds it has a gateway for: the others wait for one that does.
  const kinds = [...(options.payments ? ["REFUND"] : []), ...(options.scheduling ? ["CANCEL_EVENT"] : [])];

  async function claim(filter: { ids?: readonly string[]; bookingIds?: readonly string[]; due: boolean }, limit: number): Promise<ClaimedIntent[]> {
    if (!kinds.length) return [];
    // Leases are wall-clock time (another process reads them), whatever the clock the rules run on.
    const wall = new Date();
    const params: unknown[] = [new Date(wall.getTime() + leaseMs).toISOString(), wall.toISOString(), limit, JSON.stringify(kinds)];
    let where = "";
    if (filter.ids) {
      params.push(JSON.stringify(filter.ids));
      where += ` AND id = ANY (ARRAY(SELECT jsonb_array_elements_text($${params.length}::jsonb)))`;
    }
    if (filter.bookingIds) {
      params.push(JSON.stringify(filter.bookingIds));
      where += ` AND "bookingId" = ANY (ARRAY(SELECT jsonb_array_elements_text($${params.length}::jsonb)))`;
    }
    if (filter.due) where += ` AND "nextAttemptAt" <= $2::timestamptz AT TIME ZONE 'UTC'`;
    const rows = await prisma.$queryRawUnsafe<ClaimedIntent[]>(
      `UPDATE "EffectIntent" AS i SET attempts = i.attempts + 1, "leaseUntil" = $1::timestamptz AT TIME ZONE 'UTC'
        WHERE i.id IN (
          SELECT id FROM "EffectIntent"
           WHERE status = 'PENDING' AND kind::text IN (SELECT jsonb_array_elements_text($4::jsonb))
             AND ("leaseUntil" IS NULL OR "leaseUntil" < $2::timestamptz AT TIME ZONE 'UTC')${where}
           ORDER BY "createdAt" LIMIT $3::int
           FOR UPDATE SKIP LOCKED)
        RETURNING i.id, i.kind::text AS kind, i."bookingId", i.params, i.actor, i.reason, i.attempts, i."sourceEventId"`,
      ...params,
    );
    return rows.map((r) => ({ ...r, attempts: Number(r.attempts) }));
  }

  async function settle(intent: ClaimedIntent, p: Performed): Promise<IntentOutcome> {
    const base = { id: intent.id, kind: intent.kind, bookingId: intent.bookingId };
    const now = clock.now();
    if (p.status === "done") {
      await prisma.effectIntent.updateMany({ where: { id: intent.id, status: "PENDING" }, data: { status: "DONE", doneAt: now, leaseUntil: null, lastError: null, result: p.result as Prisma.InputJsonValue } });
      return { ...base, status: "done", message: p.message };
    }
    const error = redactText(p.message).slice(0, 1000);
    const giveUp = p.status === "refused" || intent.attempts >= maxAttempts;
    if (giveUp) {
      await prisma.$transaction([
        prisma.effectIntent.updateMany({ where: { id: intent.id, status: "PENDING" }, data: { status: "FAILED", leaseUntil: null, lastError: error } }),
        ...(p.audited ? [] : [prisma.auditLog.create({
          data: {
            actor: intent.actor,
            action: intent.kind === "REFUND" ? "booking.refund_failed" : "booking.slot_release_failed",
            target: intent.bookingId ?? intent.id,
            reason: `${p.status === "refused" ? "refused" : `gave up after ${intent.attempts} attempts`}: ${error}`,
            before: { intent: intent.id },
            after: { intent: intent.id, status: "FAILED" },
          },
        })]),
        ...(intent.sourceEventId ? [prisma.webhookEvent.updateMany({ where: { id: intent.sourceEventId }, data: { error: `${intent.kind === "REFUND" ? "refund failed" : "slot release failed"}: ${error}`.slice(0, 1000) } })] : []),
      ]);
      return { ...base, status: "failed", message: p.message };
    }
    const next = new Date(Date.now() + backoff(intent.attempts));
    await prisma.$transaction([
      prisma.effectIntent.updateMany({ where: { id: intent.id, status: "PENDING" }, data: { nextAttemptAt: next, leaseUntil: null, lastError: error } }),
      ...(intent.sourceEventId ? [prisma.webhookEvent.updateMany({ where: { id: intent.sourceEventId }, data: { error: `${intent.kind === "REFUND" ? "refund failed" : "slot release failed"} (attempt ${intent.attempts}, retried automatically): ${error}`.slice(0, 1000) } })] : []),
    ]);
    return { ...base, status: "retry", message: p.message };
  }

  async function perform(intent: ClaimedIntent): Promise<IntentOutcome> {
    let performed: Performed;
    try {
      performed = intent.kind === "REFUND" ? await performRefund(intent) : await performCancelEvent(intent);
    } catch (err) {
      performed = { status: isTransient(err) ? "transient" : "refused", message: errorText(err) };
    }
    const outcome = await settle(intent, performed);
    if (outcome.status === "retry") outcome.message = `${outcome.message} (attempt ${intent.attempts} of ${maxAttempts}; retried automatically)`;
    return outcome;
  }

  async function performRefund(intent: ClaimedIntent): Promise<Performed> {
    const p = intent.params as RefundIntentParams;
    const payments = options.payments!;
    const booking = intent.bookingId ? await prisma.booking.findUnique({ where: { id: intent.bookingId }, select: { status: true, paymentStatus: true } }) : null;
    if (!booking) return { status: "refused", message: `booking ${intent.bookingId ?? "(none)"} no longer exists; nothing refunded` };
    // Settled meanwhile (a webhook, a command, an earlier attempt whose outcome was recorded before a crash): done.
    if (booking.paymentStatus !== "PAID") return { status: "done", message: `Nothing to refund: the booking is ${booking.status}/${booking.paymentStatus}.`, result: { skipped: booking.paymentStatus } };
    if (!p.paymentIntentId) return { status: "refused", message: "the booking has no Stripe payment intent id to refund" };
    let refund: { id: string; status: string | null } | undefined;
    let existing = false;
    if (payments.listRefunds) {
      const listed = await payments.listRefunds(p.paymentIntentId);
      const mine = listed.filter((r) => r.status !== "failed" && r.status !== "canceled");
      const covered = mine.reduce((sum, r) => sum + r.amount, 0);
      if (mine.length && covered >= p.amountCents) {
        const last = [...mine].sort((a, b) => (b.created ?? 0) - (a.created ?? 0))[0]!;
        refund = { id: last.id, status: last.status };
        existing = true;
      }
    }
    // Stripe's Idempotency-Key is the intent's, the same for every attempt: an answer lost in a crash is replayed,
    // and a second worker that claimed the intent while the first one's request was still in flight (its lease ran
    // out) gets Stripe's answer to the first instead of a second refund. The price: Stripe replays a 5xx answer for
    // its key, so a refund whose request met a 5xx and that the read above does not find ends FAILED after its
    // attempts, for a person to look at (`bookings list --stuck`), rather than being asked again under a new key.
    refund ??= await payments.refund({ paymentIntentId: p.paymentIntentId, amountCents: p.amountCents, reason: p.reason, idempotencyKey: `intent:${intent.id}`, metadata: { bookflow_intent: intent.id } });
    const { settlement } = await recordRefundResult(prisma, { bookingId: intent.bookingId!, actor: intent.actor, refund, amountCents: p.amountCents, reason: existing ? `${p.reason} Stripe already had the refund; recorded.` : p.reason });
    const result = { refundId: refund.id, refundStatus: refund.status, existing };
    if (settlement === "refunded") return { status: "done", message: `Refunded ${p.amountCents} (Stripe refund ${refund.id}).`, result };
    if (settlement === "pending") return { status: "done", message: `Refund of ${p.amountCents} asked for (Stripe refund ${refund.id}, ${refund.status ?? "no status"}); the booking is REFUND_PENDING until Stripe settles it.`, result };
    return { status: "refused", message: `Stripe refund ${refund.id} ${refund.status}; the booking stays PAID`, audited: true };
  }

  async function performCancelEvent(intent: ClaimedIntent): Promise<Performed> {
    const p = intent.params as CancelEventIntentParams;
    const { alreadyCanceled } = await options.scheduling!.cancelEvent(p.eventUri, p.reason);
    await recordAudit(prisma, {
      actor: intent.actor,
      action: "booking.slot_released",
      target: intent.bookingId ?? p.eventUri,
      reason: `Calendly event ${p.eventUri} ${alreadyCanceled ? "was already cancelled" : "cancelled"}: ${p.reason}`,
      before: { calendly: "active" },
      after: { calendly: "canceled", intent: intent.id },
    });
    return {
      status: "done",
      message: alreadyCanceled ? "The Calendly event was already cancelled." : "The Calendly event was cancelled; the slot is free again.",
      result: { eventUri: p.eventUri, alreadyCanceled },
    };
  }

  async function runClaimed(claimed: ClaimedIntent[]): Promise<IntentOutcome[]> {
    const out: IntentOutcome[] = [];
    for (const intent of claimed) out.push(await perform(intent));
    return out;
  }

  return {
    async run(ids) {
      if (!ids.length) return [];
      const claimed = await claim({ ids, due: false }, ids.length);
      const outcomes = await runClaimed(claimed);
      for (const id of ids) {
        if (outcomes.some((o) => o.id === id)) continue;
        const row = await prisma.effectIntent.findUnique({ where: { id }, select: { kind: true, bookingId: true, status: true, lastError: true } });
        if (!row) continue;
        const what = row.kind === "REFUND" ? "refund" : "Calendly cancellation";
        const message =
          row.status === "DONE"
            ? `The ${what} was already done.`
            : row.status === "FAILED"
              ? `The ${what} failed earlier (${row.lastError ?? "no error recorded"}).`
              : kinds.includes(row.kind)
                ? `The ${what} is being performed by another process; it is recorded and will be finished.`
                : `No ${row.kind === "REFUND" ? "Stripe" : "Calendly"} client is configured here, so the ${what} is left recorded for a worker that has one.`;
        outcomes.push({ id, kind: row.kind, bookingId: row.bookingId, status: row.status === "DONE" ? "done" : row.status === "FAILED" ? "failed" : "busy", message });
      }
      return outcomes;
    },
    async runDue(opts = {}) {
      return runClaimed(await claim({ due: true, ...(opts.bookingIds ? { bookingIds: opts.bookingIds } : {}) }, Math.max(1, Math.min(opts.limit ?? 50, 500))));
    },
  };
}

/**
 * Performs one recorded intent now, for an operator command: claimed by another
 * process (the app's sweep, or an earlier run that was killed), it waits for
 * that one to finish, or for its claim to run out and takes the intent over.
 * Answers the last outcome (`busy` when the wait ran out).
 */
export async function performNow(worker: IntentWorker, id: string, waitMs: number, pollMs = 250): Promise<IntentOutcome | null> {
  let [outcome] = await worker.run([id]);
  const deadline = Date.now() + waitMs;
  while (outcome && outcome.status === "busy" && Date.now() < deadline) {
    await new Promise((done) => setTimeout(done, pollMs));
    [outcome] = await worker.run([id]);
  }
  return outcome ?? null;
}

/** How long an operator command's claim protects an intent: a run killed mid-way holds it only this long, so the next run takes it over. */
export const OPERATOR_LEASE_MS = 15_000;

/** Network failures, rate limits, idempotency conflicts (a request still in flight) and server errors are retried; other refusals are final. */
export function isTransient(err: unknown): boolean {
  if (err instanceof ProviderError) return err.status === undefined || err.status === 429 || err.status === 409 || err.status >= 500;
  return true;
}

function errorText(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split("\n")[0]!.slice(0, 1000);
}
