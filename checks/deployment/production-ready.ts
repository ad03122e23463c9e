import { defineCheck, fail, pass, skip } from "../../src/engine/check.js";
import type { VercelDeployment } from "../../src/providers/vercel/client.js";

export const VERCEL_NOT_CONFIGURED = "Vercel is not configured: set VERCEL_TOKEN and VERCEL_PROJECT_ID (and VERCEL_TEAM_ID for a team project)";

export default defineCheck({
  id: "deployment.production-ready",
  section: "deployment",
  title: "The current production deployment on Vercel is READY",
  severity: "error",
  needs: [],
  facts: ["env", "vercelDeployments"],
  docs: {
    why: "Production traffic goes to the deployment Vercel serves; if it is still building, failed or was canceled, the release is not what users get. A BLOCKED production deployment (Vercel holds it unbuilt until someone with access to the team authorizes it; unlike BUILDING it never finishes by itself) fails too, whether it is the current one or newer than the one serving: that release is not live. For --target production an unverifiable deployment fails (a release gate must not pass blind); elsewhere it is skipped when Vercel is not configured.",
    fix: "Open the deployment in the Vercel dashboard (or `vercel inspect <url>`): wait for a build to finish, fix a failed build and redeploy, have a team owner authorize a BLOCKED deployment in the Vercel dashboard (or add its commit author to the team) or redeploy from an authorized commit, or roll back with `bookflow rollback` / `vercel rollback`. Set VERCEL_TOKEN, VERCEL_PROJECT_ID (and VERCEL_TEAM_ID) so this can be checked.",
  },
  messages: {
    notConfiguredForProduction: `${VERCEL_NOT_CONFIGURED}; target production requires the deployment to be verified`,
    notConfigured: `${VERCEL_NOT_CONFIGURED} (required only for --target production)`,
    noProductionDeployment: "Project {{project}} has no production deployment",
    notReady: "Production deployment {{deployment}} is {{state}}",
    blocked: "Production deployment {{deployment}} is BLOCKED ({{reason}}): Vercel has not built it and will not until it is authorized",
    newerBlocked: "Production serves {{deployment}}, but the newer production deployment {{blocked}} is BLOCKED ({{reason}}): that release was never built and is not live",
    readyAtCommit: "Production serves {{deployment}}, READY, commit {{commit}}",
    ready: "Production serves {{deployment}}, READY",
  },
  run({ env, vercelDeployments: v }) {
    if (v === null) return env.target === "production" ? fail("notConfiguredForProduction") : skip("notConfigured");
    const current = v.current;
    if (!current) return fail("noProductionDeployment", { project: v.projectId }, { expected: "a READY production deployment", actual: null });
    const deployment = `${current.uid}${current.url ? ` (${current.url})` : ""}`;
    const details = { uid: current.uid, url: current.url, state: current.state, commitSha: current.commitSha, createdAt: new Date(current.createdAt).toISOString() };
    if (current.state === "BLOCKED") return fail("blocked", { deployment, reason: blockReason(current) }, { expected: "READY", actual: current.state, details: { ...details, blockCode: current.blockCode } });
    const newerBlocked = v.production.find((d) => d.state === "BLOCKED" && d.uid !== current.uid && d.createdAt > current.createdAt);
    if (newerBlocked) {
      return fail("newerBlocked", { deployment, blocked: newerBlocked.uid, reason: blockReason(newerBlocked) }, {
        expected: "no production deployment newer than the one serving left BLOCKED",
        actual: { uid: newerBlocked.uid, state: newerBlocked.state, blockCode: newerBlocked.blockCode, createdAt: new Date(newerBlocked.createdAt).toISOString() },
        details,
      });
    }
    if (current.state !== "READY") return fail("notReady", { deployment, state: current.state ?? "in an unknown state" }, { expected: "READY", actual: current.state, details });
    return current.commitSha ? pass("readyAtCommit", { deployment, commit: current.commitSha.slice(0, 7) }, { details }) : pass("ready", { deployment }, { details });
  },
});

const BLOCK_REASONS: Record<string, string> = {
  COMMIT_AUTHOR_REQUIRED: "its commit author is not a member of the Vercel team",
  TEAM_ACCESS_REQUIRED: "its commit author has no access to the Vercel team",
};

function blockReason(d: VercelDeployment): string {
  if (!d.blockCode) return "Vercel gave no reason";
  return BLOCK_REASONS[d.blockCode] ?? d.blockCode;
}
