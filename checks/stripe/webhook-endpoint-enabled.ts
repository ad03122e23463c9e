import { defineCheck, fail, pass } from "../../src/engine/check.js";

const sameUrl = (a: string, b: string) => a.replace(/\/+$/, "") === b.replace(/\/+$/, "");

export default defineCheck({
  id: "stripe.webhook-endpoint-enabled",
  section: "stripe",
  title: "Stripe webhook endpoint for STRIPE_WEBHOOK_URL is enabled with the expected events (default checkout.session.completed and payment_intent.succeeded)",
  severity: "error",
  needs: ["stripe.key-valid", "env.urls-well-formed"],
  facts: ["env", "config", "stripeWebhookEndpoints"],
  docs: {
    why: "Paid bookings are confirmed only when Stripe tells the app the payment succeeded: without an enabled endpoint for these events, paid bookings never leave PENDING and customers who paid get no confirmation.",
    fix: "In the Stripe dashboard (Developers → Webhooks, in the mode of STRIPE_SECRET_KEY) add an endpoint for STRIPE_WEBHOOK_URL listening to checkout.session.completed and payment_intent.succeeded, or re-enable / edit the existing one (`stripe webhook_endpoints update <we_id> --disabled=false`); then set STRIPE_WEBHOOK_SECRET to that endpoint's signing secret. The events expected are stripe.events in bookflow.config.json.",
  },
  messages: {
    noEndpoint: "No webhook endpoint for {{url}}",
    endpointDisabled: "Endpoint {{endpoints}} for {{url}} is disabled: Stripe sends it nothing",
    missingEvents: "Endpoint {{endpoint}} for {{url}} does not receive {{events}}",
    receivesEvents: "Endpoint {{endpoint}} is enabled and receives {{events}}",
    receivesEveryEvent: "Endpoint {{endpoint}} is enabled and receives every event",
  },
  run({ env, config, stripeWebhookEndpoints }) {
    const required = config.stripe.events;
    const url = env.vars.STRIPE_WEBHOOK_URL ?? "";
    const forUrl = stripeWebhookEndpoints.filter((e) => sameUrl(e.url, url));
    if (!forUrl.length) return fail("noEndpoint", { url }, { expected: url, actual: stripeWebhookEndpoints.map((e) => e.url) });
    const missingOf = (events: readonly string[]) => (events.includes("*") ? [] : required.filter((e) => !events.includes(e)));
    const good = forUrl.find((e) => e.status === "enabled" && missingOf(e.enabled_events).length === 0);
    if (good) return good.enabled_events.includes("*") ? pass("receivesEveryEvent", { endpoint: good.id }) : pass("receivesEvents", { endpoint: good.id, events: required.join(", ") });
    const actual = forUrl.map((e) => ({ id: e.id, status: e.status, enabled_events: e.enabled_events }));
    const enabled = forUrl.filter((e) => e.status === "enabled");
    if (!enabled.length) return fail("endpointDisabled", { endpoints: forUrl.map((e) => e.id).join(", "), url }, { expected: "status enabled", actual });
    const missing = missingOf(enabled[0]!.enabled_events);
    return fail("missingEvents", { endpoint: enabled[0]!.id, url, events: missing.join(", ") }, { expected: [...required], actual });
  },
});
