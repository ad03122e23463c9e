import { defineCheck, fail, pass } from "../../src/engine/check.js";
import { WEBHOOK_PROVIDER_IDS } from "../../src/providers/webhook-providers.js";
import { describeAnswer, is4xx } from "../support/probe-answers.js";

export default defineCheck({
  id: "security.webhook-signatures-validated",
  section: "security",
  title: "Webhook endpoints reject unsigned and wrongly signed requests",
  severity: "error",
  needs: ["endpoints.calendly-webhook-reachable", "endpoints.stripe-webhook-reachable"],
  facts: ["endpointProbes"],
  docs: {
    why: "A webhook route that accepts requests without a valid signature lets anyone on the internet create, confirm or cancel bookings and mark them paid.",
    fix: "Verify the Calendly-Webhook-Signature (with CALENDLY_WEBHOOK_SIGNING_KEY) and Stripe-Signature (with STRIPE_WEBHOOK_SECRET) headers over the raw body before parsing it, and answer 401 when they do not match (see src/providers/*-signature.ts).",
  },
  messages: {
    signaturesNotEnforced: "{{problems}}",
    signaturesEnforced: "Both webhook routes reject unsigned and wrongly signed requests ({{statuses}})",
  },
  run({ endpointProbes }) {
    const problems: string[] = [];
    const actual: Record<string, unknown> = {};
    for (const provider of WEBHOOK_PROVIDER_IDS) {
      const p = endpointProbes.webhooks[provider];
      if (!p.probed) {
        problems.push(`${provider}: not probed (${p.reason})`);
        continue;
      }
      actual[provider] = { unsigned: describeAnswer(p.unsigned), wronglySigned: describeAnswer(p.badSignature) };
      if (!is4xx(p.unsigned)) problems.push(`${provider} answered ${describeAnswer(p.unsigned)} to an unsigned request`);
      if (!is4xx(p.badSignature)) problems.push(`${provider} answered ${describeAnswer(p.badSignature)} to a wrongly signed request`);
    }
    if (problems.length) return fail("signaturesNotEnforced", { problems: problems.join("; ") }, { expected: "4xx (401) for unsigned and wrongly signed requests on both webhook routes", actual });
    const statuses = WEBHOOK_PROVIDER_IDS.map((provider) => {
      const p = endpointProbes.webhooks[provider];
      return p.probed ? `${provider} ${describeAnswer(p.unsigned)}/${describeAnswer(p.badSignature)}` : provider;
    });
    return pass("signaturesEnforced", { statuses: statuses.join(", ") }, { actual });
  },
});
