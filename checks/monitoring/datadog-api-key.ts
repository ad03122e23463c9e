import { defineCheck, fail, pass } from "../../src/engine/check.js";

export default defineCheck({
  id: "monitoring.datadog-api-key",
  section: "monitoring",
  title: "DATADOG_API_KEY is accepted by Datadog",
  severity: "warn",
  severityByTarget: { production: "error" },
  needs: [],
  facts: ["datadogApiKey"],
  docs: {
    why: "Metrics and logs sent with a revoked or mistyped key are dropped silently: dashboards and monitors go quiet exactly when they are needed.",
    fix: "Create or copy an API key in Datadog (Organization Settings → API Keys) into DATADOG_API_KEY. For a site other than datadoghq.com set DD_SITE (e.g. datadoghq.eu) or DATADOG_API_BASE (e.g. https://api.datadoghq.eu).",
  },
  messages: {
    notSet: "DATADOG_API_KEY is not set: metrics and logs are not sent to Datadog. Set it (and DD_SITE or DATADOG_API_BASE outside datadoghq.com) to enable monitoring",
    unreachable: "Could not reach {{endpoint}}: {{error}}",
    keyRejected: "Datadog rejected DATADOG_API_KEY at {{endpoint}}: {{error}}",
    keyAccepted: "Datadog accepts the key ({{endpoint}})",
  },
  run({ datadogApiKey: d }) {
    if (d === null) return fail("notSet");
    if (!d.valid) {
      const extra = { expected: "HTTP 200 { valid: true }", actual: d.status };
      if (d.status === null) return fail("unreachable", { endpoint: d.endpoint, error: d.error ?? "no answer" }, extra);
      return fail("keyRejected", { endpoint: d.endpoint, error: d.error ?? `HTTP ${d.status}` }, extra);
    }
    return pass("keyAccepted", { endpoint: d.endpoint });
  },
});
