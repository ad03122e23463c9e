import { startSandbox, type SandboxOptions, type SandboxWorld } from "../../src/sandbox/world.js";
import { createTestDatabase, type TestDatabase } from "./db.js";

/**
 * A whole sandbox world on a fresh test database of the real PostgreSQL (the
 * sandbox migrates and seeds it). For a test file's beforeAll/afterAll:
 *
 *   let s: TestSandbox;
 *   beforeAll(async () => { s = await startTestSandbox(); });
 *   afterAll(() => s?.stop());
 *
 * `s.world.env` is the environment under which a bookflow command (runCli or a
 * handler) targets this world.
 */
export interface TestSandbox {
  world: SandboxWorld;
  database: TestDatabase;
  stop(): Promise<void>;
}

export async function startTestSandbox(options: Omit<SandboxOptions, "databaseUrl" | "dataDir"> = {}): Promise<TestSandbox> {
  const database = await createTestDatabase({ migrated: false, poolSize: 2 });
  let world: SandboxWorld;
  try {
    world = await startSandbox({ ...options, databaseUrl: database.url });
  } catch (err) {
    await database.drop();
    throw err;
  }
  return {
    world,
    database,
    async stop() {
      await world.stop();
      await database.drop();
    },
  };
}
