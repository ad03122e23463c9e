/**
 * The audit trail: one AuditLog row per operator action (support commands,
 * webhook disable/restore, rollback steps). Reads and writes through Prisma;
 * `tx` may be a transaction so the entry lands with the change it records.
 */
import type { Prisma, PrismaClient } from "../generated/prisma/client.js";

type AuditWriter = Pick<PrismaClient, "auditLog"> | Prisma.TransactionClient;

export interface AuditEntryInput {
  /** Who did it: `--actor`, BOOKFLOW_ACTOR or the OS user (see resolveActor). */
  actor: string;
  /** What was done, dotted: `booking.cancel`, `webhooks.disable.stripe`, `rollback.step.promote`. */
  action: string;
  /** What it was done to: a booking id, `stripe:we_…`, `calendly:<uri>`, `rollback:<id>`. */
  target: string;
  reason?: string | null | undefined;
  before?: unknown;
  after?: unknown;
}

export interface AuditEntry {
  id: string;
  actor: string;
  action: string;
  target: string;
  reason: string | null;
  before: unknown;
  after: unknown;
  createdAt: Date;
}

/** JSON-safe copy (Dates become ISO strings, undefined fields disappear) for a Json column. */
function jsonValue(value: unknown): Prisma.InputJsonValue | undefined {
  if (value === undefined || value === null) return undefined;
  return JSON.parse(JSON.stringify(value)) as Prisma.InputJsonValue;
}

export async function recordAudit(db: AuditWriter, entry: AuditEntryInput): Promise<AuditEntry> {
  const before = jsonValue(entry.before);
  const after = jsonValue(entry.after);
  const row = await db.auditLog.create({
    data: {
      actor: entry.actor,
      action: entry.action,
      target: entry.target,
      reason: entry.reason ?? null,
      ...(before === undefined ? {} : { before }),
      ...(after === undefined ? {} : { after }),
    },
  });
  return row as AuditEntry;
}

export interface AuditFilter {
  actor?: string | undefined;
  /** Exact action, or a prefix ending in `.` / `*` (`booking.` or `booking.*` match every booking action). */
  action?: string | undefined;
  target?: string | undefined;
  since?: Date | undefined;
  until?: Date | undefined;
  /** Page size (default 50, at most 1000). */
  limit?: number | undefined;
  /** Keyset cursor: the `createdAt`+`id` of the last entry of the previous page. */
  after?: { createdAt: Date; id: string } | undefined;
}

/** Audit entries, newest first, one keyset page at a time. */
export async function listAudit(prisma: Pick<PrismaClient, "auditLog">, filter: AuditFilter = {}): Promise<AuditEntry[]> {
  const take = Math.min(Math.max(filter.limit ?? 50, 1), 1000);
  const action = filter.action?.trim();
  const actionWhere = !action
    ? {}
    : action.endsWith("*") || action.endsWith(".")
      ? { action: { startsWith: action.replace(/\*$/, "") } }
      : { action };
  const createdAt = {
    ...(filter.since ? { gte: filter.since } : {}),
    ...(filter.until ? { lt: filter.until } : {}),
  };
  const cursor = filter.after;
  const rows = await prisma.auditLog.findMany({
    where: {
      ...(filter.actor ? { actor: filter.actor } : {}),
      ...(filter.target ? { target: filter.target } : {}),
      ...actionWhere,
      ...(Object.keys(createdAt).length ? { createdAt } : {}),
      ...(cursor ? { OR: [{ createdAt: { lt: cursor.createdAt } }, { createdAt: cursor.createdAt, id: { lt: cursor.id } }] } : {}),
    },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take,
  });
  return rows as AuditEntry[];
}
