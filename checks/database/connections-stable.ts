import { defineCheck, fail, pass, warn } from "../../src/engine/check.js";

/** The value at rank ceil(p·n) of the sorted values (nearest rank). */
function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

export default defineCheck({
  id: "database.connections-stable",
  section: "database",
  title: "Fresh connections to DATABASE_URL keep succeeding over a few seconds, with a steady latency",
  severity: "error",
  needs: ["database.connects"],
  facts: ["databaseConnectionSamples", "config"],
  docs: {
    decides:
      "Opens thresholds.databaseConnectionSamples (default 6) fresh connections to DATABASE_URL at even intervals over thresholds.databaseSampleWindowMs (default 2500 ms), each running `SELECT 1` (a sample not done in 3 s fails). Any failed sample fails the check, naming how many of how many and the first error. Otherwise the latencies (min/median/p95/max, nearest rank) are reported, and two or more samples more than thresholds.databaseLatencySpreadMs (default 250 ms) above the median are a warning (one slow sample alone is a hiccup, not a spread).",
    why: "Serverless functions open connections all the time: a pooler at its client limit, a database near max_connections, a flapping network or a failover in progress refuses some of them, and those requests (webhook deliveries, checkouts) fail at random on launch night while a single connection test passes.",
    fix: "Read the error of the failed samples: `too many clients` / `remaining connection slots are reserved` means raise max_connections or route DATABASE_URL through the pooler (PgBouncer, Supavisor, Neon's pooler) and lower the app's pool size; refused or timed-out connections point at the network or a restarting server (check the provider's status and logs). A wide spread usually means a pooler or server under load: run verify close to the database, or raise thresholds.databaseLatencySpreadMs in bookflow.config.json.",
  },
  messages: {
    samplesFailed: "{{failed}} of {{total}} fresh connections to {{location}} failed over {{windowMs}} ms: {{firstError}}",
    spreadWide: "Connection latency spread is wide: {{slow}} of {{total}} connections took more than {{thresholdMs}} ms above the median {{median}} ms (min {{min}}, p95 {{p95}}, max {{max}} ms)",
    stable: "{{total}} fresh connections over {{windowMs}} ms all succeeded: min {{min}} ms, median {{median}} ms, p95 {{p95}} ms, max {{max}} ms",
  },
  run({ databaseConnectionSamples: s, config }) {
    const total = s.samples.length;
    const failed = s.samples.filter((x) => !x.ok);
    const details = { location: s.location, windowMs: s.windowMs, samples: s.samples };
    if (failed.length || total === 0) {
      return fail("samplesFailed", { failed: failed.length, total, location: s.location, windowMs: s.windowMs, firstError: failed[0]?.error ?? "no sample was taken" }, {
        expected: `${total} of ${total} connections succeed`,
        actual: { failed: failed.length, errors: [...new Set(failed.map((x) => x.error ?? "unknown error"))] },
        details,
      });
    }
    const sorted = s.samples.map((x) => x.ms ?? 0).sort((a, b) => a - b);
    const figures = { min: sorted[0]!, median: percentile(sorted, 0.5), p95: percentile(sorted, 0.95), max: sorted.at(-1)! };
    const thresholdMs = config.thresholds.databaseLatencySpreadMs;
    // One slow sample is a hiccup (a busy moment, a cold path); two or more far above the median are a spread.
    const slow = sorted.filter((ms) => ms - figures.median > thresholdMs).length;
    if (slow >= 2) {
      return warn("spreadWide", { ...figures, thresholdMs, total, slow }, { expected: `at most one sample more than ${thresholdMs} ms above the median`, actual: { ...figures, slow }, details });
    }
    return pass("stable", { ...figures, total, windowMs: s.windowMs }, { actual: figures, details });
  },
});
