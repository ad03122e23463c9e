import { expect } from "vitest";
import check from "../../../checks/monitoring/sentry-dsn.js";
import { envFact } from "../../../src/config/verify-env.js";
import { checkTester } from "../../support/check-tester.js";

const KEY = "0123456789abcdef0123456789abcdef";
const dsn = (value: string | undefined) => ({ env: envFact({ SENTRY_DSN: value }, "production") });

checkTester(check, {
  pass: [
    { name: "sentry.io", facts: dsn(`https://${KEY}@o4501234.ingest.sentry.io/4505678`) },
    { name: "self-hosted under a path prefix, with a port", facts: dsn(`https://${KEY}@sentry.example.com:9000/sentry/42`) },
    { name: "http on 127.0.0.1 (tests)", facts: dsn(`http://${KEY}@127.0.0.1:9000/1`) },
  ],
  fail: [
    { name: "not set: a failure saying how to set it (an error for production, a warning elsewhere)", facts: dsn(undefined), expect: { status: "fail", messageId: "notSet" } },
    { name: "blank counts as not set", facts: dsn("  "), expect: { status: "fail", messageId: "notSet" } },
    { name: "not a URL", facts: dsn("sentry"), expect: { status: "fail", messageId: "malformed", data: { problem: expect.stringContaining("is not a URL") } } },
    { name: "http elsewhere", facts: dsn(`http://${KEY}@sentry.example.com/1`), expect: { status: "fail", messageId: "malformed", data: { problem: expect.stringContaining("must use https, not http") }, notMessage: new RegExp(KEY) } },
    { name: "no public key", facts: dsn("https://sentry.example.com/1"), expect: { status: "fail", messageId: "malformed", data: { problem: expect.stringContaining("no public key") } } },
    { name: "no project id", facts: dsn(`https://${KEY}@sentry.example.com/`), expect: { status: "fail", messageId: "malformed", data: { problem: expect.stringContaining("no project id") } } },
    { name: "a project id that is not a number", facts: dsn(`https://${KEY}@sentry.example.com/my-project`), expect: { status: "fail", messageId: "malformed", data: { problem: expect.stringContaining("not a number") } } },
    { name: "a query string", facts: dsn(`https://${KEY}@sentry.example.com/1?x=1`), expect: { status: "fail", messageId: "malformed", data: { problem: expect.stringContaining("query or fragment") } } },
  ],
});
