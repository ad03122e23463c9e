import { defineCheck, fail, pass, skip } from "../../src/engine/check.js";
import { postgresUrlProblem } from "../../src/config/verify-env.js";

const NAMES = ["DATABASE_URL", "DIRECT_URL"] as const;

export default defineCheck({
  id: "env.database-urls-well-formed",
  section: "env",
  title: "DATABASE_URL and DIRECT_URL are PostgreSQL URLs",
  severity: "error",
  needs: [],
  vars: ["DATABASE_URL", "DIRECT_URL"],
  facts: ["env"],
  docs: {
    why: "Prisma connects through DATABASE_URL (often a pooler) and runs migrations through DIRECT_URL; anything but a postgres URL stops the app and migrations.",
    fix: "Set both to postgresql://USER:PASSWORD@HOST:PORT/DATABASE (DIRECT_URL bypasses the pooler). Percent-encode special characters in the password.",
  },
  messages: {
    malformed: "{{problems}}",
    notSet: "Not set: {{names}} (see env.required-present)",
    postgresUrls: "Both are PostgreSQL URLs naming a host and a database",
  },
  run({ env }) {
    // Never echo these values: they carry the database password.
    const problems = NAMES.flatMap((name) => {
      const v = env.vars[name];
      const problem = v === undefined ? undefined : postgresUrlProblem(v);
      return problem ? [`${name} ${problem}`] : [];
    });
    if (problems.length) return fail("malformed", { problems: problems.join("; ") }, { expected: "postgresql://user:password@host:5432/database", actual: problems });
    const unset = NAMES.filter((n) => env.vars[n] === undefined);
    if (unset.length) return skip("notSet", { names: unset.join(", ") });
    return pass("postgresUrls");
  },
});
