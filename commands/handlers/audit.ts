import { z } from "zod";
import type { Context } from "../../src/context.js";
import { listAudit, type AuditEntry, type AuditFilter } from "../../src/core/audit.js";
import { EXIT } from "../../src/engine/exit-codes.js";
import { UsageError } from "../../src/errors.js";
import { openDb, parseDateOption, parseDuration, parseOptions } from "./bookings-shared.js";

/**
 * `bookflow audit list`: the audit log, newest first, filtered by actor,
 * action (exact, prefix `booking.` / `booking.*`, or a glob such as
 * `booking.*.email`), target and time window; keyset pages (--limit,
 * --cursor); a table or --json.
 */

export interface AuditDeps {
  ctx: Context;
}

const auditOptionsSchema = z.object({
  actor: z.string().trim().min(1, { message: "must name an actor" }).optional(),
  action: z.string().trim().min(1, { message: "must name an action (booking.cancel, booking.*)" }).optional(),
  target: z.string().trim().min(1, { message: "must name a target (a booking id, stripe:we_…)" }).optional(),
  since: z.string().optional(),
  until: z.string().optional(),
  limit: z.coerce.number({ message: "must be a number" }).int({ message: "must be a whole number" }).min(1, { message: "must be 1 to 1000" }).max(1000, { message: "must be 1 to 1000" }).default(50),
  cursor: z.string().trim().min(1).optional(),
  json: z.boolean().default(false),
});

export type AuditListOptions = z.input<typeof auditOptionsSchema>;

export interface AuditListReport {
  entries: (Omit<AuditEntry, "createdAt"> & { createdAt: string })[];
  nextCursor: string | null;
}

/** Rows looked at per query, and at most this many per run for a glob (then a cursor continues the scan). */
const SCAN_PAGE = 500;
const SCAN_MAX = 100_000;

const cursorSchema = z.object({ t: z.iso.datetime(), id: z.string().min(1).max(200) });

export function encodeAuditCursor(e: { createdAt: Date; id: string }): string {
  return Buffer.from(JSON.stringify({ t: e.createdAt.toISOString(), id: e.id }), "utf8").toString("base64url");
}

export function decodeAuditCursor(text: string): { createdAt: Date; id: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, "base64url").toString("utf8"));
  } catch {
    parsed = undefined;
  }
  const r = cursorSchema.safeParse(parsed);
  if (!r.success) throw new UsageError(`--cursor ${JSON.stringify(text.slice(0, 60))} is not a cursor bookflow printed.`, "Copy it from the end of the previous page, or leave --cursor out to start with the newest entries.", "BAD_CURSOR");
  return { createdAt: new Date(r.data.t), id: r.data.id };
}

/** `--since 7d` (relative to now) or an ISO date/date-time. */
export function parseWhen(text: string, flag: string, now: Date, options: { endOfDay?: boolean } = {}): Date {
  if (/^\s*\d+(\.\d+)?\s*(s|m|h|d)\s*$/.test(text)) return new Date(now.getTime() - parseDuration(text, flag));
  return parseDateOption(text, flag, options);
}

/**
 * How an --action is matched: exact; a prefix (`booking.` or `booking.*`, done by
 * listAudit); or a glob with `*` / `?` elsewhere (listAudit narrows by the text
 * before the first wildcard, the rest is matched here).
 */
export function actionMatcher(action: string | undefined): { query: string | undefined; glob: boolean; test: (a: string) => boolean } {
  if (!action) return { query: undefined, glob: false, test: () => true };
  const first = action.search(/[*?]/);
  const simplePrefix = first === -1 || (first === action.length - 1 && action.endsWith("*"));
  if (simplePrefix) return { query: action, glob: false, test: () => true };
  const literal = action.slice(0, first);
  const re = new RegExp(`^${action.split(/([*?])/).map((part) => (part === "*" ? ".*" : part === "?" ? "." : part.replace(/[.+^${}()|[\]\\]/g, "\\$&"))).join("")}$`);
  return { query: literal ? `${literal}*` : undefined, glob: true, test: (a) => re.test(a) };
}

export async function auditList(rawOptions: AuditListOptions, deps: AuditDeps): Promise<number> {
  const { ctx } = deps;
  try {
    const opts = parseOptions(auditOptionsSchema, rawOptions, "audit list");
    const now = ctx.clock.now();
    const since = opts.since !== undefined ? parseWhen(opts.since, "--since", now) : undefined;
    const until = opts.until !== undefined ? parseWhen(opts.until, "--until", now, { endOfDay: true }) : undefined;
    if (since && until && since >= until) {
      throw new UsageError(`--since (${since.toISOString()}) is not before --until (${until.toISOString()}).`, "Give a --since earlier than --until.", "BAD_DATE");
    }
    if (opts.action && !/^[\w.*?:-]+$/.test(opts.action)) {
      throw new UsageError(`--action ${JSON.stringify(opts.action)} is not an action name or glob.`, "Actions are dotted names (booking.cancel); use * for any part: booking.*, booking.*.email.", "BAD_OPTION");
    }
    const cursor = opts.cursor !== undefined ? decodeAuditCursor(opts.cursor) : undefined;
    const matcher = actionMatcher(opts.action);
    const db = await openDb(ctx, "read the audit log");

    const base: AuditFilter = { actor: opts.actor, target: opts.target, action: matcher.query, since, until };
    const matches: AuditEntry[] = [];
    let after = cursor;
    let scanned = 0;
    let exhausted = false;
    const pageSize = matcher.glob ? SCAN_PAGE : Math.min(1000, opts.limit + 1);
    while (matches.length <= opts.limit && scanned < SCAN_MAX) {
      const page = await listAudit(db.prisma, { ...base, after, limit: pageSize });
      scanned += page.length;
      for (const e of page) {
        if (matcher.test(e.action)) matches.push(e);
        if (matches.length > opts.limit) break;
      }
      if (page.length < pageSize) {
        exhausted = true;
        break;
      }
      after = { createdAt: page.at(-1)!.createdAt, id: page.at(-1)!.id };
    }
    const entries = matches.slice(0, opts.limit);
    // More exist: continue after the last entry shown; a glob scan stopped early continues after the last row it read.
    const nextCursor = matches.length > opts.limit ? encodeAuditCursor(entries.at(-1)!) : !exhausted && after ? encodeAuditCursor(after) : null;

    const report: AuditListReport = { entries: entries.map((e) => ({ ...e, createdAt: e.createdAt.toISOString() })), nextCursor };
    if (opts.json) {
      ctx.out(`${JSON.stringify(report, null, 2)}\n`);
      return EXIT.OK;
    }
    ctx.out(formatAudit(entries));
    if (nextCursor) ctx.out(`More: add --cursor ${nextCursor} for the next page.\n`);
    return EXIT.OK;
  } finally {
    await ctx.close();
  }
}

export function formatAudit(entries: AuditEntry[]): string {
  if (!entries.length) return "No audit entries match.\n";
  const rows = entries.map((e) => [e.createdAt.toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z"), e.actor, e.action, e.target, oneLine(e.reason ?? "")]);
  const header = ["TIME", "ACTOR", "ACTION", "TARGET", "REASON"];
  const widths = header.map((h, i) => Math.min(60, Math.max(h.length, ...rows.map((r) => r[i]!.length))));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ");
  return `${[line(header), ...rows.map(line)].join("\n")}\n${entries.length} entr${entries.length === 1 ? "y" : "ies"}.\n`;
}

function oneLine(text: string): string {
  const t = text.replace(/\s+/g, " ").trim();
  return t.length > 100 ? `${t.slice(0, 99)}…` : t;
}
