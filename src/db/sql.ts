/**
 * A minimal SQL port for hot paths where Prisma's per-query overhead (~0.5 ms of
 * Node CPU) is too much: parameterised SQL ($1, $2, …) returning plain rows.
 *
 * Two implementations: a `pg.Pool` (PostgreSQL; created on first use, so a
 * command that never queries through it opens no connections) and PGlite.
 *
 * Conventions for callers, whichever the implementation:
 * - Prisma's tables have camelCase quoted column names ("Booking"."inviteeEmail"),
 *   enums are Postgres enum types (cast parameters: `$1::"BookingStatus"`), ids
 *   are TEXT uuids generated client-side (no DB default), `updatedAt` has no DB
 *   default, Json columns take JSON text (`$1::jsonb`).
 * - DateTime columns are `timestamp(3)` WITHOUT time zone holding UTC: pass
 *   dates as ISO strings (`toSqlTimestamp`); both implementations read them back
 *   as UTC `Date`s whatever the process's time zone.
 * - A failed statement rejects with the driver's error; `sqlErrorCode(err)` gives
 *   its SQLSTATE ("23505" unique violation, …).
 */
import { createHash } from "node:crypto";
import { isPooledUrl } from "../config/pooled-url.js";

export interface SqlTx {
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
}

export interface SqlClient extends SqlTx {
  /** Runs `fn` in one transaction (READ COMMITTED): committed if it resolves, rolled back if it throws. */
  transaction<T>(fn: (tx: SqlTx) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export const UNIQUE_VIOLATION = "23505";

/** The SQLSTATE of a database error from either implementation, else undefined. */
export function sqlErrorCode(err: unknown): string | undefined {
  if (err && typeof err === "object" && "code" in err) {
    const code = (err as { code: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

/** A Date as a timestamp parameter (UTC; the zone suffix is ignored by `timestamp without time zone`). */
export function toSqlTimestamp(d: Date | null | undefined): string | null {
  return d ? d.toISOString() : null;
}

const TIMESTAMP_OID = 1114;
/** `timestamp without time zone` text ("2030-03-01 10:00:00.123") read as UTC. */
function parseUtcTimestamp(text: string): Date | string {
  if (text === "infinity" || text === "-infinity") return text;
  return new Date(`${text.replace(" ", "T")}Z`);
}

// ---------------------------------------------------------------------------
// PostgreSQL through pg.Pool

export interface PgSqlOptions {
  connectionString: string;
  /** Maximum pool size. */
  max?: number;
  /** How long to wait for a free connection before failing (ms). */
  connectionTimeoutMillis?: number;
}

type Pool = import("pg").Pool;

/** Statement texts given a prepared-statement name, at most this many (dynamic SQL beyond it runs unnamed). */
const MAX_NAMED_STATEMENTS = 200;

/**
 * A SqlClient over a pg.Pool, created lazily on the first query.
 * Parameterised statements are prepared once per connection (named after a hash of their text) and then
 * only bound and executed: the server skips parsing, and planning once it settles on a generic plan.
 */
export function createPgSqlClient(options: PgSqlOptions): SqlClient {
  let pool: Promise<Pool> | undefined;
  let closed = false;
  const names = new Map<string, string>();
  // Named statements live in a server session. PGlite (the sandbox's embedded database, served by
  // src/sandbox/pglite-server.ts) has ONE session shared by every connection, so a statement prepared by
  // one connection "already exists" for the next: against PGlite every statement runs unnamed.
  // A pooler in transaction mode (PgBouncer, as Supabase's and Neon's pooled URLs are) hands each transaction to
  // any server connection: a statement prepared on one is missing on the next, or "already exists" there. Prisma's
  // `?pgbouncer=true` marker says so up front; without it, the first such error switches named statements off
  // for good and the statement (or the whole transaction) runs again, unnamed.
  let named = !isPooledUrl(options.connectionString);
  const config = (text: string, values: unknown[] | undefined): { text: string; values?: unknown[]; name?: string } => {
    if (!values || values.length === 0 || !named) return { text, ...(values ? { values } : {}) };
    let name = names.get(text);
    if (name === undefined && names.size < MAX_NAMED_STATEMENTS) {
      name = `bf_${createHash("sha1").update(text).digest("hex").slice(0, 24)}`;
      names.set(text, name);
    }
    return name === undefined ? { text, values } : { text, values, name };
  };

  const getPool = (): Promise<Pool> => {
    if (closed) return Promise.reject(new Error("The SQL client is closed."));
    pool ??= (async () => {
      const { default: pg } = await import("pg");
      const p = new pg.Pool({
        connectionString: options.connectionString,
        max: options.max ?? 10,
        connectionTimeoutMillis: options.connectionTimeoutMillis ?? 15_000,
        // Queries issued back to back on one connection are sent without waiting for the previous result.
        pipeline: true,
        types: {
          getTypeParser: ((oid: number, format?: "text" | "binary") =>
            oid === TIMESTAMP_OID ? parseUtcTimestamp : pg.types.getTypeParser(oid, format ?? "text")) as typeof pg.types.getTypeParser,
        },
      });
      // An idle connection dropped by the server (restart, DROP DATABASE … FORCE) must not crash the process;
      // the pool discards it and the next query opens a new one.
      p.on("error", () => {});
      try {
        const [server] = (await p.query<{ v: string }>("SELECT version() AS v")).rows;
        if (server && /PGlite/i.test(server.v)) named = false;
      } catch (err) {
        // Not reachable yet: the next query tries again with a new pool.
        pool = undefined;
        await p.end().catch(() => {});
        throw err;
      }
      return p;
    })();
    return pool;
  };

  return {
    async query<T>(text: string, params?: unknown[]): Promise<T[]> {
      const p = await getPool();
      const q = config(text, params);
      try {
        return (await p.query(q)).rows as T[];
      } catch (err) {
        if (!q.name || !isPreparedStatementMismatch(err)) throw err;
        named = false;
        return (await p.query(config(text, params))).rows as T[];
      }
    },
    async transaction<T>(fn: (tx: SqlTx) => Promise<T>): Promise<T> {
      const wasNamed = named;
      try {
        return await runTransaction(fn);
      } catch (err) {
        // Nothing of a transaction that failed this way was committed: it runs again, unnamed.
        if (!wasNamed || !isPreparedStatementMismatch(err)) throw err;
        named = false;
        return runTransaction(fn);
      }
    },
    async close() {
      closed = true;
      const p = pool;
      pool = undefined;
      if (p) await (await p).end();
    },
  };

  async function runTransaction<T>(fn: (tx: SqlTx) => Promise<T>): Promise<T> {
    const p = await getPool();
    const client = await p.connect();
    // A checked-out connection's 'error' event (the server went away mid-transaction) is ours to handle: the
    // statement in flight rejects, and the connection is discarded on release.
    let lost: Error | undefined;
    const onError = (err: Error) => (lost = err);
    client.on("error", onError);
    // Set when BEGIN, COMMIT or ROLLBACK itself fails: the connection's state is unknown, so the pool discards it.
    let broken: Error | undefined;
    const control = async (sql: string) => {
      try {
        await client.query(sql);
      } catch (err) {
        broken = err instanceof Error ? err : new Error(String(err));
        throw err;
      }
    };
    try {
      // BEGIN is not awaited on its own: the connection pipelines it with the transaction's first statement
      // (one round trip less). BEGIN only fails when the connection does, so that statement cannot run
      // outside the transaction unnoticed: the failure rejects the transaction and the connection is discarded.
      let begin: Promise<void> | undefined = control("BEGIN");
      begin.catch(() => {});
      const tx: SqlTx = {
        query: async <R>(text: string, params?: unknown[]) => {
          const q = client.query(config(text, params));
          if (begin) {
            const b = begin;
            begin = undefined;
            q.catch(() => {});
            await b;
          }
          return (await q).rows as R[];
        },
      };
      let value: T;
      try {
        value = await fn(tx);
        if (begin) await begin;
      } catch (err) {
        await control("ROLLBACK").catch(() => {});
        throw err;
      }
      await control("COMMIT");
      return value;
    } finally {
      client.off("error", onError);
      client.release(broken ?? lost);
    }
  }
}

/** SQLSTATEs of a named statement the server connection does not know (26000) or knows already (42P05). */
function isPreparedStatementMismatch(err: unknown): boolean {
  const code = sqlErrorCode(err);
  return code === "26000" || code === "42P05";
}


// ---------------------------------------------------------------------------
// PGlite

interface PGliteQueryable {
  query<T>(text: string, params?: unknown[], options?: { parsers?: Record<number, (x: string, typeId?: number) => unknown> }): Promise<{ rows: T[] }>;
}

export interface PGliteLike extends PGliteQueryable {
  transaction<T>(fn: (tx: PGliteQueryable) => Promise<T>): Promise<T>;
}

const PGLITE_OPTIONS = { parsers: { [TIMESTAMP_OID]: parseUtcTimestamp } };

/** A SqlClient over an open PGlite instance (shared with Prisma; closing it is the caller's business). */
export function createPGliteSqlClient(pglite: PGliteLike): SqlClient {
  const wrap = (q: PGliteQueryable): SqlTx => ({
    query: async <T>(text: string, params?: unknown[]) => (await q.query<T>(text, params ?? [], PGLITE_OPTIONS)).rows,
  });
  const root = wrap(pglite);
  return {
    query: root.query,
    transaction: (fn) => pglite.transaction((tx) => fn(wrap(tx))),
    async close() {},
  };
}

/**
 * A value made literal for a LIKE / ILIKE pattern (PostgreSQL's default escape, the backslash): `%`, `_` and `\`
 * match themselves. Prisma's case-insensitive `equals` / `startsWith` are ILIKE on PostgreSQL, so a value from a
 * user (an email, a run id) goes through this first: `jane_doe@…` must not find `jane.doe@…`, nor `%` everyone.
 */
export function likeLiteral(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}
