import { defineCheck, fail, pass } from "../../src/engine/check.js";
import { stripeKeyMode } from "../../src/config/verify-env.js";

export default defineCheck({
  id: "env.stripe-mode-matches-target",
  section: "env",
  title: "Stripe keys are live for production and test elsewhere",
  severity: "error",
  needs: ["env.stripe-keys-well-formed"],
  facts: ["env"],
  docs: {
    why: "Test keys in production take no real money (bookings look paid but are not); live keys in staging or the sandbox charge real cards.",
    fix: "For --target production use the live keys (sk_live_/pk_live_); for staging and sandbox use the test keys (sk_test_/pk_test_).",
  },
  messages: {
    wrongMode: "Target {{target}} needs {{expected}} keys; {{keys}}",
    modeMatches: "{{expected}} keys for target {{target}}",
  },
  run({ env }) {
    const expected = env.target === "production" ? "live" : "test";
    const keys = { STRIPE_SECRET_KEY: stripeKeyMode(env.vars.STRIPE_SECRET_KEY, "secret"), STRIPE_PUBLISHABLE_KEY: stripeKeyMode(env.vars.STRIPE_PUBLISHABLE_KEY, "publishable") };
    const wrong = Object.entries(keys).filter(([, mode]) => mode !== expected);
    if (wrong.length)
      return fail("wrongMode", { target: env.target, expected, keys: wrong.map(([name, mode]) => `${name} is ${mode}`).join(", ") }, { expected, actual: keys });
    return pass("modeMatches", { expected, target: env.target });
  },
});
