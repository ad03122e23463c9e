/**
 * Booking emails: what they say (CONFIRMATION, RECEIPT, CANCELLATION), and the
 * notifier that sends the queued ones (EmailMessage rows) through the Mailer port.
 *
 * The intake queues an email as an EmailMessage row (status QUEUED) in the same
 * transaction as the booking change; `dispatchPending` sends them later.
 *
 * Claiming without a SENDING status: EmailStatus has only QUEUED / SENT / FAILED,
 * so a dispatcher claims rows with one UPDATE … WHERE id IN (SELECT … FOR UPDATE
 * SKIP LOCKED) that bumps `attempts` and writes an in-flight marker into `error`
 * (`sending: lease until <iso> (claim <token>)`). A claimed row is skipped by
 * every other dispatcher until its lease runs out (a dispatcher that died
 * mid-send), so two dispatchers never send the same email twice; the mailer also
 * gets a stable idempotency key (`<bookingId>:<kind>`), and the row's id travels
 * in SendGrid's `custom_args` (emailId), so a duplicate is traceable.
 *
 * Exactly-once is not possible for an email: SendGrid has no idempotency key, so
 * an email whose send returned but whose SENT mark was not written (a crash in
 * between) is sent again when its lease runs out. Each email is marked as soon as
 * its send returns and one dispatch runs at a time with one email in flight (the
 * default concurrency), so a crash repeats at most that one message.
 */
import { randomUUID } from "node:crypto";
import type { PrismaClient } from "../generated/prisma/client.js";
import { redactText } from "../config/redact.js";
import type { SqlClient } from "../db/sql.js";
import type { EmailKind } from "../generated/prisma/enums.js";
import { systemClock, type Clock, type Mailer, type OutgoingEmail } from "./ports.js";

export type { EmailKind };

/** The subject an email is queued with; the notifier replaces it with the rendered one when it is sent. */
export const EMAIL_SUBJECTS: Record<EmailKind, string> = {
  CONFIRMATION: "Your booking is confirmed",
  RECEIPT: "Your payment receipt",
  CANCELLATION: "Your booking has been cancelled",
  RESCHEDULED: "Your booking has moved",
  ROLLBACK_NOTICE: "An update about your booking",
};

export interface EmailContext {
  kind: EmailKind;
  bookingId: string;
  inviteeName: string | null;
  inviteeEmail: string;
  sessionTitle: string;
  builderName: string;
  startTime: Date;
  endTime: Date;
  amountCents: number;
  currency: string;
  cancellationReason: string | null;
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
  /** Data for a SendGrid dynamic template. */
  dynamicData: Record<string, unknown>;
}

// Intl formatters are costly to build: one per currency, built once.
const moneyFormats = new Map<string, Intl.NumberFormat | null>();
const DAY_FORMAT = new Intl.DateTimeFormat("en-US", { weekday: "long", year: "numeric", month: "long", day: "numeric", timeZone: "UTC" });
const TIME_FORMAT = new Intl.DateTimeFormat("en-US", { hour: "2-digit", minute: "2-digit", hour12: false, timeZone: "UTC" });

export function formatMoney(amountCents: number, currency: string): string {
  const code = currency.toUpperCase();
  let format = moneyFormats.get(code);
  if (format === undefined) {
    try {
      format = new Intl.NumberFormat("en-US", { style: "currency", currency: code });
    } catch {
      format = null; // not an ISO currency code
    }
    moneyFormats.set(code, format);
  }
  return format ? format.format(amountCents / 100) : `${(amountCents / 100).toFixed(2)} ${code}`;
}

function formatWhen(start: Date, end: Date): string {
  return `${DAY_FORMAT.format(start)}, ${TIME_FORMAT.format(start)}–${TIME_FORMAT.format(end)} UTC`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

export function renderEmail(ctx: EmailContext): RenderedEmail {
  const greeting = `Hi ${ctx.inviteeName?.trim() || "there"},`;
  const when = formatWhen(ctx.startTime, ctx.endTime);
  const amount = formatMoney(ctx.amountCents, ctx.currency);
  let subject: string;
  let lines: string[];
  switch (ctx.kind) {
    case "CONFIRMATION":
      subject = `Confirmed: ${ctx.sessionTitle} with ${ctx.builderName}`;
      lines = [`Your ${ctx.sessionTitle} with ${ctx.builderName} is confirmed.`, `When: ${when}`];
      break;
    case "RECEIPT":
      subject = `Receipt: ${amount} for ${ctx.sessionTitle}`;
      lines = [`We received your payment of ${amount} for ${ctx.sessionTitle} with ${ctx.builderName}.`, `When: ${when}`];
      break;
    case "CANCELLATION":
      subject = `Cancelled: ${ctx.sessionTitle} with ${ctx.builderName}`;
      lines = [`Your ${ctx.sessionTitle} with ${ctx.builderName} on ${when} has been cancelled.`];
      if (ctx.cancellationReason) lines.push(`Reason: ${ctx.cancellationReason}`);
      break;
    case "RESCHEDULED":
      subject = `Rescheduled: ${ctx.sessionTitle} with ${ctx.builderName}`;
      lines = [`Your ${ctx.sessionTitle} with ${ctx.builderName} has moved to ${when}.`, "Everything else about the booking stays as it was; nothing is needed from you."];
      break;
    case "ROLLBACK_NOTICE":
      subject = `An update about your ${ctx.sessionTitle} with ${ctx.builderName}`;
      lines = [
        `A problem in a recent update of our booking system may have affected your ${ctx.sessionTitle} with ${ctx.builderName} (${when}). We have put the previous version back.`,
        "What happens next: we are checking every booking made or changed while the problem lasted, yours included, against the calendar and the payment records. If anything about your booking has to change, we will email you before it does; you will not be charged twice.",
        "Nothing is needed from you. If something about your booking looks wrong, reply to this email with the booking reference below.",
      ];
      break;
  }
  lines.push(`Booking reference: ${ctx.bookingId}`);
  const text = [greeting, "", ...lines, ""].join("\n");
  const html = `<p>${escapeHtml(greeting)}</p>\n${lines.map((l) => `<p>${escapeHtml(l)}</p>`).join("\n")}\n`;
  return {
    subject,
    text,
    html,
    dynamicData: {
      kind: ctx.kind,
      subject,
      bookingId: ctx.bookingId,
      inviteeName: ctx.inviteeName,
      inviteeEmail: ctx.inviteeEmail,
      sessionTitle: ctx.sessionTitle,
      builderName: ctx.builderName,
      startTime: ctx.startTime.toISOString(),
      endTime: ctx.endTime.toISOString(),
      when,
      amount,
      amountCents: ctx.amountCents,
      currency: ctx.currency,
      cancellationReason: ctx.cancellationReason,
    },
  };
}

export interface NotifierOptions {
  prisma: PrismaClient;
  /** Parameterised SQL on the same database (db.sql): when given, the dispatcher's statements go through it. */
  sql?: SqlClient | undefined;
  mailer: Mailer;
  /** SendGrid dynamic template id (d-…): when set, emails carry it with their dynamic data. */
  templateId?: string | undefined;
  /** A template of its own for some kinds (the rollback notice's): wins over `templateId` for those. */
  templateIds?: Partial<Record<EmailKind, string>> | undefined;
  clock?: Clock;
  /** Attempts before a FAILED email is left alone (default 5). */
  maxAttempts?: number;
  /** How long a claim protects an email being sent (default 5 minutes). */
  leaseMs?: number;
  /** Emails sent at the same time (default 1: a crash can repeat at most this many, the ones in flight). */
  concurrency?: number;
}

export interface DispatchOptions {
  bookingIds?: string[] | undefined;
  /** Only emails of these kinds, with this dedupe key (one rollback's notices). */
  only?: { kinds: EmailKind[]; dedupeKey?: string | undefined } | undefined;
  /** At most this many emails per call (default 100). */
  limit?: number | undefined;
}

export interface Notifier {
  dispatchPending(options?: DispatchOptions): Promise<{ sent: number; failed: number }>;
}

export const DEFAULT_MAX_EMAIL_ATTEMPTS = 5;
/** Kinds sent only by the command that queued them (dispatch with `only`), never by the app's sweeps: `rollback --notify`'s notices. */
export const OWN_SENDER_KINDS: readonly EmailKind[] = ["ROLLBACK_NOTICE"];
const SENDING_PREFIX = "sending: lease until ";

interface ClaimedRow {
  id: string;
  kind: EmailKind;
  to: string;
  subject: string;
  bookingId: string | null;
  attempts: number;
  dedupeKey: string;
}

type SendResult =
  | { ok: true; id: string; providerMessageId: string | null; at: Date; subject: string }
  | { ok: false; id: string; error: string };

function asDate(v: Date | string): Date {
  return v instanceof Date ? v : new Date(`${v.replace(" ", "T")}${/Z|[+-]\d\d(:?\d\d)?$/.test(v) ? "" : "Z"}`);
}

export function createNotifier(options: NotifierOptions): Notifier {
  const { prisma, mailer } = options;
  const clock = options.clock ?? systemClock;
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_EMAIL_ATTEMPTS;
  const leaseMs = options.leaseMs ?? 5 * 60_000;
  const concurrency = Math.max(1, options.concurrency ?? 1);

  /** Raw SQL through db.sql when given (the hot path: no Prisma per-query cost), else through Prisma. */
  function run<T>(text: string, params: unknown[]): Promise<T[]> {
    return options.sql ? options.sql.query<T>(text, params) : prisma.$queryRawUnsafe<T[]>(text, ...params);
  }

  async function claim(dispatch: DispatchOptions): Promise<{ rows: ClaimedRow[]; marker: string }> {
    const now = clock.now();
    const marker = `${SENDING_PREFIX}${new Date(now.getTime() + leaseMs).toISOString()} (claim ${randomUUID()})`;
    const limit = Math.max(1, Math.min(dispatch.limit ?? 100, 1000));
    // Two statements rather than one with an optional filter, so each keeps a plan that fits it.
    const params: unknown[] = [marker, maxAttempts, now.toISOString(), limit];
    let byBooking = "";
    if (dispatch.bookingIds) {
      params.push(JSON.stringify(dispatch.bookingIds));
      // = ANY of an array (not IN of a set-returning function): an index condition, so the claim reads the booking's
      // rows through EmailMessage's (bookingId, kind, dedupeKey) key instead of every queued row of every booking.
      byBooking = `AND "bookingId" = ANY (ARRAY(SELECT jsonb_array_elements_text($${params.length}::jsonb)))`;
    }
    if (dispatch.only) {
      params.push(JSON.stringify(dispatch.only.kinds));
      byBooking += ` AND kind::text IN (SELECT jsonb_array_elements_text($${params.length}::jsonb))`;
      if (dispatch.only.dedupeKey !== undefined) {
        params.push(dispatch.only.dedupeKey);
        byBooking += ` AND "dedupeKey" = $${params.length}::text`;
      }
    } else {
      // The app's sweeps leave alone the emails a command sends itself (a rollback's notices, with their own template).
      byBooking += ` AND kind::text NOT IN (${OWN_SENDER_KINDS.map((k) => `'${k}'`).join(", ")})`;
    }
    const rows = await run<ClaimedRow>(
      `UPDATE "EmailMessage" AS m
      SET attempts = m.attempts + 1, status = 'QUEUED', error = $1
      WHERE m.id IN (
        SELECT id FROM "EmailMessage"
        WHERE status IN ('QUEUED', 'FAILED') AND attempts < $2::int
          AND (error IS NULL OR error NOT LIKE 'sending: lease until %'
               OR substring(error from '^sending: lease until ([^ ]+)')::timestamptz < $3::timestamptz)
          ${byBooking}
        ORDER BY "createdAt"
        LIMIT $4::int
        FOR UPDATE SKIP LOCKED)
      RETURNING m.id, m.kind::text AS kind, m."dedupeKey", m."to", m.subject, m."bookingId", m.attempts`,
      params,
    );
    return { rows: rows.map((r) => ({ ...r, attempts: Number(r.attempts) })), marker };
  }

  /** What the emails say: one query for all the claimed rows' bookings (with their session type and builder). */
  async function contexts(rows: ClaimedRow[]): Promise<Map<string, Omit<EmailContext, "kind">>> {
    const ids = [...new Set(rows.map((r) => r.bookingId).filter((id): id is string => id !== null))];
    if (!ids.length) return new Map();
    const bookings = await run<Omit<EmailContext, "kind" | "startTime" | "endTime"> & { startTime: Date | string; endTime: Date | string }>(
      `SELECT b.id AS "bookingId", b."inviteeName", b."inviteeEmail", st.title AS "sessionTitle", bp."displayName" AS "builderName",
              b."startTime", b."endTime", b."amountCents", b.currency, b."cancellationReason"
         FROM "Booking" b
         JOIN "SessionType" st ON st.id = b."sessionTypeId"
         JOIN "BuilderProfile" bp ON bp.id = b."builderId"
        WHERE b.id = ANY (ARRAY(SELECT jsonb_array_elements_text($1::jsonb)))`,
      [JSON.stringify(ids)],
    );
    return new Map(bookings.map((b) => [b.bookingId, { ...b, startTime: asDate(b.startTime), endTime: asDate(b.endTime), amountCents: Number(b.amountCents) }]));
  }

  /**
   * Records how sends went, several emails per statement: each row only while it still carries this
   * dispatch's claim marker (a row whose lease ran out and was claimed again is left to the new claim).
   * The ids are also given as an array (= ANY): the primary key's index condition. Joined with the recordset
   * alone, the planner hashed it against a sequential scan of the whole table, once per email.
   */
  async function mark(results: SendResult[], marker: string): Promise<void> {
    if (!results.length) return;
    const rows = results.map((r) =>
      r.ok
        ? { id: r.id, status: "SENT", providerMessageId: r.providerMessageId, sentAt: r.at.toISOString(), error: null, subject: r.subject }
        : { id: r.id, status: "FAILED", providerMessageId: null, sentAt: null, error: r.error, subject: null },
    );
    await run(
      `UPDATE "EmailMessage" AS m
      SET status = v.status::"EmailStatus",
          "providerMessageId" = CASE WHEN v.status = 'SENT' THEN v."providerMessageId" ELSE m."providerMessageId" END,
          "sentAt" = CASE WHEN v.status = 'SENT' THEN v."sentAt"::timestamptz AT TIME ZONE 'UTC' ELSE m."sentAt" END,
          subject = COALESCE(v.subject, m.subject),
          error = v.error
      FROM jsonb_to_recordset($1::jsonb)
           AS v(id text, status text, "providerMessageId" text, "sentAt" text, error text, subject text)
      WHERE m.id = v.id AND m.error = $2
        AND m.id = ANY (ARRAY(SELECT r->>'id' FROM jsonb_array_elements($1::jsonb) AS r))`,
      [JSON.stringify(rows), marker],
    );
  }

  function outgoing(row: ClaimedRow, ctx: Omit<EmailContext, "kind"> | undefined): OutgoingEmail {
    // One key per email: a booking's second reschedule is a new email, a retried send is not.
    const key = `${row.bookingId ?? row.id}:${row.kind}${row.dedupeKey ? `:${row.dedupeKey}` : ""}`;
    const tags: Record<string, string> = { emailId: row.id, kind: row.kind };
    if (row.bookingId) tags.bookingId = row.bookingId;
    if (!ctx) {
      // No booking to describe (it was deleted): send what was queued.
      return { to: row.to, subject: row.subject, text: `${row.subject}\n`, idempotencyKey: key, tags };
    }
    const rendered = renderEmail({ ...ctx, kind: row.kind });
    const templateId = options.templateIds?.[row.kind] ?? options.templateId;
    return {
      to: row.to,
      subject: rendered.subject,
      text: rendered.text,
      html: rendered.html,
      templateId,
      dynamicData: templateId ? rendered.dynamicData : undefined,
      idempotencyKey: key,
      tags,
    };
  }

  /** Records one send's outcome, retried a few times (the database may be failing over); a failure leaves the claim to run out. */
  async function markOne(result: SendResult, marker: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await mark([result], marker);
      } catch (err) {
        if (attempt >= 3) throw err;
        await new Promise((done) => setTimeout(done, 200 * attempt));
      }
    }
  }

  async function dispatchOnce(dispatch: DispatchOptions): Promise<{ sent: number; failed: number }> {
    if (dispatch.bookingIds && dispatch.bookingIds.length === 0) return { sent: 0, failed: 0 };
    const { rows, marker } = await claim(dispatch);
    if (!rows.length) return { sent: 0, failed: 0 };
    const ctx = await contexts(rows);
    let sent = 0;
    let failed = 0;
    let next = 0;
    // Each email is marked as soon as its send returns, before the next one starts: a crash repeats at most the
    // `concurrency` emails in flight (one by default), never a batch.
    const worker = async () => {
      while (next < rows.length) {
        const row = rows[next++]!;
        const email = outgoing(row, row.bookingId ? ctx.get(row.bookingId) : undefined);
        let result: SendResult;
        try {
          const { providerMessageId } = await mailer.send(email);
          result = { ok: true, id: row.id, providerMessageId, at: clock.now(), subject: email.subject };
          sent++;
        } catch (err) {
          const message = redactText(err instanceof Error ? err.message : String(err));
          result = { ok: false, id: row.id, error: `attempt ${row.attempts}/${maxAttempts} failed: ${message}`.slice(0, 1000) };
          failed++;
        }
        await markOne(result, marker);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, rows.length) }, worker));
    return { sent, failed };
  }

  // One dispatch at a time per notifier, so the emails in flight never exceed `concurrency`.
  let queue: Promise<unknown> = Promise.resolve();
  return {
    dispatchPending(dispatch: DispatchOptions = {}) {
      const run = queue.then(() => dispatchOnce(dispatch));
      queue = run.catch(() => undefined);
      return run;
    },
  };
}
