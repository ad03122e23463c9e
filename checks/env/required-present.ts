import { defineCheck, fail, pass } from "../../src/engine/check.js";
import { OPTIONAL_ENV, REQUIRED_ENV } from "../../src/config/verify-env.js";

export default defineCheck({
  id: "env.required-present",
  section: "env",
  title: "Every required environment variable is set",
  severity: "error",
  needs: [],
  facts: ["env"],
  docs: {
    why: "The booking flow reads these at start-up: a missing Calendly, Stripe, SendGrid or database variable breaks bookings, payments or email in production.",
    fix: "Set each missing variable on the deployment (e.g. `vercel env add NAME production`), or in the --env-file you pass to bookflow. Empty values count as missing.",
  },
  messages: {
    missing: "Missing: {{names}}",
    allSet: "All {{count}} required variables are set",
    allSetOptionalUnset: "All {{count}} required variables are set (optional, not set: {{optional}})",
  },
  run({ env }) {
    const missing = REQUIRED_ENV.filter((name) => env.vars[name] === undefined);
    const optionalMissing = OPTIONAL_ENV.filter((name) => env.vars[name] === undefined);
    if (missing.length) return fail("missing", { names: missing.join(", ") }, { expected: [...REQUIRED_ENV], actual: { missing } });
    if (optionalMissing.length) return pass("allSetOptionalUnset", { count: REQUIRED_ENV.length, optional: optionalMissing.join(", ") });
    return pass("allSet", { count: REQUIRED_ENV.length });
  },
});
