import { expect } from "vitest";
import check from "../../../checks/env/runtime-matches-target.js";
import { checkTester } from "../../support/check-tester.js";
import { envWorld } from "../../support/env-worlds.js";

checkTester(check, {
  pass: [
    { name: "production/production for production", facts: envWorld() },
    { name: "preview deployment for staging", facts: envWorld({ VERCEL_ENV: "preview" }, "staging") },
    { name: "development for the sandbox", facts: envWorld({ NODE_ENV: "development", VERCEL_ENV: "development" }, "sandbox") },
  ],
  fail: [
    { name: "NODE_ENV development in production", facts: envWorld({ NODE_ENV: "development" }), expect: { status: "fail", messageId: "mismatch", data: { problems: expect.stringContaining("NODE_ENV must be production") } } },
    { name: "VERCEL_ENV preview in production", facts: envWorld({ VERCEL_ENV: "preview" }), expect: { status: "fail", messageId: "mismatch", data: { problems: expect.stringContaining("VERCEL_ENV must be production") } } },
    { name: "VERCEL_ENV unset in production (run alone)", facts: envWorld({ VERCEL_ENV: undefined }), expect: { status: "fail", messageId: "mismatch", data: { problems: expect.stringContaining("VERCEL_ENV must be production for the production target, not unset") } } },
    { name: "unknown NODE_ENV", facts: envWorld({ NODE_ENV: "prod" }, "staging"), expect: { status: "fail", messageId: "mismatch", data: { problems: expect.stringContaining('NODE_ENV is "prod"') } } },
    { name: "unknown VERCEL_ENV", facts: envWorld({ VERCEL_ENV: "staging" }, "staging"), expect: { status: "fail", messageId: "mismatch", data: { problems: expect.stringContaining('VERCEL_ENV is "staging"') } } },
  ],
});
