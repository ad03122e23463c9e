import { defineCheck, fail, pass, skip } from "../../src/engine/check.js";
import { LOG_LINE_LIMIT, LOG_WINDOW_MS, type DeploymentLogLine, type LogSourceUnavailable } from "../../src/engine/facts/deployment.js";
import { VERCEL_NOT_CONFIGURED } from "./production-ready.js";

/** How many failing lines the message shows (the details carry more). */
export const SHOWN_LINES = 3;
const DETAIL_LINES = 20;
const LINE_CHARS = 200;

const ERROR_LEVELS = new Set(["error", "fatal"]);
const ERROR_EVENT_TYPES = new Set(["stderr", "fatal"]);

/** A 5xx answer recorded in the logs (a request line, or an event carrying a status). */
function serverError(line: DeploymentLogLine): boolean {
  return line.statusCode !== null && line.statusCode >= 500 && line.statusCode <= 599;
}

/** Whether a line is an error: level error/fatal, a stderr or fatal event, or a 5xx answer. */
export function isErrorLine(line: DeploymentLogLine): boolean {
  if (serverError(line)) return true;
  // A request line below 500 is an answer, not an error (a 4xx to a bad request is the app working).
  if (line.type === "request") return false;
  if (line.level !== null && ERROR_LEVELS.has(line.level)) return true;
  return line.source === "events" && ERROR_EVENT_TYPES.has(line.type);
}

export function onWebhookRoute(line: DeploymentLogLine, webhookPaths: readonly string[]): boolean {
  const path = line.requestPath;
  if (!path) return false;
  return webhookPaths.some((p) => (p.endsWith("/") ? path.startsWith(p) : path === p || path.startsWith(`${p}/`) || path.startsWith(`${p}?`)));
}

/** `2026-12-07T00:12:03.000Z runtime error POST /api/webhooks/stripe 500: message`, cut to LINE_CHARS. */
export function showLine(line: DeploymentLogLine): string {
  const request = line.requestPath ? ` ${line.requestMethod ? `${line.requestMethod} ` : ""}${line.requestPath}${line.statusCode ? ` ${line.statusCode}` : ""}` : "";
  const text = line.text.replace(/\s+/g, " ").trim();
  const shown = `${new Date(line.at).toISOString()} ${line.source === "events" ? "event" : line.type} ${line.level ?? line.type}${request}${text ? `: ${text}` : ""}`;
  return shown.length > LINE_CHARS ? `${shown.slice(0, LINE_CHARS - 1)}…` : shown;
}

function unavailableText(u: LogSourceUnavailable): string {
  const what = u.source === "events" ? "deployment events" : "runtime logs";
  const because = u.status === 403 ? " (the token's scope, or a plan without API access to logs)" : "";
  return `${what}: ${u.message}${because}${u.hint ? ` — ${u.hint}` : ""}`;
}

export default defineCheck({
  id: "deployment.logs-clean",
  section: "deployment",
  title: "The production deployment's logs since it went live have no errors and no 5xx on the webhook routes",
  severity: "error",
  needs: ["deployment.production-ready"],
  facts: ["deploymentLogs"],
  docs: {
    why: "Every other check tests the deployment from outside with bookflow's own requests; its logs say what happened to everyone else's. A function throwing on real traffic, a crash at cold start, or the webhook routes answering 5xx to Calendly's and Stripe's deliveries (which they retry, then give up on) shows in the logs long before a user reports a stuck booking. The deployment's events (`GET /v3/deployments/{id}/events`) and runtime logs (`GET /v1/projects/{projectId}/deployments/{id}/runtime-logs`) are read from when it went live (its ready time, at most 24 hours back, at most 1000 lines of each); an error level, a stderr or fatal event, or a 5xx answer fails the check, with the first lines shown (secrets masked). Logs Vercel does not let the token read fail the check too: an unread log is not a clean one.",
    fix: "Read the lines shown (all of them: `vercel logs <deployment-url>` or the deployment's Logs tab in the Vercel dashboard), fix the cause and redeploy, or roll back with `bookflow rollback` if the release broke it. A 5xx on /api/webhooks/* means deliveries are failing: after the fix, resend them from the provider (`bookflow bookings reprocess`). If Vercel refused to answer (403), give VERCEL_TOKEN access to the project's team (VERCEL_TEAM_ID) or use a token whose scope includes it; runtime logs through the API need a plan that includes them.",
  },
  messages: {
    notConfigured: `${VERCEL_NOT_CONFIGURED} (see deployment.production-ready)`,
    noDeployment: "No production deployment whose logs could be read (see deployment.production-ready)",
    errors: "{{count}}{{webhook}} in the logs of {{deployment}} since {{since}}{{truncated}}; first: {{first}}",
    unavailable: "Could not read the logs of {{deployment}}: {{reasons}}",
    clean: "No errors and no 5xx in {{lines}} log lines of {{deployment}} since {{since}}{{truncated}}",
  },
  run({ deploymentLogs: logs }) {
    if (logs === null) return skip("notConfigured");
    if (!logs.read) return skip("noDeployment");
    const deployment = `${logs.deployment.uid}${logs.deployment.url ? ` (${logs.deployment.url})` : ""}`;
    const sinceText = `${new Date(logs.since).toISOString()}${logs.sinceFrom === "ready" ? " (when it went live)" : logs.sinceFrom === "cap" ? ` (the last ${LOG_WINDOW_MS / 3_600_000} hours; it went live earlier)` : " (when it was created; Vercel gave no ready time)"}`;
    const cut = [logs.truncated.events ? "events" : null, logs.truncated.runtime ? "runtime logs" : null].filter((x) => x !== null);
    const truncated = cut.length ? ` (only the first ${LOG_LINE_LIMIT} lines of the ${cut.join(" and ")} were read: more may follow)` : "";
    const unreadable = logs.unavailable.map(unavailableText);
    const errors = logs.lines.filter(isErrorLine);
    const webhook5xx = errors.filter((l) => serverError(l) && onWebhookRoute(l, logs.webhookPaths));
    const window = { since: new Date(logs.since).toISOString(), sinceFrom: logs.sinceFrom, until: new Date(logs.until).toISOString(), truncated: logs.truncated };

    if (errors.length) {
      // Webhook 5xx first: they are deliveries being lost.
      const ordered = [...webhook5xx, ...errors.filter((l) => !webhook5xx.includes(l))];
      return fail(
        "errors",
        {
          count: `${errors.length} error line${errors.length === 1 ? "" : "s"}`,
          webhook: webhook5xx.length ? `, ${webhook5xx.length} of them 5xx on the webhook routes (${logs.webhookPaths.join(", ")})` : "",
          deployment,
          since: sinceText,
          truncated: `${truncated}${unreadable.length ? `; not read: ${unreadable.join("; ")}` : ""}`,
          first: ordered.slice(0, SHOWN_LINES).map(showLine).join(" | "),
        },
        {
          expected: "no error lines and no 5xx on the webhook routes",
          actual: { errors: errors.length, webhook5xx: webhook5xx.length, lines: ordered.slice(0, DETAIL_LINES).map(showLine) },
          details: { ...window, linesRead: logs.lines.length, unavailable: logs.unavailable },
        },
      );
    }
    if (unreadable.length) {
      return fail("unavailable", { deployment, reasons: unreadable.join("; ") }, { expected: "the deployment's events and runtime logs read", actual: logs.unavailable, details: { ...window, linesRead: logs.lines.length } });
    }
    return pass("clean", { lines: logs.lines.length, deployment, since: sinceText, truncated }, { details: { ...window, linesRead: logs.lines.length, webhookPaths: logs.webhookPaths } });
  },
});
