import { execa } from "execa";
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./free-port.js";

/**
 * A PostgreSQL server of a test's (or a bench's) own (initdb + pg_ctl on a free loopback port), for tests that stop it
 * (`pg_ctl stop -m immediate`, the way a crashed or failed-over database goes away) and start it again. The
 * shared server on 5432 is never touched. As root, the server runs as the postgres user (PostgreSQL refuses root).
 */
export interface PrivatePostgres {
  port: number;
  /** postgresql://postgres@127.0.0.1:<port>/<database> */
  urlFor(database: string): string;
  /** Stops it the way a crash does: no shutdown checkpoint, every connection cut. */
  crash(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

function binDir(): string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  if (!versions.length) throw new Error("no PostgreSQL server binaries under /usr/lib/postgresql (apt-get install postgresql)");
  return join(root, versions[0]!, "bin");
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = binDir();
  const dir = mkdtempSync(join(tmpdir(), "bookflow-pg-"));
  const data = join(dir, "data");
  const port = await freePort();
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    chmodSync(dir, 0o755);
    chownSync(dir, Number((await execa("id", ["-u", "postgres"])).stdout), Number((await execa("id", ["-g", "postgres"])).stdout));
  }
  const run = (cmd: string, args: string[]) => (asRoot ? execa("runuser", ["-u", "postgres", "--", join(bin, cmd), ...args]) : execa(join(bin, cmd), args));
  await run("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"]);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
  const start = async () => {
    await run("pg_ctl", ["-D", data, "-o", options, "-l", join(dir, "log"), "-w", "-t", "30", "start"]);
  };
  await start();
  return {
    port,
    urlFor: (database) => `postgresql://postgres@127.0.0.1:${port}/${database}`,
    crash: async () => {
      await run("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
    },
    start,
    stop: async () => {
      await run("pg_ctl", ["-D", data, "-m", "fast", "-w", "stop"]).catch(() => undefined);
    },
  };
}
