import { calendlyTokenKind } from "../../src/config/calendly-token.js";
import { defineCheck, fail, pass } from "../../src/engine/check.js";

export default defineCheck({
  id: "calendly.token-valid",
  section: "calendly",
  title: "Calendly token is accepted and belongs to CALENDLY_USERNAME",
  severity: "error",
  needs: ["env.calendly-well-formed"],
  vars: ["CALENDLY_API_TOKEN", "CALENDLY_USERNAME"],
  facts: ["env", "calendlyUser"],
  docs: {
    why: "bookflow and the booking app read event types, bookings and webhook subscriptions with this token: a revoked token, or one created in someone else's Calendly account, means bookings are read from (and subscriptions registered on) the wrong account, or not at all.",
    fix: "Create a personal access token while logged in as the Calendly user whose booking page is calendly.com/<CALENDLY_USERNAME> (Integrations → API & Webhooks → Personal access tokens) and set it as CALENDLY_API_TOKEN; or, if the token is right, set CALENDLY_USERNAME to that account's slug.",
  },
  messages: {
    tokenInvalid: "Calendly refused the token (HTTP {{status}}): it is invalid, expired or revoked",
    tokenCannotReadUser: "Calendly refused the token (HTTP {{status}}): it may not read its own user",
    otherUser: 'The token belongs to Calendly user "{{slug}}" ({{schedulingUrl}}), not "{{expected}}"',
    accepted: "Token accepted for {{name}} ({{schedulingUrl}})",
    acceptedOauth:
      "Token accepted for {{name}} ({{schedulingUrl}}); it is an OAuth access token, so Calendly signs webhook deliveries with your OAuth application's webhook signing key, not the key bookflow passes when it creates a subscription",
  },
  run({ env, calendlyUser }) {
    if (!calendlyUser.authenticated)
      return fail(calendlyUser.status === 401 ? "tokenInvalid" : "tokenCannotReadUser", { status: calendlyUser.status }, { details: { reason: calendlyUser.reason } });
    const expected = env.vars.CALENDLY_USERNAME ?? "";
    const { user } = calendlyUser;
    if (user.slug.toLowerCase() !== expected.toLowerCase())
      return fail("otherUser", { slug: user.slug, schedulingUrl: user.scheduling_url, expected }, { expected, actual: user.slug });
    const kind = calendlyTokenKind(env.vars.CALENDLY_API_TOKEN);
    return pass(kind === "oauth" ? "acceptedOauth" : "accepted", { name: user.name, schedulingUrl: user.scheduling_url }, { details: { tokenKind: kind } });
  },
});
