import { expect } from "vitest";
import check from "../../../checks/endpoints/stripe-webhook-reachable.js";
import { checkTester } from "../../support/check-tester.js";
import { answer, endpointProbes, endpointsWorld, noAnswer, webhook, withThresholds } from "./probe-worlds.js";

const URL = "https://www.example.com/api/webhooks/stripe";
const unsigned = (status: number) => endpointsWorld(endpointProbes({ stripe: webhook("stripe", { unsigned: answer(status, { url: URL, method: "POST" }) }) }));

/** The unsigned POST answered 401 after `ms`, with the default thresholds or httpLatencyMs = `limit`. */
const slow = (ms: number, limit?: number) =>
  endpointsWorld(endpointProbes({ stripe: webhook("stripe", { unsigned: answer(401, { url: URL, method: "POST", latencyMs: ms }) }) }), "production", limit ? withThresholds({ httpLatencyMs: limit }) : undefined);

checkTester(check, {
  pass: [
    { name: "answers in 1500 ms (httpLatencyMs 2000)", facts: slow(1500) },
    { name: "answers in 2500 ms with httpLatencyMs 3000", facts: slow(2500, 3000) },
    { name: "answers 401 to an unsigned request", facts: endpointsWorld() },
    { name: "answers 400 to an unsigned request", facts: unsigned(400) },
    { name: "the other provider's route is down", facts: endpointsWorld(endpointProbes({ calendly: { probed: false, reason: "not set" } })) },
  ],
  fail: [
    { name: "answers in 2500 ms (httpLatencyMs 2000)", facts: slow(2500), expect: { status: "warn", messageId: "answeredSlowly", data: { status: 401, latencyMs: 2500, limitMs: 2000 } } },
    { name: "answers in 300 ms with httpLatencyMs 250", facts: slow(300, 250), expect: { status: "warn", messageId: "answeredSlowly", data: { limitMs: 250 } } },
    { name: "connection refused", facts: endpointsWorld(endpointProbes({ stripe: webhook("stripe", { unsigned: noAnswer() }) })), expect: { status: "fail", messageId: "noAnswer", data: { url: "https://www.example.com/api/webhooks/stripe", error: expect.stringContaining("ECONNREFUSED") } } },
    { name: "timeout", facts: endpointsWorld(endpointProbes({ stripe: webhook("stripe", { unsigned: noAnswer("no answer within 5000 ms") }) })), expect: { status: "fail", messageId: "noAnswer", data: { error: expect.stringContaining("no answer within 5000 ms") } } },
    { name: "route not deployed (404)", facts: unsigned(404), expect: { status: "fail", messageId: "routeMissing", data: { status: 404 } } },
    { name: "wrong method routing (405)", facts: unsigned(405), expect: { status: "fail", messageId: "routeMissing", data: { status: 405 } } },
    { name: "server error", facts: unsigned(500), expect: { status: "fail", messageId: "routeFailing", data: { status: 500 } } },
    { name: "rate limited", facts: unsigned(429), expect: { status: "fail", messageId: "rateLimited" } },
    { name: "URL not set", facts: endpointsWorld(endpointProbes({ stripe: { probed: false, reason: "STRIPE_WEBHOOK_URL is not set" } })), expect: { status: "fail", messageId: "notProbed", data: { label: "Stripe", reason: "STRIPE_WEBHOOK_URL is not set" } } },
  ],
});
