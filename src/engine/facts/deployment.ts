import type { VercelDeployment } from "../../providers/vercel/client.js";
import type { FactContext } from "./types.js";

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

export async function gatherVercelDeployments(ctx: FactContext): Promise<VercelDeploymentsFact | null> {
  const { VERCEL_TOKEN: token, VERCEL_PROJECT_ID: projectId } = ctx.env;
  if (!token?.trim() || !projectId?.trim()) return null;
  const { createVercelClient } = await import("../../providers/vercel/client.js");
  const client = createVercelClient({ token, baseUrl: ctx.env.VERCEL_API_BASE || undefined, teamId: ctx.env.VERCEL_TEAM_ID || undefined });
  const [current, production] = await Promise.all([
    client.currentProduction(projectId),
    client.listDeployments({ projectId, target: "production", limit: PRODUCTION_HISTORY }),
  ]);
  return { projectId, current, production: [...production].sort((a, b) => b.createdAt - a.createdAt) };
}
