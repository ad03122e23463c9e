import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { packageRoot } from "../src/package-root.js";
import { startSandbox } from "../src/sandbox/world.js";

/**
 * Start-up of the whole sandbox world on embedded PGlite: the first start of a
 * new data directory (initdb under WASM, migrate, seed), then starts that reuse
 * it, as `bookflow sandbox run` does every time after the first. Target: under
 * 2 s for a start that reuses the data directory.
 */
export async function benchSandbox(options: { warmRuns?: number } = {}): Promise<Record<string, number | string>> {
  const dir = mkdtempSync(join(tmpdir(), "bookflow-bench-sandbox-"));
  try {
    const dataDir = join(dir, "pglite");
    let t = performance.now();
    let world = await startSandbox({ dataDir });
    const first = performance.now() - t;
    await world.stop();
    const runs: number[] = [];
    const steps: Record<string, number[]> = {};
    for (let i = 0; i < (options.warmRuns ?? 5); i++) {
      t = performance.now();
      world = await startSandbox({ dataDir });
      runs.push(performance.now() - t);
      for (const [k, v] of Object.entries(world.timings)) (steps[k] ??= []).push(v);
      await world.stop();
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    // The same from a fresh process, module loading included: `bookflow sandbox run -- --version`.
    const cli: number[] = [];
    const bin = join(packageRoot(), "bin", "bookflow.js");
    for (let i = 0; i < 3; i++) {
      t = performance.now();
      execFileSync(process.execPath, ["--", bin, "sandbox", "run", "--", "--version"], { env: { ...process.env, DATABASE_URL: "", BOOKFLOW_DATA_DIR: dir }, stdio: "ignore" });
      cli.push(performance.now() - t);
    }
    return {
      "first start (new data dir) ms": Math.round(first),
      "start reusing the data dir, median ms": Math.round(median(runs)),
      "… min ms": Math.round(Math.min(...runs)),
      "`sandbox run -- --version` in a new process, median ms": Math.round(median(cli)),
      ...Object.fromEntries(Object.entries(steps).filter(([k]) => k !== "total").map(([k, v]) => [`  step ${k} (median ms)`, median(v)])),
      target: "< 2000 ms reusing the data dir",
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
