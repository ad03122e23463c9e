import check from "../../../checks/env/stripe-key-modes-match.js";
import { checkTester } from "../../support/check-tester.js";
import { envWorld } from "../../support/env-worlds.js";

checkTester(check, {
  pass: [
    { name: "both live", facts: envWorld() },
    { name: "both test", facts: envWorld({}, "staging") },
    { name: "restricted live key with live publishable key", facts: envWorld({ STRIPE_SECRET_KEY: "rk_live_FAKErestricted0123456789" }) },
  ],
  fail: [
    { name: "live secret, test publishable", facts: envWorld({ STRIPE_PUBLISHABLE_KEY: "pk_test_FAKEpublic0123456789abcdefgh" }), expect: { status: "fail", messageId: "modesDiffer", data: { secret: "live", publishable: "test" } } },
    { name: "test secret, live publishable", facts: envWorld({ STRIPE_SECRET_KEY: "sk_test_FAKEsecret0123456789abcdefgh" }), expect: { status: "fail", messageId: "modesDiffer", data: { secret: "test", publishable: "live" }, notMessage: /FAKEsecret/ } },
  ],
});
