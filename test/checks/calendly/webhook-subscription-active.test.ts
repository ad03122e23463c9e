import check from "../../../checks/calendly/webhook-subscription-active.js";
import type { CalendlySubscriptionsFact } from "../../../src/engine/facts/calendly.js";
import { checkTester, type World } from "../../support/check-tester.js";
import { defaultConfig, type BookflowConfig } from "../../../src/config/bookflow-config.js";
import { envWorld, VALID_ENV } from "../../support/env-worlds.js";
import { DEFAULT_CALENDLY_EVENTS } from "../../../src/config/webhook-events.js";

const DEFAULTS = [...DEFAULT_CALENDLY_EVENTS];
const without = (...events: string[]) => DEFAULTS.filter((e) => !events.includes(e));

type Sub = CalendlySubscriptionsFact["subscriptions"][number];
const URL_ = VALID_ENV.CALENDLY_WEBHOOK_URL!;
const sub = (over: Partial<Sub> = {}): Sub => ({
  uri: "https://api.calendly.com/webhook_subscriptions/S1",
  callback_url: URL_,
  state: "active",
  events: DEFAULTS,
  scope: "organization",
  retry_started_at: null,
  ...over,
});
const world = (subscriptions: Sub[], organizationScopeListed = true, config: BookflowConfig = defaultConfig()): World => ({ ...envWorld(), config, calendlyWebhookSubscriptions: { subscriptions, organizationScopeListed } });
/** calendly.events in bookflow.config.json. */
const expecting = (events: string[]): BookflowConfig => ({ ...defaultConfig(), calendly: { events } });

checkTester(check, {
  pass: [
    { name: "calendly.events lists one more event, and the subscription sends it", facts: world([sub({ events: ["invitee.created", "invitee.canceled", "invitee_no_show.created"] })], true, expecting(["invitee.created", "invitee.canceled", "invitee_no_show.created"])) },
    { name: "calendly.events lists only invitee.created", facts: world([sub({ events: ["invitee.created"] })], true, expecting(["invitee.created"])) },
    { name: "active organization subscription with every default event (invitees and no-shows)", facts: world([sub()]) },
    { name: "user-scoped subscription with more events, trailing slash", facts: world([sub({ scope: "user", callback_url: `${URL_}/`, events: ["routing_form_submission.created", ...[...DEFAULTS].reverse()] })], false) },
    { name: "a disabled old one next to an active one", facts: world([sub({ uri: "https://api.calendly.com/webhook_subscriptions/OLD", state: "disabled" }), sub()]) },
  ],
  fail: [
    {
      name: "calendly.events lists invitee_no_show.created, the subscription does not send it",
      facts: world([sub({ events: ["invitee.created", "invitee.canceled"] })], true, expecting(["invitee.created", "invitee.canceled", "invitee_no_show.created"])),
      expect: { status: "fail", messageId: "missingEvents", data: { events: "invitee_no_show.created" } },
    },
    { name: "no subscriptions", facts: world([]), expect: { status: "fail", messageId: "noSubscription", data: { url: "https://www.example.com/api/webhooks/calendly" } } },
    { name: "only for another URL", facts: world([sub({ callback_url: "https://old.example.com/api/webhooks/calendly" })]), expect: { status: "fail", messageId: "noSubscription" } },
    { name: "organization scope not listable, nothing for the user", facts: world([], false), expect: { status: "fail", messageId: "noSubscriptionOrganizationUnlisted" } },
    { name: "disabled", facts: world([sub({ state: "disabled" })]), expect: { status: "fail", messageId: "subscriptionDisabled" } },
    { name: "missing invitee.canceled", facts: world([sub({ events: without("invitee.canceled") })]), expect: { status: "fail", messageId: "missingEvents", data: { events: "invitee.canceled" } } },
    { name: "missing the no-show events the lifecycle reads", facts: world([sub({ events: ["invitee.created", "invitee.canceled"] })]), expect: { status: "fail", messageId: "missingEvents", data: { events: "invitee_no_show.created, invitee_no_show.deleted" } } },
    { name: "missing every event", facts: world([sub({ events: ["routing_form_submission.created"] })]), expect: { status: "fail", messageId: "missingEvents", data: { events: DEFAULTS.join(", ") } } },
  ],
});
