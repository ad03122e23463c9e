import { defineCheck } from "../../src/engine/check.js";
import { REJECTS_MALFORMED_MESSAGES, decideWebhookRejectsMalformed } from "../support/webhook-decisions.js";

export default defineCheck({
  id: "endpoints.calendly-webhook-rejects-malformed-json",
  section: "endpoints",
  title: "Calendly webhook endpoint answers malformed JSON with 4xx, not 5xx",
  severity: "error",
  needs: ["endpoints.calendly-webhook-accepts-signed-event"],
  facts: ["endpointProbes"],
  docs: {
    why: "A server error on a body that can never be processed makes Calendly retry it again and again, hides real failures in the error logs, and shows the handler crashes on bad input.",
    fix: "Parse the verified raw body inside a try/catch in the Calendly webhook route and answer 400 when it is not JSON (the reference app in src/app/server.ts does), then redeploy.",
  },
  messages: REJECTS_MALFORMED_MESSAGES,
  run: ({ endpointProbes }) => decideWebhookRejectsMalformed(endpointProbes, "calendly"),
});
