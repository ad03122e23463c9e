import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { packageRoot } from "../src/package-root.js";
import { startSandbox } from "../src/sandbox/world.js";

/**
 * Start-up of the whole sandbox world on embedded PGlite, each kind beside its
 * floor, a start reusing the data directory, in the same run:
 * - a new data directory with no image (initdb under WASM, migrate, seed, and
 *   saving the image), in a cache of the bench's own;
 * - new data directories unpacked from that image (what every new directory
 *   after the first gets);
 * - starts reusing a directory (the floor);
 * - as new processes reusing the directory: `sandbox run -- --version` and
 *   `sandbox run -- verify --only env`.
 * Targets: a new directory from the image ≤ 3 s; `sandbox run -- verify` ≤ 2.5 s.
 */
export async function benchSandbox(options: { warmRuns?: number } = {}): Promise<Record<string, number | string>> {
  const dir = mkdtempSync(join(tmpdir(), "bookflow-bench-sandbox-"));
  const cache = join(dir, "cache");
  const runs = options.warmRuns ?? 5;
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  try {
    let t = performance.now();
    let world = await startSandbox({ dataDir: join(dir, "first", "pglite"), imageCache: cache });
    const first = performance.now() - t;
    if (world.databaseOrigin !== "new") throw new Error(`the first start's database was ${world.databaseOrigin}, not new`);
    await world.stop();

    const fromImage: number[] = [];
    const reused: number[] = [];
    const steps: Record<string, number[]> = {};
    // Where `sandbox run` keeps it with BOOKFLOW_DATA_DIR=<dir>/reused, so the processes below reuse it too.
    const dataDir = join(dir, "reused", "sandbox", "pglite");
    for (let i = 0; i < runs; i++) {
      // A new directory from the image, then the same directory again: alternated, so load weighs on both alike.
      const fresh = i === 0 ? dataDir : join(dir, `image-${i}`, "pglite");
      t = performance.now();
      world = await startSandbox({ dataDir: fresh, imageCache: cache });
      fromImage.push(performance.now() - t);
      if (world.databaseOrigin !== "image") throw new Error(`a new directory's database was ${world.databaseOrigin}, not from the image`);
      await world.stop();
      t = performance.now();
      world = await startSandbox({ dataDir, imageCache: cache });
      reused.push(performance.now() - t);
      for (const [k, v] of Object.entries(world.timings)) (steps[k] ??= []).push(v);
      await world.stop();
    }

    // From a fresh process, module loading included, reusing the directory.
    const bin = join(packageRoot(), "bin", "bookflow.js");
    const env = { ...process.env, DATABASE_URL: "", BOOKFLOW_DATA_DIR: join(dir, "reused"), BOOKFLOW_CACHE_DIR: cache, CI: "1" };
    const timeCli = (args: string[]) => {
      const xs: number[] = [];
      for (let i = 0; i < 3; i++) {
        t = performance.now();
        execFileSync(process.execPath, ["--", bin, "sandbox", "run", "--", ...args], { env, stdio: "ignore" });
        xs.push(performance.now() - t);
      }
      return Math.round(median(xs));
    };
    const version = timeCli(["--version"]);
    const verify = timeCli(["verify", "--only", "env"]);
    return {
      "new data dir, no image yet (makes it) ms": Math.round(first),
      [`new data dir from the image, median of ${runs} ms | floor: reusing a data dir`]: `${Math.round(median(fromImage))} | ${Math.round(median(reused))} (${(median(fromImage) / median(reused)).toFixed(2)}x)`,
      "`sandbox run -- --version`, new process, reused dir, median of 3 ms": version,
      "`sandbox run -- verify --only env`, new process, reused dir, median of 3 ms": verify,
      ...Object.fromEntries(Object.entries(steps).filter(([k]) => k !== "total").map(([k, v]) => [`  reused: step ${k} (median ms)`, median(v)])),
      target: "new data dir from the image <= 3000 ms; sandbox run -- verify <= 2500 ms",
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
