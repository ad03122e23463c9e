import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { scenariosRunCommand } from "../commands/handlers/scenarios.js";
import { createContext } from "../src/context.js";
import type { RunReport } from "../src/engine/report.js";
import { packageRoot } from "../src/package-root.js";
import { startSandbox } from "../src/sandbox/world.js";

/**
 * Wall time of the four end-to-end scenarios in the sandbox (sandbox driver,
 * with the default cleanup), on a fresh database of the real PostgreSQL
 * (BOOKFLOW_BENCH_PG, default postgresql://postgres@127.0.0.1:5432): the
 * handler in-process, several runs on one sandbox, then `bookflow scenarios run`
 * as a new process (module loading included). The sandbox's own start-up is
 * not counted (see the `sandbox` bench).
 */
const SERVER = process.env.BOOKFLOW_BENCH_PG ?? "postgresql://postgres@127.0.0.1:5432";

export async function benchScenarios(options: { runs?: number } = {}): Promise<Record<string, number | string>> {
  const dbName = `bookflow_bench_scenarios_${process.pid}`;
  const admin = new pg.Client({ connectionString: `${SERVER}/postgres` });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
  await admin.query(`CREATE DATABASE "${dbName}"`);
  const world = await startSandbox({ databaseUrl: `${SERVER}/${dbName}` });
  try {
    const walls: number[] = [];
    const perScenario: Record<string, number[]> = {};
    for (let i = 0; i < (options.runs ?? 5); i++) {
      const out: string[] = [];
      const ctx = createContext({ env: { ...world.env } as NodeJS.ProcessEnv, out: (t) => out.push(t), err: () => {} });
      const t = performance.now();
      const code = await scenariosRunCommand()({ format: ["json"] }, { ctx });
      walls.push(performance.now() - t);
      const report = JSON.parse(out.join("")) as RunReport;
      if (code !== 0) throw new Error(`scenarios failed in the sandbox: ${report.results.filter((r) => r.status !== "pass").map((r) => `${r.id}: ${r.message}`).join("; ")}`);
      for (const r of report.results) (perScenario[r.id] ??= []).push(r.durationMs);
    }
    const bin = join(packageRoot(), "bin", "bookflow.js");
    const t = performance.now();
    await promisify(execFile)(process.execPath, ["--", bin, "scenarios", "run", "--format", "json"], { env: { PATH: process.env.PATH, HOME: process.env.HOME, CI: "1", ...world.env } });
    const cli = performance.now() - t;
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    return {
      "all four, in-process, median ms": Math.round(median(walls)),
      "… min ms": Math.round(Math.min(...walls)),
      "… max ms": Math.round(Math.max(...walls)),
      "all four, `bookflow scenarios run` in a new process, ms": Math.round(cli),
      ...Object.fromEntries(Object.entries(perScenario).map(([id, v]) => [`  ${id} (median ms)`, Math.round(median(v))])),
      runs: walls.length,
    };
  } finally {
    await world.stop();
    await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    await admin.end();
  }
}
