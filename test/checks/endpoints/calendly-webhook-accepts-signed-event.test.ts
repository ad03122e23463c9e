import { expect } from "vitest";
import check from "../../../checks/endpoints/calendly-webhook-accepts-signed-event.js";
import { CALENDLY_OAUTH_JWT } from "../../support/calendly-tokens.js";
import { checkTester } from "../../support/check-tester.js";
import { envWorld } from "../../support/env-worlds.js";
import { answer, endpointProbes, endpointsWorld, noAnswer, webhook, withThresholds } from "./probe-worlds.js";

const URL = "https://www.example.com/api/webhooks/calendly";
const signed = (status: number, body = "{}") => endpointsWorld(endpointProbes({ calendly: webhook("calendly", { signed: answer(status, { url: URL, method: "POST", bodyText: body }) }) }));

/** The signed test event accepted (200) after `ms`, with the default thresholds or httpLatencyMs = `limit`. */
const slow = (ms: number, limit?: number) =>
  endpointsWorld(endpointProbes({ calendly: webhook("calendly", { signed: answer(200, { url: URL, method: "POST", latencyMs: ms }) }) }), "production", limit ? withThresholds({ httpLatencyMs: limit }) : undefined);

checkTester(check, {
  pass: [
    { name: "accepted in 1500 ms (httpLatencyMs 2000)", facts: slow(1500) },
    { name: "accepted in 2500 ms with httpLatencyMs 3000", facts: slow(2500, 3000) },
    { name: "200 (recorded and ignored)", facts: endpointsWorld() },
    { name: "a personal access token or one bookflow cannot tell: the key is the subscription's", facts: endpointsWorld(), messageId: "accepted" },
    { name: "202", facts: signed(202) },
    { name: "only the other provider rejects", facts: endpointsWorld(endpointProbes({ stripe: webhook("stripe", { signed: answer(401) }) })) },
  ],
  fail: [
    {
      name: "OAuth token: accepted, but the test event's key is not the one Calendly signs with",
      facts: { ...endpointsWorld(), ...envWorld({ CALENDLY_API_TOKEN: CALENDLY_OAUTH_JWT }) },
      expect: { status: "warn", messageId: "acceptedOauth", data: { secret: "CALENDLY_WEBHOOK_SIGNING_KEY" } },
    },
    {
      name: "OAuth token: rejected, with the OAuth application's key as the advice",
      facts: { ...signed(401), ...envWorld({ CALENDLY_API_TOKEN: CALENDLY_OAUTH_JWT }) },
      expect: { status: "fail", messageId: "signatureRejectedOauth", data: { status: 401 }, message: /OAuth application's webhook signing key/ },
    },
    { name: "accepted in 2500 ms (httpLatencyMs 2000)", facts: slow(2500), expect: { status: "warn", messageId: "acceptedSlowly", data: { latencyMs: 2500, limitMs: 2000 } } },
    { name: "accepted in 300 ms with httpLatencyMs 250", facts: slow(300, 250), expect: { status: "warn", messageId: "acceptedSlowly", data: { limitMs: 250 } } },
    {
      name: "signature rejected: the deployment has another secret",
      facts: signed(401, JSON.stringify({ error: "invalid_signature", reason: "bad_signature" })),
      expect: { status: "fail", messageId: "signatureRejected", data: { secret: "CALENDLY_WEBHOOK_SIGNING_KEY", status: 401 } },
    },
    { name: "server error", facts: signed(500), expect: { status: "fail", messageId: "unexpectedStatus", data: { status: 500 } } },
    { name: "no answer", facts: endpointsWorld(endpointProbes({ calendly: webhook("calendly", { signed: noAnswer() }) })), expect: { status: "fail", messageId: "noAnswer" } },
    { name: "secret not set: nothing signed", facts: endpointsWorld(endpointProbes({ calendly: webhook("calendly", { signed: null, malformed: null, notSigned: "CALENDLY_WEBHOOK_SIGNING_KEY is not set" }) })), expect: { status: "skip", messageId: "notSigned", data: { reason: expect.stringContaining("CALENDLY_WEBHOOK_SIGNING_KEY is not set") } } },
    { name: "URL not set", facts: endpointsWorld(endpointProbes({ calendly: { probed: false, reason: "CALENDLY_WEBHOOK_URL is not set" } })), expect: { status: "fail", messageId: "notProbed", data: { reason: expect.stringContaining("CALENDLY_WEBHOOK_URL is not set") } } },
  ],
});
