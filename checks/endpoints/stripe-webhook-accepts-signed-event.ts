import { defineCheck } from "../../src/engine/check.js";
import { ACCEPTS_SIGNED_MESSAGES, decideWebhookAcceptsSigned } from "../support/webhook-decisions.js";

export default defineCheck({
  id: "endpoints.stripe-webhook-accepts-signed-event",
  section: "endpoints",
  title: "Stripe webhook endpoint accepts a correctly signed test event",
  severity: "error",
  needs: ["endpoints.stripe-webhook-reachable"],
  vars: ["STRIPE_WEBHOOK_SECRET"],
  facts: ["config", "endpointProbes"],
  docs: {
    why: "When the deployment verifies signatures with another secret than the endpoint's, it rejects every genuine Stripe delivery: paid bookings stay PENDING although the customer was charged.",
    fix: "Set STRIPE_WEBHOOK_SECRET in the deployment to the whsec_… signing secret of the endpoint for STRIPE_WEBHOOK_URL (Stripe dashboard → Developers → Webhooks → the endpoint → Signing secret), then redeploy. A slow answer to the signed event (above thresholds.httpLatencyMs in bookflow.config.json) is a warning: processing a delivery should take well under the provider's delivery timeout.",
  },
  messages: ACCEPTS_SIGNED_MESSAGES,
  run: ({ config, endpointProbes }) => decideWebhookAcceptsSigned(endpointProbes, "stripe", config),
});
