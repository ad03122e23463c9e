import { defineCheck, fail } from "../../src/engine/check.js";
import { answerSummary, passUnlessSlow } from "../support/probe-answers.js";

export default defineCheck({
  id: "endpoints.health-database-up",
  section: "endpoints",
  title: "Health endpoint reports the database up",
  severity: "error",
  needs: ["env.urls-well-formed"],
  facts: ["config", "endpointProbes"],
  docs: {
    why: "The health endpoint is what uptime monitors and the deploy gate watch; when the deployed app cannot reach its database, every webhook fails and bookings are lost.",
    fix: "Open <NEXT_PUBLIC_BASE_URL>/api/health; if it reports the database down, check DATABASE_URL in the deployment's environment (pooler host and port, password, sslmode) and that the database accepts connections from the deployment. A warning means it answered slower than thresholds.httpLatencyMs (bookflow.config.json, default 2000 ms): look at cold starts and the database's latency from the deployment's region.",
  },
  messages: {
    notProbed: "The health endpoint was not probed: {{reason}}",
    noAnswer: "No answer from {{url}}: {{error}}",
    noHealthEndpoint: "{{url}} answered 404: no health endpoint is deployed there",
    noDatabaseStatus: "{{url}} answered {{status}} without a database status (expected JSON { database: { up } })",
    databaseDown: "{{url}} reports the database down ({{status}})",
    databaseDownWithError: "{{url}} reports the database down ({{status}}): {{error}}",
    unexpectedStatus: "{{url}} reports the database up but answered {{status}}",
    databaseUp: "{{url}} reports the database up in {{latencyMs}} ms",
    databaseUpSlowly: "{{url}} reports the database up in {{latencyMs}} ms, longer than thresholds.httpLatencyMs ({{limitMs}} ms)",
    databaseUpWithLatency: "{{url}} reports the database up in {{latencyMs}} ms (database latency {{databaseLatencyMs}} ms)",
    databaseUpWithLatencySlowly: "{{url}} reports the database up in {{latencyMs}} ms (database latency {{databaseLatencyMs}} ms), longer than thresholds.httpLatencyMs ({{limitMs}} ms)",
  },
  run({ config, endpointProbes }) {
    const probe = endpointProbes.health;
    if (!probe.probed) return fail("notProbed", { reason: probe.reason });
    const r = probe.result;
    const url = probe.url;
    if (r.status === null) return fail("noAnswer", { url, error: r.error ?? "unknown error" }, { expected: "200 with database.up = true", actual: answerSummary(r) });
    if (r.status === 404) return fail("noHealthEndpoint", { url }, { expected: "200 with database.up = true", actual: answerSummary(r) });
    const body = parseJson(r.bodyText);
    const database = body && typeof body === "object" ? (body as { database?: { up?: unknown; latencyMs?: unknown; error?: unknown } }).database : undefined;
    if (!database || typeof database.up !== "boolean") return fail("noDatabaseStatus", { url, status: r.status }, { expected: "200 with database.up = true", actual: answerSummary(r) });
    if (!database.up) {
      const extra = { expected: "database.up = true", actual: answerSummary(r) };
      if (typeof database.error === "string") return fail("databaseDownWithError", { url, status: r.status, error: database.error }, extra);
      return fail("databaseDown", { url, status: r.status }, extra);
    }
    if (r.status !== 200) return fail("unexpectedStatus", { url, status: r.status }, { expected: "200", actual: answerSummary(r) });
    if (typeof database.latencyMs === "number") return passUnlessSlow(r, config, { pass: "databaseUpWithLatency", slow: "databaseUpWithLatencySlowly" }, { url, databaseLatencyMs: database.latencyMs });
    return passUnlessSlow(r, config, { pass: "databaseUp", slow: "databaseUpSlowly" }, { url });
  },
});

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
