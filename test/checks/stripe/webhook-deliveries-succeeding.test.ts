import check from "../../../checks/stripe/webhook-deliveries-succeeding.js";
import type { StripeUndeliveredEvent, StripeWebhookEndpointFact } from "../../../src/engine/facts/stripe.js";
import { checkTester, type World } from "../../support/check-tester.js";
import { defaultConfig, type BookflowConfig } from "../../../src/config/bookflow-config.js";
import { envWorld, VALID_ENV } from "../../support/env-worlds.js";
import { DEFAULT_STRIPE_EVENTS } from "../../../src/config/webhook-events.js";

const URL_ = VALID_ENV.STRIPE_WEBHOOK_URL!;
const NOW = 1_800_000_000;
const MIN = 60;
const endpoint = (over: Partial<StripeWebhookEndpointFact> = {}): StripeWebhookEndpointFact => ({ id: "we_1", url: URL_, status: "enabled", enabled_events: [...DEFAULT_STRIPE_EVENTS], livemode: true, ...over });
const event = (id: string, minutesAgo: number, over: Partial<StripeUndeliveredEvent> = {}): StripeUndeliveredEvent => ({ id, type: "checkout.session.completed", created: NOW - minutesAgo * MIN, pending_webhooks: 1, ...over });
const world = (events: StripeUndeliveredEvent[], endpoints = [endpoint()], config: BookflowConfig = defaultConfig(), truncated = false): World => ({
  ...envWorld(),
  config,
  stripeWebhookEndpoints: endpoints,
  stripeUndeliveredEvents: { readAt: NOW, since: NOW - 24 * 60 * MIN, events, truncated },
});
const grace = (minutes: number): BookflowConfig => ({ ...defaultConfig(), thresholds: { ...defaultConfig().thresholds, webhookDeliveryGraceMinutes: minutes } });

checkTester(check, {
  pass: [
    { name: "nothing undelivered", facts: world([]), messageId: "deliveriesSucceeding" },
    { name: "an event still within the grace period (5 of 10 minutes)", facts: world([event("evt_new", 5)]) },
    { name: "an undelivered event of a type the endpoint does not receive (another endpoint's)", facts: world([event("evt_other", 60, { type: "customer.created" })]) },
    { name: "an event that was delivered after all (pending_webhooks 0)", facts: world([event("evt_done", 60, { pending_webhooks: 0 })]) },
    { name: "a longer grace (120 minutes) covers an event 60 minutes old", facts: world([event("evt_hour", 60)], [endpoint()], grace(120)) },
    { name: "an undelivered event for a disabled duplicate's events only", facts: world([event("evt_x", 60, { type: "invoice.paid" })], [endpoint(), endpoint({ id: "we_old", status: "disabled", enabled_events: ["invoice.paid"] })]) },
  ],
  fail: [
    {
      name: "two undelivered events past the grace: how many, and since the oldest",
      facts: world([event("evt_b", 30, { type: "payment_intent.succeeded" }), event("evt_a", 90), event("evt_recent", 2)]),
      expect: { status: "fail", messageId: "deliveriesFailing", data: { count: "2", endpoint: "we_1", grace: 10, since: new Date((NOW - 90 * MIN) * 1000).toISOString(), oldest: "evt_a, checkout.session.completed" } },
    },
    { name: "grace 0: an event a minute old counts", facts: world([event("evt_1", 1)], [endpoint()], grace(0)), expect: { status: "fail", messageId: "deliveriesFailing", data: { count: "1", grace: 0 } } },
    { name: "an endpoint receiving every event (*)", facts: world([event("evt_c", 20, { type: "customer.created" })], [endpoint({ enabled_events: ["*"] })]), expect: { status: "fail", messageId: "deliveriesFailing", data: { oldest: "evt_c, customer.created" } } },
    { name: "more undelivered events than were read", facts: world([event("evt_d", 20)], [endpoint()], defaultConfig(), true), expect: { status: "fail", messageId: "deliveriesFailing", data: { count: "1+" } } },
    { name: "the message names the secret to compare", facts: world([event("evt_e", 20)]), expect: { status: "fail", message: /deliveries to https:\/\/www\.example\.com\/api\/webhooks\/stripe are failing/ } },
  ],
});
