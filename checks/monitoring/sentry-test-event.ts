import { defineCheck, fail, pass, skip } from "../../src/engine/check.js";

export default defineCheck({
  id: "monitoring.sentry-test-event",
  section: "monitoring",
  title: "Sentry accepts a test event (with --send-test-events)",
  severity: "warn",
  needs: ["monitoring.sentry-dsn"],
  facts: ["sentryTestEvent"],
  docs: {
    why: "A well-formed DSN can still point at a deleted project, a disabled key or a host this network cannot reach; only an accepted event proves errors will arrive.",
    fix: "Check in Sentry that the project and its client key exist and are enabled (Project Settings → Client Keys), that the DSN is the current one, and that the host is reachable from where the app runs (proxies, firewalls). Rate limits and spike protection can also refuse events.",
  },
  run({ sentryTestEvent: e }) {
    if (!e.sent) return skip(e.reason);
    const details = { endpoint: e.endpoint, eventId: e.eventId, status: e.status };
    if (!e.accepted) {
      return fail(`Sentry did not accept the test event at ${e.endpoint}: ${e.status === null ? "no answer" : `HTTP ${e.status}`}${e.error ? ` (${e.error})` : ""}`, { expected: "HTTP 200", actual: e.status, details });
    }
    return pass(`Sentry accepted test event ${e.eventId} (HTTP ${e.status})`, { details });
  },
});
