import { expect } from "vitest";
import check from "../../../checks/env/database-urls-well-formed.js";
import { checkTester } from "../../support/check-tester.js";
import { envWorld } from "../../support/env-worlds.js";

checkTester(check, {
  pass: [
    { name: "postgresql URLs", facts: envWorld() },
    { name: "postgres:// scheme", facts: envWorld({ DIRECT_URL: "postgres://app@db.example.com/app" }) },
  ],
  fail: [
    { name: "mysql URL", facts: envWorld({ DATABASE_URL: "mysql://app:FAKEdbPassw0rd1@db.example.com/app" }), expect: { status: "fail", messageId: "malformed", data: { problems: expect.stringContaining("DATABASE_URL must be a postgres") }, notMessage: /FAKEdbPassw0rd1/ } },
    { name: "no database name", facts: envWorld({ DIRECT_URL: "postgresql://app:FAKEdbPassw0rd1@db.example.com:5432" }), expect: { status: "fail", messageId: "malformed", data: { problems: expect.stringContaining("DIRECT_URL names no database") }, notMessage: /FAKEdbPassw0rd1/ } },
    { name: "not a URL at all", facts: envWorld({ DATABASE_URL: "host=db.example.com password=FAKEdbPassw0rd1" }), expect: { status: "fail", messageId: "malformed", data: { problems: expect.stringContaining("DATABASE_URL") }, notMessage: /FAKEdbPassw0rd1/ } },
    { name: "DIRECT_URL not set (run alone)", facts: envWorld({ DIRECT_URL: undefined }), expect: { status: "skip", messageId: "notSet", data: { names: "DIRECT_URL" } } },
  ],
});
