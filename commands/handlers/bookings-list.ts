import { z } from "zod";
import { DEFAULT_LIST_LIMIT, DEFAULT_STUCK_AFTER_MS, listBookings, MAX_LIST_LIMIT, type BookingListFilter, type BookingPage } from "../../src/core/booking-queries.js";
import { BOOKING_STATUSES, PAYMENT_STATUSES, type BookingStatus, type PaymentStatus } from "../../src/core/status-rules.js";
import { EXIT } from "../../src/engine/exit-codes.js";
import { UsageError } from "../../src/errors.js";
import { openCheckedDatabase as openDb } from "../../src/ops/database.js";
import { parseDateOption, parseDuration, parseOptions } from "../support/flags.js";
import { money, shortTime, type BookingsDeps } from "./bookings-shared.js";

/**
 * `bookflow bookings list`: bookings by status, payment status, builder,
 * session type, invitee email, start-time window, or stuck (PENDING/UNPAID
 * for longer than a threshold); a table or --json; keyset pages (--limit,
 * --cursor, the next cursor printed at the end).
 */

const listOptionsSchema = z.object({
  status: z.array(z.string()).default([]),
  paymentStatus: z.array(z.string()).default([]),
  builder: z.string().trim().min(1, { message: "must name a builder (its slug)" }).optional(),
  sessionType: z.string().trim().min(1, { message: "must name a session type (its slug)" }).optional(),
  email: z.string().trim().min(1, { message: "must be an email address" }).optional(),
  from: z.string().optional(),
  to: z.string().optional(),
  stuck: z.boolean().default(false),
  stuckAfter: z.string().optional(),
  limit: z.coerce.number({ message: "must be a number" }).int({ message: "must be a whole number" }).min(1, { message: `must be 1 to ${MAX_LIST_LIMIT}` }).max(MAX_LIST_LIMIT, { message: `must be 1 to ${MAX_LIST_LIMIT}` }).default(DEFAULT_LIST_LIMIT),
  cursor: z.string().trim().min(1, { message: "must be a cursor printed by a previous page" }).optional(),
  json: z.boolean().default(false),
});

export type BookingsListOptions = z.input<typeof listOptionsSchema>;

export interface BookingsListReport {
  filter: Record<string, unknown>;
  count: number;
  items: (Omit<BookingPage["items"][number], "startTime" | "endTime" | "createdAt"> & { startTime: string; endTime: string; createdAt: string })[];
  nextCursor: string | null;
}

function enumList<T extends string>(values: readonly string[], allowed: readonly T[], flag: string): T[] {
  const out: T[] = [];
  for (const v of values.flatMap((x) => x.split(",")).map((x) => x.trim()).filter(Boolean)) {
    const upper = v.toUpperCase().replace(/-/g, "_");
    if (!(allowed as readonly string[]).includes(upper)) {
      throw new UsageError(`${flag} ${JSON.stringify(v)} is not one of ${allowed.join(", ")}.`, `Give one or more (comma-separated or repeated): ${flag} ${allowed[0]!.toLowerCase()}.`, "BAD_OPTION");
    }
    if (!out.includes(upper as T)) out.push(upper as T);
  }
  return out;
}

export async function bookingsList(rawOptions: BookingsListOptions, deps: BookingsDeps): Promise<number> {
  const { ctx } = deps;
  try {
    const opts = parseOptions(listOptionsSchema, rawOptions, "bookings list");
    const status = enumList<BookingStatus>(opts.status, BOOKING_STATUSES, "--status");
    const paymentStatus = enumList<PaymentStatus>(opts.paymentStatus, PAYMENT_STATUSES, "--payment-status");
    const from = opts.from !== undefined ? parseDateOption(opts.from, "--from") : undefined;
    const to = opts.to !== undefined ? parseDateOption(opts.to, "--to", { endOfDay: true }) : undefined;
    if (from && to && from >= to) {
      throw new UsageError(`--from (${from.toISOString()}) is not before --to (${to.toISOString()}).`, "Give a --from earlier than --to (a bare --to date includes that whole day).", "BAD_DATE");
    }
    const stuck = opts.stuck || opts.stuckAfter !== undefined;
    const stuckAfterMs = opts.stuckAfter !== undefined ? parseDuration(opts.stuckAfter, "--stuck-after") : DEFAULT_STUCK_AFTER_MS;
    if (stuck && (status.some((s) => s !== "PENDING") || paymentStatus.some((p) => p !== "UNPAID"))) {
      throw new UsageError("--stuck lists PENDING/UNPAID bookings; it cannot be combined with another --status or --payment-status.", "Drop --status/--payment-status, or drop --stuck.", "CONFLICTING_OPTIONS");
    }

    const db = await openDb(ctx, "list bookings");
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
      ...(status.length ? { status } : stuck ? { status: ["PENDING"] as BookingStatus[] } : {}),
      ...(paymentStatus.length ? { paymentStatus } : stuck ? { paymentStatus: ["UNPAID"] as PaymentStatus[] } : {}),
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
      items: page.items.map((b) => ({ ...b, startTime: b.startTime.toISOString(), endTime: b.endTime.toISOString(), createdAt: b.createdAt.toISOString() })),
      nextCursor: page.nextCursor,
    };
    if (opts.json) {
      ctx.out(`${JSON.stringify(report, null, 2)}\n`);
      return EXIT.OK;
    }
    ctx.out(formatTable(page));
    if (page.nextCursor) ctx.out(`More: add --cursor ${page.nextCursor} for the next page.\n`);
    return EXIT.OK;
  } finally {
    await ctx.close();
  }
}

export function formatTable(page: BookingPage): string {
  if (page.items.length === 0) return "No bookings match.\n";
  const rows = page.items.map((b) => [b.id, shortTime(b.startTime), b.status, b.paymentStatus, b.amountCents ? money(b.amountCents, b.currency) : "free", `${b.builder}/${b.sessionType}`, b.inviteeEmail]);
  const header = ["ID", "START", "STATUS", "PAYMENT", "AMOUNT", "BUILDER/SESSION", "INVITEE"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ");
  return `${[line(header), ...rows.map(line)].join("\n")}\n${page.items.length} booking${page.items.length === 1 ? "" : "s"}${page.nextCursor ? " (more on the next page)" : ""}.\n`;
}
