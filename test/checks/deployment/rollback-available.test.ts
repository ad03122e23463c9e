import check from "../../../checks/deployment/rollback-available.js";
import { checkTester } from "../../support/check-tester.js";
import { deployment, vercel } from "./fixtures.js";

checkTester(check, {
  pass: [
    { name: "two earlier READY deployments", facts: vercel() },
    { name: "an earlier one after a failed build in between", facts: vercel({ production: [deployment(3), deployment(2, { state: "ERROR" }), deployment(1)] }) },
    { name: "current not READY, an earlier READY one exists", facts: vercel({ current: deployment(4, { state: "ERROR" }), production: [deployment(4, { state: "ERROR" }), deployment(3)] }) },
  ],
  fail: [
    { name: "only one production deployment", facts: vercel({ production: [deployment(3)] }), expect: { status: "fail", messageId: "noRollbackTarget", data: { current: "dpl_3" } } },
    { name: "the earlier ones failed or were canceled", facts: vercel({ production: [deployment(3), deployment(2, { state: "ERROR" }), deployment(1, { state: "CANCELED" })] }), expect: { status: "fail", messageId: "noRollbackTarget", data: { current: "dpl_3" } } },
    { name: "rolled back to the oldest: only newer ones remain", facts: vercel({ current: deployment(1) }), expect: { status: "fail", messageId: "noRollbackTarget", data: { current: "dpl_1" } } },
    { name: "Vercel not configured", facts: { vercelDeployments: null }, expect: { status: "skip", messageId: "notConfigured" } },
  ],
});
