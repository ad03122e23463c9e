import { join } from "node:path";
import { loadEnv } from "./config/env-files.js";
import { readDatabaseEnv } from "./config/app-env.js";
import { Redactor } from "./config/redact.js";
import type { Database } from "./db/client.js";
import { systemClock, type Clock } from "./core/ports.js";

/**
 * What a command hands to its handler: configuration, lazy clients, the
 * database, a clock, and where output goes. Built once per command run.
 */
export interface Context {
  env: Record<string, string | undefined>;
  redactor: Redactor;
  clock: Clock;
  /** Opens (once) the database the environment points at: DATABASE_URL, else embedded PGlite. */
  db(): Promise<Database>;
  /** Closes whatever was opened. */
  close(): Promise<void>;
  out: (text: string) => void;
  err: (text: string) => void;
}

export interface ContextOptions {
  envFiles?: readonly string[];
  env?: NodeJS.ProcessEnv;
  out?: (text: string) => void;
  err?: (text: string) => void;
}

export function createContext(options: ContextOptions = {}): Context {
  const env = loadEnv(options.envFiles ?? [], options.env ?? process.env);
  const redactor = new Redactor(env);
  let dbPromise: Promise<Database> | undefined;
  const out = options.out ?? ((t: string) => process.stdout.write(t));
  const err = options.err ?? ((t: string) => process.stderr.write(t));
  return {
    env,
    redactor,
    clock: systemClock,
    db() {
      dbPromise ??= (async () => {
        const dbEnv = readDatabaseEnv(env);
        const { openDatabase } = await import("./db/client.js");
        return openDatabase({ databaseUrl: dbEnv.DATABASE_URL, dataDir: join(dbEnv.BOOKFLOW_DATA_DIR, "pglite") });
      })();
      return dbPromise;
    },
    async close() {
      // A database that failed to open has nothing to close (its error was reported where it was used).
      const db = dbPromise ? await dbPromise.catch(() => null) : null;
      await db?.close();
    },
    out: (t) => out(redactor.redact(t)),
    err: (t) => err(redactor.redact(t)),
  };
}
