import type { VercelDeploymentsFact } from "../../../src/engine/facts/deployment.js";
import type { VercelDeployment } from "../../../src/providers/vercel/client.js";

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 11, 1, 12);

export const sha = (n: number) => `${String(n).repeat(7).slice(0, 7)}${"0123456789abcdef".repeat(3)}`.slice(0, 40);

export function deployment(n: number, change: Partial<VercelDeployment> = {}): VercelDeployment {
  return { uid: `dpl_${n}`, url: `app-${n}.vercel.app`, state: "READY", blockCode: null, target: "production", createdAt: NOW - (10 - n) * HOUR, commitSha: sha(n), meta: {}, ...change };
}

/** Three READY production deployments, the newest (3) serving production. */
export function vercel(change: { current?: VercelDeployment | null; production?: VercelDeployment[] } = {}): { vercelDeployments: VercelDeploymentsFact } {
  const production = change.production ?? [deployment(3), deployment(2), deployment(1)];
  return { vercelDeployments: { projectId: "prj_1", current: change.current === undefined ? production[0]! : change.current, production } };
}
