/**
 * The audit log, newest first, filtered by actor, action (exact, prefix
 * `booking.` / `booking.*`, or a glob such as `booking.*.email`), target and
 * time window, in keyset pages (`bookflow audit list`).
 */
import { z } from "zod";
import type { Context } from "../context.js";
import { listAudit, type AuditEntry, type AuditFilter } from "../core/audit.js";
import { UsageError } from "../errors.js";
import { openCheckedDatabase } from "./database.js";

export interface AuditListInput {
  actor?: string | undefined;
  action?: string | undefined;
  target?: string | undefined;
  since?: Date | undefined;
  until?: Date | undefined;
  limit: number;
  /** As printed by a previous page. */
  cursor?: string | undefined;
}

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

/** One page of the audit log (a glob scans at most SCAN_MAX rows per call; the cursor then continues the scan). */
export async function listAuditPage(ctx: Pick<Context, "db">, input: AuditListInput): Promise<{ entries: AuditEntry[]; report: AuditListReport }> {
  if (input.action && !/^[\w.*?:-]+$/.test(input.action)) {
    throw new UsageError(`--action ${JSON.stringify(input.action)} is not an action name or glob.`, "Actions are dotted names (booking.cancel); use * for any part: booking.*, booking.*.email.", "BAD_OPTION");
  }
  const since = input.since;
  const until = input.until;
    const cursor = input.cursor !== undefined ? decodeAuditCursor(input.cursor) : undefined;
    const matcher = actionMatcher(input.action);
    const db = await openCheckedDatabase(ctx, "read the audit log");

    const base: AuditFilter = { actor: input.actor, target: input.target, action: matcher.query, since, until };
    const matches: AuditEntry[] = [];
    let after = cursor;
    let scanned = 0;
    let exhausted = false;
    const pageSize = matcher.glob ? SCAN_PAGE : Math.min(1000, input.limit + 1);
    while (matches.length <= input.limit && scanned < SCAN_MAX) {
      const page = await listAudit(db.prisma, { ...base, after, limit: pageSize });
      scanned += page.length;
      for (const e of page) {
        if (matcher.test(e.action)) matches.push(e);
        if (matches.length > input.limit) break;
      }
      if (page.length < pageSize) {
        exhausted = true;
        break;
      }
      after = { createdAt: page.at(-1)!.createdAt, id: page.at(-1)!.id };
    }
    const entries = matches.slice(0, input.limit);
    // More exist: continue after the last entry shown; a glob scan stopped early continues after the last row it read.
    const nextCursor = matches.length > input.limit ? encodeAuditCursor(entries.at(-1)!) : !exhausted && after ? encodeAuditCursor(after) : null;

  return { entries, report: { entries: entries.map((e) => ({ ...e, createdAt: e.createdAt.toISOString() })), nextCursor } };
}
