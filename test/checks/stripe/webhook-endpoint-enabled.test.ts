import check from "../../../checks/stripe/webhook-endpoint-enabled.js";
import type { StripeWebhookEndpointFact } from "../../../src/engine/facts/stripe.js";
import { checkTester, type World } from "../../support/check-tester.js";
import { defaultConfig, type BookflowConfig } from "../../../src/config/bookflow-config.js";
import { envWorld, VALID_ENV } from "../../support/env-worlds.js";
import { DEFAULT_STRIPE_EVENTS } from "../../../src/config/webhook-events.js";

const DEFAULTS = [...DEFAULT_STRIPE_EVENTS];
const without = (...events: string[]) => DEFAULTS.filter((e) => !events.includes(e));

const URL_ = VALID_ENV.STRIPE_WEBHOOK_URL!;
const endpoint = (over: Partial<StripeWebhookEndpointFact> = {}): StripeWebhookEndpointFact => ({
  id: "we_1",
  url: URL_,
  status: "enabled",
  enabled_events: DEFAULTS,
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
    { name: "stripe.events adds charge.refunded, the endpoint receives every event (*)", facts: world([endpoint({ enabled_events: ["*"] })], expecting(["checkout.session.completed", "charge.refunded"])), messageId: "receivesEveryEvent" },
    { name: "enabled with every default event (payments, expiries, refunds, disputes)", facts: world([endpoint()]), messageId: "receivesEvents" },
    { name: "enabled with every event (*)", facts: world([endpoint({ enabled_events: ["*"] })]), messageId: "receivesEveryEvent" },
    { name: "a disabled duplicate next to an enabled one", facts: world([endpoint({ id: "we_old", status: "disabled" }), endpoint({ url: `${URL_}/` })]) },
  ],
  fail: [
    {
      name: "stripe.events adds charge.refunded, the endpoint does not receive it",
      facts: world([endpoint({ enabled_events: ["checkout.session.completed", "payment_intent.succeeded"] })], expecting(["checkout.session.completed", "payment_intent.succeeded", "charge.refunded"])),
      expect: { status: "fail", messageId: "missingEvents", data: { events: "charge.refunded" } },
    },
    { name: "no endpoints", facts: world([]), expect: { status: "fail", messageId: "noEndpoint", data: { url: "https://www.example.com/api/webhooks/stripe" } } },
    { name: "endpoint for another URL", facts: world([endpoint({ url: "https://staging.example.com/api/webhooks/stripe" })]), expect: { status: "fail", messageId: "noEndpoint" } },
    { name: "disabled", facts: world([endpoint({ status: "disabled" })]), expect: { status: "fail", messageId: "endpointDisabled", data: { endpoints: "we_1" } } },
    { name: "missing payment_intent.succeeded", facts: world([endpoint({ enabled_events: without("payment_intent.succeeded") })]), expect: { status: "fail", messageId: "missingEvents", data: { events: "payment_intent.succeeded" } } },
    {
      name: "only the two payment events: the lifecycle's expiries, refunds and disputes are missing",
      facts: world([endpoint({ enabled_events: ["checkout.session.completed", "payment_intent.succeeded"] })]),
      expect: { status: "fail", messageId: "missingEvents", data: { events: without("checkout.session.completed", "payment_intent.succeeded").join(", ") } },
    },
  ],
});
