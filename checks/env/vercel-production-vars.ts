import { defineCheck, fail, pass, skip } from "../../src/engine/check.js";
import { isSecretName, REQUIRED_ENV, SECRET_ENV_NAMES } from "../../src/config/verify-env.js";

/** Vercel provides these itself on every deployment. */
const PROVIDED_BY_VERCEL = new Set(["NODE_ENV", "VERCEL_ENV"]);

export default defineCheck({
  id: "env.vercel-production-vars",
  section: "env",
  title: "On Vercel, every required variable is set for production and no secret is stored as plain",
  severity: "error",
  needs: [],
  facts: ["vercelEnvVars"],
  docs: {
    why: "The variables checked locally only matter if the production deployment has them too; a secret stored as a plain variable is readable by everyone with access to the project.",
    fix: "In the Vercel project (Settings → Environment Variables) add each missing variable with the Production environment ticked (`vercel env add NAME production`); re-create plain secrets as Sensitive (or Encrypted), then redeploy. Set VERCEL_TOKEN and VERCEL_PROJECT_ID (and VERCEL_TEAM_ID for a team) for this check.",
  },
  messages: {
    notConfigured: "Vercel is not configured: set VERCEL_TOKEN and VERCEL_PROJECT_ID to check the deployment's variables",
    missingForProduction: "On Vercel, not set for production: {{missing}}",
    plainSecrets: "On Vercel, secrets stored as plain: {{plainSecrets}}",
    missingAndPlainSecrets: "On Vercel, not set for production: {{missing}}; secrets stored as plain: {{plainSecrets}}",
    complete: "{{count}} production variables on Vercel; every required one present, secrets encrypted",
  },
  run({ vercelEnvVars }) {
    if (vercelEnvVars === null) return skip("notConfigured");
    const production = vercelEnvVars.filter((v) => v.target.includes("production"));
    const keys = new Set(production.map((v) => v.key));
    const missing = REQUIRED_ENV.filter((name) => !PROVIDED_BY_VERCEL.has(name) && !keys.has(name));
    const secretNames = new Set<string>([...SECRET_ENV_NAMES, "DATABASE_URL", "DIRECT_URL"]);
    const plainSecrets = [...new Set(production.filter((v) => v.type === "plain" && (secretNames.has(v.key) || (isSecretName(v.key) && !v.key.startsWith("NEXT_PUBLIC_")))).map((v) => v.key))].sort();
    if (missing.length || plainSecrets.length) {
      const id = !plainSecrets.length ? "missingForProduction" : !missing.length ? "plainSecrets" : "missingAndPlainSecrets";
      return fail(id, { missing: missing.join(", "), plainSecrets: plainSecrets.join(", ") }, { expected: { missing: [], plainSecrets: [] }, actual: { missing, plainSecrets } });
    }
    return pass("complete", { count: production.length });
  },
});
