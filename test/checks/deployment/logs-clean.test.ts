import { describe, expect, it } from "vitest";
import check, { isErrorLine, onWebhookRoute, showLine } from "../../../checks/deployment/logs-clean.js";
import type { DeploymentLogLine, DeploymentLogsFact } from "../../../src/engine/facts/deployment.js";
import { checkTester } from "../../support/check-tester.js";

const LIVE = Date.UTC(2026, 11, 1, 12);
const WEBHOOKS = ["/api/webhooks/calendly", "/api/webhooks/stripe"];

function line(change: Partial<DeploymentLogLine> = {}): DeploymentLogLine {
  return { source: "runtime", at: LIVE + 60_000, type: "serverless", level: "info", text: "booking confirmed", requestMethod: null, requestPath: null, statusCode: null, ...change };
}
const request = (method: string, path: string, status: number, change: Partial<DeploymentLogLine> = {}) =>
  line({ type: "request", level: status >= 500 ? "error" : status >= 400 ? "warning" : "info", text: `${method} ${path} ${status}`, requestMethod: method, requestPath: path, statusCode: status, ...change });

function logs(lines: DeploymentLogLine[], change: Partial<Extract<DeploymentLogsFact, { read: true }>> = {}): { deploymentLogs: DeploymentLogsFact } {
  return {
    deploymentLogs: {
      read: true,
      deployment: { uid: "dpl_3", url: "app-3.vercel.app" },
      since: LIVE,
      sinceFrom: "ready",
      until: LIVE + 3_600_000,
      lines,
      truncated: { events: false, runtime: false },
      unavailable: [],
      webhookPaths: WEBHOOKS,
      ...change,
    },
  };
}

const forbidden = { source: "runtime" as const, status: 403, message: "vercel GET /v1/projects/prj_1/deployments/dpl_3/runtime-logs answered 403: Not authorized (forbidden)", hint: "The Vercel token cannot act on this project" };

checkTester(check, {
  pass: [
    { name: "no lines at all since it went live", facts: logs([]), messageId: "clean" },
    {
      name: "info lines, 2xx requests, and 4xx answers to bad webhook requests",
      facts: logs([line(), request("POST", "/api/webhooks/stripe", 200), request("POST", "/api/webhooks/calendly", 401), request("GET", "/api/health", 200), line({ level: "warning", text: "slow query" })]),
      messageId: "clean",
    },
    { name: "build output before it went live is not read; stdout events are not errors", facts: logs([line({ source: "events", type: "stdout", level: null, text: "Build Completed" }), line({ source: "events", type: "deployment-state", level: null, text: "" })]) },
    { name: "a stderr line is not it: a warning-level event", facts: logs([line({ source: "events", type: "stdout", level: "warning", text: "npm WARN deprecated" })]) },
  ],
  fail: [
    {
      name: "an error line in the runtime logs",
      facts: logs([line(), line({ level: "error", text: "TypeError: Cannot read properties of undefined (reading 'email')", at: LIVE + 120_000 })]),
      expect: { status: "fail", messageId: "errors", data: { count: "1 error line", webhook: "" }, message: /since 2026-12-01T12:00:00.000Z \(when it went live\); first: 2026-12-01T12:02:00.000Z serverless error: TypeError: Cannot read properties/ },
    },
    { name: "a fatal runtime line", facts: logs([line({ level: "fatal", text: "out of memory" })]), expect: { status: "fail", messageId: "errors", message: /out of memory/ } },
    { name: "a stderr event", facts: logs([line({ source: "events", type: "stderr", level: null, text: "Unhandled rejection" })]), expect: { status: "fail", messageId: "errors", message: /event stderr: Unhandled rejection/ } },
    { name: "a fatal event", facts: logs([line({ source: "events", type: "fatal", level: null, text: "function crashed" })]), expect: { status: "fail", messageId: "errors" } },
    { name: "an event flagged level error", facts: logs([line({ source: "events", type: "stdout", level: "error", text: "Error: connect ECONNREFUSED" })]), expect: { status: "fail", messageId: "errors" } },
    {
      name: "5xx on a webhook route, shown first and counted apart",
      facts: logs([line({ level: "error", text: "something else" , at: LIVE + 1000 }), request("POST", "/api/webhooks/stripe", 500, { at: LIVE + 2000 })]),
      expect: { status: "fail", messageId: "errors", data: { count: "2 error lines", webhook: ", 1 of them 5xx on the webhook routes (/api/webhooks/calendly, /api/webhooks/stripe)" }, message: /first: \S+ request error POST \/api\/webhooks\/stripe 500/ },
    },
    { name: "a webhook 5xx logged at level info is still a failure", facts: logs([request("POST", "/api/webhooks/calendly", 503, { level: "info" })]), expect: { status: "fail", messageId: "errors", message: /5xx on the webhook routes/ } },
    { name: "a 5xx on another route is an error too (not a webhook one)", facts: logs([request("GET", "/api/builders/x", 502)]), expect: { status: "fail", messageId: "errors", data: { webhook: "" } } },
    {
      name: "only the first lines are in the message; all are counted",
      facts: logs(Array.from({ length: 7 }, (_, i) => line({ level: "error", text: `failure ${i}`, at: LIVE + i }))),
      expect: { status: "fail", messageId: "errors", data: { count: "7 error lines" }, message: /failure 2(?![\s\S]*failure 3)/ },
    },
    {
      name: "truncated reading says so",
      facts: logs([line({ level: "error", text: "boom" })], { truncated: { events: false, runtime: true } }),
      expect: { status: "fail", messageId: "errors", message: /only the first 1000 lines of the runtime logs were read: more may follow/ },
    },
    {
      name: "the window is capped at 24 hours and says so",
      facts: logs([line({ level: "error", text: "boom" })], { sinceFrom: "cap" }),
      expect: { status: "fail", messageId: "errors", message: /the last 24 hours; it went live earlier/ },
    },
    {
      name: "runtime logs refused (403): not a pass, with the reason and the fix",
      facts: logs([line()], { unavailable: [forbidden] }),
      expect: { status: "fail", messageId: "unavailable", message: /runtime logs: .*403.*the token's scope, or a plan without API access to logs.*The Vercel token cannot act/ },
    },
    {
      name: "errors found while the other source was refused: the errors, and what was not read",
      facts: logs([line({ source: "events", type: "fatal", text: "crash" })], { unavailable: [forbidden] }),
      expect: { status: "fail", messageId: "errors", message: /not read: runtime logs/ },
    },
    {
      name: "a secret in a line stays masked (the fact redacts it; the check adds nothing back)",
      facts: logs([line({ level: "error", text: "Stripe said: Invalid API Key provided: sk_live_****abcd" })]),
      expect: { status: "fail", messageId: "errors", notMessage: /sk_live_[A-Za-z0-9]{6,}/ },
    },
    { name: "Vercel not configured", facts: { deploymentLogs: null }, expect: { status: "skip", messageId: "notConfigured" } },
    { name: "no production deployment", facts: { deploymentLogs: { read: false, reason: "noDeployment" } }, expect: { status: "skip", messageId: "noDeployment" } },
  ],
});

describe("deployment.logs-clean rules", () => {
  it("a webhook route is the configured path, or under the /api/webhooks/ prefix when none is configured", () => {
    expect(onWebhookRoute(request("POST", "/api/webhooks/stripe", 500), WEBHOOKS)).toBe(true);
    expect(onWebhookRoute(request("POST", "/api/webhooks/stripe-old", 500), WEBHOOKS)).toBe(false);
    expect(onWebhookRoute(request("POST", "/api/webhooks/anything", 500), ["/api/webhooks/"])).toBe(true);
    expect(onWebhookRoute(line(), WEBHOOKS)).toBe(false);
  });

  it("a 4xx request line is never an error; a 5xx always is", () => {
    expect(isErrorLine(request("POST", "/api/webhooks/stripe", 400, { level: "error" }))).toBe(false);
    expect(isErrorLine(request("GET", "/", 500, { level: "info" }))).toBe(true);
  });

  it("a shown line is cut to 200 characters on one line", () => {
    const shown = showLine(line({ level: "error", text: `first\nsecond ${"x".repeat(400)}` }));
    expect(shown).not.toContain("\n");
    expect(shown.length).toBe(200);
    expect(shown.endsWith("…")).toBe(true);
  });
});
