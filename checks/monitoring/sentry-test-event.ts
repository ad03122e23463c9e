import { defineCheck, fail, pass, skip } from "../../src/engine/check.js";

export default defineCheck({
  id: "monitoring.sentry-test-event",
  section: "monitoring",
  title: "Sentry accepts a test event (with --send-test-events)",
  severity: "warn",
  severityByTarget: { production: "error" },
  needs: ["monitoring.sentry-dsn"],
  facts: ["sentryTestEvent"],
  docs: {
    why: "A well-formed DSN can still point at a deleted project, a disabled key or a host this network cannot reach; only an accepted event proves errors will arrive.",
    fix: "Check in Sentry that the project and its client key exist and are enabled (Project Settings → Client Keys), that the DSN is the current one, and that the host is reachable from where the app runs (proxies, firewalls). Rate limits and spike protection can also refuse events.",
  },
  messages: {
    notSent: "{{reason}}",
    unreachable: "Sentry did not accept the test event at {{endpoint}}: no answer",
    unreachableWithError: "Sentry did not accept the test event at {{endpoint}}: no answer ({{error}})",
    refused: "Sentry did not accept the test event at {{endpoint}}: HTTP {{status}}",
    refusedWithError: "Sentry did not accept the test event at {{endpoint}}: HTTP {{status}} ({{error}})",
    accepted: "Sentry accepted test event {{eventId}} (HTTP {{status}})",
  },
  run({ sentryTestEvent: e }) {
    if (!e.sent) return skip("notSent", { reason: e.reason });
    const details = { endpoint: e.endpoint, eventId: e.eventId, status: e.status };
    if (!e.accepted) {
      const extra = { expected: "HTTP 200", actual: e.status, details };
      if (e.status === null) return e.error ? fail("unreachableWithError", { endpoint: e.endpoint, error: e.error }, extra) : fail("unreachable", { endpoint: e.endpoint }, extra);
      return e.error ? fail("refusedWithError", { endpoint: e.endpoint, status: e.status, error: e.error }, extra) : fail("refused", { endpoint: e.endpoint, status: e.status }, extra);
    }
    return pass("accepted", { eventId: e.eventId, status: String(e.status) }, { details });
  },
});
