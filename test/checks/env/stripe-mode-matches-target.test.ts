import { expect } from "vitest";
import check from "../../../checks/env/stripe-mode-matches-target.js";
import { checkTester } from "../../support/check-tester.js";
import { envWorld, VALID_ENV } from "../../support/env-worlds.js";

const LIVE = { STRIPE_SECRET_KEY: VALID_ENV.STRIPE_SECRET_KEY, STRIPE_PUBLISHABLE_KEY: VALID_ENV.STRIPE_PUBLISHABLE_KEY };

checkTester(check, {
  pass: [
    { name: "production with live keys", facts: envWorld() },
    { name: "staging with test keys", facts: envWorld({}, "staging") },
    { name: "sandbox with test keys", facts: envWorld({}, "sandbox") },
  ],
  fail: [
    {
      name: "production with test keys",
      facts: envWorld({ STRIPE_SECRET_KEY: "sk_test_FAKEsecret0123456789abcdefgh", STRIPE_PUBLISHABLE_KEY: "pk_test_FAKEpublic0123456789abcdefgh" }),
      expect: { status: "fail", messageId: "wrongMode", data: { target: "production", expected: "live", keys: expect.stringContaining("STRIPE_SECRET_KEY is test") } },
    },
    { name: "production with a test publishable key", facts: envWorld({ STRIPE_PUBLISHABLE_KEY: "pk_test_FAKEpublic0123456789abcdefgh" }), expect: { status: "fail", messageId: "wrongMode", data: { keys: expect.stringContaining("STRIPE_PUBLISHABLE_KEY is test") } } },
    { name: "staging with live keys", facts: envWorld(LIVE, "staging"), expect: { status: "fail", messageId: "wrongMode", data: { target: "staging", expected: "test" } } },
    { name: "sandbox with live keys", facts: envWorld(LIVE, "sandbox"), expect: { status: "fail", messageId: "wrongMode", data: { target: "sandbox", expected: "test" } } },
  ],
});
