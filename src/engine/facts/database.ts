import type { Database } from "../../db/client.js";
import type { MigrationStatus } from "../../db/migrations.js";
import { displayUrl } from "../../config/redact.js";
import { defineFact } from "./define.js";
import type { FactContext } from "./types.js";

/**
 * Database facts: the two connection URLs (DATABASE_URL through the run's
 * shared handle, DIRECT_URL through a separate one-connection handle), the
 * migration status, the columns the schema expects and the ones the database
 * has, and the seed data the marketplace depends on. A connection that fails
 * is a finding (a value), not a failed fact; the other facts need DATABASE_URL.
 */

export type DatabaseUrlVariable = "DATABASE_URL" | "DIRECT_URL";

export interface DatabaseConnection {
  variable: DatabaseUrlVariable;
  /** The URL with its password masked, or null when the variable is not set. */
  location: string | null;
  ok: boolean;
  /** The first query, including opening the connection (ms). */
  connectMs?: number;
  /** One `SELECT 1` round trip on the open connection (ms). */
  latencyMs?: number;
  /** Why it did not connect (first line of the driver's message). */
  error?: string;
}

export interface SessionTypeRow {
  builderSlug: string;
  builderVisible: boolean;
  slug: string;
  title: string;
  priceCents: number;
  currency: string;
  active: boolean;
}

export interface BuilderProfileRow {
  slug: string;
  displayName: string;
  visible: boolean;
  /** Session types of this builder that are active. */
  activeSessionTypes: number;
}

/** Table name → column names. */
export type ColumnsByTable = Record<string, string[]>;

function setting(ctx: FactContext, name: DatabaseUrlVariable): string | undefined {
  const v = ctx.env[name]?.trim();
  return v ? v : undefined;
}

/** The run's database (DATABASE_URL): shared by every database fact, closed by the command at the end of the run. */
export async function runDatabase(ctx: FactContext): Promise<Database> {
  const url = setting(ctx, "DATABASE_URL");
  if (!url) throw new Error("DATABASE_URL is not set");
  // Checked here so that opening never fails on it (a failed open would also fail the command's close).
  if (!/^postgres(ql)?:\/\//.test(url)) throw new Error("DATABASE_URL is not a postgres:// or postgresql:// URL");
  if (!ctx.db) throw new Error("this run has no database access");
  return ctx.db();
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const line = text.split("\n").map((l) => l.trim()).find((l) => l !== "") ?? "unknown error";
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}

async function measure(variable: DatabaseUrlVariable, location: string, db: () => Promise<Database>): Promise<DatabaseConnection> {
  try {
    const handle = await db();
    let t = performance.now();
    await handle.prisma.$queryRawUnsafe("SELECT 1");
    const connectMs = Math.round(performance.now() - t);
    t = performance.now();
    await handle.prisma.$queryRawUnsafe("SELECT 1");
    const latencyMs = Math.round((performance.now() - t) * 10) / 10;
    return { variable, location, ok: true, connectMs, latencyMs };
  } catch (err) {
    return { variable, location, ok: false, error: firstLine(err) };
  }
}

/** `databaseConnections`: DATABASE_URL then DIRECT_URL, each connected and timed. */
async function gatherDatabaseConnections(ctx: FactContext): Promise<DatabaseConnection[]> {
  const { openDatabase } = await import("../../db/client.js");
  const out: DatabaseConnection[] = [];
  const databaseUrl = setting(ctx, "DATABASE_URL");
  const directUrl = setting(ctx, "DIRECT_URL");
  const main = databaseUrl
    ? measure("DATABASE_URL", displayUrl(databaseUrl), () => runDatabase(ctx))
    : Promise.resolve<DatabaseConnection>({ variable: "DATABASE_URL", location: null, ok: false, error: "not set" });
  const direct = directUrl
    ? (async () => {
        let handle: Database | undefined;
        try {
          return await measure("DIRECT_URL", displayUrl(directUrl), async () => (handle = await openDatabase({ databaseUrl: directUrl, poolSize: 1 })));
        } finally {
          await handle?.close().catch(() => undefined);
        }
      })()
    : Promise.resolve<DatabaseConnection>({ variable: "DIRECT_URL", location: null, ok: false, error: "not set" });
  out.push(...(await Promise.all([main, direct])));
  return out;
}

/** `migrationStatus`: prisma/migrations compared with `_prisma_migrations`. */
async function gatherMigrationStatus(ctx: FactContext): Promise<MigrationStatus> {
  const db = await runDatabase(ctx);
  const { migrationStatus } = await import("../../db/migrations.js");
  return migrationStatus(db);
}

/** `databaseColumns`: every table of the current schema with its columns, from information_schema. */
async function gatherDatabaseColumns(ctx: FactContext): Promise<ColumnsByTable> {
  const db = await runDatabase(ctx);
  const rows = await db.prisma.$queryRawUnsafe<{ table_name: string; column_name: string }[]>(
    `SELECT table_name::text AS table_name, column_name::text AS column_name
       FROM information_schema.columns
      WHERE table_schema = current_schema()
      ORDER BY table_name, ordinal_position`,
  );
  const out: ColumnsByTable = {};
  for (const r of rows) (out[r.table_name] ??= []).push(r.column_name);
  return out;
}

/** `expectedColumns`: the columns prisma/schema.prisma gives each table. */
async function gatherExpectedColumns(): Promise<ColumnsByTable> {
  const [{ readFile }, { defaultSchemaPath }] = await Promise.all([import("node:fs/promises"), import("../../db/migrations.js")]);
  return expectedColumnsFromSchema(await readFile(defaultSchemaPath(), "utf8"));
}

/**
 * The columns a Prisma schema gives each table: every field of a model except
 * relation fields (whose type is another model), under its `@map` name, in a
 * table named by `@@map` or the model. Enums and scalar lists are columns.
 */
export function expectedColumnsFromSchema(schema: string): ColumnsByTable {
  const text = schema.replace(/\/\/.*$/gm, "");
  const models = [...text.matchAll(/^\s*model\s+(\w+)\s*\{([\s\S]*?)^\s*\}/gm)].map((m) => ({ name: m[1]!, body: m[2]! }));
  const modelNames = new Set(models.map((m) => m.name));
  const out: ColumnsByTable = {};
  for (const model of models) {
    const table = /@@map\(\s*"([^"]+)"\s*\)/.exec(model.body)?.[1] ?? model.name;
    const columns: string[] = [];
    for (const raw of model.body.split("\n")) {
      const line = raw.trim();
      if (line === "" || line.startsWith("@@")) continue;
      const field = /^(\w+)\s+(\w+)(?:\([^)]*\))?(\[\])?(\?)?(.*)$/.exec(line);
      if (!field) continue;
      if (modelNames.has(field[2]!)) continue; // a relation, not a column
      columns.push(/@map\(\s*"([^"]+)"\s*\)/.exec(field[5] ?? "")?.[1] ?? field[1]!);
    }
    out[table] = columns;
  }
  return out;
}

/** `sessionTypes`: every session type with its builder's slug and visibility. */
async function gatherSessionTypes(ctx: FactContext): Promise<SessionTypeRow[]> {
  const db = await runDatabase(ctx);
  const rows = await db.prisma.sessionType.findMany({
    orderBy: [{ builderId: "asc" }, { slug: "asc" }],
    include: { builder: { select: { slug: true, visible: true } } },
  });
  return rows.map((r) => ({
    builderSlug: r.builder.slug,
    builderVisible: r.builder.visible,
    slug: r.slug,
    title: r.title,
    priceCents: r.priceCents,
    currency: r.currency,
    active: r.active,
  }));
}

/** `builderProfiles`: every builder profile, its visibility and how many active session types it has. */
async function gatherBuilderProfiles(ctx: FactContext): Promise<BuilderProfileRow[]> {
  const db = await runDatabase(ctx);
  const rows = await db.prisma.builderProfile.findMany({
    orderBy: { slug: "asc" },
    include: { sessionTypes: { where: { active: true }, select: { id: true } } },
  });
  return rows.map((r) => ({ slug: r.slug, displayName: r.displayName, visible: r.visible, activeSessionTypes: r.sessionTypes.length }));
}

export const databaseConnectionsFact = defineFact({ name: "databaseConnections", gather: gatherDatabaseConnections });
export const migrationStatusFact = defineFact({ name: "migrationStatus", gather: gatherMigrationStatus });
export const expectedColumnsFact = defineFact({ name: "expectedColumns", gather: gatherExpectedColumns });
export const databaseColumnsFact = defineFact({ name: "databaseColumns", gather: gatherDatabaseColumns });
export const sessionTypesFact = defineFact({ name: "sessionTypes", gather: gatherSessionTypes });
export const builderProfilesFact = defineFact({ name: "builderProfiles", gather: gatherBuilderProfiles });

/** One fresh connection of `databaseConnectionSamples`: opened, one query, closed. */
export interface ConnectionSample {
  /** When it started, from the first sample's start (ms). */
  atMs: number;
  ok: boolean;
  /** Opening the connection and running `SELECT 1` (ms), when it succeeded. */
  ms?: number;
  /** Why it failed (first line of the driver's message). */
  error?: string;
}

export interface DatabaseConnectionSamples {
  variable: "DATABASE_URL";
  /** The URL with its password masked. */
  location: string;
  /** The time the samples were spread over (thresholds.databaseSampleWindowMs). */
  windowMs: number;
  samples: ConnectionSample[];
}

/** A sample that has not connected and answered in this time is a failure ("timed out"). */
export const CONNECTION_SAMPLE_TIMEOUT_MS = 3000;

/**
 * Opens `count` fresh connections to `url` (no pool, no reuse), started at even
 * intervals over `windowMs` whatever the earlier ones are doing, each running
 * `SELECT 1` and closing. Done within windowMs + CONNECTION_SAMPLE_TIMEOUT_MS.
 */
export async function sampleConnections(url: string, options: { count: number; windowMs: number; signal?: AbortSignal }): Promise<ConnectionSample[]> {
  const { default: pg } = await import("pg");
  const count = Math.max(1, options.count);
  const interval = count > 1 ? options.windowMs / (count - 1) : 0;
  const t0 = performance.now();
  const one = async (i: number): Promise<ConnectionSample> => {
    const wait = t0 + i * interval - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const atMs = Math.round(performance.now() - t0);
    if (options.signal?.aborted) return { atMs, ok: false, error: "the run was interrupted" };
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: CONNECTION_SAMPLE_TIMEOUT_MS, query_timeout: CONNECTION_SAMPLE_TIMEOUT_MS });
    client.on("error", () => {}); // a connection the server drops mid-sample fails the query below; it must not end the process
    const start = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      const work = (async () => {
        await client.connect();
        await client.query("SELECT 1");
      })();
      work.catch(() => undefined);
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${CONNECTION_SAMPLE_TIMEOUT_MS} ms`)), CONNECTION_SAMPLE_TIMEOUT_MS);
      });
      await Promise.race([work, timeout]);
      return { atMs, ok: true, ms: Math.round((performance.now() - start) * 10) / 10 };
    } catch (err) {
      return { atMs, ok: false, error: firstLine(err) };
    } finally {
      clearTimeout(timer);
      void client.end().catch(() => undefined);
    }
  };
  return Promise.all(Array.from({ length: count }, (_, i) => one(i)));
}

/** `databaseConnectionSamples`: thresholds.databaseConnectionSamples fresh connections to DATABASE_URL over thresholds.databaseSampleWindowMs. */
async function gatherDatabaseConnectionSamples(ctx: FactContext): Promise<DatabaseConnectionSamples> {
  const url = setting(ctx, "DATABASE_URL");
  if (!url) throw new Error("DATABASE_URL is not set");
  if (!/^postgres(ql)?:\/\//.test(url)) throw new Error("DATABASE_URL is not a postgres:// or postgresql:// URL");
  const { databaseConnectionSamples: count, databaseSampleWindowMs: windowMs } = ctx.config.thresholds;
  return { variable: "DATABASE_URL", location: displayUrl(url), windowMs, samples: await sampleConnections(url, { count, windowMs, signal: ctx.signal }) };
}

export const databaseConnectionSamplesFact = defineFact({ name: "databaseConnectionSamples", gather: gatherDatabaseConnectionSamples });
