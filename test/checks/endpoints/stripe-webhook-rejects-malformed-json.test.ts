import { expect } from "vitest";
import check from "../../../checks/endpoints/stripe-webhook-rejects-malformed-json.js";
import { checkTester } from "../../support/check-tester.js";
import { answer, endpointProbes, endpointsWorld, noAnswer, webhook } from "./probe-worlds.js";

const URL = "https://www.example.com/api/webhooks/stripe";
const malformed = (status: number) => endpointsWorld(endpointProbes({ stripe: webhook("stripe", { malformed: answer(status, { url: URL, method: "POST" }) }) }));

checkTester(check, {
  pass: [
    { name: "400", facts: endpointsWorld() },
    { name: "422", facts: malformed(422) },
  ],
  fail: [
    { name: "500 (handler crashed on JSON.parse)", facts: malformed(500), expect: { status: "fail", messageId: "serverError", data: { status: 500 } } },
    { name: "502", facts: malformed(502), expect: { status: "fail", messageId: "serverError", data: { status: 502 } } },
    { name: "accepted (200)", facts: malformed(200), expect: { status: "fail", messageId: "malformedAccepted" } },
    { name: "no answer", facts: endpointsWorld(endpointProbes({ stripe: webhook("stripe", { malformed: noAnswer() }) })), expect: { status: "fail", messageId: "noAnswer" } },
    { name: "secret not set", facts: endpointsWorld(endpointProbes({ stripe: webhook("stripe", { signed: null, malformed: null, notSigned: "STRIPE_WEBHOOK_SECRET is not set" }) })), expect: { status: "skip", messageId: "notSigned", data: { reason: expect.stringContaining("STRIPE_WEBHOOK_SECRET is not set") } } },
  ],
});
