import check from "../../../checks/deployment/production-ready.js";
import { envFact, type Target } from "../../../src/config/verify-env.js";
import { checkTester } from "../../support/check-tester.js";
import { deployment, vercel } from "./fixtures.js";

const env = (target: Target = "production") => ({ env: envFact({}, target) });

checkTester(check, {
  pass: [
    { name: "the newest deployment, READY", facts: { ...env(), ...vercel() }, messageId: "readyAtCommit" },
    { name: "rolled back to an earlier READY one", facts: { ...env(), ...vercel({ current: deployment(2) }) } },
    { name: "an older BLOCKED production deployment does not matter", facts: { ...env(), ...vercel({ production: [deployment(3), deployment(2, { state: "BLOCKED" }), deployment(1)] }) }, messageId: "readyAtCommit" },
    { name: "no commit recorded", facts: { ...env("staging"), ...vercel({ current: deployment(3, { commitSha: null }) }) }, messageId: "ready" },
  ],
  fail: [
    { name: "current is building", facts: { ...env(), ...vercel({ current: deployment(4, { state: "BUILDING" }) }) }, expect: { status: "fail", messageId: "notReady", data: { deployment: "dpl_4 (app-4.vercel.app)", state: "BUILDING" } } },
    { name: "current errored", facts: { ...env(), ...vercel({ current: deployment(4, { state: "ERROR" }) }) }, expect: { status: "fail", messageId: "notReady", data: { state: "ERROR" } } },
    {
      name: "current is BLOCKED",
      facts: { ...env(), ...vercel({ current: deployment(4, { state: "BLOCKED", blockCode: "COMMIT_AUTHOR_REQUIRED" }) }) },
      expect: { status: "fail", messageId: "blocked", data: { deployment: "dpl_4 (app-4.vercel.app)", reason: "its commit author is not a member of the Vercel team" } },
    },
    {
      name: "a newer production deployment is BLOCKED while an older READY one serves",
      facts: { ...env(), ...vercel({ current: deployment(3), production: [deployment(4, { state: "BLOCKED", blockCode: "TEAM_ACCESS_REQUIRED" }), deployment(3), deployment(2)] }) },
      expect: { status: "fail", messageId: "newerBlocked", data: { blocked: "dpl_4", reason: "its commit author has no access to the Vercel team" } },
    },
    { name: "no production deployment", facts: { ...env(), ...vercel({ current: null, production: [] }) }, expect: { status: "fail", messageId: "noProductionDeployment" } },
    { name: "Vercel not configured, target production", facts: { ...env("production"), vercelDeployments: null }, expect: { status: "fail", messageId: "notConfiguredForProduction" } },
    { name: "Vercel not configured, target staging", facts: { ...env("staging"), vercelDeployments: null }, expect: { status: "skip", messageId: "notConfigured" } },
    { name: "Vercel not configured, target sandbox", facts: { ...env("sandbox"), vercelDeployments: null }, expect: { status: "skip", messageId: "notConfigured" } },
  ],
});
