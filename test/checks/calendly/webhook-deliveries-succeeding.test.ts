import check from "../../../checks/calendly/webhook-deliveries-succeeding.js";
import type { CalendlySubscriptionsFact } from "../../../src/engine/facts/calendly.js";
import { checkTester, type World } from "../../support/check-tester.js";
import { envWorld, VALID_ENV } from "../../support/env-worlds.js";
import { DEFAULT_CALENDLY_EVENTS } from "../../../src/config/webhook-events.js";

type Sub = CalendlySubscriptionsFact["subscriptions"][number];
const URL_ = VALID_ENV.CALENDLY_WEBHOOK_URL!;
const S1 = "https://api.calendly.com/webhook_subscriptions/S1";
const sub = (over: Partial<Sub> = {}): Sub => ({ uri: S1, callback_url: URL_, state: "active", events: [...DEFAULT_CALENDLY_EVENTS], scope: "organization", retry_started_at: null, ...over });
const world = (subscriptions: Sub[]): World => ({ ...envWorld(), calendlyWebhookSubscriptions: { subscriptions, organizationScopeListed: true } });

checkTester(check, {
  pass: [
    { name: "no retries", facts: world([sub()]), messageId: "succeeding" },
    { name: "a subscription for another URL is retrying (another app's)", facts: world([sub(), sub({ uri: "https://api.calendly.com/webhook_subscriptions/OTHER", callback_url: "https://other.example.com/hooks", retry_started_at: "2026-12-01T10:00:00.000000Z" })]) },
    { name: "a disabled old subscription kept its retry start", facts: world([sub(), sub({ uri: "https://api.calendly.com/webhook_subscriptions/OLD", state: "disabled", retry_started_at: "2026-11-01T10:00:00.000000Z" })]) },
    { name: "trailing slash on the callback URL", facts: world([sub({ callback_url: `${URL_}/` })]) },
  ],
  fail: [
    {
      name: "retrying: the retry start and when Calendly disables it",
      facts: world([sub({ retry_started_at: "2026-12-01T10:00:00.000000Z" })]),
      expect: { status: "fail", messageId: "retrying", data: { uri: S1, since: "2026-12-01T10:00:00.000000Z", disablesAt: "2026-12-02T10:00:00.000Z" } },
    },
    {
      name: "two active subscriptions on the URL, one retrying",
      facts: world([sub({ uri: "https://api.calendly.com/webhook_subscriptions/S2", scope: "user" }), sub({ retry_started_at: "2026-12-01T10:00:00.000000Z" })]),
      expect: { status: "fail", messageId: "retrying", data: { uri: S1 } },
    },
  ],
});
