import { defineCheck, fail, pass, warn } from "../../src/engine/check.js";

export default defineCheck({
  id: "database.connects",
  section: "database",
  title: "DATABASE_URL and DIRECT_URL both connect, with acceptable latency",
  severity: "error",
  needs: [],
  facts: ["databaseConnections", "config"],
  docs: {
    why: "The app reads and writes bookings through DATABASE_URL (often a pooler); migrations run through DIRECT_URL. If either cannot connect, bookings fail or the release cannot migrate; a slow round trip makes every request slow.",
    fix: "Check host, port, database name, user and password of each URL, that the database accepts connections from here (firewall, IP allow-list, SSL mode), and that the pooler is up. Latency above thresholds.databaseLatencyMs (bookflow.config.json) is a warning: run verify close to the database or raise the threshold.",
  },
  messages: {
    notConnecting: "{{problems}}",
    slowRoundTrip: "Slow round trip: {{slow}} (above {{thresholdMs}} ms)",
    connected: "Both connect: {{timing}}",
  },
  run({ databaseConnections, config }) {
    const thresholdMs = config.thresholds.databaseLatencyMs;
    const failed = databaseConnections.filter((c) => !c.ok);
    const details = databaseConnections.map((c) => ({ variable: c.variable, location: c.location, ok: c.ok, connectMs: c.connectMs, latencyMs: c.latencyMs, error: c.error }));
    if (failed.length) {
      return fail("notConnecting", { problems: failed.map((c) => `${c.variable} ${c.location === null ? "is not set" : `does not connect: ${c.error ?? "unknown error"}`}`).join("; ") }, {
        expected: "both URLs connect",
        actual: failed.map((c) => ({ variable: c.variable, error: c.error })),
        details,
      });
    }
    const timing = databaseConnections.map((c) => `${c.variable} ${c.latencyMs} ms (connect ${c.connectMs} ms)`).join(", ");
    const slow = databaseConnections.filter((c) => (c.latencyMs ?? 0) > thresholdMs);
    if (slow.length) {
      return warn("slowRoundTrip", { slow: slow.map((c) => `${c.variable} ${c.latencyMs} ms`).join(", "), thresholdMs }, {
        expected: `latency ≤ ${thresholdMs} ms`,
        actual: Object.fromEntries(slow.map((c) => [c.variable, c.latencyMs])),
        details,
      });
    }
    return pass("connected", { timing }, { details });
  },
});
