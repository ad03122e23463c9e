import check from "../../../checks/env/no-public-secrets.js";
import { checkTester } from "../../support/check-tester.js";
import { envWorld, VALID_ENV } from "../../support/env-worlds.js";

checkTester(check, {
  pass: [
    { name: "only the base URL is public", facts: envWorld() },
    { name: "the publishable key is public by design", facts: envWorld({ NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY: VALID_ENV.STRIPE_PUBLISHABLE_KEY }) },
    { name: "a browser API key", facts: envWorld({ NEXT_PUBLIC_FIREBASE_API_KEY: "AIzaFAKE0123456789" }) },
    { name: "a secret name without the prefix", facts: envWorld({ INTERNAL_SECRET: "FAKEinternal0123456789" }) },
  ],
  fail: [
    {
      name: "Stripe secret key under a public name",
      facts: envWorld({ NEXT_PUBLIC_STRIPE_KEY: "sk_live_FAKEother0123456789abcdefgh" }),
      expect: { status: "fail", messageId: "secretsExposed", data: { names: "NEXT_PUBLIC_STRIPE_KEY" }, notMessage: /FAKEother0123456789/ },
    },
    { name: "a secret's value under any public name", facts: envWorld({ NEXT_PUBLIC_X: VALID_ENV.CALENDLY_API_TOKEN }), expect: { status: "fail", messageId: "secretsExposed", data: { names: "NEXT_PUBLIC_X" }, notMessage: /cal_pat_FAKEtoken/ } },
    { name: "a secret-sounding public name", facts: envWorld({ NEXT_PUBLIC_CALENDLY_WEBHOOK_SIGNING_KEY: "FAKEsign0123456789" }), expect: { status: "fail", messageId: "secretsExposed", data: { names: "NEXT_PUBLIC_CALENDLY_WEBHOOK_SIGNING_KEY" } } },
    { name: "SendGrid key", facts: envWorld({ NEXT_PUBLIC_MAIL: "SG.FAKEa0123456.FAKEb0123456789" }), expect: { status: "fail", messageId: "secretsExposed", data: { names: "NEXT_PUBLIC_MAIL" } } },
    { name: "database URL with password", facts: envWorld({ NEXT_PUBLIC_DB: "postgresql://app:FAKEpw0123@db.example.com/app" }), expect: { status: "fail", messageId: "secretsExposed", data: { names: "NEXT_PUBLIC_DB" }, notMessage: /FAKEpw0123/ } },
    {
      name: "names every exposed variable",
      facts: envWorld({ NEXT_PUBLIC_A_TOKEN: "FAKEtokenvalue0123", NEXT_PUBLIC_WEBHOOK: "whsec_FAKE0123456789abcd" }),
      expect: { status: "fail", messageId: "secretsExposed", data: { names: "NEXT_PUBLIC_A_TOKEN, NEXT_PUBLIC_WEBHOOK" } },
    },
  ],
});
