import { expect } from "vitest";
import check from "../../../checks/security/webhook-cors.js";
import { checkTester } from "../../support/check-tester.js";
import { answer, cors, noAnswer, securityProbes } from "../endpoints/probe-worlds.js";

const FOREIGN = "https://bookflow-verify.invalid";

checkTester(check, {
  pass: [
    { name: "no CORS headers at all (the reference app)", facts: { securityProbes: securityProbes() } },
    {
      name: "allows only the site's own origin",
      facts: { securityProbes: securityProbes({ cors: { calendly: cors("calendly", { "access-control-allow-origin": "https://www.example.com", vary: "Origin" }), stripe: cors("stripe") } }) },
    },
  ],
  fail: [
    {
      name: "Access-Control-Allow-Origin: * on POST",
      facts: { securityProbes: securityProbes({ cors: { calendly: cors("calendly", { "access-control-allow-origin": "*" }), stripe: cors("stripe") } }) },
      expect: { status: "fail", messageId: "corsProblems", data: { problems: expect.stringContaining("calendly POST sends Access-Control-Allow-Origin: *") } },
    },
    {
      name: "preflight echoes the foreign origin with credentials",
      facts: {
        securityProbes: securityProbes({
          cors: { calendly: cors("calendly"), stripe: cors("stripe", {}, { "access-control-allow-origin": FOREIGN, "access-control-allow-credentials": "true" }) },
        }),
      },
      expect: { status: "fail", messageId: "corsProblems", data: { problems: expect.stringMatching(/stripe preflight \(OPTIONS\) echoes the foreign Origin .* with Allow-Credentials: true/) } },
    },
    {
      name: "Access-Control-Allow-Origin: null",
      facts: { securityProbes: securityProbes({ cors: { calendly: cors("calendly", { "access-control-allow-origin": "null" }), stripe: cors("stripe") } }) },
      expect: { status: "fail", messageId: "corsProblems", data: { problems: expect.stringContaining("Allow-Origin: null") } },
    },
    {
      name: "no answer to the preflight",
      facts: { securityProbes: securityProbes({ cors: { calendly: { ...cors("calendly"), preflight: noAnswer() }, stripe: cors("stripe") } }) },
      expect: { status: "fail", messageId: "corsProblems", data: { problems: expect.stringContaining("calendly preflight (OPTIONS): no answer") } },
    },
    {
      name: "a webhook URL not set",
      facts: { securityProbes: securityProbes({ cors: { calendly: cors("calendly"), stripe: { probed: false, reason: "STRIPE_WEBHOOK_URL is not set" } } }) },
      expect: { status: "fail", messageId: "corsProblems", data: { problems: expect.stringContaining("stripe: not probed") } },
    },
    {
      name: "permissive on a 200 answer too",
      facts: { securityProbes: securityProbes({ cors: { calendly: { ...cors("calendly"), post: answer(200, { headers: { "access-control-allow-origin": "*" } }) }, stripe: cors("stripe") } }) },
      expect: { status: "fail", messageId: "corsProblems", data: { problems: expect.stringContaining("calendly POST sends Access-Control-Allow-Origin: *") } },
    },
  ],
});
