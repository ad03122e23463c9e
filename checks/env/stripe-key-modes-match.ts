import { defineCheck, fail, pass } from "../../src/engine/check.js";
import { stripeKeyMode } from "../../src/config/verify-env.js";

export default defineCheck({
  id: "env.stripe-key-modes-match",
  section: "env",
  title: "Stripe secret and publishable keys are in the same mode",
  severity: "error",
  needs: ["env.stripe-keys-well-formed"],
  facts: ["env"],
  docs: {
    why: "A test publishable key with a live secret key (or the reverse) creates Checkout sessions the browser cannot open: every paid booking fails at payment.",
    fix: "Take both keys from the same mode of the same Stripe account (the Test mode toggle in the dashboard): sk_live_ with pk_live_, or sk_test_ with pk_test_.",
  },
  messages: {
    modesDiffer: "STRIPE_SECRET_KEY is a {{secret}} key but STRIPE_PUBLISHABLE_KEY is a {{publishable}} key",
    sameMode: "Both keys are {{mode}} keys",
  },
  run({ env }) {
    const secret = stripeKeyMode(env.vars.STRIPE_SECRET_KEY, "secret");
    const publishable = stripeKeyMode(env.vars.STRIPE_PUBLISHABLE_KEY, "publishable");
    if (secret !== publishable)
      return fail("modesDiffer", { secret: String(secret), publishable: String(publishable) }, {
        expected: { STRIPE_PUBLISHABLE_KEY: secret },
        actual: { STRIPE_SECRET_KEY: secret, STRIPE_PUBLISHABLE_KEY: publishable },
      });
    return pass("sameMode", { mode: String(secret) });
  },
});
