import { openDatabase } from "../../src/db/client.js";
import { applyMigrations } from "../../src/db/migrations.js";
import { admin, dropDatabase, TEMPLATE_DB, urlFor } from "./pg-admin.js";

/**
 * Once per test run: a template database with every migration applied, so each
 * test file can clone a fresh, migrated database in milliseconds.
 */
export async function setup(): Promise<void> {
  await dropStaleTestDatabases();
  await dropDatabase(TEMPLATE_DB);
  await admin((c) => c.query(`CREATE DATABASE "${TEMPLATE_DB}"`));
  const db = await openDatabase({ databaseUrl: urlFor(TEMPLATE_DB), poolSize: 2 });
  try {
    await applyMigrations(db);
  } finally {
    await db.close();
  }
}

export async function teardown(): Promise<void> {
  await dropStaleTestDatabases();
  await dropDatabase(TEMPLATE_DB);
}

async function dropStaleTestDatabases(): Promise<void> {
  const rows = await admin((c) => c.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE 'bookflow_t_%'`));
  for (const r of rows.rows) await dropDatabase(r.datname);
}
