import { defineCheck, fail, pass } from "../../src/engine/check.js";

export default defineCheck({
  id: "stripe.key-valid",
  section: "stripe",
  title: "Stripe accepts STRIPE_SECRET_KEY, in live mode for production and test mode elsewhere",
  severity: "error",
  needs: ["env.stripe-keys-well-formed"],
  vars: ["STRIPE_SECRET_KEY"],
  facts: ["env", "stripeAccount"],
  docs: {
    why: "Every Checkout session and refund is made with this key: a rolled or deleted key fails every paid booking, and a test-mode account in production takes no real money (bookings look paid but are not), while live mode in staging charges real cards.",
    fix: "Copy the current secret key from the Stripe dashboard (Developers → API keys; make sure the Test mode toggle matches the target: off for --target production, on for staging and sandbox) and set STRIPE_SECRET_KEY; a key Stripe refuses was rolled or deleted: roll a new one.",
  },
  messages: {
    keyRefused: "Stripe refused STRIPE_SECRET_KEY (HTTP {{status}}): it is invalid, rolled or deleted",
    wrongMode: "Target {{target}} needs a {{expected}}-mode key, but Stripe answered in {{actual}} mode",
    accepted: "Key accepted, {{actual}} mode for target {{target}}",
  },
  run({ env, stripeAccount }) {
    if (!stripeAccount.authenticated) return fail("keyRefused", { status: stripeAccount.status }, { details: { reason: stripeAccount.reason } });
    const expected = env.target === "production" ? "live" : "test";
    const actual = stripeAccount.livemode ? "live" : "test";
    if (actual !== expected) return fail("wrongMode", { target: env.target, expected, actual }, { expected, actual });
    return pass("accepted", { actual, target: env.target });
  },
});
