import { expect } from "vitest";
import check from "../../../checks/security/webhook-signatures-validated.js";
import { checkTester } from "../../support/check-tester.js";
import { answer, endpointProbes, endpointsWorld, noAnswer, webhook } from "../endpoints/probe-worlds.js";

const post = (provider: string, status: number) => answer(status, { url: `https://www.example.com/api/webhooks/${provider}`, method: "POST" });

checkTester(check, {
  pass: [
    { name: "both routes answer 401 to unsigned and wrongly signed requests", facts: endpointsWorld() },
    { name: "400 and 403 count as rejections", facts: endpointsWorld(endpointProbes({ calendly: webhook("calendly", { unsigned: post("calendly", 400), badSignature: post("calendly", 403) }) })) },
  ],
  fail: [
    { name: "Calendly route accepts unsigned requests", facts: endpointsWorld(endpointProbes({ calendly: webhook("calendly", { unsigned: post("calendly", 200) }) })), expect: { status: "fail", messageId: "signaturesNotEnforced", data: { problems: expect.stringContaining("calendly answered 200 to an unsigned request") } } },
    { name: "Stripe route accepts a wrong signature", facts: endpointsWorld(endpointProbes({ stripe: webhook("stripe", { badSignature: post("stripe", 200) }) })), expect: { status: "fail", messageId: "signaturesNotEnforced", data: { problems: expect.stringContaining("stripe answered 200 to a wrongly signed request") } } },
    { name: "verification crashes (500)", facts: endpointsWorld(endpointProbes({ stripe: webhook("stripe", { badSignature: post("stripe", 500) }) })), expect: { status: "fail", messageId: "signaturesNotEnforced", data: { problems: expect.stringContaining("stripe answered 500") } } },
    { name: "no answer", facts: endpointsWorld(endpointProbes({ calendly: webhook("calendly", { badSignature: noAnswer() }) })), expect: { status: "fail", messageId: "signaturesNotEnforced", data: { problems: expect.stringMatching(/calendly answered no answer \(.*ECONNREFUSED.*\) to a wrongly signed request/) } } },
    { name: "a webhook URL not set", facts: endpointsWorld(endpointProbes({ stripe: { probed: false, reason: "STRIPE_WEBHOOK_URL is not set" } })), expect: { status: "fail", messageId: "signaturesNotEnforced", data: { problems: expect.stringContaining("stripe: not probed (STRIPE_WEBHOOK_URL is not set)") } } },
  ],
});
