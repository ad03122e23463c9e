import check from "../../../checks/deployment/production-ready.js";
import { envFact, type Target } from "../../../src/config/verify-env.js";
import { checkTester } from "../../support/check-tester.js";
import { deployment, vercel } from "./fixtures.js";

const env = (target: Target = "production") => ({ env: envFact({}, target) });

checkTester(check, {
  pass: [
    { name: "the newest deployment, READY", facts: { ...env(), ...vercel() } },
    { name: "rolled back to an earlier READY one", facts: { ...env(), ...vercel({ current: deployment(2) }) } },
    { name: "no commit recorded", facts: { ...env("staging"), ...vercel({ current: deployment(3, { commitSha: null }) }) } },
  ],
  fail: [
    { name: "current is building", facts: { ...env(), ...vercel({ current: deployment(4, { state: "BUILDING" }) }) }, expect: { status: "fail", message: /^Production deployment dpl_4 \(app-4\.vercel\.app\) is BUILDING$/ } },
    { name: "current errored", facts: { ...env(), ...vercel({ current: deployment(4, { state: "ERROR" }) }) }, expect: { status: "fail", message: /is ERROR/ } },
    { name: "no production deployment", facts: { ...env(), ...vercel({ current: null, production: [] }) }, expect: { status: "fail", message: /no production deployment/ } },
    { name: "Vercel not configured, target production", facts: { ...env("production"), vercelDeployments: null }, expect: { status: "fail", message: /VERCEL_TOKEN and VERCEL_PROJECT_ID.*target production requires/ } },
    { name: "Vercel not configured, target staging", facts: { ...env("staging"), vercelDeployments: null }, expect: { status: "skip", message: /Vercel is not configured/ } },
    { name: "Vercel not configured, target sandbox", facts: { ...env("sandbox"), vercelDeployments: null }, expect: { status: "skip", message: /required only for --target production/ } },
  ],
});
