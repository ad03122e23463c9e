import { mkdir } from "node:fs/promises";
import type { PrismaClient } from "../generated/prisma/client.js";

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

export function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "****";
    return u.toString();
  } catch {
    return "<unparseable database url>";
  }
}

export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<Database> {
  const { PrismaClient } = await import("../generated/prisma/client.js");
  if (options.databaseUrl) {
    const { PrismaPg } = await import("@prisma/adapter-pg");
    const url = options.databaseUrl;
    const make = () => new PrismaPg({ connectionString: url, max: options.poolSize ?? 10 });
    const prisma = new PrismaClient({ adapter: make() });
    return {
      kind: "postgres",
      location: maskUrl(url),
      prisma,
      adapterFactory: () => new PrismaPg({ connectionString: url, max: 2 }),
      close: () => prisma.$disconnect(),
    };
  }
  const dataDir = options.dataDir ?? DEFAULT_PGLITE_DIR;
  const { PGlite } = await import("@electric-sql/pglite");
  const { PrismaPGlite } = await import("pglite-prisma-adapter");
  if (!dataDir.startsWith("memory://")) await mkdir(dataDir, { recursive: true });
  const pglite = await PGlite.create(dataDir);
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
  return {
    kind: "pglite",
    location: dataDir.startsWith("memory://") ? "embedded PGlite (in memory)" : `embedded PGlite (${dataDir})`,
    prisma,
    adapterFactory: () => new PrismaPGlite(pglite),
    close: async () => {
      await prisma.$disconnect();
      await pglite.close();
    },
  };
}
