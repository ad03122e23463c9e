import { defineCheck, fail, pass, skip } from "../../src/engine/check.js";

export default defineCheck({
  id: "monitoring.sentry-capturing-errors",
  section: "monitoring",
  title: "Sentry is capturing errors: the test event is read back (with --send-test-events)",
  severity: "warn",
  severityByTarget: { production: "error" },
  needs: ["monitoring.sentry-test-event"],
  facts: ["sentryEventReadBack"],
  docs: {
    decides:
      "After monitoring.sentry-test-event's event was accepted, asks Sentry's API for it (GET /api/0/projects/{SENTRY_ORG}/{SENTRY_PROJECT}/events/{event id}/), again every half second while Sentry answers 404 (not ingested yet), for up to 8 seconds. Found: pass. Still 404, or refused: fail. Missing SENTRY_AUTH_TOKEN, SENTRY_ORG or SENTRY_PROJECT is a failure. An error for --target production, a warning elsewhere.",
    why: "An envelope endpoint accepts events it later drops (a filter, an inbound data rule, a quota, a DSN of another project than the one people watch): only an event found in the project proves errors reach the people who read them.",
    fix: "Check the project's inbound filters and data rules and its quota (Settings → Projects → Inbound Filters, Stats), that SENTRY_DSN belongs to the project SENTRY_PROJECT names, and that SENTRY_AUTH_TOKEN has the project:read scope. Sentry can take longer than 8 seconds when busy: run verify again before changing anything.",
  },
  messages: {
    notRead: "{{reason}}",
    notConfigured: "Sentry accepted event {{eventId}} but it cannot be read back: {{missing}} not set. Set SENTRY_AUTH_TOKEN (scope project:read), SENTRY_ORG and SENTRY_PROJECT",
    notFound: "Sentry accepted event {{eventId}} but the project does not have it after {{seconds}} s ({{attempts}} reads): it was dropped, or went to another project",
    unreachable: "Could not read event {{eventId}} back from {{endpoint}}: {{error}}",
    refused: "Sentry refused to read event {{eventId}} back (HTTP {{status}}: {{error}}); SENTRY_AUTH_TOKEN needs the project:read scope",
    captured: "Sentry has test event {{eventId}} in the project (found after {{seconds}} s)",
  },
  run({ sentryEventReadBack: r }) {
    if (!r.checked) return skip("notRead", { reason: r.reason });
    if (!r.configured) return fail("notConfigured", { eventId: r.eventId, missing: r.missing.join(", ") }, { expected: "SENTRY_AUTH_TOKEN, SENTRY_ORG and SENTRY_PROJECT set" });
    const seconds = (r.waitedMs / 1000).toFixed(1);
    if (r.found) return pass("captured", { eventId: r.eventId, seconds }, { details: { endpoint: r.endpoint, attempts: r.attempts, groupId: r.groupId } });
    const extra = { expected: "HTTP 200 with the event", actual: r.status, details: { endpoint: r.endpoint, attempts: r.attempts, waitedMs: r.waitedMs } };
    if (r.status === null) return fail("unreachable", { eventId: r.eventId, endpoint: r.endpoint, error: r.error }, extra);
    if (r.status === 404) return fail("notFound", { eventId: r.eventId, seconds, attempts: r.attempts }, extra);
    return fail("refused", { eventId: r.eventId, status: r.status, error: r.error }, extra);
  },
});
