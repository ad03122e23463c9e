import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { BookflowError } from "../errors.js";
import { packageRoot } from "../package-root.js";
import { pgliteAdapterFactory, type Database } from "./client.js";
import { NO_FILTERS, startSchemaEngine, type MigrationsList } from "./schema-engine.js";

/**
 * bookflow's migration runner. Folders in prisma/migrations are the source of
 * truth, exactly as for `prisma migrate deploy`. Applying goes through Prisma's
 * own schema engine (WASM) so `_prisma_migrations` is kept exactly as Prisma
 * keeps it (checksum = SHA-256 hex of migration.sql). Status is read straight
 * from `_prisma_migrations` and compared with the folder.
 */

export interface MigrationFolderEntry {
  name: string;
  sql: string;
  checksum: string;
}

export interface AppliedMigrationRow {
  id: string;
  checksum: string;
  migration_name: string;
  logs: string | null;
  started_at: Date;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  applied_steps_count: number;
}

export interface MigrationStatus {
  /** Applied successfully, in folder order, with when. */
  applied: { name: string; finishedAt: string }[];
  /** In the folder, not applied. */
  pending: string[];
  /** Started but not finished (and not rolled back): blocks further migrations. */
  failed: { name: string; logs: string | null }[];
  /** Recorded as applied in the database, absent from the folder. */
  missingFromFolder: string[];
  /** Applied, but migration.sql changed since (checksum differs). */
  edited: string[];
  hasMigrationsTable: boolean;
}

export function defaultMigrationsDir(): string {
  return join(packageRoot(), "prisma", "migrations");
}

export function defaultSchemaPath(): string {
  return join(packageRoot(), "prisma", "schema.prisma");
}

export function checksumOf(sql: string): string {
  return createHash("sha256").update(sql).digest("hex");
}

export async function readMigrationsFolder(dir = defaultMigrationsDir()): Promise<MigrationFolderEntry[]> {
  if (!existsSync(dir)) throw new MigrationError(`Migrations folder not found: ${dir}`, undefined, "MIGRATIONS_FOLDER_MISSING");
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  const out: MigrationFolderEntry[] = [];
  for (const name of names) {
    const file = join(dir, name, "migration.sql");
    if (!existsSync(file)) continue;
    const sql = await readFile(file, "utf8");
    out.push({ name, sql, checksum: checksumOf(sql) });
  }
  return out;
}

export async function toMigrationsList(dir = defaultMigrationsDir()): Promise<MigrationsList> {
  const folder = await readMigrationsFolder(dir);
  const lockPath = join(dir, "migration_lock.toml");
  return {
    baseDir: dir,
    lockfile: { path: "migration_lock.toml", content: existsSync(lockPath) ? await readFile(lockPath, "utf8") : null },
    shadowDbInitScript: "",
    migrationDirectories: folder.map((m) => ({
      // The folder's name, not its path: the engine records this string as migration_name.
      path: m.name,
      migrationFile: { path: "migration.sql", content: { tag: "ok", value: m.sql } },
    })),
  };
}

/**
 * A migration could not be applied (or is blocked by an earlier failure). A
 * BookflowError, so the CLI prints its message and hint (exit 1) instead of
 * reporting it as a bug.
 */
export class MigrationError extends BookflowError {
  override name = "MigrationError";
  constructor(message: string, hint?: string, code = "MIGRATION_FAILED") {
    super(code, message, hint);
  }
}

/** How to get past a failed migration: the same steps as with Prisma's CLI. */
export function resolveFailedHint(names: string[]): string {
  const name = names.length === 1 ? names[0]! : "<name>";
  return (
    `Repair the database by hand (undo what ${names.join(", ")} did, or finish it), then record the outcome with ` +
    `\`prisma migrate resolve --rolled-back ${name}\` (to apply it again after fixing migration.sql) or ` +
    `\`prisma migrate resolve --applied ${name}\`, and run \`bookflow db migrate\` again.`
  );
}

export async function readAppliedRows(db: Pick<Database, "sql">): Promise<AppliedMigrationRow[] | null> {
  // Through the SQL client, not Prisma: a status check (every sandbox start, `db status`) then never pays for
  // starting Prisma's query compiler.
  const exists = await db.sql.query<{ t: string | null }>(`SELECT to_regclass('_prisma_migrations')::text AS t`);
  if (!exists[0]?.t) return null;
  return db.sql.query<AppliedMigrationRow>(
    `SELECT id, checksum, migration_name, logs, started_at, finished_at, rolled_back_at, applied_steps_count
       FROM _prisma_migrations ORDER BY started_at, migration_name`,
  );
}

export async function migrationStatus(db: Database, dir = defaultMigrationsDir()): Promise<MigrationStatus> {
  const folder = await readMigrationsFolder(dir);
  const rows = await readAppliedRows(db);
  const live = (rows ?? []).filter((r) => r.rolled_back_at === null);
  const byName = new Map<string, AppliedMigrationRow[]>();
  for (const r of live) byName.set(r.migration_name, [...(byName.get(r.migration_name) ?? []), r]);
  const folderNames = new Set(folder.map((m) => m.name));

  const status: MigrationStatus = {
    applied: [],
    pending: [],
    failed: [],
    missingFromFolder: [],
    edited: [],
    hasMigrationsTable: rows !== null,
  };
  for (const m of folder) {
    const recs = byName.get(m.name) ?? [];
    const done = recs.find((r) => r.finished_at !== null);
    const failed = recs.find((r) => r.finished_at === null);
    if (done) {
      status.applied.push({ name: m.name, finishedAt: new Date(done.finished_at!).toISOString() });
      if (done.checksum !== m.checksum) status.edited.push(m.name);
    } else if (failed) {
      status.failed.push({ name: m.name, logs: failed.logs });
    } else {
      status.pending.push(m.name);
    }
  }
  for (const [name, recs] of byName) {
    if (folderNames.has(name)) continue;
    const failed = recs.find((r) => r.finished_at === null);
    if (failed) status.failed.push({ name, logs: failed.logs });
    else status.missingFromFolder.push(name);
  }
  return status;
}

export function isUpToDate(s: MigrationStatus): boolean {
  return s.pending.length === 0 && s.failed.length === 0 && s.missingFromFolder.length === 0 && s.edited.length === 0;
}

/** Applies pending migrations with Prisma's schema engine. Returns the names applied now. */
export async function applyMigrations(
  db: Database,
  options: { dir?: string; schemaPath?: string } = {},
): Promise<string[]> {
  const dir = options.dir ?? defaultMigrationsDir();
  const schemaPath = options.schemaPath ?? defaultSchemaPath();
  const before = await migrationStatus(db, dir);
  if (before.failed.length) {
    const names = before.failed.map((f) => f.name);
    throw new MigrationError(
      `Migration ${names.join(", ")} failed earlier and blocks new migrations: nothing was applied.`,
      resolveFailedHint(names),
      "MIGRATION_BLOCKED",
    );
  }
  // Nothing to apply: skip starting the schema engine (the common case, and most of the cost).
  if (before.pending.length === 0) return [];
  const migrationsList = await toMigrationsList(dir);
  const engine = await startSchemaEngine(db.adapterFactory(), { path: schemaPath, content: await readFile(schemaPath, "utf8") });
  try {
    const out = await engine.applyMigrations({ migrationsList, filters: NO_FILTERS });
    return out.appliedMigrationNames;
  } catch (err) {
    const after = await migrationStatus(db, dir).catch(() => null);
    const failed = after?.failed.map((f) => f.name) ?? [];
    const reason = engineErrorMessage(err);
    throw new MigrationError(
      failed.length ? `Migration ${failed.join(", ")} failed: ${reason}` : `Applying migrations failed: ${reason}`,
      failed.length ? resolveFailedHint(failed) : undefined,
    );
  } finally {
    await engine.dispose();
  }
}

/** SQL that would bring the migrations folder up to schema.prisma ("" when in sync). Needs PGlite for the shadow database. */
export async function diffMigrationsToSchema(options: { dir?: string; schemaPath?: string } = {}): Promise<string> {
  const dir = options.dir ?? defaultMigrationsDir();
  const schemaPath = options.schemaPath ?? defaultSchemaPath();
  const { PGlite } = await import("@electric-sql/pglite");
  const { PrismaPGlite } = await import("pglite-prisma-adapter");
  const pglite = await PGlite.create();
  const content = await readFile(schemaPath, "utf8");
  // The diff only needs the shadow database (it replays the migrations there):
  // one in-memory PGlite serves as both, which halves the start-up cost (~4 s each).
  const factory = pgliteAdapterFactory(PrismaPGlite, pglite) as { connect(): Promise<unknown>; connectToShadowDb(): Promise<unknown> };
  factory.connectToShadowDb = () => factory.connect();
  const engine = await startSchemaEngine(factory, { path: schemaPath, content });
  try {
    const migrationsList = await toMigrationsList(dir);
    const out = await engine.diff({
      from: { tag: "migrations", ...migrationsList },
      to: { tag: "schemaDatamodel", files: [{ path: schemaPath, content }] },
      script: true,
      exitCode: null,
      filters: NO_FILTERS,
    });
    const sql = out.stdout ?? "";
    return /^\s*-- This is an empty migration\.\s*$/.test(sql) ? "" : sql;
  } finally {
    await engine.dispose();
    await pglite.close();
  }
}

function engineErrorMessage(err: unknown): string {
  let text: string;
  if (err instanceof Error) text = err.message;
  else if (err && typeof err === "object") {
    const e = err as { message?: unknown; error?: unknown };
    text = typeof e.message === "string" ? e.message : JSON.stringify(err);
  } else text = String(err);
  return cleanEngineMessage(text);
}

/** The engine's message without its Rust span trace ("   0: sql_schema_connector::…") and generic prefix. */
export function cleanEngineMessage(text: string): string {
  const lines = text.split("\n");
  const traceAt = lines.findIndex((l) => /^\s+\d+: \S+::/.test(l));
  const kept = (traceAt >= 0 ? lines.slice(0, traceAt) : lines).map((l) => l.trim()).filter(Boolean);
  if (kept.length > 1 && /^external connector error$/i.test(kept[0]!)) kept.shift();
  return kept.join(" ") || text.trim();
}
