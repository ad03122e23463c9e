import { defineCheck, fail, pass, skip } from "../../src/engine/check.js";
import type { DatadogMonitorLookup, DatadogMonitorSummary } from "../../src/engine/facts/monitoring.js";

type Expectation = DatadogMonitorLookup["expectation"];

/** A listed monitor counts when it has the expected name (as a substring, ignoring case) and tag. */
export function monitorMatches(m: DatadogMonitorSummary, e: Expectation): boolean {
  return (e.name === undefined || m.name.toLowerCase().includes(e.name.toLowerCase())) && (e.tag === undefined || m.tags.includes(e.tag));
}

function describe(e: Expectation): string {
  return [e.name !== undefined ? `name "${e.name}"` : undefined, e.tag !== undefined ? `tag ${e.tag}` : undefined].filter(Boolean).join(" and ");
}

export default defineCheck({
  id: "monitoring.datadog-monitors",
  section: "monitoring",
  title: "Datadog has monitors for webhook processing time and email failures",
  severity: "warn",
  severityByTarget: { production: "error" },
  needs: [],
  facts: ["datadogMonitors"],
  docs: {
    decides:
      "For each monitor in monitoring.datadog.monitors (default: webhook-processing-time and email-failures, found by the tags bookflow:webhook-processing-time and bookflow:email-failures), lists Datadog's monitors (GET /api/v1/monitor with the name or monitor_tags filter, every page) and needs one whose name contains the expected name and whose tags hold the expected tag. A missing DATADOG_API_KEY or DATADOG_APP_KEY is a failure; an empty list expects nothing (skip). An error for --target production, a warning elsewhere.",
    why: "Metrics nobody watches alert nobody: webhooks slowing down towards the providers' timeouts, or booking emails bouncing, are found by customers unless a monitor turns them into a page.",
    fix: "In Datadog, create the monitors (Monitors → New Monitor): one on the webhook routes' processing time (e.g. p95 of the request duration above a few seconds) and one on failed booking emails, and tag them bookflow:webhook-processing-time and bookflow:email-failures (or name them in bookflow.config.json monitoring.datadog.monitors). For the check to list them set DATADOG_API_KEY and DATADOG_APP_KEY (an application key with the monitors_read scope; Organization Settings → Application Keys); for a site other than datadoghq.com set DD_SITE or DATADOG_API_BASE.",
  },
  messages: {
    noneExpected: "monitoring.datadog.monitors lists no monitor: nothing to look for",
    notConfigured: "Cannot list Datadog monitors: {{missing}} not set. Set DATADOG_API_KEY and DATADOG_APP_KEY (an application key with the monitors_read scope)",
    unreachable: "Could not reach Datadog at {{endpoint}}: {{error}}",
    forbidden: "Datadog refused to list monitors (HTTP 403: {{error}}): check DATADOG_API_KEY, and that DATADOG_APP_KEY exists and has the monitors_read scope",
    refused: "Datadog answered HTTP {{status}} at {{endpoint}}: {{error}}",
    missingMonitors: "No Datadog monitor for {{missing}}",
    monitorsPresent: "Datadog monitors {{found}}",
  },
  run({ datadogMonitors: f }) {
    if (!f.configured) return fail("notConfigured", { missing: f.missing.join(", ") }, { expected: "DATADOG_API_KEY and DATADOG_APP_KEY set" });
    if (f.lookups.length === 0) return skip("noneExpected");
    for (const l of f.lookups) {
      if (l.ok) continue;
      const extra = { expected: "HTTP 200 with the monitors", actual: l.status };
      if (l.status === null) return fail("unreachable", { endpoint: l.endpoint, error: l.error }, extra);
      if (l.status === 403 || l.status === 401) return fail("forbidden", { error: l.error }, extra);
      return fail("refused", { endpoint: l.endpoint, status: l.status, error: l.error }, extra);
    }
    const found = f.lookups.map((l) => ({ expectation: l.expectation, monitors: l.ok ? l.monitors.filter((m) => monitorMatches(m, l.expectation)) : [] }));
    const missing = found.filter((x) => x.monitors.length === 0);
    const actual = found.map((x) => ({ purpose: x.expectation.purpose, monitors: x.monitors.map((m) => ({ id: m.id, name: m.name, overallState: m.overallState })) }));
    if (missing.length) {
      return fail("missingMonitors", { missing: missing.map((x) => `${x.expectation.purpose} (${describe(x.expectation)})`).join(", ") }, { expected: missing.map((x) => x.expectation), actual });
    }
    return pass("monitorsPresent", { found: found.map((x) => `${x.expectation.purpose} (${x.monitors.map((m) => `#${m.id} "${m.name}"${m.overallState ? ` ${m.overallState}` : ""}`).join(", ")})`).join(", ") }, { details: actual });
  },
});
