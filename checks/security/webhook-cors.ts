import { defineCheck, fail, pass } from "../../src/engine/check.js";
import type { ProbeResult } from "../../src/providers/http-probe.js";
import { WEBHOOK_PROVIDER_IDS } from "../../src/providers/webhook-providers.js";

export default defineCheck({
  id: "security.webhook-cors",
  section: "security",
  title: "Webhook routes send no permissive CORS headers",
  severity: "error",
  needs: ["endpoints.calendly-webhook-reachable", "endpoints.stripe-webhook-reachable"],
  facts: ["securityProbes"],
  docs: {
    why: "Webhooks are server-to-server: a route that allows any origin (Access-Control-Allow-Origin: * or an echoed Origin) lets any web page script requests against it from a visitor's browser.",
    fix: "Send no Access-Control-Allow-Origin (nor Allow-Credentials) on /api/webhooks/*: remove the global CORS middleware or `headers()` rule in next.config/vercel.json that covers those routes, and allow only the site's own origin on the public GET routes.",
  },
  messages: {
    corsProblems: "{{problems}}",
    noForeignOrigin: "Neither webhook route allows a foreign origin (preflight and POST)",
  },
  run({ securityProbes }) {
    const problems: string[] = [];
    const actual: Record<string, unknown> = {};
    for (const provider of WEBHOOK_PROVIDER_IDS) {
      const p = securityProbes.cors[provider];
      if (!p.probed) {
        problems.push(`${provider}: not probed (${p.reason})`);
        continue;
      }
      actual[provider] = { preflight: corsHeaders(p.preflight), post: corsHeaders(p.post) };
      for (const [kind, r] of [["preflight (OPTIONS)", p.preflight], ["POST", p.post]] as const) {
        if (r.status === null) {
          problems.push(`${provider} ${kind}: no answer (${r.error ?? "unknown error"})`);
          continue;
        }
        const problem = permissive(r, p.origin);
        if (problem) problems.push(`${provider} ${kind} ${problem}`);
      }
    }
    if (problems.length) return fail("corsProblems", { problems: problems.join("; ") }, { expected: `no Access-Control-Allow-Origin for a foreign origin (probed with Origin: ${firstOrigin(securityProbes)})`, actual });
    return pass("noForeignOrigin", {}, { actual });
  },
});

function corsHeaders(r: ProbeResult): Record<string, string> {
  return Object.fromEntries(Object.entries(r.headers).filter(([name]) => name.startsWith("access-control-")));
}

/** Why these CORS headers let a foreign origin in, or undefined. */
function permissive(r: ProbeResult, origin: string): string | undefined {
  const allowOrigin = r.headers["access-control-allow-origin"]?.trim();
  const credentials = r.headers["access-control-allow-credentials"]?.trim().toLowerCase() === "true";
  if (!allowOrigin) return undefined;
  if (allowOrigin === "*") return `sends Access-Control-Allow-Origin: *${credentials ? " with Allow-Credentials: true" : ""}`;
  if (allowOrigin === origin) return `echoes the foreign Origin ${origin} in Access-Control-Allow-Origin${credentials ? " with Allow-Credentials: true" : ""}`;
  if (allowOrigin === "null") return "sends Access-Control-Allow-Origin: null (matches sandboxed and file: pages)";
  return undefined;
}

function firstOrigin(probes: { cors: Record<string, { probed: boolean; origin?: string }> }): string {
  return Object.values(probes.cors).find((p) => p.origin)?.origin ?? "a foreign origin";
}
