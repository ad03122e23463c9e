import { defineCheck, fail, pass, skip } from "../../src/engine/check.js";
import { isStripeWebhookSecret, stripeKeyMode } from "../../src/config/verify-env.js";

export default defineCheck({
  id: "env.stripe-keys-well-formed",
  section: "env",
  title: "Stripe keys and webhook secret have the right shape",
  severity: "error",
  needs: [],
  vars: ["STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET"],
  facts: ["env"],
  docs: {
    why: "A publishable key in STRIPE_SECRET_KEY, or a signing secret copied without its whsec_ prefix, makes every payment call or webhook verification fail.",
    fix: "Copy the keys again from the Stripe dashboard (Developers → API keys): STRIPE_SECRET_KEY starts sk_ (or rk_ for a restricted key), STRIPE_PUBLISHABLE_KEY starts pk_; STRIPE_WEBHOOK_SECRET is the endpoint's signing secret, starting whsec_.",
  },
  messages: {
    malformed: "{{problems}}",
    notSet: "Not set: {{names}} (see env.required-present)",
    wellFormed: "Secret key, publishable key and webhook secret are well-formed",
  },
  run({ env }) {
    const { STRIPE_SECRET_KEY: secret, STRIPE_PUBLISHABLE_KEY: publishable, STRIPE_WEBHOOK_SECRET: webhookSecret } = env.vars;
    const problems: string[] = [];
    if (secret !== undefined && !stripeKeyMode(secret, "secret"))
      problems.push(secret.startsWith("pk_") ? "STRIPE_SECRET_KEY holds a publishable key (pk_…)" : "STRIPE_SECRET_KEY must look like sk_live_…, sk_test_…, rk_live_… or rk_test_…");
    if (publishable !== undefined && !stripeKeyMode(publishable, "publishable"))
      problems.push(/^(sk|rk)_/.test(publishable) ? "STRIPE_PUBLISHABLE_KEY holds a secret key (sk_/rk_…)" : "STRIPE_PUBLISHABLE_KEY must look like pk_live_… or pk_test_…");
    if (webhookSecret !== undefined && !isStripeWebhookSecret(webhookSecret)) problems.push("STRIPE_WEBHOOK_SECRET must look like whsec_…");
    if (problems.length) return fail("malformed", { problems: problems.join("; ") }, { expected: "sk_|rk_(live|test)_…, pk_(live|test)_…, whsec_…", actual: problems });
    const unset = [["STRIPE_SECRET_KEY", secret], ["STRIPE_PUBLISHABLE_KEY", publishable], ["STRIPE_WEBHOOK_SECRET", webhookSecret]].filter(([, v]) => v === undefined).map(([n]) => n);
    if (unset.length) return skip("notSet", { names: unset.join(", ") });
    return pass("wellFormed");
  },
});
