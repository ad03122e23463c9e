import { execFile, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { packageRoot } from "../src/package-root.js";
import { startSandbox, type SandboxWorld } from "../src/sandbox/world.js";

/**
 * `npm run bench -- monitor`: `bookflow monitor` as a process in the sandbox
 * (real PostgreSQL, BOOKFLOW_BENCH_PG) for RUNS intervals of 1 s, /healthz and
 * /metrics scraped after every run: its CPU time and RSS (after the first run,
 * after the 10th, at the end: the end must not have grown past the 10th by
 * more than a few MB), beside its floor measured in the same run — the same
 * checks run RUNS times in one process without server, signals or alerts —
 * and a bare node process's RSS.
 */
const SERVER = process.env.BOOKFLOW_BENCH_PG ?? "postgresql://postgres@127.0.0.1:5432";
const ONLY = "env,stripe,calendly,sendgrid,database";

export async function benchMonitor(options: { runs?: number } = {}): Promise<Record<string, number | string>> {
  const runs = options.runs ?? 100;
  const dbName = `bookflow_bench_monitor_${process.pid}`;
  const admin = new pg.Client({ connectionString: `${SERVER}/postgres` });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
  await admin.query(`CREATE DATABASE "${dbName}"`);
  let world: SandboxWorld | undefined;
  try {
    world = await startSandbox({ databaseUrl: `${SERVER}/${dbName}` });
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: "1", CI: "true", ...world.env };
    const root = packageRoot();
    const bin = join(root, "bin", "bookflow.js");

    const bareRss = Number((await run("node", ["-e", "console.log(process.memoryUsage().rss)"], env)).trim());

    const started = Date.now();
    const child = spawn("node", ["--", bin, "monitor", "--target", "sandbox", "--only", ONLY, "--interval", "1s", "--port", "0", "--alerts", "none", "--json"], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    const rss: Record<number, number> = {};
    let cpuMs = 0;
    let scrapes = 0;
    let unhealthy = 0;
    let url: string | undefined;
    await new Promise<void>((resolve, reject) => {
      let err = "";
      child.once("exit", (code) => reject(new Error(`monitor exited ${code} early: ${err.slice(-2000)}`)));
      child.stderr.on("data", (c: Buffer) => {
        err += c.toString();
        url ??= /serving (http:\/\/[^/\s]+)\/healthz/.exec(err)?.[1];
        for (const m of c.toString().matchAll(/^Run (\d+):/gm)) {
          const n = Number(m[1]);
          rss[n] = rssOf(child.pid!);
          void scrape(url!).then((ok) => {
            scrapes++;
            if (!ok) unhealthy++;
          });
          if (n === runs) {
            cpuMs = cpuOf(child.pid!);
            child.removeAllListeners("exit");
            resolve();
          }
        }
      });
    });
    const wallMs = Date.now() - started;
    const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    child.kill("SIGTERM");
    const code = await exit;
    if (code !== 0) throw new Error(`monitor exited ${code} after SIGTERM`);
    const summary = JSON.parse(stdout.trim().split("\n").at(-1)!) as { runs: number };

    // Asynchronously: the sandbox's emulators live in this process and must keep answering.
    const floor = JSON.parse((await run("node", [join(root, "dist", "bench", "monitor-floor.js"), ONLY, String(runs)], env)).trim().split("\n").at(-1)!) as { rssFirst: number; rssEnd: number; cpuMs: number; failures: string[] };
    const mb = (b: number) => Math.round((b / 1048576) * 10) / 10;
    return {
      checks: ONLY,
      runs: summary.runs,
      "wall (s)": Math.round(wallMs / 100) / 10,
      "monitor CPU (ms)": Math.round(cpuMs),
      "monitor CPU per run (ms)": Math.round(cpuMs / runs),
      "monitor RSS after run 1 (MB)": mb(rss[1]!),
      "monitor RSS after run 10 (MB)": mb(rss[10]!),
      "monitor RSS after run 100 (MB)": mb(rss[runs]!),
      "monitor RSS growth 10→100 (MB)": mb(rss[runs]! - rss[10]!),
      "scrapes (/healthz + /metrics)": scrapes,
      "unhealthy answers": unhealthy,
      "floor CPU (ms)": Math.round(floor.cpuMs),
      "floor CPU per run (ms)": Math.round(floor.cpuMs / runs),
      "floor RSS after run 1 (MB)": mb(floor.rssFirst),
      "floor RSS at the end (MB)": mb(floor.rssEnd),
      "floor failures": floor.failures.join(", ") || "none",
      "bare node RSS (MB)": mb(bareRss),
      "monitor/floor CPU": Math.round((cpuMs / floor.cpuMs) * 100) / 100,
    };
  } finally {
    await world?.stop();
    await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    await admin.end();
  }
}

async function run(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return (await promisify(execFile)(file, args, { env, encoding: "utf8", maxBuffer: 16 * 1024 * 1024 })).stdout;
}

async function scrape(url: string): Promise<boolean> {
  try {
    const [h, m] = await Promise.all([fetch(`${url}/healthz`), fetch(`${url}/metrics`)]);
    await m.text();
    await h.text();
    return h.status === 200 && m.status === 200;
  } catch {
    return false;
  }
}

function rssOf(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
  return Number(kb) * 1024;
}

/** utime + stime of a process (and its waited-for children), from /proc/<pid>/stat, in ms (clock ticks of 10 ms). */
function cpuOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
