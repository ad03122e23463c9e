import check from "../../../checks/stripe/webhook-endpoint-enabled.js";
import type { StripeWebhookEndpointFact } from "../../../src/engine/facts/stripe.js";
import { checkTester, type World } from "../../support/check-tester.js";
import { envWorld, VALID_ENV } from "../../support/env-worlds.js";

const URL_ = VALID_ENV.STRIPE_WEBHOOK_URL!;
const endpoint = (over: Partial<StripeWebhookEndpointFact> = {}): StripeWebhookEndpointFact => ({
  id: "we_1",
  url: URL_,
  status: "enabled",
  enabled_events: ["checkout.session.completed", "payment_intent.succeeded"],
  livemode: true,
  ...over,
});
const world = (stripeWebhookEndpoints: StripeWebhookEndpointFact[]): World => ({ ...envWorld(), stripeWebhookEndpoints });

checkTester(check, {
  pass: [
    { name: "enabled with both events", facts: world([endpoint()]) },
    { name: "enabled with every event (*)", facts: world([endpoint({ enabled_events: ["*"] })]) },
    { name: "a disabled duplicate next to an enabled one", facts: world([endpoint({ id: "we_old", status: "disabled" }), endpoint({ url: `${URL_}/` })]) },
  ],
  fail: [
    { name: "no endpoints", facts: world([]), expect: { status: "fail", message: /No webhook endpoint for https:\/\/www\.example\.com\/api\/webhooks\/stripe/ } },
    { name: "endpoint for another URL", facts: world([endpoint({ url: "https://staging.example.com/api/webhooks/stripe" })]), expect: { status: "fail", message: /No webhook endpoint/ } },
    { name: "disabled", facts: world([endpoint({ status: "disabled" })]), expect: { status: "fail", message: /we_1 for .* is disabled/ } },
    { name: "missing payment_intent.succeeded", facts: world([endpoint({ enabled_events: ["checkout.session.completed", "charge.refunded"] })]), expect: { status: "fail", message: /does not receive payment_intent\.succeeded$/ } },
  ],
});
