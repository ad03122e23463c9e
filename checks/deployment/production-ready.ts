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
  run({ env, vercelDeployments: v }) {
    if (v === null) return env.target === "production" ? fail(`${VERCEL_NOT_CONFIGURED}; target production requires the deployment to be verified`) : skip(`${VERCEL_NOT_CONFIGURED} (required only for --target production)`);
    const current = v.current;
    if (!current) return fail(`Project ${v.projectId} has no production deployment`, { expected: "a READY production deployment", actual: null });
    const what = `${current.uid}${current.url ? ` (${current.url})` : ""}`;
    const details = { uid: current.uid, url: current.url, state: current.state, commitSha: current.commitSha, createdAt: new Date(current.createdAt).toISOString() };
    if (current.state !== "READY") return fail(`Production deployment ${what} is ${current.state ?? "in an unknown state"}`, { expected: "READY", actual: current.state, details });
    return pass(`Production serves ${what}, READY${current.commitSha ? `, commit ${current.commitSha.slice(0, 7)}` : ""}`, { details });
  },
});
