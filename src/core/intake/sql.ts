/**
 * The intake's SQL (db.sql): the per-event transaction is two statements and
 * two round trips when the booking's lock is free (BEGIN goes with the first
 * statement, COMMIT right after the second):
 *
 *   BEGIN
 *   1+2. try the booking's advisory lock (pg_try_advisory_xact_lock) and, in
 *      the same statement, read whether manual processing is on, whether the
 *      event was already recorded, and what the event needs (the booking with
 *      its row version; or, for invitee.created, the session type, the user and
 *      the deferred events). When another delivery holds the lock: wait for it
 *      (pg_advisory_xact_lock), then read again in a new statement — under READ
 *      COMMITTED a statement's snapshot is taken when it starts, so only a
 *      statement after the wait sees what the previous holder committed;
 *   3. write everything in one all-or-nothing statement, which first checks on
 *      its own (fresh) snapshot that the event is not a repeat and that step 2
 *      missed nothing (a lock got at once can still come with a snapshot from
 *      just before the previous holder's commit): the WebhookEvent row, the
 *      booking insert or conditional update (row version), the applied deferred
 *      events, the queued emails and the audit entries. When a check fails it
 *      writes nothing and says why (repeat → "duplicate"; stale read or
 *      concurrent change → the transaction is run again);
 *   COMMIT (sent without waiting for statement 3's answer: committing a
 *      statement that wrote nothing, or one that failed, changes nothing)
 *
 * Measured on a 2-core VM (npm run bench -- intake, beside pgbench -N on the
 * same server; pg_stat_statements and auto_explain on a private server): each
 * statement is a loopback round trip whose wake-ups cost CPU, and what the
 * server does per event is mostly the writes' index entries (Booking has 12
 * indexes, each backed by a query in src/) and its WAL. Reads must stay index
 * lookups whatever the table's size: a WHERE with ORs across keys was planned
 * as a sequential scan of Booking while the table was small, and the generic
 * plan kept it as the table grew (1.8 ms of PostgreSQL CPU per event where
 * 1.0 ms was left once each key got its own branch and the email queries
 * their index conditions).
 *
 * The statements only write what the planners (plan.ts) decided.
 */
import { randomUUID } from "node:crypto";
import { sqlErrorCode, toSqlTimestamp, UNIQUE_VIOLATION, type SqlTx } from "../../db/sql.js";
import { intentRowsJson } from "../intents.js";
import { EMAIL_SUBJECTS } from "../notifications.js";
import type { CalendlyCreated, ParsedEvent } from "./events.js";
import { MANUAL_PROCESSING_KEY } from "./manual-processing.js";
import type { CreatedRead, ExistingRead, RescheduleRead, Snapshot, Writes } from "./model.js";
import { PROVIDER_DB_VALUE } from "./provider.js";

/** Thrown inside a transaction to roll it back and answer "duplicate". */
export class DuplicateDelivery extends Error {}
/** The booking changed under us (a writer that does not take the advisory lock): retry the transaction. */
export class ConcurrentChange extends Error {}
/** Step 2 read from a snapshot older than the last lock holder's commit and missed something: retry the transaction. */
export class StaleRead extends Error {}

/** A released HELD event: its WebhookEvent row exists, and is updated instead of inserted. */
export interface Held {
  rowId: string;
}

// ---------------------------------------------------------------- steps 1 and 2: lock + read

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
export async function lockedRead<R extends { got: boolean }>(tx: SqlTx, key: string, read: () => Promise<R | undefined>): Promise<R> {
  let row = await read();
  if (!row?.got) {
    await tx.query(`SELECT 1 FROM pg_advisory_xact_lock(hashtext($1))`, [key]);
    row = await read(); // the lock is ours now (advisory locks are re-entrant): got is true
  }
  if (!row?.got) throw new Error(`webhook intake: could not take the advisory lock for ${key}`);
  return row;
}

/** The booking columns the planners read (Snapshot's, the invitee's email and the row version), as `b.*` of a lateral join. */
const BOOKING_COLUMNS = `xmin::text AS version, id, status::text AS status, "paymentStatus"::text AS "paymentStatus", "sessionTypeId", "amountCents", currency,
                    "startTime", "endTime", "calendlyEventUri", "calendlyInviteeUri", to_json(COALESCE("previousInviteeUris", ARRAY[]::text[])) AS "previousInviteeUris",
                    "reviewReason", "stripeCheckoutSessionId", "stripePaymentIntentId", "stripeRefundId", "refundedCents", "stripeDisputeId", "disputeStatus",
                    "cancellationReason", "cancelledBy", "cancelledAt", "noShowAt", "noShowChangedAt", "inviteeEmail"`;

/** What invitee.created reads beside the lock: the session type of the Calendly event type, the matching user, the deferred events. */
const CREATED_COLUMNS = `st.id AS "stId", st."builderId", st."priceCents", st.currency, st.title, st."stripePriceId",
                (SELECT u.id FROM "User" u WHERE u.email IN ($6, $7) LIMIT 1) AS "userId",
                (SELECT json_agg(json_build_object('id', w.id, 'provider', w.provider, 'payload', w.payload,
                                                   'receivedMs', (extract(epoch FROM w."receivedAt") * 1000)::float8))
                   FROM "WebhookEvent" w WHERE w.outcome = 'DEFERRED' AND w."correlationKey" = $1) AS deferred`;

/** Steps 1 and 2 for invitee.created: the lock, then the session type, the matching user and the deferred events. */
export function readCreated(tx: SqlTx, ev: ParsedEvent, a: CalendlyCreated): Promise<CreatedRead | undefined> {
  return tx
    .query<CreatedRead>(
      `SELECT l.got,
                (SELECT value = 'true'::jsonb FROM "AppSetting" WHERE key = $2) AS manual,
                EXISTS (SELECT 1 FROM "WebhookEvent" WHERE provider = $3::"WebhookProvider" AND "providerEventId" = $4) AS seen,
                ${CREATED_COLUMNS}
           FROM pg_try_advisory_xact_lock(hashtext($1)) AS l(got)
           LEFT JOIN "SessionType" st ON st."calendlyEventTypeUri" = $5`,
      [a.inviteeUri, MANUAL_PROCESSING_KEY, PROVIDER_DB_VALUE[ev.provider], ev.providerEventId, a.eventTypeUri, a.email, a.email.toLowerCase()],
    )
    .then((rows) => rows[0]);
}

/**
 * Steps 1 and 2 for the invitee.created of a reschedule. The old invitee's lock is taken first, waiting (a chain
 * of reschedules always locks older before newer, so two of them never wait on each other), then the new one's as
 * for any invitee.created; the read adds the old invitee's booking and whether a booking has moved off it.
 */
export async function readRescheduled(tx: SqlTx, ev: ParsedEvent, a: CalendlyCreated & { oldInviteeUri: string }): Promise<RescheduleRead> {
  await tx.query(`SELECT 1 FROM pg_advisory_xact_lock(hashtext($1))`, [a.oldInviteeUri]);
  return lockedRead(tx, a.inviteeUri, () =>
    tx
      .query<Omit<RescheduleRead, "old"> & { old: Record<string, unknown> | null }>(
        `SELECT l.got,
                (SELECT value = 'true'::jsonb FROM "AppSetting" WHERE key = $2) AS manual,
                EXISTS (SELECT 1 FROM "WebhookEvent" WHERE provider = $3::"WebhookProvider" AND "providerEventId" = $4) AS seen,
                ${CREATED_COLUMNS},
                (SELECT row_to_json(o) FROM (SELECT ${BOOKING_COLUMNS} FROM "Booking" WHERE "calendlyInviteeUri" = $8) o) AS old,
                EXISTS (SELECT 1 FROM "Booking" WHERE "previousInviteeUris" @> ARRAY[$8]::text[]) AS "movedFrom"
           FROM pg_try_advisory_xact_lock(hashtext($1)) AS l(got)
           LEFT JOIN "SessionType" st ON st."calendlyEventTypeUri" = $5`,
        [a.inviteeUri, MANUAL_PROCESSING_KEY, PROVIDER_DB_VALUE[ev.provider], ev.providerEventId, a.eventTypeUri, a.email, a.email.toLowerCase(), a.oldInviteeUri],
      )
      .then((rows) => {
        const r = rows[0];
        return r ? { ...r, old: r.old ? (bookingFromJson(r.old) as unknown as RescheduleRead["old"]) : null } : undefined;
      }),
  );
}

/** A booking row read through row_to_json: its times back to Dates. */
function bookingFromJson(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...o };
  for (const k of ["startTime", "endTime", "cancelledAt", "noShowAt", "noShowChangedAt"]) {
    const v = out[k];
    if (typeof v === "string") out[k] = new Date(/Z|[+-]\d\d(:?\d\d)?$/.test(v) ? v : `${v}Z`);
  }
  return out;
}

/** How an event on an existing booking finds it: by id, by (current) invitee URI, by payment intent, or by an invitee it had before a reschedule. */
export interface BookingMatch {
  bookingId: string | null;
  inviteeUri: string | null;
  /** Also match a booking that had `inviteeUri` before it was rescheduled (the cancel half of a reschedule). */
  formerInvitee?: boolean;
}

/** Steps 1 and 2 for an event on an existing booking: the lock, then the booking with its row version. */
export function readExisting(tx: SqlTx, ev: ParsedEvent, match: BookingMatch, key: string): Promise<ExistingRead | undefined> {
  // One branch per way of matching, each an index lookup (primary key, the invitee URI's unique key, the GIN index
  // of former invitees), taken in that order until one finds the booking. A single WHERE with ORs was planned as a
  // sequential scan of Booking while the table was small (a generic plan), and kept that plan as it grew.
  const former = match.formerInvitee ? ` UNION ALL SELECT ${BOOKING_COLUMNS} FROM "Booking" WHERE "previousInviteeUris" @> ARRAY[$6]::text[]` : "";
  return tx
    .query<ExistingRead>(
      `SELECT l.got,
                (SELECT value = 'true'::jsonb FROM "AppSetting" WHERE key = $2) AS manual,
                EXISTS (SELECT 1 FROM "WebhookEvent" WHERE provider = $3::"WebhookProvider" AND "providerEventId" = $4) AS seen,
                b.*
           FROM pg_try_advisory_xact_lock(hashtext($1)) AS l(got)
           LEFT JOIN LATERAL (
             SELECT * FROM (
               SELECT ${BOOKING_COLUMNS} FROM "Booking" WHERE id = $5
               UNION ALL SELECT ${BOOKING_COLUMNS} FROM "Booking" WHERE "calendlyInviteeUri" = $6${former}) m LIMIT 1) b ON true`,
      [key, MANUAL_PROCESSING_KEY, PROVIDER_DB_VALUE[ev.provider], ev.providerEventId, match.bookingId, match.inviteeUri],
    )
    .then((rows) => rows[0]);
}

// ---------------------------------------------------------------- outside the transaction

/** A payment's lock key when it names only a booking id: the booking's invitee URI (the lock invitee.created takes), else the id. */
export async function bookingLockKey(sql: SqlTx, bookingId: string): Promise<string> {
  const [b] = await sql.query<{ calendlyInviteeUri: string | null }>(`SELECT "calendlyInviteeUri" FROM "Booking" WHERE id = $1`, [bookingId]);
  return b?.calendlyInviteeUri ?? bookingId;
}

/** The booking of a payment intent (refunds, disputes name only that), with its lock key; undefined when none has it. */
export async function bookingOfPaymentIntent(sql: SqlTx, paymentIntentId: string): Promise<{ id: string; key: string } | undefined> {
  const [b] = await sql.query<{ id: string; calendlyInviteeUri: string | null }>(`SELECT id, "calendlyInviteeUri" FROM "Booking" WHERE "stripePaymentIntentId" = $1`, [paymentIntentId]);
  return b ? { id: b.id, key: b.calendlyInviteeUri ?? b.id } : undefined;
}

/** What a repeat of invitee.created answers about its booking. */
export async function bookingOfInvitee(
  sql: SqlTx,
  inviteeUri: string,
): Promise<{ id: string; status: string; paymentStatus: string; stripeCheckoutSessionId: string | null } | undefined> {
  const [b] = await sql.query<{ id: string; status: string; paymentStatus: string; stripeCheckoutSessionId: string | null }>(
    `SELECT id, status::text AS status, "paymentStatus"::text AS "paymentStatus", "stripeCheckoutSessionId" FROM "Booking" WHERE "calendlyInviteeUri" = $1`,
    [inviteeUri],
  );
  return b;
}

/** The booking the event's first delivery was recorded for (null when none, or never recorded). */
export async function bookingOfRecordedEvent(sql: SqlTx, ev: ParsedEvent): Promise<string | null> {
  const [row] = await sql.query<{ bookingId: string | null }>(
    `SELECT "bookingId" FROM "WebhookEvent" WHERE provider = $1::"WebhookProvider" AND "providerEventId" = $2`,
    [PROVIDER_DB_VALUE[ev.provider], ev.providerEventId],
  );
  return row?.bookingId ?? null;
}

/** A released HELD event whose effect already exists: its row is closed DUPLICATE so it is not released again. */
export async function closeHeldAsDuplicate(sql: SqlTx, held: Held, now: Date): Promise<void> {
  await sql.query(`UPDATE "WebhookEvent" SET outcome = 'DUPLICATE', "processedAt" = $2::timestamp WHERE id = $1 AND outcome = 'HELD'`, [held.rowId, toSqlTimestamp(now)]);
}

// ---------------------------------------------------------------- step 3: the write

/** The Booking columns a plan's patch may write, with their casts. */
const PATCH_COLUMNS: Partial<Record<keyof Snapshot, string>> = {
  status: `::"BookingStatus"`,
  paymentStatus: `::"PaymentStatus"`,
  sessionTypeId: "",
  startTime: "::timestamp",
  endTime: "::timestamp",
  calendlyEventUri: "",
  calendlyInviteeUri: "",
  previousInviteeUris: "::text[]",
  reviewReason: "",
  stripeCheckoutSessionId: "",
  stripePaymentIntentId: "",
  stripeRefundId: "",
  refundedCents: "::int",
  stripeDisputeId: "",
  disputeStatus: "",
  cancellationReason: "",
  cancelledBy: "",
  cancelledAt: "::timestamp",
  noShowAt: "::timestamp",
  noShowChangedAt: "::timestamp",
};

/** `p(value, cast)` appends a positional parameter and answers "$n<cast>". */
type Param = (value: unknown, cast?: string) => string;

function sqlParams(): { values: unknown[]; p: Param } {
  const values: unknown[] = [];
  return {
    values,
    p(value, cast = "") {
      if (cast === "::text[]") {
        // Arrays travel as JSON, which every driver (pg, PGlite) passes the same way.
        values.push(JSON.stringify(value ?? []));
        return `ARRAY(SELECT jsonb_array_elements_text($${values.length}::jsonb))`;
      }
      values.push(value instanceof Date ? toSqlTimestamp(value) : value);
      return `$${values.length}${cast}`;
    },
  };
}

/** The times a write stamps: the intake clock's (event rows), the wall clock's (createdAt/updatedAt). */
interface Stamps {
  now: Date;
  wallNow: Date;
}

interface WriteStatement {
  text: string;
  values: unknown[];
  updating: boolean;
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
export function write(tx: SqlTx, ev: ParsedEvent, held: Held | undefined, w: Writes, now: Date): Promise<void> {
  const statement = writeStatement(ev, held, w, { now, wallNow: new Date() });
  const written = tx.query<{ recorded: number; duplicate: boolean; stale: boolean; updated?: number }>(statement.text, statement.values).then(
    ([row]) => {
      if (!row) throw new Error("webhook intake: the write statement returned no row");
      if (row.duplicate) throw new DuplicateDelivery();
      if (row.stale) throw new StaleRead();
      if (statement.updating && row.updated === 0) throw new ConcurrentChange();
      if (row.recorded === 0) throw new DuplicateDelivery(); // a released HELD row no longer HELD
    },
    (err: unknown) => {
      // The event's unique key, or the invitee URI's of a booking being created (invitee.created's event id
      // derives from it): the event was recorded meanwhile. Other unique keys (a Stripe id that belongs to
      // another booking) are real errors.
      if (sqlErrorCode(err) === UNIQUE_VIOLATION && /WebhookEvent_provider_providerEventId|Booking_calendlyInviteeUri/.test(uniqueConstraintOf(err))) throw new DuplicateDelivery();
      throw err;
    },
  );
  written.catch(() => {}); // awaited by the caller, after the COMMIT was sent
  return written;
}

/** The violated constraint's name (pg and PGlite errors carry it; else the message, which names it). */
function uniqueConstraintOf(err: unknown): string {
  const e = err as { constraint?: unknown; message?: unknown };
  return typeof e.constraint === "string" ? e.constraint : typeof e.message === "string" ? e.message : "";
}

/** The text and parameters of step 3 (the CTEs in this order: checks, booking update or insert, event row, applied, emails, audits). */
function writeStatement(ev: ParsedEvent, held: Held | undefined, w: Writes, at: Stamps): WriteStatement {
  const { values, p } = sqlParams();
  const ctes = checkCtes(p, ev, held, w);
  const update = w.updateBooking && Object.keys(w.updateBooking.patch).length ? w.updateBooking : undefined;
  if (update) ctes.push(updateCte(p, update, at));
  // The event's row is written when the checks pass (and, for an update, when the booking was updated).
  const recordIf = `EXISTS (SELECT 1 FROM go)${update ? " AND EXISTS (SELECT 1 FROM ub)" : ""}`;
  if (w.createBooking) ctes.push(insertBookingCte(p, w.createBooking, recordIf, at));
  ctes.push(held ? heldEventCte(p, held, w, recordIf, at) : newEventCte(p, ev, w, recordIf, at));
  if (w.applied && w.applied.ids.length) ctes.push(appliedCte(p, w.applied, at));
  const fx = w.effects;
  if (fx && fx.emails.length) ctes.push(emailsCte(p, fx, at));
  if (fx && fx.audits.length) ctes.push(auditsCte(p, ev, fx, at));
  if (w.intents && w.intents.length) ctes.push(intentsCte(p, w.intents, at));
  const text = `WITH ${ctes.join(",\n")}
      SELECT (SELECT count(*) FROM ev)::int AS recorded, chk.duplicate, chk.stale${update ? ", (SELECT count(*) FROM ub)::int AS updated" : ""} FROM chk`;
  return { text, values, updating: update !== undefined };
}

/** `chk`: is the event a repeat, did the read miss something; `go`: one row when neither. */
function checkCtes(p: Param, ev: ParsedEvent, held: Held | undefined, w: Writes): string[] {
  const duplicate = held
    ? `NOT EXISTS (SELECT 1 FROM "WebhookEvent" WHERE id = ${p(held.rowId)} AND outcome = 'HELD')`
    : `EXISTS (SELECT 1 FROM "WebhookEvent" WHERE provider = ${p(PROVIDER_DB_VALUE[ev.provider], `::"WebhookProvider"`)} AND "providerEventId" = ${p(ev.providerEventId)})`;
  let stale = "false";
  if (w.staleIf?.deferredOtherThan) {
    const d = w.staleIf.deferredOtherThan;
    stale = `EXISTS (SELECT 1 FROM "WebhookEvent" WHERE outcome = 'DEFERRED' AND "correlationKey" = ${p(d.key)}
        AND id NOT IN (SELECT jsonb_array_elements_text(${p(JSON.stringify(d.ids), "::jsonb")})))`;
  } else if (w.staleIf?.bookingExists) {
    const b = w.staleIf.bookingExists;
    // One EXISTS per index (as in readExisting): ORs in one WHERE were planned as a sequential scan.
    const former = b.formerInvitee && b.inviteeUri ? ` OR EXISTS (SELECT 1 FROM "Booking" WHERE "previousInviteeUris" @> ARRAY[${p(b.inviteeUri)}]::text[])` : "";
    stale = `(EXISTS (SELECT 1 FROM "Booking" WHERE id = ${p(b.id)}) OR EXISTS (SELECT 1 FROM "Booking" WHERE "calendlyInviteeUri" = ${p(b.inviteeUri)})${former})`;
  }
  return [`chk AS (SELECT ${duplicate} AS duplicate, ${stale} AS stale)`, `go AS (SELECT 1 FROM chk WHERE NOT duplicate AND NOT stale)`];
}

/** `ub`: the booking's conditional update (row version as read). */
function updateCte(p: Param, u: NonNullable<Writes["updateBooking"]>, at: Stamps): string {
  const sets = Object.entries(u.patch).map(([key, value]) => {
    const cast = PATCH_COLUMNS[key as keyof Snapshot];
    if (cast === undefined) throw new Error(`webhook intake: booking column ${key} is not writable here`);
    return `"${key}" = ${p(value ?? null, cast)}`;
  });
  sets.push(`"updatedAt" = ${p(at.wallNow, "::timestamp")}`);
  return `ub AS (
        UPDATE "Booking" SET ${sets.join(", ")}
        WHERE id = ${p(u.id)} AND xmin = ${p(u.version, "::xid")} AND EXISTS (SELECT 1 FROM go)
        RETURNING id)`;
}

/** `nb`: the booking invitee.created creates. */
function insertBookingCte(p: Param, b: NonNullable<Writes["createBooking"]>, recordIf: string, at: Stamps): string {
  const s = b.state;
  const stamp = p(at.wallNow, "::timestamp");
  return `nb AS (
        INSERT INTO "Booking" (id, "sessionTypeId", "builderId", "userId", "inviteeEmail", "inviteeName", "startTime", "endTime",
          "calendlyEventUri", "calendlyInviteeUri", "previousInviteeUris", "reviewReason", "stripeCheckoutSessionId", "stripePaymentIntentId",
          "stripeRefundId", "refundedCents", "stripeDisputeId", "disputeStatus", status, "paymentStatus",
          "amountCents", currency, "cancellationReason", "cancelledBy", "cancelledAt", "noShowAt", "noShowChangedAt", "runTag", "createdAt", "updatedAt")
        SELECT ${p(b.id)}, ${p(s.sessionTypeId)}, ${p(b.builderId)}, ${p(b.userId)}, ${p(b.inviteeEmail)}, ${p(b.inviteeName)},
          ${p(s.startTime, "::timestamp")}, ${p(s.endTime, "::timestamp")}, ${p(s.calendlyEventUri)}, ${p(s.calendlyInviteeUri)},
          ${p(s.previousInviteeUris, "::text[]")}, ${p(s.reviewReason)}, ${p(s.stripeCheckoutSessionId)}, ${p(s.stripePaymentIntentId)},
          ${p(s.stripeRefundId)}, ${p(s.refundedCents, "::int")}, ${p(s.stripeDisputeId)}, ${p(s.disputeStatus)},
          ${p(s.status, `::"BookingStatus"`)}, ${p(s.paymentStatus, `::"PaymentStatus"`)},
          ${p(s.amountCents, "::int")}, ${p(s.currency)}, ${p(s.cancellationReason)}, ${p(s.cancelledBy)}, ${p(s.cancelledAt, "::timestamp")},
          ${p(s.noShowAt, "::timestamp")}, ${p(s.noShowChangedAt, "::timestamp")}, ${p(b.runTag)}, ${stamp}, ${stamp}
        WHERE ${recordIf})`;
}

/** Events that stay open (DEFERRED, HELD) have no processedAt. */
function processedAtOf(w: Writes, at: Stamps): Date | null {
  return w.record.outcome === "DEFERRED" || w.record.outcome === "HELD" ? null : at.now;
}

/** `ev`: a released HELD event's row, updated with its outcome. */
function heldEventCte(p: Param, held: Held, w: Writes, recordIf: string, at: Stamps): string {
  const r = w.record;
  return `ev AS (
        UPDATE "WebhookEvent" SET outcome = ${p(r.outcome, `::"WebhookOutcome"`)}, "bookingId" = ${p(r.bookingId ?? null)},
          "correlationKey" = ${p(r.correlationKey ?? null)}, error = ${p(r.error ?? null)}, "processedAt" = ${p(processedAtOf(w, at), "::timestamp")}
        WHERE id = ${p(held.rowId)} AND outcome = 'HELD' AND ${recordIf}
        RETURNING id)`;
}

/** `ev`: the event's new row. */
function newEventCte(p: Param, ev: ParsedEvent, w: Writes, recordIf: string, at: Stamps): string {
  const r = w.record;
  return `ev AS (
        INSERT INTO "WebhookEvent" (id, provider, "providerEventId", type, payload, "receivedAt", "processedAt", outcome, error, "correlationKey", "bookingId", "rawSha256")
        SELECT ${p(r.id)}, ${p(PROVIDER_DB_VALUE[ev.provider], `::"WebhookProvider"`)}, ${p(ev.providerEventId)}, ${p(ev.type)}, ${p(JSON.stringify(ev.body), "::jsonb")},
          ${p(at.now, "::timestamp")}, ${p(processedAtOf(w, at), "::timestamp")}, ${p(r.outcome, `::"WebhookOutcome"`)}, ${p(r.error ?? null)},
          ${p(r.correlationKey ?? null)}, ${p(r.bookingId ?? null)}, ${p(ev.rawSha256 ?? null)}
        WHERE ${recordIf}
        RETURNING id)`;
}

/** `ap`: the deferred events applied on the booking's creation, now PROCESSED. */
function appliedCte(p: Param, applied: NonNullable<Writes["applied"]>, at: Stamps): string {
  return `ap AS (
        UPDATE "WebhookEvent" SET outcome = 'PROCESSED', "processedAt" = ${p(at.now, "::timestamp")}, "bookingId" = ${p(applied.bookingId)}
        WHERE id = ANY (ARRAY(SELECT jsonb_array_elements_text(${p(JSON.stringify(applied.ids), "::jsonb")}))) AND EXISTS (SELECT 1 FROM ev))`;
}

/** `em`: the queued emails, at most one per booking, kind and dedupe key (EmailMessage's unique key). */
function emailsCte(p: Param, fx: NonNullable<Writes["effects"]>, at: Stamps): string {
  const rows = fx.emails.map((e) => ({ id: randomUUID(), kind: e.kind, dedupeKey: e.dedupeKey, subject: EMAIL_SUBJECTS[e.kind] }));
  return `em AS (
        INSERT INTO "EmailMessage" (id, kind, "dedupeKey", "to", subject, "bookingId", status, attempts, "createdAt")
        SELECT e->>'id', (e->>'kind')::"EmailKind", e->>'dedupeKey', ${p(fx.to)}, e->>'subject', ${p(fx.bookingId)}, 'QUEUED', 0, ${p(at.wallNow, "::timestamp")}
        FROM jsonb_array_elements(${p(JSON.stringify(rows), "::jsonb")}) AS e
        WHERE EXISTS (SELECT 1 FROM ev)
        ON CONFLICT ("bookingId", kind, "dedupeKey") DO NOTHING)`;
}

/** `it`: the external effects the change implies, recorded with it (one per dedupe key: a repeat adds none). */
function intentsCte(p: Param, intents: NonNullable<Writes["intents"]>, at: Stamps): string {
  return `it AS (
        INSERT INTO "EffectIntent" (id, kind, "bookingId", "dedupeKey", params, actor, reason, "sourceEventId", status, attempts, "nextAttemptAt", "createdAt")
        SELECT x->>'id', (x->>'kind')::"IntentKind", x->>'bookingId', x->>'dedupeKey', x->'params', x->>'actor', x->>'reason', x->>'sourceEventId',
          'PENDING', 0, ${p(at.wallNow, "::timestamp")}, ${p(at.wallNow, "::timestamp")}
        FROM jsonb_array_elements(${p(intentRowsJson(intents), "::jsonb")}) AS x
        WHERE EXISTS (SELECT 1 FROM ev)
        ON CONFLICT ("dedupeKey") DO NOTHING)`;
}

/** `au`: the audit entries, by actor `webhook:<provider>`. */
function auditsCte(p: Param, ev: ParsedEvent, fx: NonNullable<Writes["effects"]>, at: Stamps): string {
  const rows = fx.audits.map((a) => ({ id: randomUUID(), action: a.action, reason: a.reason, before: a.before, after: a.after }));
  return `au AS (
        INSERT INTO "AuditLog" (id, actor, action, target, reason, before, after, "createdAt")
        SELECT a->>'id', ${p(`webhook:${ev.provider}`)}, a->>'action', ${p(fx.bookingId)}, a->>'reason',
          NULLIF(a->'before', 'null'::jsonb), NULLIF(a->'after', 'null'::jsonb), ${p(at.wallNow, "::timestamp")}
        FROM jsonb_array_elements(${p(JSON.stringify(rows), "::jsonb")}) AS a
        WHERE EXISTS (SELECT 1 FROM ev))`;
}
