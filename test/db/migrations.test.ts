import { createHash } from "node:crypto";
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "../../src/db/client.js";
import {
  applyMigrations,
  defaultMigrationsDir,
  defaultSchemaPath,
  diffMigrationsToSchema,
  isUpToDate,
  migrationStatus,
  MigrationError,
  readAppliedRows,
  toMigrationsList,
} from "../../src/db/migrations.js";
import { NO_FILTERS, startSchemaEngine } from "../../src/db/schema-engine.js";
import { createTestDatabase, type TestDatabase } from "../support/db.js";

/** The committed migrations, in order (at least the init one). */
const REPO_MIGRATIONS = readdirSync(defaultMigrationsDir(), { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();
const INIT = REPO_MIGRATIONS[0]!;
const ADD_PHONE = "29990101000000_add_user_phone";
const ADD_PHONE_SQL = `-- AlterTable\nALTER TABLE "User" ADD COLUMN "phone" TEXT;\n`;

const databases: TestDatabase[] = [];
const temps: string[] = [];
afterAll(async () => {
  await Promise.allSettled(databases.map((d) => d.drop()));
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

async function freshDatabase(): Promise<Database> {
  const t = await createTestDatabase({ migrated: false, poolSize: 2 });
  databases.push(t);
  return t.db;
}

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

/** A migrations folder holding a copy of the repo's init migration. */
function folderWithInit(): string {
  const dir = tempDir("bookflow-migrations-");
  cpSync(join(defaultMigrationsDir(), INIT), join(dir, INIT), { recursive: true });
  return dir;
}

function addMigration(dir: string, name: string, sql: string): void {
  mkdirSync(join(dir, name));
  writeFileSync(join(dir, name, "migration.sql"), sql);
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

async function columnsOf(db: Database, table: string): Promise<string[]> {
  const rows = await db.prisma.$queryRawUnsafe<{ column_name: string }[]>(
    `SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY column_name`,
    table,
  );
  return rows.map((r) => r.column_name);
}

async function publicTables(db: Database): Promise<string[]> {
  const rows = await db.prisma.$queryRawUnsafe<{ table_name: string }[]>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
  );
  return rows.map((r) => r.table_name);
}

/** Prisma's own verdict (the schema engine's diagnoseMigrationHistory), to check that our status agrees with it. */
async function prismaDiagnosis(db: Database, dir: string) {
  const schemaPath = defaultSchemaPath();
  const engine = await startSchemaEngine(db.adapterFactory(), { path: schemaPath, content: readFileSync(schemaPath, "utf8") });
  try {
    return await engine.diagnoseMigrationHistory({ migrationsList: await toMigrationsList(dir), optInToShadowDatabase: false, filters: NO_FILTERS });
  } finally {
    await engine.dispose();
  }
}

describe("migrations on PostgreSQL", () => {
  it("a fresh database: all pending, migrate applies all, then up to date; a second migrate applies nothing", async () => {
    const db = await freshDatabase();
    const before = await migrationStatus(db);
    expect(before.hasMigrationsTable).toBe(false);
    expect(before.pending).toEqual(REPO_MIGRATIONS);
    expect(before.applied).toEqual([]);
    expect(isUpToDate(before)).toBe(false);

    expect(await applyMigrations(db)).toEqual(REPO_MIGRATIONS);
    const after = await migrationStatus(db);
    expect(isUpToDate(after)).toBe(true);
    expect(after.applied.map((a) => a.name)).toEqual(REPO_MIGRATIONS);
    expect(after.pending).toEqual([]);
    expect(await publicTables(db)).toEqual(expect.arrayContaining(["User", "BuilderProfile", "SessionType", "Booking", "_prisma_migrations"]));

    expect(await applyMigrations(db)).toEqual([]);
    const again = await migrationStatus(db);
    expect(again.applied).toEqual(after.applied);
    expect((await readAppliedRows(db))?.length).toBe(REPO_MIGRATIONS.length);
  });

  it("keeps _prisma_migrations exactly as Prisma does: same columns and types, checksum = sha256 of migration.sql", async () => {
    const db = await freshDatabase();
    await applyMigrations(db);
    const columns = await db.prisma.$queryRawUnsafe<{ column_name: string; data_type: string; character_maximum_length: number | null; is_nullable: string }[]>(
      `SELECT column_name, data_type, character_maximum_length, is_nullable
         FROM information_schema.columns WHERE table_schema = 'public' AND table_name = '_prisma_migrations' ORDER BY column_name`,
    );
    expect(columns).toEqual([
      { column_name: "applied_steps_count", data_type: "integer", character_maximum_length: null, is_nullable: "NO" },
      { column_name: "checksum", data_type: "character varying", character_maximum_length: 64, is_nullable: "NO" },
      { column_name: "finished_at", data_type: "timestamp with time zone", character_maximum_length: null, is_nullable: "YES" },
      { column_name: "id", data_type: "character varying", character_maximum_length: 36, is_nullable: "NO" },
      { column_name: "logs", data_type: "text", character_maximum_length: null, is_nullable: "YES" },
      { column_name: "migration_name", data_type: "character varying", character_maximum_length: 255, is_nullable: "NO" },
      { column_name: "rolled_back_at", data_type: "timestamp with time zone", character_maximum_length: null, is_nullable: "YES" },
      { column_name: "started_at", data_type: "timestamp with time zone", character_maximum_length: null, is_nullable: "NO" },
    ]);

    const rows = (await readAppliedRows(db))!;
    expect(rows.map((r) => r.migration_name)).toEqual(REPO_MIGRATIONS);
    for (const row of rows) {
      const sql = readFileSync(join(defaultMigrationsDir(), row.migration_name, "migration.sql"), "utf8");
      expect(row.checksum).toBe(sha256(sql));
      expect(row.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(row.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(row.finished_at).not.toBeNull();
      expect(row.rolled_back_at).toBeNull();
      expect(row.logs).toBeNull();
      expect(row.applied_steps_count).toBe(1);
    }
  });

  it("a partly migrated database: only the new migration is pending, and migrate applies only it", async () => {
    const db = await freshDatabase();
    const dir = folderWithInit();
    expect(await applyMigrations(db, { dir })).toEqual([INIT]);
    const firstRow = (await readAppliedRows(db))![0]!;

    addMigration(dir, ADD_PHONE, ADD_PHONE_SQL);
    const status = await migrationStatus(db, dir);
    expect(status.pending).toEqual([ADD_PHONE]);
    expect(status.applied.map((a) => a.name)).toEqual([INIT]);
    expect(isUpToDate(status)).toBe(false);
    const diagnosis = await prismaDiagnosis(db, dir);
    expect(diagnosis.history).toEqual({ diagnostic: "databaseIsBehind", unappliedMigrationNames: [ADD_PHONE] });

    expect(await applyMigrations(db, { dir })).toEqual([ADD_PHONE]);
    expect(await columnsOf(db, "User")).toContain("phone");
    const rows = (await readAppliedRows(db))!;
    expect(rows.map((r) => r.migration_name)).toEqual([INIT, ADD_PHONE]);
    expect(rows[0]).toEqual(firstRow);
    expect(rows[1]!.checksum).toBe(sha256(ADD_PHONE_SQL));
    expect(isUpToDate(await migrationStatus(db, dir))).toBe(true);
  });

  it("a failed migration: migrate fails with a MigrationError, status reports it failed, and further migrates refuse with how to resolve it", async () => {
    const db = await freshDatabase();
    const dir = folderWithInit();
    const broken = "29990101000000_broken";
    addMigration(dir, broken, `ALTER TABLE "NoSuchTable" ADD COLUMN "x" TEXT;\n`);

    const failure = await applyMigrations(db, { dir }).then(
      () => null,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(MigrationError);
    const err = failure as MigrationError;
    expect(err.code).toBe("MIGRATION_FAILED");
    expect(err.message).toContain(broken);
    expect(err.message).toMatch(/NoSuchTable/);
    expect(err.message).not.toMatch(/schema_connector::/);
    expect(err.hint).toContain("prisma migrate resolve");

    const status = await migrationStatus(db, dir);
    expect(status.applied.map((a) => a.name)).toEqual([INIT]);
    expect(status.failed.map((f) => f.name)).toEqual([broken]);
    expect(status.failed[0]!.logs).toMatch(/NoSuchTable/);
    expect(status.pending).toEqual([]);
    expect(isUpToDate(status)).toBe(false);
    expect((await prismaDiagnosis(db, dir)).failedMigrationNames).toEqual([broken]);

    // A migration added after the failure stays pending: the failure blocks it.
    addMigration(dir, ADD_PHONE.replace("29990101", "29990202"), ADD_PHONE_SQL);
    const refusal = await applyMigrations(db, { dir }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(refusal).toBeInstanceOf(MigrationError);
    expect((refusal as MigrationError).code).toBe("MIGRATION_BLOCKED");
    expect((refusal as MigrationError).message).toContain(broken);
    expect((refusal as MigrationError).hint).toMatch(/prisma migrate resolve --rolled-back 29990101000000_broken/);
    expect(await columnsOf(db, "User")).not.toContain("phone");
    expect((await migrationStatus(db, dir)).pending).toHaveLength(1);
  });

  it("checksum drift: an applied migration.sql edited afterwards is reported as edited, not up to date", async () => {
    const db = await freshDatabase();
    const dir = folderWithInit();
    await applyMigrations(db, { dir });
    expect(isUpToDate(await migrationStatus(db, dir))).toBe(true);

    appendFileSync(join(dir, INIT, "migration.sql"), `\n-- edited after it was applied\n`);
    const status = await migrationStatus(db, dir);
    expect(status.edited).toEqual([INIT]);
    expect(status.pending).toEqual([]);
    expect(isUpToDate(status)).toBe(false);
    expect((await prismaDiagnosis(db, dir)).editedMigrationNames).toEqual([INIT]);
  });

  it("a migration applied in the database but absent from the folder is reported as missingFromFolder", async () => {
    const db = await freshDatabase();
    const dir = folderWithInit();
    addMigration(dir, ADD_PHONE, ADD_PHONE_SQL);
    expect(await applyMigrations(db, { dir })).toEqual([INIT, ADD_PHONE]);

    rmSync(join(dir, ADD_PHONE), { recursive: true });
    const status = await migrationStatus(db, dir);
    expect(status.missingFromFolder).toEqual([ADD_PHONE]);
    expect(status.applied.map((a) => a.name)).toEqual([INIT]);
    expect(isUpToDate(status)).toBe(false);
    expect((await prismaDiagnosis(db, dir)).history).toEqual({ diagnostic: "migrationsDirectoryIsBehind", unpersistedMigrationNames: [ADD_PHONE] });
  });
});

describe("drift between schema.prisma and the migrations", () => {
  it("the committed migrations produce exactly prisma/schema.prisma", async () => {
    expect(await diffMigrationsToSchema()).toBe("");
  });

  it("a field added to the schema without a migration shows as ALTER TABLE", async () => {
    const dir = tempDir("bookflow-schema-");
    const schema = readFileSync(defaultSchemaPath(), "utf8");
    const edited = schema.replace(/(model User \{\n)/, `$1  phone String?\n`);
    expect(edited).not.toBe(schema);
    writeFileSync(join(dir, "schema.prisma"), edited);
    const sql = await diffMigrationsToSchema({ schemaPath: join(dir, "schema.prisma") });
    expect(sql).toContain("ALTER TABLE");
    expect(sql).toMatch(/ALTER TABLE "User" ADD COLUMN\s+"phone" TEXT/);
  });
});

describe("migrations on embedded PGlite", () => {
  it("in memory: migrate and status work, with the same _prisma_migrations rows and tables as on PostgreSQL", async () => {
    const pgDb = await freshDatabase();
    await applyMigrations(pgDb);
    const db = await openDatabase({ dataDir: "memory://" });
    try {
      expect((await migrationStatus(db)).pending).toEqual(REPO_MIGRATIONS);
      expect(await applyMigrations(db)).toEqual(REPO_MIGRATIONS);
      expect(isUpToDate(await migrationStatus(db))).toBe(true);
      expect(await applyMigrations(db)).toEqual([]);

      const essentials = (rows: Awaited<ReturnType<typeof readAppliedRows>>) =>
        rows?.map((r) => ({ name: r.migration_name, checksum: r.checksum, steps: r.applied_steps_count, finished: r.finished_at !== null, rolledBack: r.rolled_back_at }));
      expect(essentials(await readAppliedRows(db))).toEqual(essentials(await readAppliedRows(pgDb)));
      expect(await publicTables(db)).toEqual(await publicTables(pgDb));
      expect(await columnsOf(db, "Booking")).toEqual(await columnsOf(pgDb, "Booking"));
    } finally {
      await db.close();
    }
  });

  it("a PGlite data directory keeps its applied state when reopened", async () => {
    const dataDir = join(tempDir("bookflow-pglite-"), "pglite");
    const first = await openDatabase({ dataDir });
    let applied: Awaited<ReturnType<typeof migrationStatus>>["applied"];
    try {
      expect(await applyMigrations(first)).toEqual(REPO_MIGRATIONS);
      applied = (await migrationStatus(first)).applied;
    } finally {
      await first.close();
    }

    const reopened = await openDatabase({ dataDir });
    try {
      const status = await migrationStatus(reopened);
      expect(isUpToDate(status)).toBe(true);
      expect(status.applied).toEqual(applied);
      expect(await applyMigrations(reopened)).toEqual([]);
    } finally {
      await reopened.close();
    }
  });
});
