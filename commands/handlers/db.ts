import { applyMigrations, cleanEngineMessage, isUpToDate, migrationStatus, type MigrationStatus } from "../../src/db/migrations.js";
import { seed } from "../../src/db/seed.js";
import { EXIT } from "../../src/engine/exit-codes.js";
import { ConfigError } from "../../src/errors.js";
import type { Context } from "../../src/context.js";
import type { Database } from "../../src/db/client.js";
import { connectionError } from "../../src/ops/database.js";
import { defineCommand } from "../support/run.js";

/** `bookflow db status | migrate | seed`: each prints text, or JSON with --json. */
const parse = (raw: Record<string, unknown>) => ({ json: !!raw.json });

/** Runs a command's database work; a server that cannot be reached (or refuses) is a ConfigError naming host:port (exit 2). */
async function onDatabase<T>(ctx: Context, work: () => Promise<T>, url = ctx.env.DATABASE_URL): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw connectionError(err, url || undefined) ?? err;
  }
}

/**
 * Migrations go through DIRECT_URL when it is set, as Prisma's do: a transaction-mode pooler (the usual pooled
 * DATABASE_URL) cannot hold the session the schema engine needs. Without it, the context's database.
 */
async function migrationTarget<T>(ctx: Context, work: (db: Database, via: string) => Promise<T>): Promise<T> {
  const direct = ctx.env.DIRECT_URL?.trim();
  if (!direct) return onDatabase(ctx, async () => work(await ctx.db(), ""));
  return onDatabase(
    ctx,
    async () => {
      const { openDatabase } = await import("../../src/db/client.js");
      const db = await openDatabase({ databaseUrl: direct, poolSize: 1 });
      try {
        return await work(db, " (DIRECT_URL)");
      } finally {
        await db.close();
      }
    },
    direct,
  );
}

export const dbStatus = defineCommand({
  command: "db status",
  parse,
  run: (opts, ctx) => migrationTarget(ctx, async (db, via) => {
    const status = await migrationStatus(db);
    const ok = isUpToDate(status);
    if (opts.json) ctx.out(JSON.stringify({ database: db.location, via: via ? "DIRECT_URL" : "DATABASE_URL", upToDate: ok, ...status }, null, 2) + "\n");
    else ctx.out(renderStatus(`${db.location}${via}`, status));
    return ok ? EXIT.OK : EXIT.FAILED;
  }),
});

export const dbMigrate = defineCommand({
  command: "db migrate",
  parse,
  run: (opts, ctx) => migrationTarget(ctx, async (db, via) => {
    const applied = await applyMigrations(db);
    const status = await migrationStatus(db);
    const where = `${db.location}${via}`;
    if (opts.json) ctx.out(JSON.stringify({ database: db.location, via: via ? "DIRECT_URL" : "DATABASE_URL", appliedNow: applied, upToDate: isUpToDate(status), ...status }, null, 2) + "\n");
    else {
      ctx.out(applied.length ? `Applied ${applied.length} migration(s) to ${where}:\n${applied.map((n) => `  + ${n}\n`).join("")}` : `No pending migrations on ${where}.\n`);
      if (!isUpToDate(status)) ctx.out(renderStatus(where, status));
    }
    return isUpToDate(status) ? EXIT.OK : EXIT.FAILED;
  }),
});

export const dbSeed = defineCommand({
  command: "db seed",
  parse,
  run: (opts, ctx) => onDatabase(ctx, async () => {
    const db = await ctx.db();
    const status = await migrationStatus(db);
    if (status.pending.length || status.failed.length) {
      throw new ConfigError(`The database ${db.location} is not migrated (${status.pending.length} pending, ${status.failed.length} failed).`, "Run `bookflow db migrate` first.", "DB_NOT_MIGRATED");
    }
    const report = await seed(db.prisma);
    if (opts.json) ctx.out(JSON.stringify({ database: db.location, ...report }, null, 2) + "\n");
    else {
      const c = report.created;
      const u = report.unchanged;
      ctx.out(
        `Seeded ${db.location}: created ${c.users} user(s), ${c.builders} builder(s), ${c.sessionTypes} session type(s); ` +
          `already there: ${u.users} user(s), ${u.builders} builder(s), ${u.sessionTypes} session type(s).\n`,
      );
    }
    return EXIT.OK;
  }),
});

function renderStatus(location: string, s: MigrationStatus): string {
  const lines = [`Database: ${location}`];
  if (!s.hasMigrationsTable) lines.push("No _prisma_migrations table: nothing applied yet.");
  for (const a of s.applied) lines.push(`  applied   ${a.name}  (${a.finishedAt})`);
  for (const p of s.pending) lines.push(`  pending   ${p}`);
  for (const f of s.failed) lines.push(`  FAILED    ${f.name}${f.logs ? `: ${firstLine(f.logs)}` : ""}`);
  for (const e of s.edited) lines.push(`  EDITED    ${e}  (migration.sql changed after it was applied)`);
  for (const m of s.missingFromFolder) lines.push(`  UNKNOWN   ${m}  (applied in the database, not in prisma/migrations)`);
  if (isUpToDate(s)) lines.push("Database schema is up to date.");
  else {
    const todo: string[] = [];
    if (s.pending.length) todo.push("run `bookflow db migrate` to apply pending migrations");
    if (s.failed.length) todo.push("repair the failed migration by hand, then resolve it (`prisma migrate resolve`)");
    if (s.edited.length) todo.push("restore the edited migration.sql files (never edit applied migrations)");
    if (s.missingFromFolder.length) todo.push("deploy the code that holds the unknown migrations, or check you target the right database");
    lines.push(`Not up to date: ${todo.join("; ")}.`);
  }
  return lines.join("\n") + "\n";
}

/** The reason a migration failed, from its logs (without the engine's trace). */
function firstLine(text: string): string {
  return cleanEngineMessage(text).slice(0, 200);
}
