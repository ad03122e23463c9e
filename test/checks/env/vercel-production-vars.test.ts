import { expect } from "vitest";
import check from "../../../checks/env/vercel-production-vars.js";
import { REQUIRED_ENV } from "../../../src/config/verify-env.js";
import type { VercelEnvVar } from "../../../src/providers/vercel/client.js";
import { checkTester } from "../../support/check-tester.js";

const SECRET = /TOKEN|SECRET|SIGNING|SENDGRID_API_KEY|DATABASE_URL|DIRECT_URL/;

/** The project as it should be: every required variable for production (Vercel provides NODE_ENV/VERCEL_ENV), secrets encrypted. */
function project(change: (vars: VercelEnvVar[]) => VercelEnvVar[] = (v) => v): { vercelEnvVars: VercelEnvVar[] } {
  const vars: VercelEnvVar[] = REQUIRED_ENV.filter((k) => k !== "NODE_ENV" && k !== "VERCEL_ENV").map((key, i) => ({
    id: `env_${i}`,
    key,
    type: SECRET.test(key) ? "encrypted" : "plain",
    target: ["production", "preview"],
    gitBranch: null,
  }));
  return { vercelEnvVars: change(vars) };
}

checkTester(check, {
  pass: [
    { name: "every variable for production, secrets encrypted", facts: project() },
    { name: "sensitive secrets and extra preview-only plain variables", facts: project((v) => [...v.map((x) => (x.type === "encrypted" ? { ...x, type: "sensitive" as const } : x)), { id: "x", key: "PREVIEW_TOKEN", type: "plain", target: ["preview"], gitBranch: null }]) },
    { name: "a public key stored as plain", facts: project((v) => [...v, { id: "y", key: "NEXT_PUBLIC_ANALYTICS_TOKEN", type: "plain", target: ["production"], gitBranch: null }]) },
  ],
  fail: [
    { name: "Vercel not configured", facts: { vercelEnvVars: null }, expect: { status: "skip", messageId: "notConfigured" } },
    { name: "a variable missing", facts: project((v) => v.filter((x) => x.key !== "SENDGRID_FROM_EMAIL")), expect: { status: "fail", messageId: "missingForProduction", data: { missing: "SENDGRID_FROM_EMAIL" } } },
    { name: "a variable set for preview only", facts: project((v) => v.map((x) => (x.key === "DIRECT_URL" ? { ...x, target: ["preview"] } : x))), expect: { status: "fail", messageId: "missingForProduction", data: { missing: "DIRECT_URL" } } },
    { name: "a secret stored as plain", facts: project((v) => v.map((x) => (x.key === "STRIPE_SECRET_KEY" ? { ...x, type: "plain" as const } : x))), expect: { status: "fail", messageId: "plainSecrets", data: { plainSecrets: "STRIPE_SECRET_KEY" } } },
    { name: "the database URL stored as plain", facts: project((v) => v.map((x) => (x.key === "DATABASE_URL" ? { ...x, type: "plain" as const } : x))), expect: { status: "fail", messageId: "plainSecrets", data: { plainSecrets: "DATABASE_URL" } } },
    { name: "an empty project", facts: { vercelEnvVars: [] }, expect: { status: "fail", messageId: "missingForProduction", data: { missing: expect.stringMatching(/^CALENDLY_API_TOKEN, .*NEXT_PUBLIC_BASE_URL$/) }, notMessage: /NODE_ENV|VERCEL_ENV/ } },
  ],
});
