import { execa, type ResultPromise } from "execa";
import { chmodSync, existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./free-port.js";

/**
 * Debian's PgBouncer in front of a test database, as a deployment's pooled DATABASE_URL is (Supabase's and Neon's
 * pooled URLs are PgBouncer in transaction mode). `.ci/run` installs the package when it is missing; a missing
 * binary fails the test rather than skipping it.
 */
export const PGBOUNCER_BIN = "/usr/sbin/pgbouncer";

export interface RunningPgBouncer {
  /** The pooled URL (no `pgbouncer=true` marker: callers add it when they test the flag). */
  url: string;
  port: number;
  stop(): Promise<void>;
}

export async function startPgBouncer(options: { database: string; mode: "transaction" | "session"; poolSize?: number; server?: { host: string; port: number; user: string } }): Promise<RunningPgBouncer> {
  if (!existsSync(PGBOUNCER_BIN)) throw new Error(`${PGBOUNCER_BIN} is missing: apt-get install pgbouncer (.ci/run installs it)`);
  const server = options.server ?? { host: "127.0.0.1", port: 5432, user: "postgres" };
  const dir = mkdtempSync(join(tmpdir(), "bookflow-pgbouncer-"));
  chmodSync(dir, 0o777);
  const port = await freePort();
  const ini = join(dir, "pgbouncer.ini");
  writeFileSync(
    ini,
    [
      "[databases]",
      `${options.database} = host=${server.host} port=${server.port} dbname=${options.database} user=${server.user}`,
      "[pgbouncer]",
      "listen_addr = 127.0.0.1",
      `listen_port = ${port}`,
      `unix_socket_dir = ${dir}`,
      "auth_type = any",
      `pool_mode = ${options.mode}`,
      `default_pool_size = ${options.poolSize ?? 4}`,
      "max_client_conn = 500",
      "server_reset_query = DISCARD ALL",
      "ignore_startup_parameters = extra_float_digits,options",
      `logfile = ${join(dir, "pgbouncer.log")}`,
      `pidfile = ${join(dir, "pgbouncer.pid")}`,
      "",
    ].join("\n"),
  );
  chmodSync(ini, 0o644);
  // PgBouncer refuses to run as root: as root, it is told to switch to the postgres user.
  const asRoot = process.getuid?.() === 0;
  const child: ResultPromise = execa(PGBOUNCER_BIN, [...(asRoot ? ["-u", "postgres"] : []), ini], { reject: false, stdio: "ignore" });
  const deadline = Date.now() + 10_000;
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const s = connect(port, "127.0.0.1");
      s.once("connect", () => (s.destroy(), resolve(true)));
      s.once("error", () => resolve(false));
    });
    if (up) break;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`PgBouncer did not start on port ${port} (see ${join(dir, "pgbouncer.log")})`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: `postgresql://${server.user}@127.0.0.1:${port}/${options.database}`,
    port,
    async stop() {
      child.kill("SIGTERM");
      await child;
    },
  };
}
