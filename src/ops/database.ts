import type { Context } from "../context.js";
import type { Database } from "../db/client.js";
import { BookflowError, ConfigError } from "../errors.js";

/**
 * Runs the first database call of a use case; a database that cannot be
 * reached or is not migrated becomes a ConfigError (exit 2) saying what to do,
 * not a stack trace. Errors of bookflow's own pass through. `databaseUrl` (the
 * context's DATABASE_URL) lets the message name the server it tried.
 */
export async function withDatabase<T>(purpose: string, call: () => Promise<T>, databaseUrl?: string): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof BookflowError) throw err;
    const unreachable = connectionError(err, databaseUrl);
    if (unreachable) throw unreachable;
    const first = (err instanceof Error ? err.message : String(err)).trim().split("\n").filter(Boolean).at(-1) ?? "unknown error";
    throw new ConfigError(
      `Cannot ${purpose}: the database did not answer as expected (${first.slice(0, 200)}).`,
      "Check DATABASE_URL (unset, bookflow uses the embedded database under .bookflow/), and run `bookflow db migrate` if it is new.",
      "DATABASE_UNAVAILABLE",
    );
  }
}

type ConnectionFailure = "unreachable" | "unknown-host" | "auth" | "no-database" | "tls" | "timeout";

/**
 * A failure to connect (server down, unknown host, refused credentials, no such
 * database, TLS, time-out) as a ConfigError naming host:port and the database
 * (never the password) with what to check; undefined for any other error.
 * Reads what the pg driver and Prisma's driver adapter report (node socket
 * codes, PostgreSQL SQLSTATEs, the adapter's error kinds), through `cause`s.
 */
export function connectionError(err: unknown, databaseUrl: string | undefined): ConfigError | undefined {
  const failure = classifyConnectionFailure(err);
  if (err instanceof BookflowError || !failure) return undefined;
  const where = describeServer(databaseUrl);
  const database = databaseName(databaseUrl);
  const texts: Record<ConnectionFailure, [message: string, hint: string]> = {
    unreachable: [`Cannot connect to the database server at ${where}: nothing answers there (connection refused).`, "Start PostgreSQL there, or fix the host and port in DATABASE_URL (unset, bookflow uses the embedded database under .bookflow/)."],
    "unknown-host": [`Cannot connect to the database server at ${where}: the host name does not resolve.`, "Fix the host in DATABASE_URL (a typo, or a name only your VPN or Docker network knows)."],
    auth: [`The database server at ${where} refused the credentials in DATABASE_URL.`, "Check the user name and password in DATABASE_URL (percent-encode special characters in the password)."],
    "no-database": [`The database server at ${where} has no database ${database ? `"${database}"` : "of that name"}.`, `Create it (\`createdb ${database ?? "<name>"}\`) and run \`bookflow db migrate\`, or fix the database name in DATABASE_URL.`],
    tls: [`Cannot connect to the database server at ${where}: the TLS connection failed.`, "Check sslmode in DATABASE_URL and the server's certificate."],
    timeout: [`Cannot connect to the database server at ${where}: it did not answer in time.`, "Check the host and port in DATABASE_URL and that a firewall lets the connection through."],
  };
  const [message, hint] = texts[failure];
  return new ConfigError(message, hint, "DATABASE_UNAVAILABLE");
}

function classifyConnectionFailure(err: unknown): ConnectionFailure | undefined {
  for (let e: unknown = err, depth = 0; e && typeof e === "object" && depth < 6; depth++) {
    const o = e as { code?: unknown; kind?: unknown; message?: unknown; meta?: { driverAdapterError?: { cause?: unknown } }; cause?: unknown };
    const byKind = adapterKind(o.meta?.driverAdapterError?.cause) ?? adapterKind(o);
    if (byKind) return byKind;
    if (o.code === "ECONNREFUSED") return "unreachable";
    if (o.code === "ENOTFOUND" || o.code === "EAI_AGAIN") return "unknown-host";
    if (o.code === "ETIMEDOUT") return "timeout";
    if (o.code === "28P01" || o.code === "28000") return "auth";
    if (o.code === "3D000") return "no-database";
    if (typeof o.message === "string" && /Can't reach database server/.test(o.message)) return "unreachable";
    e = o.meta?.driverAdapterError?.cause ?? o.cause;
  }
  return undefined;
}

/** The error kinds of Prisma's driver adapters (@prisma/driver-adapter-utils) that mean "could not connect". */
function adapterKind(cause: unknown): ConnectionFailure | undefined {
  if (!cause || typeof cause !== "object") return undefined;
  const { kind, port } = cause as { kind?: unknown; port?: unknown };
  switch (kind) {
    case "DatabaseNotReachable":
      // The adapter reports ENOTFOUND and ECONNREFUSED alike; an unresolved host comes without a port.
      return port === undefined ? "unknown-host" : "unreachable";
    case "DatabaseDoesNotExist":
      return "no-database";
    case "AuthenticationFailed":
    case "DatabaseAccessDenied":
      return "auth";
    case "TlsConnectionError":
      return "tls";
    case "SocketTimeout":
      return "timeout";
    default:
      return undefined;
  }
}

/** host:port of a PostgreSQL URL (no credentials), or what to call the embedded database. */
function describeServer(databaseUrl: string | undefined): string {
  if (!databaseUrl) return "the embedded database";
  try {
    const u = new URL(databaseUrl);
    return `${u.hostname || "localhost"}:${u.port || "5432"}`;
  } catch {
    return "DATABASE_URL (not a URL)";
  }
}

function databaseName(databaseUrl: string | undefined): string | undefined {
  if (!databaseUrl) return undefined;
  try {
    return decodeURIComponent(new URL(databaseUrl).pathname.replace(/^\//, "")) || undefined;
  } catch {
    return undefined;
  }
}

/** What the database helpers read of a Context: the database, and DATABASE_URL to name its server in errors. */
type DatabaseContext = Pick<Context, "db"> & Partial<Pick<Context, "env">>;

/** The database for the audit log, checked before anything changes (an unreachable one is a ConfigError, exit 2). */
export async function auditDatabase(ctx: DatabaseContext, purpose: string): Promise<Database> {
  return withDatabase(purpose, async () => {
    const db = await ctx.db();
    await db.prisma.auditLog.count({ where: { id: "00000000-0000-0000-0000-000000000000" } });
    return db;
  }, ctx.env?.DATABASE_URL || undefined);
}

/** The context's database, probed once (a booking query), so an unreachable or unmigrated one fails as a ConfigError naming `purpose`. */
export async function openCheckedDatabase(ctx: DatabaseContext, purpose: string): Promise<Database> {
  return withDatabase(purpose, async () => {
    const db = await ctx.db();
    await db.prisma.booking.findFirst({ select: { id: true } });
    return db;
  }, ctx.env?.DATABASE_URL || undefined);
}
