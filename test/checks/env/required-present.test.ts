import check from "../../../checks/env/required-present.js";
import { REQUIRED_ENV } from "../../../src/config/verify-env.js";
import { checkTester } from "../../support/check-tester.js";
import { envWorld } from "../../support/env-worlds.js";

checkTester(check, {
  pass: [
    { name: "every variable set", facts: envWorld(), messageId: "allSet" },
    { name: "optional template id unset", facts: envWorld({ SENDGRID_BOOKING_TEMPLATE_ID: undefined }), messageId: "allSetOptionalUnset" },
  ],
  fail: [
    ...REQUIRED_ENV.map((name) => ({ name: `${name} missing`, facts: envWorld({ [name]: undefined }), expect: { status: "fail" as const, messageId: "missing", data: { names: name } } })),
    { name: "blank counts as missing", facts: envWorld({ STRIPE_WEBHOOK_SECRET: "   " }), expect: { status: "fail", messageId: "missing", data: { names: "STRIPE_WEBHOOK_SECRET" } } },
    {
      name: "names every missing variable",
      facts: envWorld({ DATABASE_URL: undefined, VERCEL_ENV: undefined }),
      expect: { status: "fail", messageId: "missing", data: { names: "DATABASE_URL, VERCEL_ENV" } },
    },
  ],
});
