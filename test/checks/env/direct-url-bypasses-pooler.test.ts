import check from "../../../checks/env/direct-url-bypasses-pooler.js";
import { checkTester } from "../../support/check-tester.js";
import { envWorld } from "../../support/env-worlds.js";

const SUPABASE_POOLED = "postgresql://postgres.abcd:FAKEdbPassw0rd1@aws-0-eu-central-1.pooler.supabase.com:6543/postgres?pgbouncer=true";
const SUPABASE_DIRECT = "postgresql://postgres:FAKEdbPassw0rd1@db.abcd.supabase.co:5432/postgres";
const NEON_POOLED = "postgresql://app:FAKEdbPassw0rd1@ep-cool-night-123456-pooler.eu-central-1.aws.neon.tech/app?sslmode=require";
const NEON_DIRECT = "postgresql://app:FAKEdbPassw0rd1@ep-cool-night-123456.eu-central-1.aws.neon.tech/app?sslmode=require";

checkTester(check, {
  pass: [
    { name: "Supabase: pooled DATABASE_URL, direct DIRECT_URL", facts: envWorld({ DATABASE_URL: SUPABASE_POOLED, DIRECT_URL: SUPABASE_DIRECT }) },
    { name: "Neon: -pooler host and the direct host", facts: envWorld({ DATABASE_URL: NEON_POOLED, DIRECT_URL: NEON_DIRECT }) },
    { name: "a single server, both direct", facts: envWorld() },
  ],
  fail: [
    { name: "DIRECT_URL is the Supabase pooler too", facts: envWorld({ DATABASE_URL: SUPABASE_POOLED, DIRECT_URL: SUPABASE_POOLED }), expect: { status: "fail", messageId: "directPooled", notMessage: /FAKEdbPassw0rd1/ } },
    { name: "DIRECT_URL is the Neon -pooler host", facts: envWorld({ DATABASE_URL: NEON_POOLED, DIRECT_URL: NEON_POOLED.replace("?sslmode", "?connect_timeout=10&sslmode") }), expect: { status: "fail", messageId: "directPooled", notMessage: /FAKEdbPassw0rd1/ } },
    {
      name: "DIRECT_URL on the pooled URL's host and port, without a marker",
      facts: envWorld({ DATABASE_URL: "postgresql://app:FAKEdbPassw0rd1@pgbouncer.internal:6432/app?pgbouncer=true", DIRECT_URL: "postgresql://app:FAKEdbPassw0rd1@pgbouncer.internal:6432/app" }),
      expect: { status: "fail", messageId: "sameAsPooled", notMessage: /FAKEdbPassw0rd1/ },
    },
    { name: "DIRECT_URL not set", facts: envWorld({ DIRECT_URL: undefined }), expect: { status: "skip", messageId: "notSet", data: { names: "DIRECT_URL" } } },
  ],
});
