import { calendlyTokenKind } from "../../src/config/calendly-token.js";
import { defineCheck, fail, warn } from "../../src/engine/check.js";
import { ACCEPTS_SIGNED_MESSAGES, decideWebhookAcceptsSigned } from "../support/webhook-decisions.js";

export default defineCheck({
  id: "endpoints.calendly-webhook-accepts-signed-event",
  section: "endpoints",
  title: "Calendly webhook endpoint accepts a correctly signed test event",
  severity: "error",
  needs: ["endpoints.calendly-webhook-reachable"],
  vars: ["CALENDLY_WEBHOOK_SIGNING_KEY"],
  facts: ["env", "config", "endpointProbes"],
  docs: {
    why: "When the deployment verifies signatures with another key than the subscription's, it rejects every genuine Calendly delivery: no booking is ever recorded and no confirmation email is sent.",
    fix: "Set CALENDLY_WEBHOOK_SIGNING_KEY in the deployment to the signing key of the Calendly webhook subscription (if the key is lost, re-create the subscription with a new key and set that), then redeploy. With an OAuth token as CALENDLY_API_TOKEN, Calendly signs with the OAuth application's webhook signing key (Calendly's developer portal): set that one instead. A slow answer to the signed event (above thresholds.httpLatencyMs in bookflow.config.json) is a warning: processing a delivery should take well under the provider's delivery timeout.",
  },
  messages: {
    ...ACCEPTS_SIGNED_MESSAGES,
    acceptedOauth:
      "{{url}} accepted a test event signed with {{secret}}, but CALENDLY_API_TOKEN is an OAuth token: Calendly signs real deliveries with the OAuth application's webhook signing key, so this proves nothing unless {{secret}} is that key",
    signatureRejectedOauth:
      "{{url}} rejected a test event signed with {{secret}} ({{status}}); CALENDLY_API_TOKEN is an OAuth token, so the deployment should verify with the OAuth application's webhook signing key, and {{secret}} should be that key too",
  },
  run({ env, config, endpointProbes }) {
    const verdict = decideWebhookAcceptsSigned(endpointProbes, "calendly", config);
    if (calendlyTokenKind(env.vars.CALENDLY_API_TOKEN) !== "oauth") return verdict;
    // With an OAuth token the key bookflow signs with is not the one Calendly uses: adapt the advice.
    const data = verdict.data ?? {};
    if (verdict.messageId === "accepted" || verdict.messageId === "acceptedSlowly") return warn("acceptedOauth", { url: data.url ?? "", secret: data.secret ?? "" });
    if (verdict.messageId === "signatureRejected") return fail("signatureRejectedOauth", { url: data.url ?? "", secret: data.secret ?? "", status: data.status ?? "" }, { expected: verdict.expected, actual: verdict.actual });
    return verdict;
  },
});
