import { defineCheck } from "../../src/engine/check.js";
import { REACHABLE_MESSAGES, decideWebhookReachable } from "../support/webhook-decisions.js";

export default defineCheck({
  id: "endpoints.stripe-webhook-reachable",
  section: "endpoints",
  title: "Stripe webhook endpoint is reachable",
  severity: "error",
  needs: ["env.urls-well-formed"],
  facts: ["config", "endpointProbes"],
  docs: {
    why: "Stripe delivers booking events only to a route that answers; a 404, a server error or no answer at all means every delivery fails and bookings are never recorded.",
    fix: "Deploy the app so that STRIPE_WEBHOOK_URL is served (POST /api/webhooks/stripe), and check the deployment's logs for the status named in the failure. A slow answer (above thresholds.httpLatencyMs in bookflow.config.json, default 2000 ms) is a warning: Stripe gives up on slow deliveries and retries them; look at the route's cold starts and database latency.",
  },
  messages: REACHABLE_MESSAGES,
  run: ({ config, endpointProbes }) => decideWebhookReachable(endpointProbes, "stripe", config),
});
