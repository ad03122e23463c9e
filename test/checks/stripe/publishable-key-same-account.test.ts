import check from "../../../checks/stripe/publishable-key-same-account.js";
import { checkTester } from "../../support/check-tester.js";

checkTester(check, {
  pass: [
    { name: "the token is found with the secret key (test mode)", facts: { stripePublishableKeyAccount: { outcome: "same-account", tokenId: "pii_1", livemode: false } }, messageId: "sameAccount" },
    { name: "live mode", facts: { stripePublishableKeyAccount: { outcome: "same-account", tokenId: "pii_2", livemode: true } }, messageId: "sameAccount" },
  ],
  fail: [
    {
      name: "the publishable key is another account's",
      facts: { stripePublishableKeyAccount: { outcome: "other-account", tokenId: "pii_3", reason: "No such token: 'pii_3'" } },
      expect: { status: "fail", messageId: "otherAccount", data: { tokenId: "pii_3" } },
    },
    {
      name: "Stripe refuses the publishable key",
      facts: { stripePublishableKeyAccount: { outcome: "key-refused", status: 401, reason: "Invalid API Key provided: pk_test_****0001" } },
      expect: { status: "fail", messageId: "keyRefused", data: { status: 401 }, message: /Invalid API Key provided/ },
    },
  ],
});
