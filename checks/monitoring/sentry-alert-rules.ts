import { defineCheck, fail, pass } from "../../src/engine/check.js";
import type { SentryAlertKind } from "../../src/config/bookflow-config.js";
import type { SentryIssueAlertRule } from "../../src/engine/facts/monitoring.js";

const FIRST_SEEN = "sentry.rules.conditions.first_seen_event.FirstSeenEventCondition";
const HIGH_PRIORITY = ["sentry.rules.conditions.high_priority_issue.NewHighPriorityIssueCondition", "sentry.rules.conditions.high_priority_issue.ExistingHighPriorityIssueCondition"];
const LEVEL_FILTER = "sentry.rules.filters.level.LevelFilter";
/** Sentry's numeric level of `error` (fatal is 50). */
const ERROR_LEVEL = 40;

/** Whether an active rule that notifies someone alerts on this kind of issue. */
export function ruleCovers(rule: SentryIssueAlertRule, kind: SentryAlertKind): boolean {
  if (rule.status !== "active" || rule.actions === 0 || rule.actionMatch === "none" || rule.conditions.length === 0) return false;
  if (kind === "new-issues") return rule.conditions.includes(FIRST_SEEN);
  if (rule.conditions.some((c) => HIGH_PRIORITY.includes(c))) return true;
  // Any trigger narrowed to error or fatal events by the level filter.
  return rule.filters.some((f) => f.id === LEVEL_FILTER && Number(f.level) >= ERROR_LEVEL && (f.match === "gte" || f.match === "eq"));
}

const KIND_WORDS: Record<SentryAlertKind, string> = {
  "new-issues": "new issues (A new issue is created)",
  "high-priority": "high-priority issues (a new or escalating high-priority issue, or events at level error or fatal)",
};

export default defineCheck({
  id: "monitoring.sentry-alert-rules",
  section: "monitoring",
  title: "Sentry alerts someone on new and high-priority issues",
  severity: "warn",
  severityByTarget: { production: "error" },
  needs: [],
  facts: ["sentryAlertRules", "config"],
  docs: {
    decides:
      "Reads the project's issue alert rules (GET /api/0/projects/{SENTRY_ORG}/{SENTRY_PROJECT}/rules/, every page) and looks, for each kind in monitoring.sentry.alertRules, for an active rule with at least one action: new-issues needs the trigger 'A new issue is created' (FirstSeenEventCondition); high-priority needs a high-priority trigger (NewHighPriorityIssueCondition or ExistingHighPriorityIssueCondition) or any trigger with the level filter at error or above. A rule whose triggers must all be false (actionMatch none) does not count. Missing SENTRY_AUTH_TOKEN, SENTRY_ORG or SENTRY_PROJECT is a failure. An error for --target production, a warning elsewhere.",
    why: "Errors reported to a project nobody is alerted about are read days later: a webhook handler that throws on launch night leaves paid bookings PENDING while the events pile up unseen.",
    fix: "In Sentry, add issue alerts (Alerts → Create Alert → Issues) for 'A new issue is created' and for high-priority issues, each with an action that notifies the on-call person or channel. For the check to read them set SENTRY_AUTH_TOKEN (an internal integration or personal token with the project:read scope, which also lets monitoring.sentry-capturing-errors read events; alerts:read is enough for the rules alone), SENTRY_ORG (the organization slug) and SENTRY_PROJECT (the project slug); a self-hosted or regional Sentry is found from SENTRY_DSN, or set SENTRY_API_BASE.",
  },
  messages: {
    notConfigured: "Cannot read Sentry's alert rules: {{missing}} not set. Set SENTRY_AUTH_TOKEN (scope project:read), SENTRY_ORG and SENTRY_PROJECT",
    unreachable: "Could not reach Sentry at {{endpoint}}: {{error}}",
    tokenRejected: "Sentry refused SENTRY_AUTH_TOKEN at {{endpoint}} (HTTP {{status}}: {{error}}): create a token with the project:read scope",
    forbidden: "SENTRY_AUTH_TOKEN may not read the project's alert rules (HTTP 403: {{error}}): give it the project:read (or alerts:read) scope",
    projectNotFound: "Sentry knows no such project (HTTP 404 at {{endpoint}}): check SENTRY_ORG and SENTRY_PROJECT (the slugs in the project's URL)",
    refused: "Sentry answered HTTP {{status}} at {{endpoint}}: {{error}}",
    missingRules: "No active Sentry issue alert notifies anyone of {{kinds}} ({{count}} rule(s) on the project: {{rules}})",
    rulesPresent: "Sentry alerts on {{covered}}",
  },
  run({ sentryAlertRules: f, config }) {
    if (!f.configured) return fail("notConfigured", { missing: f.missing.join(", ") }, { expected: "SENTRY_AUTH_TOKEN, SENTRY_ORG and SENTRY_PROJECT set" });
    if (!f.ok) {
      const extra = { expected: "HTTP 200 with the rules", actual: f.status };
      if (f.status === null) return fail("unreachable", { endpoint: f.endpoint, error: f.error }, extra);
      if (f.status === 401) return fail("tokenRejected", { endpoint: f.endpoint, status: f.status, error: f.error }, extra);
      if (f.status === 403) return fail("forbidden", { error: f.error }, extra);
      if (f.status === 404) return fail("projectNotFound", { endpoint: f.endpoint }, extra);
      return fail("refused", { endpoint: f.endpoint, status: f.status, error: f.error }, extra);
    }
    const expected = config.monitoring.sentry.alertRules;
    const covering = expected.map((kind) => ({ kind, rules: f.rules.filter((r) => ruleCovers(r, kind)) }));
    const uncovered = covering.filter((c) => c.rules.length === 0).map((c) => c.kind);
    const actual = f.rules.map((r) => ({ id: r.id, name: r.name, status: r.status, conditions: r.conditions, actions: r.actions }));
    if (uncovered.length) {
      return fail(
        "missingRules",
        { kinds: uncovered.map((k) => KIND_WORDS[k]).join(" and "), count: f.rules.length, rules: f.rules.length ? f.rules.map((r) => `"${r.name}"${r.status !== "active" ? ` (${r.status})` : ""}`).join(", ") : "none" },
        { expected: uncovered, actual },
      );
    }
    const covered = covering.map((c) => `${c.kind} (${c.rules.map((r) => `"${r.name}"`).join(", ")})`).join(" and ");
    return pass("rulesPresent", { covered: covered || "nothing: monitoring.sentry.alertRules is empty" }, { details: actual });
  },
});
