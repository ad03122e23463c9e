import { mkdir } from "node:fs/promises";
import type { PrismaClient } from "../generated/prisma/client.js";
import { displayUrl } from "../config/redact.js";
import { createPGliteSqlClient, createPgSqlClient, type SqlClient } from "./sql.js";

/**
 * One database handle for the whole process: Prisma 7 over a driver adapter.
 * - DATABASE_URL set: PostgreSQL through @prisma/adapter-pg.
 * - otherwise: an embedded PGlite database kept in a data directory (default
 *   `.bookflow/pglite`), through pglite-prisma-adapter.
 * The same adapter factory drives Prisma's schema engine for migrations.
 * Everything heavy is imported lazily so the CLI starts fast.
 */
export type DatabaseKind = "postgres" | "pglite";

export interface Database {
  readonly kind: DatabaseKind;
  /** Where the data lives, with any password masked: safe to print. */
  readonly location: string;
  readonly prisma: PrismaClient;
  /**
   * Parameterised SQL on the same database, for hot paths (the webhook intake):
   * its own pg.Pool for PostgreSQL (opened on first use, up to poolSize
   * connections), the same PGlite instance otherwise.
   */
  readonly sql: SqlClient;
  /** A fresh driver adapter factory on the same database (for the schema engine). */
  adapterFactory(): object;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  databaseUrl?: string | undefined;
  /** PGlite data directory, used when no databaseUrl is given. `memory://` keeps it in memory. */
  dataDir?: string | undefined;
  /** Maximum pool size for PostgreSQL. */
  poolSize?: number | undefined;
}

export const DEFAULT_PGLITE_DIR = ".bookflow/pglite";

export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<Database> {
  const { PrismaClient } = await import("../generated/prisma/client.js");
  if (options.databaseUrl) {
    const { PrismaPg } = await import("@prisma/adapter-pg");
    const url = options.databaseUrl;
    // A connection the server drops (a restart, a failover, `pg_ctl stop -m immediate`) emits an 'error' event:
    // without a listener it would end the process. The query in flight fails on its own; the pool replaces the connection.
    const quiet = { onPoolError: () => {}, onConnectionError: () => {} };
    const make = () => new PrismaPg({ connectionString: url, max: options.poolSize ?? 10 }, quiet);
    const prisma = new PrismaClient({ adapter: make() });
    const sql = createPgSqlClient({ connectionString: url, max: options.poolSize ?? 10 });
    return {
      kind: "postgres",
      location: displayUrl(url),
      prisma,
      sql,
      adapterFactory: () => new PrismaPg({ connectionString: url, max: 2 }, quiet),
      close: async () => {
        await Promise.all([prisma.$disconnect(), sql.close()]);
      },
    };
  }
  const dataDir = options.dataDir ?? DEFAULT_PGLITE_DIR;
  const { PGlite } = await import("@electric-sql/pglite");
  const { PrismaPGlite } = await import("pglite-prisma-adapter");
  if (!dataDir.startsWith("memory://")) await mkdir(dataDir, { recursive: true });
  const pglite = await PGlite.create(dataDir);
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
  const factory = pgliteAdapterFactory(PrismaPGlite, pglite);
  return {
    kind: "pglite",
    location: dataDir.startsWith("memory://") ? "embedded PGlite (in memory)" : `embedded PGlite (${dataDir})`,
    prisma,
    sql: createPGliteSqlClient(pglite),
    adapterFactory: () => factory,
    close: async () => {
      await prisma.$disconnect();
      await pglite.close();
    },
  };
}

interface PGliteAdapterLike {
  client: { exec(script: string): Promise<unknown>; close?(): Promise<void> };
  executeScript(script: string): Promise<void>;
  dispose(): Promise<void>;
  onError?(error: unknown): never;
}

interface PGliteFactoryLike {
  connect(): Promise<PGliteAdapterLike>;
  connectToShadowDb(): Promise<PGliteAdapterLike>;
}

/**
 * pglite-prisma-adapter's factory, with two fixes the schema engine needs:
 * - its `executeScript` does not await `exec`, so a migration with broken SQL
 *   was recorded as applied and its error surfaced as an unhandled rejection;
 *   here the script is awaited and its error reaches the engine (failed migration);
 * - the shadow database it opens for `diff` (an in-memory PGlite) is closed on dispose.
 */
export function pgliteAdapterFactory<P>(PrismaPGlite: new (pglite: P) => unknown, pglite: P): object {
  const inner = new PrismaPGlite(pglite) as PGliteFactoryLike;
  const awaitScripts = (adapter: PGliteAdapterLike): PGliteAdapterLike => {
    adapter.executeScript = async (script: string) => {
      try {
        await adapter.client.exec(script);
      } catch (err) {
        if (adapter.onError) adapter.onError(err);
        throw err;
      }
    };
    return adapter;
  };
  const wrapped = Object.create(inner) as PGliteFactoryLike;
  wrapped.connect = async () => awaitScripts(await inner.connect());
  wrapped.connectToShadowDb = async () => {
    const adapter = awaitScripts(await inner.connectToShadowDb());
    let closed = false;
    adapter.dispose = async () => {
      if (closed) return;
      closed = true;
      await adapter.client.close?.();
    };
    return adapter;
  };
  return wrapped;
}
