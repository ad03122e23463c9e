import { expect } from "vitest";
import check from "../../../checks/security/headers.js";
import { checkTester } from "../../support/check-tester.js";
import { answer, noAnswer, SECURITY_HEADERS, securityProbes } from "../endpoints/probe-worlds.js";

const BASE = "https://www.example.com/";
const withHeaders = (headers: Record<string, string>) => ({ securityProbes: securityProbes({ headers: { probed: true, url: BASE, result: answer(200, { headers }) } }) });
const without = (...names: string[]) => withHeaders(Object.fromEntries(Object.entries(SECURITY_HEADERS).filter(([n]) => !names.includes(n))));

checkTester(check, {
  pass: [
    { name: "the reference app's headers", facts: { securityProbes: securityProbes() } },
    { name: "CSP frame-ancestors instead of X-Frame-Options", facts: without("x-frame-options") },
    { name: "X-Frame-Options instead of CSP", facts: without("content-security-policy") },
  ],
  fail: [
    { name: "no HSTS", facts: without("strict-transport-security"), expect: { status: "fail", messageId: "noHsts" } },
    { name: "HSTS max-age=0 (switched off)", facts: withHeaders({ ...SECURITY_HEADERS, "strict-transport-security": "max-age=0" }), expect: { status: "fail", messageId: "hstsWithoutMaxAge", data: { hsts: "max-age=0" } } },
    { name: "HSTS without max-age", facts: withHeaders({ ...SECURITY_HEADERS, "strict-transport-security": "includeSubDomains" }), expect: { status: "fail", messageId: "hstsWithoutMaxAge", data: { hsts: "includeSubDomains" } } },
    { name: "short HSTS", facts: withHeaders({ ...SECURITY_HEADERS, "strict-transport-security": "max-age=3600" }), expect: { status: "warn", messageId: "weakHeaders", data: { weaknesses: expect.stringContaining("max-age is 3600 s") } } },
    { name: "no nosniff", facts: without("x-content-type-options"), expect: { status: "warn", messageId: "weakHeaders", data: { weaknesses: expect.stringContaining("no X-Content-Type-Options: nosniff") } } },
    { name: "no framing policy", facts: without("x-frame-options", "content-security-policy"), expect: { status: "warn", messageId: "weakHeaders", data: { weaknesses: expect.stringContaining("no X-Frame-Options nor CSP frame-ancestors") } } },
    { name: "no Referrer-Policy", facts: without("referrer-policy"), expect: { status: "warn", messageId: "weakHeaders", data: { weaknesses: expect.stringContaining("no Referrer-Policy") } } },
    { name: "no answer", facts: { securityProbes: securityProbes({ headers: { probed: true, url: BASE, result: noAnswer() } }) }, expect: { status: "fail", messageId: "noAnswer" } },
    { name: "base URL not set", facts: { securityProbes: securityProbes({ headers: { probed: false, reason: "NEXT_PUBLIC_BASE_URL is not set" } }) }, expect: { status: "fail", messageId: "notProbed" } },
  ],
});
