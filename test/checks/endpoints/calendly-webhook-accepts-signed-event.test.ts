import check from "../../../checks/endpoints/calendly-webhook-accepts-signed-event.js";
import { checkTester } from "../../support/check-tester.js";
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
    { name: "202", facts: signed(202) },
    { name: "only the other provider rejects", facts: endpointsWorld(endpointProbes({ stripe: webhook("stripe", { signed: answer(401) }) })) },
  ],
  fail: [
    { name: "accepted in 2500 ms (httpLatencyMs 2000)", facts: slow(2500), expect: { status: "warn", message: /accepted a test event .* in 2500 ms, longer than thresholds\.httpLatencyMs \(2000 ms\)/ } },
    { name: "accepted in 300 ms with httpLatencyMs 250", facts: slow(300, 250), expect: { status: "warn", message: /longer than thresholds\.httpLatencyMs \(250 ms\)/ } },
    {
      name: "signature rejected: the deployment has another secret",
      facts: signed(401, JSON.stringify({ error: "invalid_signature", reason: "bad_signature" })),
      expect: { status: "fail", message: /rejected a test event signed with CALENDLY_WEBHOOK_SIGNING_KEY \(401\)/ },
    },
    { name: "server error", facts: signed(500), expect: { status: "fail", message: /answered 500 to a correctly signed test event/ } },
    { name: "no answer", facts: endpointsWorld(endpointProbes({ calendly: webhook("calendly", { signed: noAnswer() }) })), expect: { status: "fail", message: /No answer .* signed test event/ } },
    { name: "secret not set: nothing signed", facts: endpointsWorld(endpointProbes({ calendly: webhook("calendly", { signed: null, malformed: null, notSigned: "CALENDLY_WEBHOOK_SIGNING_KEY is not set" }) })), expect: { status: "skip", message: /CALENDLY_WEBHOOK_SIGNING_KEY is not set/ } },
    { name: "URL not set", facts: endpointsWorld(endpointProbes({ calendly: { probed: false, reason: "CALENDLY_WEBHOOK_URL is not set" } })), expect: { status: "fail", message: /CALENDLY_WEBHOOK_URL is not set/ } },
  ],
});
