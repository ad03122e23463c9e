import { catalogue } from "../checks/index.js";
import { createContext } from "../src/context.js";
import { loadBookflowConfig } from "../src/config/bookflow-config.js";
import { runChecks } from "../src/engine/runner.js";
import { selectChecks } from "../src/engine/selection.js";
import { createFactStore } from "../src/ops/verify.js";

/**
 * The monitor bench's floor, run as its own process: the same checks run
 * RUNS times in one process, without the server, metrics, signals or alerts.
 * Prints one JSON line: RSS after the first run and at the end, and CPU time.
 * Usage: node dist/bench/monitor-floor.js <selectors> <runs>
 */
const [only = "stripe", runs = "100"] = process.argv.slice(2);
const ctx = createContext({ env: process.env, out: () => {}, err: () => {} });
const { config } = loadBookflowConfig(undefined, ctx.cwd);
const { checks, excluded } = selectChecks(catalogue, { only: only.split(","), skip: [] });
let rssFirst = 0;
const failures = new Set<string>();
for (let i = 0; i < Number(runs); i++) {
  const abort = new AbortController();
  const facts = createFactStore(ctx, { target: "sandbox", config, signal: abort.signal, sendTestEvents: false, includeLoad: false });
  const report = await runChecks(checks, { facts, target: "sandbox", concurrency: 8, timeoutMs: 15_000, strict: false, excluded });
  abort.abort();
  for (const r of report.results) if (r.status === "fail" || r.status === "error") failures.add(r.id);
  if (i === 0) rssFirst = process.memoryUsage().rss;
}
const usage = process.resourceUsage();
await ctx.close();
console.log(JSON.stringify({ rssFirst, rssEnd: process.memoryUsage().rss, cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000, failures: [...failures] }));
