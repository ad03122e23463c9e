import { expect } from "vitest";
import check from "../../../checks/env/stripe-keys-well-formed.js";
import { checkTester } from "../../support/check-tester.js";
import { envWorld } from "../../support/env-worlds.js";

checkTester(check, {
  pass: [
    { name: "live keys", facts: envWorld() },
    { name: "test keys", facts: envWorld({}, "staging") },
    { name: "restricted secret key", facts: envWorld({ STRIPE_SECRET_KEY: "rk_live_FAKErestricted0123456789" }) },
  ],
  fail: [
    { name: "publishable key as secret key", facts: envWorld({ STRIPE_SECRET_KEY: "pk_live_FAKEpublic0123456789abcdefgh" }), expect: { status: "fail", messageId: "malformed", data: { problems: expect.stringContaining("STRIPE_SECRET_KEY holds a publishable key") } } },
    { name: "secret key without mode", facts: envWorld({ STRIPE_SECRET_KEY: "sk_FAKEsecret0123456789" }), expect: { status: "fail", messageId: "malformed", data: { problems: expect.stringContaining("STRIPE_SECRET_KEY must look like") }, notMessage: /sk_FAKEsecret0123456789/ } },
    { name: "secret key as publishable key", facts: envWorld({ STRIPE_PUBLISHABLE_KEY: "sk_live_FAKEsecret0123456789abcdefgh" }), expect: { status: "fail", messageId: "malformed", data: { problems: expect.stringContaining("STRIPE_PUBLISHABLE_KEY holds a secret key") } } },
    { name: "webhook secret without whsec_", facts: envWorld({ STRIPE_WEBHOOK_SECRET: "FAKEwebhook0123456789abcdefgh" }), expect: { status: "fail", messageId: "malformed", data: { problems: expect.stringContaining("STRIPE_WEBHOOK_SECRET must look like whsec_") }, notMessage: /FAKEwebhook0123456789/ } },
    { name: "quoted key", facts: envWorld({ STRIPE_SECRET_KEY: '"sk_live_FAKEsecret0123456789abcdefgh"' }), expect: { status: "fail", messageId: "malformed", data: { problems: expect.stringContaining("STRIPE_SECRET_KEY") } } },
    { name: "a key not set (run alone)", facts: envWorld({ STRIPE_WEBHOOK_SECRET: undefined }), expect: { status: "skip", messageId: "notSet", data: { names: "STRIPE_WEBHOOK_SECRET" } } },
  ],
});
