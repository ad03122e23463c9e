import { defineCheck, fail, pass, skip } from "../../src/engine/check.js";

export const VERCEL_NOT_CONFIGURED = "Vercel is not configured: set VERCEL_TOKEN and VERCEL_PROJECT_ID (and VERCEL_TEAM_ID for a team project)";

export default defineCheck({
  id: "deployment.production-ready",
  section: "deployment",
  title: "The current production deployment on Vercel is READY",
  severity: "error",
  needs: [],
  facts: ["env", "vercelDeployments"],
  docs: {
    why: "Production traffic goes to the deployment Vercel serves; if it is still building, failed or was canceled, the release is not what users get. For --target production an unverifiable deployment fails (a release gate must not pass blind); elsewhere it is skipped when Vercel is not configured.",
    fix: "Open the deployment in the Vercel dashboard (or `vercel inspect <url>`): wait for a build to finish, fix a failed build and redeploy, or roll back with `bookflow rollback` / `vercel rollback`. Set VERCEL_TOKEN, VERCEL_PROJECT_ID (and VERCEL_TEAM_ID) so this can be checked.",
  },
  messages: {
    notConfiguredForProduction: `${VERCEL_NOT_CONFIGURED}; target production requires the deployment to be verified`,
    notConfigured: `${VERCEL_NOT_CONFIGURED} (required only for --target production)`,
    noProductionDeployment: "Project {{project}} has no production deployment",
    notReady: "Production deployment {{deployment}} is {{state}}",
    readyAtCommit: "Production serves {{deployment}}, READY, commit {{commit}}",
    ready: "Production serves {{deployment}}, READY",
  },
  run({ env, vercelDeployments: v }) {
    if (v === null) return env.target === "production" ? fail("notConfiguredForProduction") : skip("notConfigured");
    const current = v.current;
    if (!current) return fail("noProductionDeployment", { project: v.projectId }, { expected: "a READY production deployment", actual: null });
    const deployment = `${current.uid}${current.url ? ` (${current.url})` : ""}`;
    const details = { uid: current.uid, url: current.url, state: current.state, commitSha: current.commitSha, createdAt: new Date(current.createdAt).toISOString() };
    if (current.state !== "READY") return fail("notReady", { deployment, state: current.state ?? "in an unknown state" }, { expected: "READY", actual: current.state, details });
    return current.commitSha ? pass("readyAtCommit", { deployment, commit: current.commitSha.slice(0, 7) }, { details }) : pass("ready", { deployment }, { details });
  },
});
