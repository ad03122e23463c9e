import { stripeEventsStillUndelivered } from "../../src/core/webhook-expectations.js";
import { defineCheck, fail, pass } from "../../src/engine/check.js";

const sameUrl = (a: string, b: string) => a.replace(/\/+$/, "") === b.replace(/\/+$/, "");
const iso = (unixSeconds: number) => new Date(unixSeconds * 1000).toISOString();

export default defineCheck({
  id: "stripe.webhook-deliveries-succeeding",
  section: "stripe",
  title: "Stripe's own deliveries to the endpoint succeed: no recent event it subscribes to is still undelivered after thresholds.webhookDeliveryGraceMinutes (default 10)",
  severity: "error",
  needs: ["stripe.webhook-endpoint-enabled"],
  facts: ["env", "config", "stripeWebhookEndpoints", "stripeUndeliveredEvents"],
  docs: {
    why: "The endpoints checks sign their test events with bookflow's copy of STRIPE_WEBHOOK_SECRET, so they pass even when Stripe signs with another secret (the endpoint's secret rolled in the dashboard) or the app rejects Stripe's real deliveries for another reason: payments are then never recorded and paid bookings stay PENDING. Stripe counts, on each event, the deliveries not yet acknowledged (`pending_webhooks`); an event of a type the endpoint receives that is still pending after the grace period means Stripe's deliveries are failing.",
    fix: "Open the endpoint in the Stripe dashboard (Developers → Webhooks → the endpoint for STRIPE_WEBHOOK_URL) and read its failed delivery attempts: the answer the app gave says why. A 400 \"signature\" answer means STRIPE_WEBHOOK_SECRET in the deployment is not the endpoint's signing secret (it was rolled): set it to the dashboard's value and redeploy; then resend the failed events from the dashboard (or `bookflow bookings reprocess`). The grace is thresholds.webhookDeliveryGraceMinutes in bookflow.config.json (default 10); the window is the last 24 hours. Stripe counts pending deliveries per event, for every endpoint of the account: another endpoint failing shows here too (`bookflow webhooks status` lists them).",
  },
  messages: {
    deliveriesFailing: "{{count}} Stripe events for {{endpoint}} are still undelivered after {{grace}} minutes, the oldest since {{since}} ({{oldest}}): Stripe's deliveries to {{url}} are failing",
    deliveriesSucceeding: "Every event for {{endpoint}} older than {{grace}} minutes in the last 24 hours was delivered",
  },
  run({ env, config, stripeWebhookEndpoints, stripeUndeliveredEvents: undelivered }) {
    const url = env.vars.STRIPE_WEBHOOK_URL ?? "";
    const grace = config.thresholds.webhookDeliveryGraceMinutes;
    const endpoints = stripeWebhookEndpoints.filter((e) => sameUrl(e.url, url) && e.status === "enabled");
    // The endpoints on the URL, as one registration receiving what any of them receives.
    const receiving = { events: endpoints.flatMap((e) => e.enabled_events), state: endpoints.length ? "enabled" : "disabled" };
    const failing = stripeEventsStillUndelivered(receiving, undelivered.events.filter((e) => e.pending_webhooks > 0), undelivered.readAt, grace);
    const endpoint = endpoints.map((e) => e.id).join(", ") || url;
    if (!failing.length) return pass("deliveriesSucceeding", { endpoint, grace });
    const oldest = failing[0]!;
    return fail(
      "deliveriesFailing",
      { count: `${failing.length}${undelivered.truncated ? "+" : ""}`, endpoint, grace, since: iso(oldest.created), oldest: `${oldest.id}, ${oldest.type}`, url },
      { expected: `no event older than ${grace} minutes with pending_webhooks > 0`, actual: failing.slice(0, 20).map((e) => ({ id: e.id, type: e.type, created: iso(e.created), pending_webhooks: e.pending_webhooks })) },
    );
  },
});
