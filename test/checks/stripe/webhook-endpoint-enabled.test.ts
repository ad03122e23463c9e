import check from "../../../checks/stripe/webhook-endpoint-enabled.js";
import type { StripeWebhookEndpointFact } from "../../../src/engine/facts/stripe.js";
import { checkTester, type World } from "../../support/check-tester.js";
import { defaultConfig, type BookflowConfig } from "../../../src/config/bookflow-config.js";
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
const world = (stripeWebhookEndpoints: StripeWebhookEndpointFact[], config: BookflowConfig = defaultConfig()): World => ({ ...envWorld(), config, stripeWebhookEndpoints });
/** stripe.events in bookflow.config.json. */
const expecting = (events: string[]): BookflowConfig => ({ ...defaultConfig(), stripe: { events } });

checkTester(check, {
  pass: [
    { name: "stripe.events adds charge.refunded, and the endpoint receives it", facts: world([endpoint({ enabled_events: ["checkout.session.completed", "payment_intent.succeeded", "charge.refunded"] })], expecting(["checkout.session.completed", "payment_intent.succeeded", "charge.refunded"])) },
    { name: "stripe.events lists only checkout.session.completed", facts: world([endpoint({ enabled_events: ["checkout.session.completed"] })], expecting(["checkout.session.completed"])) },
    { name: "stripe.events adds charge.refunded, the endpoint receives every event (*)", facts: world([endpoint({ enabled_events: ["*"] })], expecting(["checkout.session.completed", "charge.refunded"])) },
    { name: "enabled with both events", facts: world([endpoint()]) },
    { name: "enabled with every event (*)", facts: world([endpoint({ enabled_events: ["*"] })]) },
    { name: "a disabled duplicate next to an enabled one", facts: world([endpoint({ id: "we_old", status: "disabled" }), endpoint({ url: `${URL_}/` })]) },
  ],
  fail: [
    {
      name: "stripe.events adds charge.refunded, the endpoint does not receive it",
      facts: world([endpoint()], expecting(["checkout.session.completed", "payment_intent.succeeded", "charge.refunded"])),
      expect: { status: "fail", message: /does not receive charge\.refunded$/ },
    },
    { name: "no endpoints", facts: world([]), expect: { status: "fail", message: /No webhook endpoint for https:\/\/www\.example\.com\/api\/webhooks\/stripe/ } },
    { name: "endpoint for another URL", facts: world([endpoint({ url: "https://staging.example.com/api/webhooks/stripe" })]), expect: { status: "fail", message: /No webhook endpoint/ } },
    { name: "disabled", facts: world([endpoint({ status: "disabled" })]), expect: { status: "fail", message: /we_1 for .* is disabled/ } },
    { name: "missing payment_intent.succeeded", facts: world([endpoint({ enabled_events: ["checkout.session.completed", "charge.refunded"] })]), expect: { status: "fail", message: /does not receive payment_intent\.succeeded$/ } },
  ],
});
