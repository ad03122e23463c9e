import { defineCheck, fail, pass, skip } from "../../src/engine/check.js";
import { displayUrl, webUrlProblem } from "../../src/config/verify-env.js";

const NAMES = ["NEXT_PUBLIC_BASE_URL", "CALENDLY_WEBHOOK_URL", "STRIPE_WEBHOOK_URL"] as const;

export default defineCheck({
  id: "env.urls-well-formed",
  section: "env",
  title: "Base and webhook URLs are https URLs",
  severity: "error",
  needs: [],
  vars: ["NEXT_PUBLIC_BASE_URL", "CALENDLY_WEBHOOK_URL", "STRIPE_WEBHOOK_URL"],
  facts: ["env"],
  docs: {
    why: "Calendly and Stripe deliver webhooks only to public https URLs, and links in booking emails are built from the base URL.",
    fix: "Set NEXT_PUBLIC_BASE_URL, CALENDLY_WEBHOOK_URL and STRIPE_WEBHOOK_URL to absolute https:// URLs (http:// is accepted only with --target sandbox).",
  },
  messages: {
    malformed: "{{problems}}",
    notSet: "Not set: {{names}} (see env.required-present)",
    allHttps: "{{count}} URLs are https URLs",
    allValid: "{{count}} URLs are valid URLs",
  },
  run({ env }) {
    const problems = NAMES.flatMap((name) => {
      const v = env.vars[name];
      const problem = v === undefined ? undefined : webUrlProblem(v, env.target);
      return problem ? [`${name} ${problem} (${displayUrl(v)})`] : [];
    });
    if (problems.length) return fail("malformed", { problems: problems.join("; ") }, { expected: env.target === "sandbox" ? "http(s)://…" : "https://…", actual: problems });
    const unset = NAMES.filter((n) => env.vars[n] === undefined);
    if (unset.length) return skip("notSet", { names: unset.join(", ") });
    return pass(env.target === "sandbox" ? "allValid" : "allHttps", { count: NAMES.length });
  },
});
