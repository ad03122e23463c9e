import { defineCheck, fail, pass } from "../../src/engine/check.js";
import { displayUrl, parseUrl, WEBHOOK_PATHS } from "../../src/config/verify-env.js";

export default defineCheck({
  id: "env.webhook-urls-match-base",
  section: "env",
  title: "Webhook URLs point at this deployment's webhook routes",
  severity: "error",
  needs: ["env.urls-well-formed"],
  facts: ["env"],
  docs: {
    why: "Webhooks registered for another host (an old domain, a preview URL) or another path never reach this deployment: bookings and payments are never recorded.",
    fix: "Set CALENDLY_WEBHOOK_URL to <NEXT_PUBLIC_BASE_URL>/api/webhooks/calendly and STRIPE_WEBHOOK_URL to <NEXT_PUBLIC_BASE_URL>/api/webhooks/stripe, on the same host as NEXT_PUBLIC_BASE_URL.",
  },
  messages: {
    mismatch: "{{problems}}",
    matchBase: "Both webhook URLs are on {{host}} at {{paths}}",
  },
  run({ env }) {
    const base = parseUrl(env.vars.NEXT_PUBLIC_BASE_URL)!;
    const problems: string[] = [];
    const expected: Record<string, string> = {};
    const actual: Record<string, string> = {};
    for (const [name, path] of Object.entries(WEBHOOK_PATHS)) {
      const url = parseUrl(env.vars[name])!;
      expected[name] = new URL(path, base).toString();
      actual[name] = displayUrl(env.vars[name]);
      if (url.host !== base.host) problems.push(`${name} is on ${url.host}, not ${base.host}`);
      else if (url.protocol !== base.protocol) problems.push(`${name} uses ${url.protocol} but the base URL uses ${base.protocol}`);
      if (url.pathname.replace(/\/+$/, "") !== path) problems.push(`${name} path is ${url.pathname}, expected ${path}`);
    }
    if (problems.length) return fail("mismatch", { problems: problems.join("; ") }, { expected, actual });
    return pass("matchBase", { host: base.host, paths: Object.values(WEBHOOK_PATHS).join(" and ") });
  },
});
