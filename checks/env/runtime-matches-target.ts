import { defineCheck, fail, pass } from "../../src/engine/check.js";

const NODE_ENVS = ["production", "development", "test"];
const VERCEL_ENVS = ["production", "preview", "development"];

export default defineCheck({
  id: "env.runtime-matches-target",
  section: "env",
  title: "NODE_ENV and VERCEL_ENV match the target",
  severity: "error",
  needs: [],
  vars: ["NODE_ENV", "VERCEL_ENV"],
  facts: ["env"],
  docs: {
    why: "With NODE_ENV other than production, Next.js serves development builds and verbose errors; with VERCEL_ENV other than production, the app picks preview settings.",
    fix: "For --target production set NODE_ENV=production and VERCEL_ENV=production (Vercel sets VERCEL_ENV itself on production deployments). Allowed values: NODE_ENV production|development|test, VERCEL_ENV production|preview|development.",
  },
  messages: {
    mismatch: "{{problems}}",
    suitsTarget: "NODE_ENV={{nodeEnv}}, VERCEL_ENV={{vercelEnv}} suit target {{target}}",
  },
  run({ env }) {
    const { NODE_ENV: nodeEnv, VERCEL_ENV: vercelEnv } = env.vars;
    const problems: string[] = [];
    if (nodeEnv !== undefined && !NODE_ENVS.includes(nodeEnv)) problems.push(`NODE_ENV is "${nodeEnv}" (expected one of ${NODE_ENVS.join(", ")})`);
    if (vercelEnv !== undefined && !VERCEL_ENVS.includes(vercelEnv)) problems.push(`VERCEL_ENV is "${vercelEnv}" (expected one of ${VERCEL_ENVS.join(", ")})`);
    if (env.target === "production") {
      if (nodeEnv !== "production") problems.push(`NODE_ENV must be production for the production target, not ${nodeEnv === undefined ? "unset" : `"${nodeEnv}"`}`);
      if (vercelEnv !== "production") problems.push(`VERCEL_ENV must be production for the production target, not ${vercelEnv === undefined ? "unset" : `"${vercelEnv}"`}`);
    }
    if (problems.length)
      return fail("mismatch", { problems: problems.join("; ") }, {
        expected: env.target === "production" ? { NODE_ENV: "production", VERCEL_ENV: "production" } : { NODE_ENV: NODE_ENVS, VERCEL_ENV: VERCEL_ENVS },
        actual: { NODE_ENV: nodeEnv ?? null, VERCEL_ENV: vercelEnv ?? null },
      });
    return pass("suitsTarget", { nodeEnv: nodeEnv ?? "(unset)", vercelEnv: vercelEnv ?? "(unset)", target: env.target });
  },
});
