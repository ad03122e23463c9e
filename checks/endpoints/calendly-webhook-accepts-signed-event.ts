import { defineCheck } from "../../src/engine/check.js";
import { ACCEPTS_SIGNED_MESSAGES, decideWebhookAcceptsSigned } from "../support/webhook-decisions.js";

export default defineCheck({
  id: "endpoints.calendly-webhook-accepts-signed-event",
  section: "endpoints",
  title: "Calendly webhook endpoint accepts a correctly signed test event",
  severity: "error",
  needs: ["endpoints.calendly-webhook-reachable"],
  facts: ["config", "endpointProbes"],
  docs: {
    why: "When the deployment verifies signatures with another key than the subscription's, it rejects every genuine Calendly delivery: no booking is ever recorded and no confirmation email is sent.",
    fix: "Set CALENDLY_WEBHOOK_SIGNING_KEY in the deployment to the signing key of the Calendly webhook subscription (if the key is lost, re-create the subscription with a new key and set that), then redeploy. A slow answer to the signed event (above thresholds.httpLatencyMs in bookflow.config.json) is a warning: processing a delivery should take well under the provider's delivery timeout.",
  },
  messages: ACCEPTS_SIGNED_MESSAGES,
  run: ({ config, endpointProbes }) => decideWebhookAcceptsSigned(endpointProbes, "calendly", config),
});
