import { defineCheck, fail, pass } from "../../src/engine/check.js";

const sameUrl = (a: string, b: string) => a.replace(/\/+$/, "") === b.replace(/\/+$/, "");

export default defineCheck({
  id: "calendly.webhook-subscription-active",
  section: "calendly",
  title: "Calendly webhook subscription for CALENDLY_WEBHOOK_URL is active with the expected events (default invitee.created and invitee.canceled)",
  severity: "error",
  needs: ["calendly.token-valid", "env.urls-well-formed"],
  facts: ["env", "config", "calendlyWebhookSubscriptions"],
  docs: {
    why: "Bookings reach bookflow only through this subscription: without it (or while Calendly has disabled it after failed deliveries) new bookings are never recorded and cancellations never release the slot or refund the payment.",
    fix: "Calendly cannot re-enable or edit a subscription: delete the wrong or disabled one (DELETE /webhook_subscriptions/<uuid>) and create it again with POST /webhook_subscriptions { url: CALENDLY_WEBHOOK_URL, events: [\"invitee.created\", \"invitee.canceled\"], organization, scope: \"organization\", signing_key: CALENDLY_WEBHOOK_SIGNING_KEY } (`bookflow webhooks register calendly` does this). The events expected are calendly.events in bookflow.config.json. A disabled one usually means the URL failed for a day: fix the endpoint first (see the endpoints checks).",
  },
  messages: {
    noSubscription: "No webhook subscription for {{url}}",
    noSubscriptionOrganizationUnlisted: "No webhook subscription for {{url}} (organization-scoped subscriptions could not be listed: the token's user is not an owner or admin)",
    subscriptionDisabled: "The subscription for {{url}} is disabled ({{subscriptions}}): Calendly no longer delivers to it",
    missingEvents: "The active subscription for {{url}} does not send {{events}}",
    active: "Subscription {{uri}} ({{scope}} scope) is active for {{events}}",
  },
  run({ env, config, calendlyWebhookSubscriptions: fact }) {
    const required = config.calendly.events;
    const url = env.vars.CALENDLY_WEBHOOK_URL ?? "";
    const forUrl = fact.subscriptions.filter((s) => sameUrl(s.callback_url, url));
    if (!forUrl.length)
      return fail(fact.organizationScopeListed ? "noSubscription" : "noSubscriptionOrganizationUnlisted", { url }, { expected: url, actual: fact.subscriptions.map((s) => s.callback_url) });
    const missingOf = (events: readonly string[]) => required.filter((e) => !events.includes(e));
    const good = forUrl.find((s) => s.state === "active" && missingOf(s.events).length === 0);
    if (good) return pass("active", { uri: good.uri, scope: good.scope, events: required.join(", ") });
    const active = forUrl.filter((s) => s.state === "active");
    const actual = forUrl.map((s) => ({ uri: s.uri, state: s.state, events: s.events }));
    if (!active.length) return fail("subscriptionDisabled", { url, subscriptions: forUrl.map((s) => s.uri).join(", ") }, { expected: "state active", actual });
    const missing = missingOf(active[0]!.events);
    return fail("missingEvents", { url, events: missing.join(", ") }, { expected: [...required], actual });
  },
});
