import { randomBytes } from "node:crypto";
import { openDatabase, type Database } from "../../src/db/client.js";
import { seed } from "../../src/db/seed.js";
import { inject } from "vitest";
import { admin, dropDatabase, urlFor } from "./pg-admin.js";

export interface TestDatabase {
  name: string;
  url: string;
  db: Database;
  drop(): Promise<void>;
}

/** A fresh database for one test file: migrated (cloned from the template), optionally seeded. */
export async function createTestDatabase(options: { seed?: boolean; migrated?: boolean; poolSize?: number } = {}): Promise<TestDatabase> {
  const name = `bookflow_t_${randomBytes(5).toString("hex")}`;
  const migrated = options.migrated ?? true;
  await admin((c) => c.query(migrated ? `CREATE DATABASE "${name}" TEMPLATE "${inject("templateDatabase")}"` : `CREATE DATABASE "${name}"`));
  const url = urlFor(name);
  const db = await openDatabase({ databaseUrl: url, poolSize: options.poolSize ?? 5 });
  if (options.seed) await seed(db.prisma);
  return {
    name,
    url,
    db,
    async drop() {
      await db.close();
      await dropDatabase(name);
    },
  };
}
