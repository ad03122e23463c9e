import { defineCheck, fail, pass, warn } from "../../src/engine/check.js";
import { describeAnswer } from "../../src/engine/facts/endpoints.js";

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
  run({ securityProbes }) {
    const probe = securityProbes.headers;
    if (!probe.probed) return fail(`The base URL was not probed: ${probe.reason}`);
    const r = probe.result;
    if (r.status === null) return fail(`No answer from ${probe.url}: ${describeAnswer(r)}`);
    const h = r.headers;
    const actual = Object.fromEntries(
      ["strict-transport-security", "x-content-type-options", "x-frame-options", "content-security-policy", "referrer-policy"].filter((n) => h[n] !== undefined).map((n) => [n, h[n]]),
    );
    const hsts = h["strict-transport-security"];
    if (!hsts) return fail(`${probe.url} sends no Strict-Transport-Security header`, { expected: `strict-transport-security: max-age>=${MIN_HSTS_SECONDS}`, actual });
    const maxAge = Number(/max-age\s*=\s*"?(\d+)"?/i.exec(hsts)?.[1] ?? NaN);
    if (!Number.isFinite(maxAge) || maxAge <= 0)
      return fail(`${probe.url} sends Strict-Transport-Security without a positive max-age ("${hsts}")`, { expected: `max-age>=${MIN_HSTS_SECONDS}`, actual });

    const weak: string[] = [];
    if (maxAge < MIN_HSTS_SECONDS) weak.push(`HSTS max-age is ${maxAge} s (less than 180 days)`);
    if (h["x-content-type-options"]?.trim().toLowerCase() !== "nosniff") weak.push("no X-Content-Type-Options: nosniff");
    const framing = !!h["x-frame-options"] || /frame-ancestors/i.test(h["content-security-policy"] ?? "");
    if (!framing) weak.push("no X-Frame-Options nor CSP frame-ancestors");
    if (!h["referrer-policy"]) weak.push("no Referrer-Policy");
    if (weak.length) return warn(`${probe.url} sends HSTS, but: ${weak.join("; ")}`, { actual });
    return pass(`${probe.url} sends HSTS (max-age ${maxAge} s), nosniff, framing and referrer policies`, { actual });
  },
});
