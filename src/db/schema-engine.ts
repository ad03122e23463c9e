import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/**
 * Prisma's own schema engine (migrations, drift diff), compiled to WASM, driven
 * through a driver adapter: works offline where the native engine cannot be
 * downloaded. See ../shared/reference/prisma-offline.md for how it is loaded.
 */

export interface MigrationDirectoryInput {
  path: string;
  migrationFile: { path: string; content: { tag: "ok"; value: string } | { tag: "error"; value: string } };
}

export interface MigrationsList {
  baseDir: string;
  lockfile: { path: string; content: string | null };
  shadowDbInitScript: string;
  migrationDirectories: MigrationDirectoryInput[];
}

export type HistoryDiagnostic =
  | { diagnostic: "databaseIsBehind"; unappliedMigrationNames: string[] }
  | { diagnostic: "migrationsDirectoryIsBehind"; unpersistedMigrationNames: string[] }
  | { diagnostic: "historiesDiverge"; lastCommonMigrationName: string | null; unpersistedMigrationNames: string[]; unappliedMigrationNames: string[] };

export interface SchemaEngineHandle {
  applyMigrations(input: { migrationsList: MigrationsList; filters: Filters }): Promise<{ appliedMigrationNames: string[] }>;
  diagnoseMigrationHistory(input: { migrationsList: MigrationsList; optInToShadowDatabase: boolean; filters: Filters }): Promise<{
    editedMigrationNames: string[];
    failedMigrationNames: string[];
    hasMigrationsTable: boolean;
    history: HistoryDiagnostic | null;
  }>;
  diff(params: unknown): Promise<{ exitCode: number; stdout: string | null }>;
  free(): void;
}

interface Filters {
  externalTables: string[];
  externalEnums: string[];
}

export const NO_FILTERS: Filters = { externalTables: [], externalEnums: [] };

let enginePromise: Promise<{ SchemaEngine: { new: (o: unknown, cb: (msg: string) => void, adapter: object) => Promise<SchemaEngineHandle> } }> | undefined;

async function loadEngineModule() {
  enginePromise ??= (async () => {
    const require = createRequire(import.meta.url);
    const entry = require.resolve("@prisma/schema-engine-wasm/schema_engine_bg");
    const glue = (await import("@prisma/schema-engine-wasm/schema_engine_bg")) as unknown as Record<string, unknown> & {
      __wbg_set_wasm(exports: unknown): void;
    };
    const bytes = await readFile(join(dirname(entry), "schema_engine_bg.wasm"));
    // lib.dom is not in scope for a Node program; WebAssembly is a Node global.
    const wasm = (globalThis as unknown as { WebAssembly: { instantiate(b: Uint8Array, i: object): Promise<{ instance: { exports: Record<string, unknown> } }> } }).WebAssembly;
    const { instance } = await wasm.instantiate(bytes, { "./schema_engine_bg.js": withTrackedTimers(glue) });
    glue.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as (() => void) | undefined)?.();
    return glue as never;
  })();
  return enginePromise;
}

/**
 * The engine guards some operations with a timeout (10 s, e.g. taking the
 * migration advisory lock) through the glue's `setTimeout` import, and has no
 * `clearTimeout` import: the timer outlives the operation and kept a finished
 * `bookflow db migrate` alive for 10 s. The timers it starts are tracked here
 * and cleared once no engine is running any more.
 */
const pendingTimers = new Set<ReturnType<typeof setTimeout>>();
let liveEngines = 0;

function withTrackedTimers(glue: Record<string, unknown>): Record<string, unknown> {
  const imports: Record<string, unknown> = { ...glue };
  for (const [name, fn] of Object.entries(glue)) {
    if (!name.startsWith("__wbg_setTimeout_") || typeof fn !== "function") continue;
    const start = fn as (callback: (...args: unknown[]) => void, ms: number) => ReturnType<typeof setTimeout>;
    imports[name] = (callback: (...args: unknown[]) => void, ms: number) => {
      const timer = start((...args: unknown[]) => {
        pendingTimers.delete(timer);
        callback(...args);
      }, ms);
      pendingTimers.add(timer);
      return timer;
    };
  }
  return imports;
}

function engineStopped(): void {
  liveEngines = Math.max(0, liveEngines - 1);
  if (liveEngines > 0) return;
  for (const timer of pendingTimers) clearTimeout(timer);
  pendingTimers.clear();
}

/** Starts the schema engine over a driver adapter factory (Postgres or PGlite). */
export async function startSchemaEngine(
  adapterFactory: object,
  schema: { path: string; content: string },
  log: (message: string) => void = () => {},
): Promise<SchemaEngineHandle & { dispose(): Promise<void> }> {
  const { bindMigrationAwareSqlAdapterFactory } = await import("@prisma/driver-adapter-utils");
  const mod = await loadEngineModule();
  // The engine opens connections through the factory but never closes them, and
  // Prisma's migration advisory lock lives on one of them: track and dispose.
  const opened: { dispose(): Promise<void> }[] = [];
  const factory = adapterFactory as { connect(): Promise<{ dispose(): Promise<void> }>; connectToShadowDb?: () => Promise<{ dispose(): Promise<void> }> };
  const tracking = Object.create(factory) as typeof factory;
  tracking.connect = async () => {
    const a = await factory.connect();
    opened.push(a);
    return a;
  };
  if (factory.connectToShadowDb) {
    const shadow = factory.connectToShadowDb.bind(factory);
    tracking.connectToShadowDb = async () => {
      const a = await shadow();
      opened.push(a);
      return a;
    };
  }
  liveEngines++;
  let engine: SchemaEngineHandle;
  try {
    engine = await mod.SchemaEngine.new(
      { datamodels: [[schema.path, schema.content]] },
      log,
      bindMigrationAwareSqlAdapterFactory(tracking as never),
    );
  } catch (err) {
    await Promise.allSettled(opened.map((a) => a.dispose()));
    engineStopped();
    throw err;
  }
  let disposed = false;
  return Object.assign(engine, {
    async dispose() {
      if (disposed) return;
      disposed = true;
      engine.free();
      await Promise.allSettled(opened.map((a) => a.dispose()));
      engineStopped();
    },
  });
}
