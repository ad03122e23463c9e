import check from "../../../checks/deployment/production-ready.js";
import { envFact, type Target } from "../../../src/config/verify-env.js";
import { checkTester } from "../../support/check-tester.js";
import { deployment, vercel } from "./fixtures.js";

const env = (target: Target = "production") => ({ env: envFact({}, target) });

checkTester(check, {
  pass: [
    { name: "the newest deployment, READY", facts: { ...env(), ...vercel() }, messageId: "readyAtCommit" },
    { name: "rolled back to an earlier READY one", facts: { ...env(), ...vercel({ current: deployment(2) }) } },
    { name: "no commit recorded", facts: { ...env("staging"), ...vercel({ current: deployment(3, { commitSha: null }) }) }, messageId: "ready" },
  ],
  fail: [
    { name: "current is building", facts: { ...env(), ...vercel({ current: deployment(4, { state: "BUILDING" }) }) }, expect: { status: "fail", messageId: "notReady", data: { deployment: "dpl_4 (app-4.vercel.app)", state: "BUILDING" } } },
    { name: "current errored", facts: { ...env(), ...vercel({ current: deployment(4, { state: "ERROR" }) }) }, expect: { status: "fail", messageId: "notReady", data: { state: "ERROR" } } },
    { name: "no production deployment", facts: { ...env(), ...vercel({ current: null, production: [] }) }, expect: { status: "fail", messageId: "noProductionDeployment" } },
    { name: "Vercel not configured, target production", facts: { ...env("production"), vercelDeployments: null }, expect: { status: "fail", messageId: "notConfiguredForProduction" } },
    { name: "Vercel not configured, target staging", facts: { ...env("staging"), vercelDeployments: null }, expect: { status: "skip", messageId: "notConfigured" } },
    { name: "Vercel not configured, target sandbox", facts: { ...env("sandbox"), vercelDeployments: null }, expect: { status: "skip", messageId: "notConfigured" } },
  ],
});
