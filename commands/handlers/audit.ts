import { z } from "zod";
import type { AuditEntry } from "../../src/core/audit.js";
import { EXIT } from "../../src/engine/exit-codes.js";
import { UsageError } from "../../src/errors.js";
import { listAuditPage } from "../../src/ops/audit-list.js";
import { parseDateOption, parseDuration, parseOptions } from "../support/flags.js";
import { defineCommand } from "../support/run.js";

/** `bookflow audit list`: parse the flags, read one page (src/ops/audit-list.ts), print a table or --json. */

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

/** `--since 7d` (relative to now) or an ISO date/date-time. */
export function parseWhen(text: string, flag: string, now: Date, options: { endOfDay?: boolean } = {}): Date {
  if (/^\s*\d+(\.\d+)?\s*(s|m|h|d)\s*$/.test(text)) return new Date(now.getTime() - parseDuration(text, flag));
  return parseDateOption(text, flag, options);
}

export const auditList = defineCommand({
  command: "audit list",
  parse(raw, ctx) {
    const opts = parseOptions(auditOptionsSchema, raw, "audit list");
    const now = ctx.clock.now();
    const since = opts.since !== undefined ? parseWhen(opts.since, "--since", now) : undefined;
    const until = opts.until !== undefined ? parseWhen(opts.until, "--until", now, { endOfDay: true }) : undefined;
    if (since && until && since >= until) {
      throw new UsageError(`--since (${since.toISOString()}) is not before --until (${until.toISOString()}).`, "Give a --since earlier than --until.", "BAD_DATE");
    }
    return { ...opts, since, until };
  },
  async run(input, ctx) {
    const { entries, report } = await listAuditPage(ctx, input);
    if (input.json) {
      ctx.out(`${JSON.stringify(report, null, 2)}\n`);
      return EXIT.OK;
    }
    ctx.out(formatAudit(entries));
    if (report.nextCursor) ctx.out(`More: add --cursor ${report.nextCursor} for the next page.\n`);
    return EXIT.OK;
  },
});

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
