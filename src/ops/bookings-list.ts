/**
 * Bookings by status, payment status, builder, session type, invitee email,
 * start-time window, or stuck (PENDING/UNPAID for longer than a threshold),
 * in keyset pages (`bookflow bookings list`). Unknown builders and session
 * types are a UsageError naming the known ones.
 */
import type { Context } from "../context.js";
import { listBookings, type BookingListFilter, type BookingPage } from "../core/booking-queries.js";
import type { BookingStatus, PaymentStatus } from "../core/status-rules.js";
import { UsageError } from "../errors.js";
import { openCheckedDatabase } from "./database.js";

export interface BookingsListInput {
  status: BookingStatus[];
  paymentStatus: PaymentStatus[];
  builder?: string | undefined;
  sessionType?: string | undefined;
  email?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  stuck: boolean;
  stuckAfterMs: number;
  limit: number;
  cursor?: string | undefined;
}

export interface BookingsListReport {
  filter: Record<string, unknown>;
  count: number;
  items: (Omit<BookingPage["items"][number], "startTime" | "endTime" | "createdAt" | "noShowAt"> & { startTime: string; endTime: string; createdAt: string; noShowAt: string | null })[];
  nextCursor: string | null;
}

export async function listBookingsPage(ctx: Pick<Context, "db" | "clock">, input: BookingsListInput): Promise<{ page: BookingPage; report: BookingsListReport }> {
  const { status, paymentStatus, from, to, stuck, stuckAfterMs } = input;
  const opts = input;
  const db = await openCheckedDatabase(ctx, "list bookings");
  if (opts.builder) {
    const builder = await db.prisma.builderProfile.findUnique({ where: { slug: opts.builder }, select: { id: true } });
    if (!builder) {
    const known = (await db.prisma.builderProfile.findMany({ select: { slug: true }, orderBy: { slug: "asc" }, take: 20 })).map((b) => b.slug);
    throw new UsageError(`No builder has the slug ${JSON.stringify(opts.builder)}.`, known.length ? `Known builders: ${known.join(", ")}.` : "There are no builders yet (`bookflow db seed` creates the demo ones).", "NOT_FOUND");
    }
  }
  if (opts.sessionType) {
    const n = await db.prisma.sessionType.count({ where: { slug: opts.sessionType, ...(opts.builder ? { builder: { slug: opts.builder } } : {}) } });
    if (n === 0) {
    const known = [...new Set((await db.prisma.sessionType.findMany({ where: opts.builder ? { builder: { slug: opts.builder } } : {}, select: { slug: true }, take: 50 })).map((s) => s.slug))].sort();
    throw new UsageError(`No session type has the slug ${JSON.stringify(opts.sessionType)}${opts.builder ? ` for builder ${opts.builder}` : ""}.`, known.length ? `Known session types: ${known.join(", ")}.` : "There are no session types yet.", "NOT_FOUND");
    }
  }

  const filter: BookingListFilter = {
    ...(status.length ? { status } : {}),
    ...(paymentStatus.length ? { paymentStatus } : {}),
    builder: opts.builder,
    sessionType: opts.sessionType,
    email: opts.email,
    from,
    to,
    ...(stuck ? { stuckBefore: new Date(ctx.clock.now().getTime() - stuckAfterMs) } : {}),
    limit: opts.limit,
    cursor: opts.cursor,
  };
  const page = await listBookings(db.prisma, filter);
  const report: BookingsListReport = {
    filter: {
    ...(status.length ? { status } : {}),
    ...(paymentStatus.length ? { paymentStatus } : {}),
    ...(opts.builder ? { builder: opts.builder } : {}),
    ...(opts.sessionType ? { sessionType: opts.sessionType } : {}),
    ...(opts.email ? { email: opts.email } : {}),
    ...(from ? { from: from.toISOString() } : {}),
    ...(to ? { to: to.toISOString() } : {}),
    ...(stuck ? { stuck: true, stuckAfterMs, createdBefore: filter.stuckBefore!.toISOString() } : {}),
    limit: opts.limit,
    ...(opts.cursor ? { cursor: opts.cursor } : {}),
    },
    count: page.items.length,
    items: page.items.map((b) => ({ ...b, startTime: b.startTime.toISOString(), endTime: b.endTime.toISOString(), createdAt: b.createdAt.toISOString(), noShowAt: b.noShowAt?.toISOString() ?? null })),
    nextCursor: page.nextCursor,
  };
  return { page, report };
}
