import check from "../../../checks/stripe/key-valid.js";
import { checkTester } from "../../support/check-tester.js";
import { envWorld } from "../../support/env-worlds.js";

const live = { stripeAccount: { authenticated: true, livemode: true } } as const;
const test = { stripeAccount: { authenticated: true, livemode: false } } as const;

checkTester(check, {
  pass: [
    { name: "live mode for production", facts: { ...envWorld(), ...live } },
    { name: "test mode for staging", facts: { ...envWorld({}, "staging"), ...test } },
    { name: "test mode for the sandbox", facts: { ...envWorld({}, "sandbox"), ...test } },
  ],
  fail: [
    {
      name: "key refused",
      facts: { ...envWorld(), stripeAccount: { authenticated: false, status: 401, reason: "Invalid API Key provided: sk_live_****" } },
      expect: { status: "fail", messageId: "keyRefused", data: { status: 401 } },
    },
    { name: "test mode for production", facts: { ...envWorld(), ...test }, expect: { status: "fail", messageId: "wrongMode", data: { target: "production", expected: "live", actual: "test" } } },
    { name: "live mode for staging", facts: { ...envWorld({}, "staging"), ...live }, expect: { status: "fail", messageId: "wrongMode", data: { target: "staging", expected: "test", actual: "live" } } },
  ],
});
