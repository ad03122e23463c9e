/**
 * The intake's orchestrator: parse → (record alone) or lock + read → plan →
 * write → commit, retried when the write finds that the read missed something
 * or the booking changed meanwhile; then the refunds due, after the commit.
 * What jsonb cannot store is replaced first, and the body's depth bounded (sanitize.ts).
 * Parsing is parse.ts, the decisions plan.ts, the statements sql.ts.
 */
import { createHash, randomUUID } from "node:crypto";
import { redactText } from "../../config/redact.js";
import { DEFAULT_POLICY, systemClock } from "../ports.js";
import type { BookingAction, ParsedEvent } from "./events.js";
import type { Decision, RecordOnly } from "./model.js";
import { parseWebhook } from "./parse.js";
import { answer, planCreated, planExisting, planRescheduled, planUnlocked, planUnmatchedPayment, type PlanContext } from "./plan.js";
import { providerOfDbValue } from "./provider.js";
import { intentsOf } from "./refunds.js";
import { createIntentWorker } from "../intents.js";
import { sanitizeForJsonb } from "./sanitize.js";
import {
  bookingLockKey,
  bookingOfPaymentIntent,
  type BookingMatch,
  bookingOfInvitee,
  bookingOfRecordedEvent,
  closeHeldAsDuplicate,
  ConcurrentChange,
  DuplicateDelivery,
  lockedRead,
  readCreated,
  readExisting,
  readRescheduled,
  StaleRead,
  write,
  type Held,
} from "./sql.js";
import type { IntakeResult, WebhookIntake, WebhookIntakeDeps } from "./types.js";

/** How often a transaction is run again after a stale read or a concurrent change. */
const MAX_ATTEMPTS = 5;

type WriteDecision = Extract<Decision, { kind: "write" }>;

export function createWebhookIntake(deps: WebhookIntakeDeps): WebhookIntake {
  const { prisma, sql, payments, scheduling } = deps;
  const clock = deps.clock ?? systemClock;
  const policy = deps.policy ?? DEFAULT_POLICY;
  const worker = deps.intents ?? createIntentWorker({ prisma, payments, scheduling, clock });

  function planContext(held: Held | undefined): PlanContext {
    return { now: clock.now(), policy, rowId: held?.rowId ?? randomUUID(), held: held !== undefined, newBookingId: randomUUID() };
  }

  async function duplicateResult(ev: ParsedEvent): Promise<IntakeResult> {
    if (ev.action.kind === "invitee.created") {
      const b = await bookingOfInvitee(sql, ev.action.inviteeUri);
      const needsCheckout = b && b.status === "PENDING" && b.paymentStatus === "UNPAID" && !b.stripeCheckoutSessionId;
      return answer(ev, "duplicate", b?.id ?? null, "Already received; nothing changed.", needsCheckout ? { checkoutNeeded: { bookingId: b.id } } : {});
    }
    return answer(ev, "duplicate", await bookingOfRecordedEvent(sql, ev), "Already received; nothing changed.");
  }

  /** Records an event that changes nothing else, outside any transaction. */
  async function recordAlone(ev: ParsedEvent, held: Held | undefined, plan: RecordOnly): Promise<IntakeResult> {
    try {
      await write(sql, ev, held, { record: { id: held?.rowId ?? randomUUID(), ...plan.record } }, clock.now());
    } catch (err) {
      if (err instanceof DuplicateDelivery) return duplicateResult(ev);
      throw err;
    }
    return plan.result;
  }

  /**
   * The advisory lock's key and how the booking is found: the Calendly invitee URI (a reschedule's new invitee),
   * else the booking's own (an event naming only its booking id or its payment intent); null when the event names
   * no booking bookflow has.
   */
  async function targetOf(a: BookingAction): Promise<{ key: string; match: BookingMatch } | null> {
    switch (a.kind) {
      case "invitee.created":
        return { key: a.inviteeUri, match: { bookingId: null, inviteeUri: a.inviteeUri } };
      case "invitee.canceled":
        return { key: a.inviteeUri, match: { bookingId: null, inviteeUri: a.inviteeUri, formerInvitee: a.rescheduled } };
      case "no-show":
        return { key: a.inviteeUri, match: { bookingId: null, inviteeUri: a.inviteeUri } };
      case "payment":
      case "checkout-ended":
        // The metadata names the invitee the Checkout was opened for: a reschedule since has moved the booking off it.
        if (a.inviteeUri) return { key: a.inviteeUri, match: { bookingId: a.bookingId, inviteeUri: a.inviteeUri, formerInvitee: true } };
        return a.bookingId ? { key: await bookingLockKey(sql, a.bookingId), match: { bookingId: a.bookingId, inviteeUri: null } } : null;
      case "charge-refunded":
      case "refund-updated":
      case "dispute": {
        const found = a.paymentIntentId ? await bookingOfPaymentIntent(sql, a.paymentIntentId) : undefined;
        if (found) return { key: found.key, match: { bookingId: found.id, inviteeUri: null } };
        return a.bookingId ? { key: await bookingLockKey(sql, a.bookingId), match: { bookingId: a.bookingId, inviteeUri: null } } : null;
      }
    }
  }

  /**
   * One transaction: lock + read, plan, write. It resolves once the COMMIT was sent; the write, its last
   * statement, is not awaited inside (see sql.ts write): `written` rejects if it found a repeat, a stale read or
   * a concurrent change, in which case it wrote nothing.
   */
  function attempt(ev: ParsedEvent, a: BookingAction, target: { key: string; match: BookingMatch }, held: Held | undefined): Promise<{ decision: WriteDecision; written: Promise<void> }> {
    const { key, match } = target;
    return sql.transaction(async (tx) => {
      let decision: Decision;
      if (a.kind !== "invitee.created") decision = planExisting(ev, a, key, await lockedRead(tx, key, () => readExisting(tx, ev, match, key)), planContext(held), match.formerInvitee === true);
      else if (a.oldInviteeUri !== null) decision = planRescheduled(ev, { ...a, oldInviteeUri: a.oldInviteeUri }, await readRescheduled(tx, ev, { ...a, oldInviteeUri: a.oldInviteeUri }), planContext(held));
      else decision = planCreated(ev, a, await lockedRead(tx, key, () => readCreated(tx, ev, a)), planContext(held));
      if (decision.kind === "duplicate") throw new DuplicateDelivery();
      // The refunds and Calendly cancellations the change implies are recorded with it: a crash after the commit leaves them to the worker.
      const due = deps.refunds === "report" ? decision.after.filter((x) => x.kind !== "refund") : decision.after;
      const intents = intentsOf(due, `webhook:${ev.provider}`);
      if (intents.length) decision.writes.intents = intents;
      const reported = decision.after.filter((x) => x.kind === "refund").length - due.filter((x) => x.kind === "refund").length;
      if (reported) decision.result.message = `${decision.result.message} A refund is due under the refund policy; none was made or recorded here (a person decides).`;
      return { decision, written: write(tx, ev, held, decision.writes, clock.now()) };
    });
  }

  /** Applies an event under its booking's lock, retrying on stale reads and concurrent changes; then what is due after the commit. */
  async function applyLocked(ev: ParsedEvent, a: BookingAction, target: { key: string; match: BookingMatch }, held: Held | undefined): Promise<IntakeResult> {
    let decision: WriteDecision;
    for (let n = 1; ; n++) {
      try {
        const run = await attempt(ev, a, target, held);
        await run.written;
        decision = run.decision;
        break;
      } catch (err) {
        if (err instanceof DuplicateDelivery) {
          // A released HELD event whose effect already exists: close its row so it is not released again.
          if (held) await closeHeldAsDuplicate(sql, held, clock.now());
          return duplicateResult(ev);
        }
        if ((err instanceof ConcurrentChange || err instanceof StaleRead) && n < MAX_ATTEMPTS) continue;
        throw err;
      }
    }
    const { result, writes } = decision;
    if (writes.intents?.length) {
      // Performed now; one that fails transiently stays PENDING and the sweep retries it.
      const outcomes = await worker.run(writes.intents.map((i) => i.id));
      result.message = `${result.message} ${outcomes.map((o) => o.message).join(" ")}`;
    }
    return result;
  }

  async function handle(ev: ParsedEvent, held?: Held): Promise<IntakeResult> {
    const first = planUnlocked(ev);
    if ("recordOnly" in first) return recordAlone(ev, held, first.recordOnly);
    const target = await targetOf(first.action);
    if (target === null) return recordAlone(ev, held, planUnmatchedPayment(ev));
    return applyLocked(ev, first.action, target, held);
  }

  /** Applies one HELD event; one that no longer parses, or fails, is marked FAILED (so it blocks no other). */
  async function releaseOne(row: { id: string; provider: Parameters<typeof providerOfDbValue>[0]; payload: unknown }): Promise<IntakeResult> {
    const provider = providerOfDbValue(row.provider);
    const parsed = parseWebhook(provider, row.payload);
    const markFailed = (error: string) => prisma.webhookEvent.updateMany({ where: { id: row.id, outcome: "HELD" }, data: { outcome: "FAILED", error: redactText(error).slice(0, 1000) } });
    if (!parsed.ok) {
      await markFailed(`stored payload no longer parses: ${parsed.issues.join("; ")}`);
      return { outcome: "invalid", provider, eventType: parsed.type, providerEventId: parsed.providerEventId, bookingId: null, message: "Held event no longer parses; marked FAILED.", issues: parsed.issues };
    }
    try {
      return await handle(parsed.event, { rowId: row.id });
    } catch (err) {
      // One broken event must not block the others (or loop releaseHeldEvents forever).
      const message = err instanceof Error ? err.message : String(err);
      await markFailed(message);
      return { outcome: "invalid", provider, eventType: parsed.event.type, providerEventId: parsed.event.providerEventId, bookingId: null, message: `Applying the held event failed: ${message}; marked FAILED.` };
    }
  }

  return {
    async receive(provider, received, options = {}) {
      const clean = sanitizeForJsonb(received);
      if (!clean.ok) {
        // The parsers read only the fields they know (no recursion into the rest), so they can still name the event.
        const named = parseWebhook(provider, received);
        const eventType = named.ok ? named.event.type : named.type;
        return { outcome: "invalid", provider, eventType, providerEventId: null, bookingId: null, message: `The ${provider} payload nests too deeply to be stored.`, issues: [clean.issue] };
      }
      const body = clean.value;
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
      const sanitized = clean.replaced.nul > 0 || clean.replaced.loneSurrogates > 0;
      // What is stored is no longer byte for byte what the provider signed: the signed body's hash is kept with it.
      if (sanitized && options.raw !== undefined) parsed.event.rawSha256 = createHash("sha256").update(options.raw).digest("hex");
      const result = await handle(parsed.event);
      return sanitized ? { ...result, sanitized: clean.replaced, ...(parsed.event.rawSha256 ? { rawSha256: parsed.event.rawSha256 } : {}) } : result;
    },

    async releaseHeld(options = {}) {
      const rows = await prisma.webhookEvent.findMany({
        where: { outcome: "HELD" },
        orderBy: [{ receivedAt: "asc" }, { id: "asc" }],
        take: options.limit ?? 500,
        select: { id: true, provider: true, payload: true },
      });
      const results: IntakeResult[] = [];
      for (const row of rows) results.push(await releaseOne(row));
      return results;
    },
  };
}
