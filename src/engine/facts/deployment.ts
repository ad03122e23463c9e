import type { VercelDeployment } from "../../providers/vercel/client.js";
import { defineFact } from "./define.js";

/**
 * `vercelDeployments`: what serves production on Vercel and the production
 * deployments before it, or null when Vercel is not configured
 * (VERCEL_TOKEN and VERCEL_PROJECT_ID; VERCEL_TEAM_ID for team projects,
 * VERCEL_API_BASE for another API such as the sandbox's).
 */
export interface VercelDeploymentsFact {
  projectId: string;
  /** The deployment production traffic goes to (after a rollback: the one rolled back to), or null. */
  current: VercelDeployment | null;
  /** The newest production deployments, any state, newest first. */
  production: VercelDeployment[];
}

/** How many production deployments are read to look for a rollback target. */
export const PRODUCTION_HISTORY = 20;

export const vercelDeploymentsFact = defineFact({
  name: "vercelDeployments",
  needs: ["vercelClient"],
  async gather(_ctx, deps): Promise<VercelDeploymentsFact | null> {
    const vercel = await deps.vercelClient();
    if (!vercel) return null;
    const { client, projectId } = vercel;
    const [current, production] = await Promise.all([
      client.currentProduction(projectId),
      client.listDeployments({ projectId, target: "production", limit: PRODUCTION_HISTORY }),
    ]);
    return { projectId, current, production: [...production].sort((a, b) => b.createdAt - a.createdAt) };
  },
});
