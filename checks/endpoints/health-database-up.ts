import { defineCheck, fail } from "../../src/engine/check.js";
import { answerSummary, passUnlessSlow } from "../../src/engine/facts/endpoints.js";

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
  run({ config, endpointProbes }) {
    const probe = endpointProbes.health;
    if (!probe.probed) return fail(`The health endpoint was not probed: ${probe.reason}`);
    const r = probe.result;
    if (r.status === null) return fail(`No answer from ${probe.url}: ${r.error ?? "unknown error"}`, { expected: "200 with database.up = true", actual: answerSummary(r) });
    if (r.status === 404) return fail(`${probe.url} answered 404: no health endpoint is deployed there`, { expected: "200 with database.up = true", actual: answerSummary(r) });
    const body = parseJson(r.bodyText);
    const database = body && typeof body === "object" ? (body as { database?: { up?: unknown; latencyMs?: unknown; error?: unknown } }).database : undefined;
    if (!database || typeof database.up !== "boolean")
      return fail(`${probe.url} answered ${r.status} without a database status (expected JSON { database: { up } })`, { expected: "200 with database.up = true", actual: answerSummary(r) });
    if (!database.up) {
      const why = typeof database.error === "string" ? `: ${database.error}` : "";
      return fail(`${probe.url} reports the database down (${r.status})${why}`, { expected: "database.up = true", actual: answerSummary(r) });
    }
    if (r.status !== 200) return fail(`${probe.url} reports the database up but answered ${r.status}`, { expected: "200", actual: answerSummary(r) });
    const latency = typeof database.latencyMs === "number" ? ` (database latency ${database.latencyMs} ms)` : "";
    return passUnlessSlow(r, config, `${probe.url} reports the database up`, latency);
  },
});

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
