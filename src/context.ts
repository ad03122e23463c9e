import { join } from "node:path";
import type Stripe from "stripe";
import { loadEnv } from "./config/env-files.js";
import { readDatabaseEnv } from "./config/app-env.js";
import { resolveActor } from "./config/actor.js";
import { Redactor } from "./config/redact.js";
import type { Database } from "./db/client.js";
import { systemClock, type Clock } from "./core/ports.js";
import type { CalendlyClient } from "./providers/calendly/client.js";
import type { SendGridClient } from "./providers/sendgrid/client.js";
import type { VercelClient } from "./providers/vercel/client.js";

/**
 * The provider clients of a command run, each built from the environment on
 * first use (a missing variable is a ConfigError naming it) and then shared.
 * SDKs are imported only when a client is first asked for.
 */
export interface Clients {
  calendly(): Promise<CalendlyClient>;
  stripe(): Promise<Stripe>;
  sendgrid(): Promise<SendGridClient>;
  vercel(): Promise<{ client: VercelClient; projectId: string }>;
}

/**
 * What a command hands to its use case: configuration, lazy clients, the
 * database, a clock, the operator, and where output goes. Built once per
 * command run (commands/support/run.ts), closed once.
 */
export interface Context {
  env: Record<string, string | undefined>;
  /** The one redactor: every secret of `env` (process environment and --env-file files). */
  redactor: Redactor;
  clock: Clock;
  clients: Clients;
  /** Where relative paths (--config, --output, ./bookflow.config.json) are resolved. */
  cwd: string;
  /** Whether a person can answer a confirmation: stdin and stdout are terminals and CI is not set. */
  interactive: boolean;
  /** Asks a yes/no question (default: @inquirer/prompts, loaded only when asked). */
  ask?: ((question: string) => Promise<boolean>) | undefined;
  /** The operator for the audit log: the --actor flag, else BOOKFLOW_ACTOR, else the OS user. */
  actor(flag?: string): string;
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
  cwd?: string;
  clock?: Clock;
  /** Default: stdin and stdout are terminals and CI is not set. */
  interactive?: boolean;
  ask?: (question: string) => Promise<boolean>;
  /** Tests may hand in clients (the sandbox's, or ones that fail). */
  clients?: Partial<Clients>;
}

export function isInteractive(env: Record<string, string | undefined> = process.env): boolean {
  const ci = env.CI?.trim().toLowerCase();
  return Boolean(process.stdin.isTTY && process.stdout.isTTY) && !(ci && ci !== "0" && ci !== "false");
}

function once<T>(make: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= make());
}

export function createContext(options: ContextOptions = {}): Context {
  const env = loadEnv(options.envFiles ?? [], options.env ?? process.env);
  const redactor = new Redactor(env);
  let dbPromise: Promise<Database> | undefined;
  const out = options.out ?? ((t: string) => process.stdout.write(t));
  const err = options.err ?? ((t: string) => process.stderr.write(t));
  const fromEnv = () => import("./providers/from-env.js");
  // Aborted by close(): a Calendly request still in flight then (a check that timed out) does not hold the process.
  const closing = new AbortController();
  const clients: Clients = {
    calendly: once(async () => (await fromEnv()).calendlyFromEnv(env, { signal: closing.signal })),
    stripe: once(async () => (await fromEnv()).stripeFromEnv(env)),
    sendgrid: once(async () => (await fromEnv()).sendgridFromEnv(env)),
    vercel: once(async () => (await fromEnv()).vercelFromEnv(env)),
    ...options.clients,
  };
  return {
    env,
    redactor,
    clock: options.clock ?? systemClock,
    clients,
    cwd: options.cwd ?? process.cwd(),
    interactive: options.interactive ?? isInteractive(env),
    ask: options.ask,
    actor: (flag) => resolveActor(flag, env),
    db() {
      dbPromise ??= (async () => {
        const dbEnv = readDatabaseEnv(env);
        const { openDatabase } = await import("./db/client.js");
        return openDatabase({ databaseUrl: dbEnv.DATABASE_URL, dataDir: join(dbEnv.BOOKFLOW_DATA_DIR, "pglite") });
      })();
      return dbPromise;
    },
    async close() {
      closing.abort();
      // A database that failed to open has nothing to close (its error was reported where it was used).
      const db = dbPromise ? await dbPromise.catch(() => null) : null;
      await db?.close();
    },
    out: (t) => out(redactor.redact(t)),
    err: (t) => err(redactor.redact(t)),
  };
}
