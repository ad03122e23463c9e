/**
 * Webhook intake: turns verified Calendly and Stripe deliveries into booking
 * changes, exactly once.
 *
 * - The per-event path runs on parameterised SQL (`db.sql`, src/db/sql.ts): a
 *   transaction of two statements (lock + read, write), see sql.ts. Prisma
 *   serves the rare paths (reading held events to release them, refunds after
 *   commit, the manual-processing setting).
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
 * - What PostgreSQL's jsonb refuses (NUL, lone surrogates) is replaced before
 *   anything is parsed or stored, and a body nested past 64 levels is invalid
 *   (sanitize.ts); ids past the providers' bounds are invalid (webhook-payloads.ts).
 *
 * The parts: sanitize.ts, parse.ts (body → typed event, one parser per provider), plan.ts
 * (pure planners: event + rows read → the write and the answer), sql.ts (the
 * lock+read and write statements), intake.ts (the orchestrator), refunds.ts,
 * manual-processing.ts.
 */
export { createWebhookIntake } from "./intake.js";
export { isManualProcessing, MANUAL_PROCESSING_KEY, releaseHeldEvents, setManualProcessing } from "./manual-processing.js";
export { parseWebhook, RUN_TAG_PATTERN } from "./parse.js";
export type { IntakeOutcome, IntakeResult, WebhookIntake, WebhookIntakeDeps } from "./types.js";
