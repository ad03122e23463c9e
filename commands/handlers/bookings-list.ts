import { z } from "zod";
import { DEFAULT_LIST_LIMIT, DEFAULT_STUCK_AFTER_MS, MAX_LIST_LIMIT, type BookingPage } from "../../src/core/booking-queries.js";
import { BOOKING_STATUSES, PAYMENT_STATUSES, type BookingStatus, type PaymentStatus } from "../../src/core/status-rules.js";
import { EXIT } from "../../src/engine/exit-codes.js";
import { UsageError } from "../../src/errors.js";
import { listBookingsPage } from "../../src/ops/bookings-list.js";
import { parseDateOption, parseDuration, parseOptions } from "../support/flags.js";
import { defineCommand } from "../support/run.js";
import { money, shortTime } from "../support/bookings-view.js";

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

export const bookingsList = defineCommand({
  command: "bookings list",
  parse(raw) {
    const opts = parseOptions(listOptionsSchema, raw, "bookings list");
    const status = enumList<BookingStatus>(opts.status, BOOKING_STATUSES, "--status");
    const paymentStatus = enumList<PaymentStatus>(opts.paymentStatus, PAYMENT_STATUSES, "--payment-status");
    const from = opts.from !== undefined ? parseDateOption(opts.from, "--from") : undefined;
    const to = opts.to !== undefined ? parseDateOption(opts.to, "--to", { endOfDay: true }) : undefined;
    if (from && to && from >= to) {
      throw new UsageError(`--from (${from.toISOString()}) is not before --to (${to.toISOString()}).`, "Give a --from earlier than --to (a bare --to date includes that whole day).", "BAD_DATE");
    }
    const stuck = opts.stuck || opts.stuckAfter !== undefined;
    const stuckAfterMs = opts.stuckAfter !== undefined ? parseDuration(opts.stuckAfter, "--stuck-after") : DEFAULT_STUCK_AFTER_MS;
    if (stuck && (status.length || paymentStatus.length)) {
      throw new UsageError(
        "--stuck picks its own states (unpaid, refund pending or failed, marked for review); it cannot be combined with --status or --payment-status.",
        "Drop --status/--payment-status, or drop --stuck.",
        "CONFLICTING_OPTIONS",
      );
    }
    return { status, paymentStatus, builder: opts.builder, sessionType: opts.sessionType, email: opts.email, from, to, stuck, stuckAfterMs, limit: opts.limit, cursor: opts.cursor, json: opts.json };
  },
  async run(input, ctx) {
    const { page, report } = await listBookingsPage(ctx, input);
    if (input.json) {
      ctx.out(`${JSON.stringify(report, null, 2)}\n`);
      return EXIT.OK;
    }
    ctx.out(formatTable(page));
    if (page.nextCursor) ctx.out(`More: add --cursor ${page.nextCursor} for the next page.\n`);
    return EXIT.OK;
  },
});

export function formatTable(page: BookingPage): string {
  if (page.items.length === 0) return "No bookings match.\n";
  const rows = page.items.map((b) => [b.id, shortTime(b.startTime), b.status, b.paymentStatus, b.amountCents ? money(b.amountCents, b.currency) : "free", `${b.builder}/${b.sessionType}`, b.inviteeEmail]);
  const header = ["ID", "START", "STATUS", "PAYMENT", "AMOUNT", "BUILDER/SESSION", "INVITEE"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ");
  return `${[line(header), ...rows.map(line)].join("\n")}\n${page.items.length} booking${page.items.length === 1 ? "" : "s"}${page.nextCursor ? " (more on the next page)" : ""}.\n`;
}
