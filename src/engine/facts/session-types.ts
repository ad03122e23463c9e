import type { Database } from "../../db/client.js";
import { defineFact } from "./define.js";
import type { FactContext } from "./types.js";

/** An active session type as the calendly and stripe checks see it (from the database). */
export interface ActiveSessionType {
  id: string;
  /** The builder's slug and the session type's: `ada-lovelace/build-session`, for messages. */
  name: string;
  title: string;
  priceCents: number;
  currency: string;
  calendlyEventTypeUri: string | null;
  stripePriceId: string | null;
}

/**
 * `activeSessionTypes`: every session type with `active = true`, read from the
 * database in DATABASE_URL (through the run's handle, `ctx.db`, when there is one).
 * The stripe price fact reads it too; the store gathers it once per run.
 */
export const activeSessionTypesFact = defineFact({
  name: "activeSessionTypes",
  gather: (ctx) => readActiveSessionTypes(ctx),
});

async function readActiveSessionTypes(ctx: FactContext): Promise<ActiveSessionType[]> {
  const databaseUrl = ctx.env.DATABASE_URL?.trim();
  // Never fall back to openDatabase()'s embedded default: that would read some other, local database.
  if (!databaseUrl) throw new Error("DATABASE_URL is not set");
  // The run's shared handle when the command provides one (closed by the command), else a connection of our own.
  if (ctx.db) return query(await ctx.db());
  const { openDatabase } = await import("../../db/client.js");
  const db = await openDatabase({ databaseUrl, poolSize: 1 });
  try {
    return await query(db);
  } finally {
    await db.close();
  }
}

async function query(db: Database): Promise<ActiveSessionType[]> {
  const rows = await db.prisma.sessionType.findMany({
    where: { active: true },
    include: { builder: { select: { slug: true } } },
    orderBy: [{ builder: { slug: "asc" } }, { slug: "asc" }],
  });
  return rows.map((r) => ({
    id: r.id,
    name: `${r.builder.slug}/${r.slug}`,
    title: r.title,
    priceCents: r.priceCents,
    currency: r.currency,
    calendlyEventTypeUri: r.calendlyEventTypeUri,
    stripePriceId: r.stripePriceId,
  }));
}
