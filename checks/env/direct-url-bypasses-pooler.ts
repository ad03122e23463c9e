import { defineCheck, fail, pass, skip } from "../../src/engine/check.js";
import { endpointOf, poolerSignOf } from "../../src/config/pooled-url.js";

export default defineCheck({
  id: "env.direct-url-bypasses-pooler",
  section: "env",
  title: "DIRECT_URL reaches PostgreSQL directly (not through the pooler)",
  severity: "error",
  needs: ["env.database-urls-well-formed"],
  facts: ["env"],
  docs: {
    why: "In production the app reaches PostgreSQL through a transaction-mode pooler (DATABASE_URL); migrations need a session of their own, which a pooler in transaction mode does not keep, so Prisma runs them through DIRECT_URL. A pooled DIRECT_URL makes `prisma migrate deploy` (and `bookflow db migrate`) fail or hang mid-release.",
    fix: "Set DIRECT_URL to the database's direct connection string (Supabase: the 'Direct connection' on port 5432, not the pooler host or port 6543; Neon: the host without '-pooler'). DATABASE_URL may stay pooled.",
  },
  messages: {
    directPooled: "DIRECT_URL goes through a pooler ({{sign}}): migrations need a direct connection",
    sameAsPooled: "DIRECT_URL points at the same server as the pooled DATABASE_URL ({{sign}}): it goes through the pooler too",
    notSet: "Not set: {{names}}",
    pooledAndDirect: "DATABASE_URL is pooled ({{sign}}) and DIRECT_URL is direct",
    bothDirect: "Neither URL shows a pooler: DATABASE_URL is direct (fine for one server; serverless functions usually need a pooler)",
  },
  run({ env }) {
    // Never echo these values: they carry the database password.
    const database = env.vars.DATABASE_URL;
    const direct = env.vars.DIRECT_URL;
    const unset = [database === undefined ? "DATABASE_URL" : null, direct === undefined ? "DIRECT_URL" : null].filter((n): n is string => n !== null);
    if (unset.length) return skip("notSet", { names: unset.join(", ") });
    const directSign = poolerSignOf(direct!);
    if (directSign) return fail("directPooled", { sign: directSign }, { expected: "a direct PostgreSQL connection", actual: `pooled: ${directSign}` });
    const pooledSign = poolerSignOf(database!);
    if (pooledSign && endpointOf(database!) === endpointOf(direct!)) return fail("sameAsPooled", { sign: pooledSign }, { expected: "another host or port than DATABASE_URL's", actual: "the same host and port" });
    return pooledSign ? pass("pooledAndDirect", { sign: pooledSign }) : pass("bothDirect");
  },
});
