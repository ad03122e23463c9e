import { randomBytes } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultMigrationsDir } from "../../src/db/migrations.js";
import { runCli, tempDir } from "../support/cli.js";
import { createTestDatabase, type TestDatabase } from "../support/db.js";
import { admin, PG_SERVER, urlFor } from "../support/pg-admin.js";

const MIGRATIONS = readdirSync(defaultMigrationsDir(), { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

interface StatusJson {
  upToDate: boolean;
  applied: { name: string }[];
  pending: string[];
  failed: { name: string }[];
}

interface SeedJson {
  created: { users: number; builders: number; sessionTypes: number };
  unchanged: { users: number; builders: number; sessionTypes: number };
}

describe("bookflow db (PostgreSQL through DATABASE_URL)", () => {
  let t: TestDatabase;
  let env: Record<string, string>;
  beforeAll(async () => {
    t = await createTestDatabase({ migrated: false, poolSize: 1 });
    env = { DATABASE_URL: t.url };
  });
  afterAll(async () => t?.drop());

  // These steps build on each other: one database goes from empty to migrated to seeded.
  it("`db status` on a fresh database exits 1 and lists every migration as pending", async () => {
    const r = await runCli(["db", "status"], { env });
    expect(r.exitCode).toBe(1);
    for (const name of MIGRATIONS) expect(r.stdout).toMatch(new RegExp(`pending\\s+${name}`));
    expect(r.stdout).toContain("bookflow db migrate");
  });

  it("`db seed` on an unmigrated database exits 2 and says to run `bookflow db migrate`", async () => {
    const r = await runCli(["db", "seed"], { env });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("bookflow db migrate");
    expect(r.stderr).not.toMatch(/unexpected error/i);
    expect(await t.db.prisma.$queryRawUnsafe<{ t: string | null }[]>(`SELECT to_regclass('"User"')::text AS t`)).toEqual([{ t: null }]);
  });

  it("`db migrate` exits 0 and names what it applied", async () => {
    const r = await runCli(["db", "migrate"], { env });
    expect(r.exitCode).toBe(0);
    for (const name of MIGRATIONS) expect(r.stdout).toContain(name);
    const again = await runCli(["db", "migrate", "--json"], { env });
    expect(again.exitCode).toBe(0);
    expect((JSON.parse(again.stdout) as { appliedNow: string[] }).appliedNow).toEqual([]);
  });

  it("`db status --json` prints parseable JSON with upToDate true, and exits 0", async () => {
    const r = await runCli(["db", "status", "--json"], { env });
    expect(r.exitCode).toBe(0);
    const status = JSON.parse(r.stdout) as StatusJson;
    expect(status.upToDate).toBe(true);
    expect(status.applied.map((a) => a.name)).toEqual(MIGRATIONS);
    expect(status.pending).toEqual([]);
    expect(status.failed).toEqual([]);
  });

  it("`db seed` twice: the second run creates nothing", async () => {
    const first = await runCli(["db", "seed", "--json"], { env });
    expect(first.exitCode).toBe(0);
    const firstReport = JSON.parse(first.stdout) as SeedJson;
    expect(firstReport.created.builders).toBeGreaterThan(0);
    expect(firstReport.created.sessionTypes).toBeGreaterThan(0);

    const second = await runCli(["db", "seed", "--json"], { env });
    expect(second.exitCode).toBe(0);
    const report = JSON.parse(second.stdout) as SeedJson;
    expect(report.created).toEqual({ users: 0, builders: 0, sessionTypes: 0 });
    expect(report.unchanged).toEqual(firstReport.created);

    const text = await runCli(["db", "seed"], { env });
    expect(text.exitCode).toBe(0);
    expect(text.stdout).toContain("created 0 user(s), 0 builder(s), 0 session type(s)");
  });

  it("a failed migration in the database: status exits 1 naming it, migrate exits 1 with how to resolve it (not as a bug)", async () => {
    const failed = "29990101000000_half_done";
    await t.db.prisma.$executeRawUnsafe(
      `INSERT INTO _prisma_migrations (id, checksum, migration_name, logs, started_at, applied_steps_count)
       VALUES ('00000000-0000-4000-8000-000000000001', repeat('0', 64), $1, 'relation "Nope" does not exist', now(), 0)`,
      failed,
    );
    try {
      const status = await runCli(["db", "status"], { env });
      expect(status.exitCode).toBe(1);
      expect(status.stdout).toMatch(new RegExp(`FAILED\\s+${failed}`));
      expect(status.stdout).toContain('relation "Nope" does not exist');

      const migrate = await runCli(["db", "migrate"], { env });
      expect(migrate.exitCode).toBe(1);
      expect(migrate.stderr).toContain(failed);
      expect(migrate.stderr).toContain("prisma migrate resolve");
      expect(migrate.stderr).not.toMatch(/unexpected error|a bug in bookflow/i);
    } finally {
      await t.db.prisma.$executeRawUnsafe(`DELETE FROM _prisma_migrations WHERE migration_name = $1`, failed);
    }
  });
});

describe("bookflow db (embedded PGlite, no DATABASE_URL)", () => {
  it("`db migrate` then `db status` in an empty folder: the data directory is created and up to date", { timeout: 90_000 }, async () => {
    const cwd = tempDir("bookflow-embedded-");
    const env = { BOOKFLOW_DATA_DIR: "state" };
    const migrate = await runCli(["db", "migrate"], { env, cwd, timeout: 80_000 });
    expect(migrate.stderr).toBe("");
    expect(migrate.exitCode).toBe(0);
    for (const name of MIGRATIONS) expect(migrate.stdout).toContain(name);
    expect(existsSync(join(cwd, "state", "pglite"))).toBe(true);

    const status = await runCli(["db", "status"], { env, cwd, timeout: 60_000 });
    expect(status.exitCode).toBe(0);
    expect(status.stdout).toContain("up to date");
  });
});

describe("bookflow db with a database it cannot use", () => {
  const fixOf = (stderr: string) => /^ {2}fix: .+/m.exec(stderr)?.[0];

  it.each([["status"], ["migrate"]])("`db %s` with nothing listening on the port: a configuration error naming host:port, exit 2", async (verb) => {
    const r = await runCli(["db", verb], { env: { DATABASE_URL: "postgresql://postgres:FAKEpw4db@127.0.0.1:1/nope" } });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/^bookflow: Cannot connect to the database server at 127\.0\.0\.1:1: nothing answers there/m);
    expect(fixOf(r.stderr)).toContain("DATABASE_URL");
    expect(r.stdout + r.stderr).not.toContain("FAKEpw4db");
    expect(r.stderr).not.toMatch(/unexpected error|Prisma|\n\s+at /);
  });

  it.each([["status"], ["migrate"]])("`db %s` with a database name the server does not have: a configuration error, exit 2, nothing created", async (verb) => {
    const name = `bookflow_missing_${randomBytes(4).toString("hex")}`;
    const r = await runCli(["db", verb], { env: { DATABASE_URL: urlFor(name) } });
    expect(r.exitCode).toBe(2);
    const server = new URL(PG_SERVER);
    expect(r.stderr).toContain(`bookflow: The database server at ${server.hostname}:${server.port || "5432"} has no database "${name}"`);
    expect(fixOf(r.stderr)).toContain(`createdb ${name}`);
    expect(r.stderr).not.toMatch(/unexpected error|Prisma|\n\s+at /);
    const found = await admin((c) => c.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]));
    expect(found.rowCount).toBe(0);
  });
});

describe("bookflow db prints its database URL without credentials", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase({ poolSize: 1 });
  });
  afterAll(async () => t?.drop());

  it("`db status` with a password in the URL and in ?password=: neither is printed, and it still works", async () => {
    const url = new URL(t.url);
    url.password = "s3cretPW";
    url.searchParams.set("password", "s3cretPW2");
    for (const args of [["db", "status"], ["db", "status", "--json"], ["db", "migrate"]]) {
      const r = await runCli(args, { env: { DATABASE_URL: url.toString() } });
      expect(r.exitCode, args.join(" ")).toBe(0);
      expect(r.stdout + r.stderr).not.toContain("s3cretPW");
      expect(r.stdout).toContain(`@${url.host}/${t.name}?password=****`);
    }
    const json = await runCli(["db", "status", "--json"], { env: { DATABASE_URL: url.toString() } });
    expect((JSON.parse(json.stdout) as { database: string; upToDate: boolean }).upToDate).toBe(true);
  });
});

describe("bookflow db with DIRECT_URL (migrations bypass the pooler, as Prisma's do)", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase({ migrated: false, poolSize: 1 });
  });
  afterAll(async () => t?.drop());
  // DATABASE_URL points where nothing answers (a pooler that is down, say): migrate and status still work through DIRECT_URL.
  const env = () => ({ DATABASE_URL: "postgresql://postgres@127.0.0.1:1/pooled", DIRECT_URL: t.url });

  it("`db migrate` and `db status` use DIRECT_URL when it is set, and say so", async () => {
    const migrated = await runCli(["db", "migrate"], { env: env() });
    expect(migrated.exitCode, migrated.stderr).toBe(0);
    expect(migrated.stdout).toMatch(new RegExp(`Applied ${MIGRATIONS.length} migration\\(s\\) to \\S+/${t.name} \\(DIRECT_URL\\)`));
    const status = await runCli(["db", "status", "--json"], { env: env() });
    expect(status.exitCode, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ via: "DIRECT_URL", upToDate: true });
  });

  it("an unreachable DIRECT_URL is a configuration error naming its server (exit 2)", async () => {
    const r = await runCli(["db", "status"], { env: { DATABASE_URL: t.url, DIRECT_URL: "postgresql://postgres:pw0rdSecret@127.0.0.1:1/direct" } });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("127.0.0.1:1");
    expect(r.stderr).not.toContain("pw0rdSecret");
  });
});
