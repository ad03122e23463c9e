/**
 * Read-side queries for support: the filtered, keyset-paginated booking list
 * (`bookings list`) and a booking's timeline (`bookings show`): the webhook
 * events received for it with their outcomes, the emails queued and sent, and
 * the audit entries, in time order.
 *
 * Pages are keyset pages on (startTime, id), so page n costs what page 1 costs
 * and a booking created meanwhile never shifts a page. The cursor is opaque to
 * callers: base64url of the last row's startTime and id.
 */
import { z } from "zod";
import type { Prisma, PrismaClient } from "../generated/prisma/client.js";
import type { BookingStatus, EmailKind, EmailStatus, PaymentStatus, WebhookOutcome, WebhookProvider } from "../generated/prisma/enums.js";
import { UsageError } from "../errors.js";
import { likeLiteral } from "../db/sql.js";

export const DEFAULT_LIST_LIMIT = 50;
export const MAX_LIST_LIMIT = 500;
/** `--stuck` without `--stuck-after`: unpaid (or refund pending) for more than 30 minutes. */
export const DEFAULT_STUCK_AFTER_MS = 30 * 60_000;

export interface BookingListFilter {
  status?: readonly BookingStatus[] | undefined;
  paymentStatus?: readonly PaymentStatus[] | undefined;
  /** BuilderProfile slug. */
  builder?: string | undefined;
  /** SessionType slug (unique per builder: combine with `builder` to pick one). */
  sessionType?: string | undefined;
  /** Invitee email, case-insensitive, exact. */
  email?: string | undefined;
  /** startTime >= from. */
  from?: Date | undefined;
  /** startTime < to. */
  to?: Date | undefined;
  /**
   * Only bookings that need someone (now minus the threshold): PENDING/UNPAID created before it, a refund pending
   * since before it, a refund that failed (CANCELLED/PAID with `booking.refund_failed`), or marked for review.
   */
  stuckBefore?: Date | undefined;
  limit?: number | undefined;
  /** From a previous page's `nextCursor`. */
  cursor?: string | undefined;
}

export interface BookingListItem {
  id: string;
  status: BookingStatus;
  paymentStatus: PaymentStatus;
  startTime: Date;
  endTime: Date;
  createdAt: Date;
  inviteeEmail: string;
  inviteeName: string | null;
  amountCents: number;
  currency: string;
  builder: string;
  sessionType: string;
  calendlyEventUri: string | null;
  stripeCheckoutSessionId: string | null;
  /** Why a person must look (a reschedule into another price), else null. */
  reviewReason: string | null;
  noShowAt: Date | null;
  /** With `stuckBefore`: why the booking is listed. */
  stuckReason?: string;
}

export interface BookingPage {
  items: BookingListItem[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

const cursorSchema = z.object({ t: z.iso.datetime(), id: z.string().min(1).max(200) });

export function encodeCursor(startTime: Date, id: string): string {
  return Buffer.from(JSON.stringify({ t: startTime.toISOString(), id }), "utf8").toString("base64url");
}

/** The (startTime, id) a cursor stands for; a cursor that was not made by encodeCursor is a UsageError. */
export function decodeCursor(cursor: string): { startTime: Date; id: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor.trim(), "base64url").toString("utf8"));
  } catch {
    parsed = undefined;
  }
  const r = cursorSchema.safeParse(parsed);
  if (!r.success) {
    throw new UsageError(`--cursor ${JSON.stringify(cursor.slice(0, 60))} is not a cursor bookflow printed.`, "Copy the cursor from the end of the previous page, or leave --cursor out to start at the first page.", "BAD_CURSOR");
  }
  return { startTime: new Date(r.data.t), id: r.data.id };
}

/** One keyset page of bookings matching the filter, ordered by startTime then id (ascending). */
export async function listBookings(prisma: PrismaClient, filter: BookingListFilter = {}): Promise<BookingPage> {
  const limit = Math.min(Math.max(Math.trunc(filter.limit ?? DEFAULT_LIST_LIMIT), 1), MAX_LIST_LIMIT);
  const and: Prisma.BookingWhereInput[] = [];
  if (filter.status?.length) and.push({ status: { in: [...filter.status] } });
  if (filter.paymentStatus?.length) and.push({ paymentStatus: { in: [...filter.paymentStatus] } });
  if (filter.builder) and.push({ builder: { slug: filter.builder } });
  if (filter.sessionType) and.push({ sessionType: { slug: filter.sessionType } });
  if (filter.email) and.push({ inviteeEmail: { equals: likeLiteral(filter.email.trim()), mode: "insensitive" } });
  if (filter.from) and.push({ startTime: { gte: filter.from } });
  if (filter.to) and.push({ startTime: { lt: filter.to } });
  let refundFailed = new Set<string>();
  let effects = new Map<string, string>();
  if (filter.stuckBefore) {
    refundFailed = await bookingsWithFailedRefunds(prisma);
    effects = await bookingsWithStuckIntents(prisma, filter.stuckBefore);
    and.push({
      OR: [
        { id: { in: [...effects.keys()] } },
        { status: "PENDING", paymentStatus: "UNPAID", createdAt: { lt: filter.stuckBefore } },
        { paymentStatus: "REFUND_PENDING", updatedAt: { lt: filter.stuckBefore } },
        { status: "CANCELLED", paymentStatus: "PAID", id: { in: [...refundFailed] } },
        { reviewReason: { not: null } },
      ],
    });
  }
  if (filter.cursor) {
    const c = decodeCursor(filter.cursor);
    and.push({ OR: [{ startTime: { gt: c.startTime } }, { startTime: c.startTime, id: { gt: c.id } }] });
  }
  const rows = await prisma.booking.findMany({
    where: and.length ? { AND: and } : {},
    orderBy: [{ startTime: "asc" }, { id: "asc" }],
    take: limit + 1,
    select: {
      id: true,
      status: true,
      paymentStatus: true,
      startTime: true,
      endTime: true,
      createdAt: true,
      inviteeEmail: true,
      inviteeName: true,
      amountCents: true,
      currency: true,
      calendlyEventUri: true,
      stripeCheckoutSessionId: true,
      reviewReason: true,
      noShowAt: true,
      updatedAt: true,
      builder: { select: { slug: true } },
      sessionType: { select: { slug: true } },
    },
  });
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map(({ builder, sessionType, updatedAt, ...b }) => ({
      ...b,
      builder: builder.slug,
      sessionType: sessionType.slug,
      ...(filter.stuckBefore ? { stuckReason: effects.get(b.id) ?? stuckReasonOf(b, updatedAt, refundFailed) } : {}),
    })),
    nextCursor: rows.length > limit && last ? encodeCursor(last.startTime, last.id) : null,
  };
}

/** Attempts after which a PENDING effect counts as one that keeps failing. */
const STUCK_INTENT_ATTEMPTS = 3;

/**
 * Bookings whose external effects need a person: an intent FAILED, one that keeps failing (PENDING after
 * STUCK_INTENT_ATTEMPTS attempts), or one PENDING since before `before` (no worker with the provider's
 * client is running); each with why.
 */
async function bookingsWithStuckIntents(prisma: PrismaClient, before: Date): Promise<Map<string, string>> {
  const rows = await prisma.effectIntent.findMany({
    where: { bookingId: { not: null }, OR: [{ status: "FAILED" }, { status: "PENDING", attempts: { gte: STUCK_INTENT_ATTEMPTS } }, { status: "PENDING", createdAt: { lt: before } }] },
    orderBy: { createdAt: "asc" },
    select: { bookingId: true, kind: true, status: true, attempts: true, lastError: true },
    take: 10_000,
  });
  const out = new Map<string, string>();
  for (const r of rows) {
    const what = r.kind === "REFUND" ? "refund" : "Calendly cancellation";
    const why = r.status === "FAILED" ? `${what} FAILED after ${r.attempts} attempt${r.attempts === 1 ? "" : "s"}` : r.attempts ? `${what} still failing after ${r.attempts} attempts` : `${what} not performed yet (is the app's worker running with its provider's credentials?)`;
    out.set(r.bookingId!, `${why}${r.lastError ? `: ${r.lastError}` : ""}`);
  }
  return out;
}

/** Bookings with a `booking.refund_failed` audit entry and no refund recorded after it. */
async function bookingsWithFailedRefunds(prisma: PrismaClient): Promise<Set<string>> {
  const rows = await prisma.auditLog.findMany({ where: { action: "booking.refund_failed" }, select: { target: true }, distinct: ["target"], take: 10_000 });
  return new Set(rows.map((r) => r.target));
}

/** Why a booking the stuck filter matched needs someone (the filter's arms, in the order a person should act on them). */
function stuckReasonOf(b: { id: string; status: BookingStatus; paymentStatus: PaymentStatus; reviewReason: string | null; createdAt: Date }, updatedAt: Date, refundFailed: ReadonlySet<string>): string {
  if (b.status === "CANCELLED" && b.paymentStatus === "PAID" && refundFailed.has(b.id)) return "refund failed: the booking is still owed one (bookings reprocess makes it)";
  if (b.paymentStatus === "REFUND_PENDING") return `refund pending in Stripe since ${updatedAt.toISOString()}`;
  if (b.reviewReason) return `needs review: ${b.reviewReason}`;
  return `unpaid since ${b.createdAt.toISOString()}`;
}

// ---------------------------------------------------------------------------
// Timeline

export type TimelineEntry =
  | {
      kind: "webhook";
      at: Date;
      provider: WebhookProvider;
      type: string;
      providerEventId: string;
      outcome: WebhookOutcome;
      processedAt: Date | null;
      error: string | null;
    }
  | {
      kind: "email";
      at: Date;
      emailKind: EmailKind;
      status: EmailStatus;
      to: string;
      attempts: number;
      sentAt: Date | null;
      error: string | null;
    }
  | {
      kind: "audit";
      at: Date;
      actor: string;
      action: string;
      reason: string | null;
      before: unknown;
      after: unknown;
    };

/** At most this many entries of each kind (the newest), so a pathological booking cannot flood the output. */
export const TIMELINE_LIMIT = 200;

/**
 * What happened to a booking, oldest first: webhook events recorded for it
 * (and the DEFERRED/HELD ones correlated by its Calendly invitee URI), its
 * emails (at the time they were queued), and the audit entries that target it.
 */
export async function bookingTimeline(prisma: PrismaClient, booking: { id: string; calendlyInviteeUri: string | null }): Promise<TimelineEntry[]> {
  const [events, emails, audits] = await Promise.all([
    prisma.webhookEvent.findMany({
      where: booking.calendlyInviteeUri ? { OR: [{ bookingId: booking.id }, { bookingId: null, correlationKey: booking.calendlyInviteeUri }] } : { bookingId: booking.id },
      orderBy: [{ receivedAt: "desc" }, { id: "desc" }],
      take: TIMELINE_LIMIT,
      select: { provider: true, type: true, providerEventId: true, outcome: true, receivedAt: true, processedAt: true, error: true },
    }),
    prisma.emailMessage.findMany({
      where: { bookingId: booking.id },
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      take: TIMELINE_LIMIT,
      select: { kind: true, status: true, to: true, attempts: true, createdAt: true, sentAt: true, error: true },
    }),
    prisma.auditLog.findMany({
      where: { target: booking.id },
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      take: TIMELINE_LIMIT,
      select: { actor: true, action: true, reason: true, before: true, after: true, createdAt: true },
    }),
  ]);
  const entries: TimelineEntry[] = [
    ...events.map((e): TimelineEntry => ({ kind: "webhook", at: e.receivedAt, provider: e.provider, type: e.type, providerEventId: e.providerEventId, outcome: e.outcome, processedAt: e.processedAt, error: e.error })),
    ...emails.map((m): TimelineEntry => ({ kind: "email", at: m.createdAt, emailKind: m.kind, status: m.status, to: m.to, attempts: m.attempts, sentAt: m.sentAt, error: m.error })),
    ...audits.map((a): TimelineEntry => ({ kind: "audit", at: a.createdAt, actor: a.actor, action: a.action, reason: a.reason, before: a.before, after: a.after })),
  ];
  // Stable: equal times keep webhook → email → audit order (an event's effects are written with it).
  const rank = { webhook: 0, email: 1, audit: 2 } as const;
  return entries.sort((a, b) => a.at.getTime() - b.at.getTime() || rank[a.kind] - rank[b.kind]);
}

/** One line for people. */
export function describeTimelineEntry(e: TimelineEntry): string {
  const at = e.at.toISOString().replace("T", " ");
  switch (e.kind) {
    case "webhook":
      return `${at}  webhook  ${e.provider.toLowerCase()} ${e.type} → ${e.outcome}${e.error ? ` (${e.error})` : ""}`;
    case "email": {
      const status = e.status === "SENT" && e.sentAt ? `SENT ${e.sentAt.toISOString()}` : e.status;
      const error = e.error && !e.error.startsWith("sending: lease until") ? ` (${e.error})` : e.error ? " (being sent)" : "";
      return `${at}  email    ${e.emailKind} to ${e.to}: ${status}, ${e.attempts} attempt${e.attempts === 1 ? "" : "s"}${error}`;
    }
    case "audit":
      return `${at}  audit    ${e.action} by ${e.actor}${e.reason ? `: ${e.reason}` : ""}`;
  }
}
