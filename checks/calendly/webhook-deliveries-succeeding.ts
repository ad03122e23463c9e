import { defineCheck, fail, pass } from "../../src/engine/check.js";

const sameUrl = (a: string, b: string) => a.replace(/\/+$/, "") === b.replace(/\/+$/, "");
/** Calendly disables a subscription after this long of failed deliveries. */
const DISABLED_AFTER_MS = 24 * 3600 * 1000;

export default defineCheck({
  id: "calendly.webhook-deliveries-succeeding",
  section: "calendly",
  title: "Calendly's own deliveries to the subscription for CALENDLY_WEBHOOK_URL succeed (it is not retrying failed ones)",
  severity: "error",
  needs: ["calendly.webhook-subscription-active"],
  facts: ["env", "calendlyWebhookSubscriptions"],
  docs: {
    why: "The endpoints checks sign their test events with bookflow's copy of CALENDLY_WEBHOOK_SIGNING_KEY, so they pass even when Calendly signs with another key or the app refuses its real deliveries. Calendly sets `retry_started_at` on a subscription whose deliveries fail, retries for 24 hours, then disables it without telling anyone: from then on no booking reaches the app.",
    fix: "Before Calendly disables the subscription (24 hours after the retry start named in the failure): make sure CALENDLY_WEBHOOK_SIGNING_KEY in the deployment is the subscription's signing key (Calendly never shows it again: when in doubt, delete the subscription with DELETE /webhook_subscriptions/<uuid> and create it again with `bookflow webhooks register calendly`, which signs it with the configured key), and that the app answers Calendly's POSTs to CALENDLY_WEBHOOK_URL with a 2xx (see the endpoints checks and the app's logs). Bookings made meanwhile are recovered with `bookflow bookings reconcile`.",
  },
  messages: {
    retrying: "Calendly has been retrying failed deliveries to {{uri}} since {{since}}: it disables the subscription at {{disablesAt}}",
    succeeding: "Calendly's deliveries to {{uri}} succeed (no retries)",
  },
  run({ env, calendlyWebhookSubscriptions: fact }) {
    const url = env.vars.CALENDLY_WEBHOOK_URL ?? "";
    const active = fact.subscriptions.filter((s) => sameUrl(s.callback_url, url) && s.state === "active");
    const retrying = active.filter((s) => s.retry_started_at).sort((a, b) => a.retry_started_at!.localeCompare(b.retry_started_at!));
    if (!retrying.length) return pass("succeeding", { uri: active.map((s) => s.uri).join(", ") || url });
    const first = retrying[0]!;
    const started = Date.parse(first.retry_started_at!);
    const disablesAt = Number.isNaN(started) ? "24 hours after that" : new Date(started + DISABLED_AFTER_MS).toISOString();
    return fail(
      "retrying",
      { uri: retrying.map((s) => s.uri).join(", "), since: first.retry_started_at!, disablesAt },
      { expected: "retry_started_at null", actual: retrying.map((s) => ({ uri: s.uri, retry_started_at: s.retry_started_at })) },
    );
  },
});
