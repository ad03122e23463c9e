import { defineCheck, fail, pass } from "../../src/engine/check.js";

export default defineCheck({
  id: "stripe.publishable-key-same-account",
  section: "stripe",
  title: "STRIPE_PUBLISHABLE_KEY belongs to the same Stripe account as STRIPE_SECRET_KEY",
  severity: "error",
  needs: ["stripe.key-valid"],
  vars: ["STRIPE_PUBLISHABLE_KEY"],
  facts: ["stripePublishableKeyAccount"],
  docs: {
    decides:
      "Creates a PII token with STRIPE_PUBLISHABLE_KEY (`POST /v1/tokens` with `pii[id_number]=000000000`: a publishable key may do this in test and live mode; the token is never used and expires unused) and retrieves it with STRIPE_SECRET_KEY (`GET /v1/tokens/{id}`). Found: one account. `resource_missing`: the publishable key is another account's. A publishable key Stripe refuses (401) fails too.",
    why: "The browser collects payment details with the publishable key and the server charges with the secret key: keys of two accounts (a staging account's publishable key next to the production secret key, or an old account's) make every payment the browser starts unknown to the server, so checkouts fail or land in the wrong account.",
    fix: "Copy both keys from the same account and mode in the Stripe dashboard (Developers → API keys: the Publishable key and the Secret key shown together), set STRIPE_PUBLISHABLE_KEY and STRIPE_SECRET_KEY on the deployment, and redeploy (the publishable key is built into the client bundle).",
  },
  messages: {
    keyRefused: "Stripe refused STRIPE_PUBLISHABLE_KEY (HTTP {{status}}): {{reason}}",
    otherAccount: "STRIPE_PUBLISHABLE_KEY belongs to another Stripe account: a token it created ({{tokenId}}) is unknown to STRIPE_SECRET_KEY",
    sameAccount: "STRIPE_PUBLISHABLE_KEY and STRIPE_SECRET_KEY are keys of one account ({{mode}} mode)",
  },
  run({ stripePublishableKeyAccount: f }) {
    if (f.outcome === "key-refused") return fail("keyRefused", { status: f.status, reason: f.reason }, { expected: "a publishable key Stripe accepts", actual: { status: f.status } });
    if (f.outcome === "other-account") return fail("otherAccount", { tokenId: f.tokenId }, { expected: "the token is found with STRIPE_SECRET_KEY", actual: f.reason });
    return pass("sameAccount", { mode: f.livemode ? "live" : "test" });
  },
});
