import { defineCheck, fail, pass } from "../../src/engine/check.js";
import { isSecretName, looksLikeSecret, SECRET_ENV_NAMES } from "../../src/config/verify-env.js";

export default defineCheck({
  id: "env.no-public-secrets",
  section: "env",
  title: "No secret is exposed under a NEXT_PUBLIC_ name",
  severity: "error",
  needs: [],
  facts: ["env"],
  docs: {
    why: "Next.js inlines every NEXT_PUBLIC_ variable into the JavaScript sent to browsers: a secret there is published to every visitor.",
    fix: "Rename the variable without the NEXT_PUBLIC_ prefix and read it only on the server; then rotate the secret (it has been public since the last deploy).",
  },
  messages: {
    secretsExposed: "Secret-looking NEXT_PUBLIC_ variables: {{names}}",
    noSecretExposed: "{{count}} NEXT_PUBLIC_ variable(s), none holding a secret",
  },
  run({ env }) {
    const secretValues = new Set(SECRET_ENV_NAMES.map((n) => env.vars[n]).filter((v): v is string => !!v));
    const exposed = Object.entries(env.vars)
      .filter(([name, value]) => name.startsWith("NEXT_PUBLIC_") && value !== undefined)
      .filter(([name, value]) => isSecretName(name) || looksLikeSecret(value) || secretValues.has(value!))
      .map(([name]) => name)
      .sort();
    // Names only: the values are secrets.
    if (exposed.length) return fail("secretsExposed", { names: exposed.join(", ") }, { expected: [], actual: exposed });
    const count = Object.keys(env.vars).filter((n) => n.startsWith("NEXT_PUBLIC_")).length;
    return pass("noSecretExposed", { count });
  },
});
