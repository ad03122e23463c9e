import type { Context } from "../context.js";
import type { Database } from "../db/client.js";
import { BookflowError, ConfigError } from "../errors.js";

/**
 * Runs the first database call of a use case; a database that cannot be
 * reached or is not migrated becomes a ConfigError (exit 2) saying what to do,
 * not a stack trace. Errors of bookflow's own pass through.
 */
export async function withDatabase<T>(purpose: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof BookflowError) throw err;
    const first = (err instanceof Error ? err.message : String(err)).trim().split("\n").filter(Boolean).at(-1) ?? "unknown error";
    throw new ConfigError(
      `Cannot ${purpose}: the database did not answer as expected (${first.slice(0, 200)}).`,
      "Check DATABASE_URL (unset, bookflow uses the embedded database under .bookflow/), and run `bookflow db migrate` if it is new.",
      "DATABASE_UNAVAILABLE",
    );
  }
}

/** The database for the audit log, checked before anything changes (an unreachable one is a ConfigError, exit 2). */
export async function auditDatabase(ctx: Pick<Context, "db">, purpose: string): Promise<Database> {
  return withDatabase(purpose, async () => {
    const db = await ctx.db();
    await db.prisma.auditLog.count({ where: { id: "00000000-0000-0000-0000-000000000000" } });
    return db;
  });
}

/** The context's database, probed once (a booking query), so an unreachable or unmigrated one fails as a ConfigError naming `purpose`. */
export async function openCheckedDatabase(ctx: Pick<Context, "db">, purpose: string): Promise<Database> {
  return withDatabase(purpose, async () => {
    const db = await ctx.db();
    await db.prisma.booking.findFirst({ select: { id: true } });
    return db;
  });
}
