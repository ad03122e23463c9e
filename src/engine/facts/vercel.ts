import { defineFact } from "./define.js";

/**
 * `vercelClient` (internal): the run's Vercel client and project, or null when
 * Vercel is not configured (VERCEL_TOKEN and VERCEL_PROJECT_ID; VERCEL_TEAM_ID
 * for team projects, VERCEL_API_BASE to point at another API such as the
 * sandbox's).
 */
export const vercelClientFact = defineFact({
  name: "vercelClient",
  internal: true,
  async gather(ctx) {
    if (!ctx.env.VERCEL_TOKEN?.trim() || !ctx.env.VERCEL_PROJECT_ID?.trim()) return null;
    return ctx.clients.vercel();
  },
});

/** `vercelEnvVars`: the Vercel project's environment variables (keys, types, targets; never values), or null when Vercel is not configured. */
export const vercelEnvVarsFact = defineFact({
  name: "vercelEnvVars",
  needs: ["vercelClient"],
  async gather(_ctx, deps) {
    const vercel = await deps.vercelClient();
    return vercel ? vercel.client.listEnv(vercel.projectId) : null;
  },
});
