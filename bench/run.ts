import { benches, type BenchFigures } from "./registry.js";

/**
 * `npm run bench [-- NAME…] [--json] [--list]`: runs the named benches (all of
 * them by default) one after another and prints each one's figures.
 * Exit codes: 0 done, 1 a bench failed, 2 an unknown bench name.
 */
async function main(argv: string[]): Promise<number> {
  const json = argv.includes("--json");
  if (argv.includes("--list")) {
    for (const b of benches) console.log(`${b.name.padEnd(16)} ${b.description}`);
    return 0;
  }
  const names = argv.filter((a) => !a.startsWith("--"));
  const unknown = names.filter((n) => !benches.some((b) => b.name === n));
  if (unknown.length) {
    console.error(`Unknown bench: ${unknown.join(", ")}. Available: ${benches.map((b) => b.name).join(", ")}.`);
    return 2;
  }
  const selected = names.length ? benches.filter((b) => names.includes(b.name)) : benches;
  const results: Record<string, BenchFigures | { error: string }> = {};
  let failed = false;
  for (const bench of selected) {
    if (!json) console.log(`\n== ${bench.name}: ${bench.description}`);
    const started = Date.now();
    try {
      const figures = await bench.run();
      results[bench.name] = figures;
      if (!json) {
        const width = Math.max(...Object.keys(figures).map((k) => k.length));
        for (const [k, v] of Object.entries(figures)) console.log(`  ${k.padEnd(width)}  ${v}`);
        console.log(`  (${((Date.now() - started) / 1000).toFixed(1)} s)`);
      }
    } catch (err) {
      failed = true;
      const message = err instanceof Error ? err.message : String(err);
      results[bench.name] = { error: message };
      console.error(`bench ${bench.name} failed: ${message}`);
    }
  }
  if (json) console.log(JSON.stringify(results, null, 2));
  return failed ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
