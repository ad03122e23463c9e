import type { VercelEnvVar } from "../../providers/vercel/client.js";
import type { FactContext } from "./types.js";

/**
 * `vercelEnvVars`: the Vercel project's environment variables (keys, types,
 * targets; never values), or null when Vercel is not configured
 * (VERCEL_TOKEN and VERCEL_PROJECT_ID; VERCEL_TEAM_ID for team projects,
 * VERCEL_API_BASE to point at another API such as the sandbox's).
 */
export async function gatherVercelEnvVars(ctx: FactContext): Promise<VercelEnvVar[] | null> {
  const { VERCEL_TOKEN: token, VERCEL_PROJECT_ID: projectId } = ctx.env;
  if (!token || !projectId) return null;
  const { createVercelClient } = await import("../../providers/vercel/client.js");
  const client = createVercelClient({ token, baseUrl: ctx.env.VERCEL_API_BASE || undefined, teamId: ctx.env.VERCEL_TEAM_ID || undefined });
  return client.listEnv(projectId);
}
