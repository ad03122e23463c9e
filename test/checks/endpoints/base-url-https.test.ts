import check from "../../../checks/endpoints/base-url-https.js";
import { checkTester } from "../../support/check-tester.js";
import { answer, endpointProbes, endpointsWorld, noAnswer } from "./probe-worlds.js";

const SANDBOX_URL = "http://127.0.0.1:4100/";

checkTester(check, {
  pass: [
    { name: "https, valid certificate, 404 at the root", facts: endpointsWorld() },
    { name: "https, 200", facts: endpointsWorld(endpointProbes({ base: { probed: true, url: "https://www.example.com/", result: answer(200) } })) },
    { name: "plain http for --target sandbox", facts: endpointsWorld(endpointProbes({ base: { probed: true, url: SANDBOX_URL, result: answer(404, { url: SANDBOX_URL }) } }), "sandbox") },
  ],
  fail: [
    {
      name: "expired certificate",
      facts: endpointsWorld(endpointProbes({ base: { probed: true, url: "https://www.example.com/", result: noAnswer("CERT_HAS_EXPIRED: certificate has expired", { tls: { valid: false, error: "CERT_HAS_EXPIRED" } }) } })),
      expect: { status: "fail", message: /invalid certificate: CERT_HAS_EXPIRED/ },
    },
    {
      name: "self-signed certificate",
      facts: endpointsWorld(endpointProbes({ base: { probed: true, url: "https://www.example.com/", result: noAnswer("self-signed certificate", { tls: { valid: false, error: "DEPTH_ZERO_SELF_SIGNED_CERT" } }) } })),
      expect: { status: "fail", message: /DEPTH_ZERO_SELF_SIGNED_CERT/ },
    },
    {
      name: "connection refused",
      facts: endpointsWorld(endpointProbes({ base: { probed: true, url: "https://www.example.com/", result: noAnswer() } })),
      expect: { status: "fail", message: /No answer from https:\/\/www\.example\.com\/: .*ECONNREFUSED/ },
    },
    { name: "server error", facts: endpointsWorld(endpointProbes({ base: { probed: true, url: "https://www.example.com/", result: answer(502) } })), expect: { status: "fail", message: /answered 502/ } },
    {
      name: "plain http for production",
      facts: endpointsWorld(endpointProbes({ base: { probed: true, url: "http://www.example.com/", result: answer(200, { url: "http://www.example.com/" }) } })),
      expect: { status: "fail", message: /plain http; production needs https/ },
    },
    { name: "base URL not set", facts: endpointsWorld(endpointProbes({ base: { probed: false, reason: "NEXT_PUBLIC_BASE_URL is not set" } })), expect: { status: "fail", message: /NEXT_PUBLIC_BASE_URL is not set/ } },
  ],
});
