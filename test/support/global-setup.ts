import type { TestProject } from "vitest/node";
import { openDatabase } from "../../src/db/client.js";
import { applyMigrations } from "../../src/db/migrations.js";
import { admin, dropDatabase, urlFor } from "./pg-admin.js";

/**
 * Once per test run: a template database with every migration applied, so each
 * test file can clone a fresh, migrated database in milliseconds. The name is
 * unique to this run, so runs side by side never touch each other's databases.
 */
const template = `bookflow_tpl_${process.pid}`;

declare module "vitest" {
  export interface ProvidedContext {
    templateDatabase: string;
  }
}

export async function setup(project: TestProject): Promise<void> {
  await dropDatabase(template);
  await admin((c) => c.query(`CREATE DATABASE "${template}"`));
  const db = await openDatabase({ databaseUrl: urlFor(template), poolSize: 2 });
  try {
    await applyMigrations(db);
  } finally {
    await db.close();
  }
  project.provide("templateDatabase", template);
}

export async function teardown(): Promise<void> {
  await dropDatabase(template);
}
