import { defineCheck, fail, pass, warn } from "../../src/engine/check.js";

/** HSTS shorter than this (180 days) is too short to count for browsers' preload lists and most audits. */
const MIN_HSTS_SECONDS = 15_552_000;

export default defineCheck({
  id: "security.headers",
  section: "security",
  title: "Base URL sends security headers (HSTS at least)",
  severity: "error",
  needs: ["endpoints.base-url-https"],
  facts: ["securityProbes"],
  docs: {
    why: "Without Strict-Transport-Security a visitor's first request can be downgraded to http and intercepted; without nosniff, frame and referrer policies, pages can be framed (clickjacking) and booking URLs leak to third parties.",
    fix: "Send Strict-Transport-Security: max-age=63072000; includeSubDomains; preload on every response (vercel.json or next.config `headers()`), plus X-Content-Type-Options: nosniff, X-Frame-Options: DENY (or CSP frame-ancestors) and a Referrer-Policy.",
  },
  messages: {
    notProbed: "The base URL was not probed: {{reason}}",
    noAnswer: "No answer from {{url}}: no answer ({{error}})",
    noHsts: "{{url}} sends no Strict-Transport-Security header",
    hstsWithoutMaxAge: '{{url}} sends Strict-Transport-Security without a positive max-age ("{{hsts}}")',
    weakHeaders: "{{url}} sends HSTS, but: {{weaknesses}}",
    headersPresent: "{{url}} sends HSTS (max-age {{maxAge}} s), nosniff, framing and referrer policies",
  },
  run({ securityProbes }) {
    const probe = securityProbes.headers;
    if (!probe.probed) return fail("notProbed", { reason: probe.reason });
    const r = probe.result;
    const url = probe.url;
    if (r.status === null) return fail("noAnswer", { url, error: r.error ?? "unknown error" });
    const h = r.headers;
    const actual = Object.fromEntries(
      ["strict-transport-security", "x-content-type-options", "x-frame-options", "content-security-policy", "referrer-policy"].filter((n) => h[n] !== undefined).map((n) => [n, h[n]]),
    );
    const hsts = h["strict-transport-security"];
    if (!hsts) return fail("noHsts", { url }, { expected: `strict-transport-security: max-age>=${MIN_HSTS_SECONDS}`, actual });
    const maxAge = Number(/max-age\s*=\s*"?(\d+)"?/i.exec(hsts)?.[1] ?? NaN);
    if (!Number.isFinite(maxAge) || maxAge <= 0) return fail("hstsWithoutMaxAge", { url, hsts }, { expected: `max-age>=${MIN_HSTS_SECONDS}`, actual });

    const weak: string[] = [];
    if (maxAge < MIN_HSTS_SECONDS) weak.push(`HSTS max-age is ${maxAge} s (less than 180 days)`);
    if (h["x-content-type-options"]?.trim().toLowerCase() !== "nosniff") weak.push("no X-Content-Type-Options: nosniff");
    const framing = !!h["x-frame-options"] || /frame-ancestors/i.test(h["content-security-policy"] ?? "");
    if (!framing) weak.push("no X-Frame-Options nor CSP frame-ancestors");
    if (!h["referrer-policy"]) weak.push("no Referrer-Policy");
    if (weak.length) return warn("weakHeaders", { url, weaknesses: weak.join("; ") }, { actual });
    return pass("headersPresent", { url, maxAge }, { actual });
  },
});
