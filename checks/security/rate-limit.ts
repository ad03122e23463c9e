import { defineCheck, fail, pass, skip } from "../../src/engine/check.js";

export default defineCheck({
  id: "security.rate-limit",
  section: "security",
  title: "Rate limiting answers 429 under a short burst (--include-load)",
  severity: "error",
  needs: ["endpoints.calendly-webhook-reachable"],
  facts: ["rateLimitProbe"],
  docs: {
    why: "Without a rate limit, one client can flood the webhook routes and the database behind them, taking bookings down for everyone (and running up function and database costs).",
    fix: "Limit requests per client on /api/webhooks/* (Vercel WAF rate limiting, an edge middleware, or the app's limiter: BOOKFLOW_RATE_LIMIT_PER_MINUTE on the reference app) and answer 429 with Retry-After past the limit.",
  },
  run({ rateLimitProbe: p }) {
    if (!p.ran) return skip(p.reason);
    const seconds = (p.durationMs / 1000).toFixed(1);
    const actual = { sent: p.sent, statuses: p.statuses, durationMs: p.durationMs, ...(p.lastError ? { lastError: p.lastError } : {}) };
    if (p.firstLimitedAt !== null) return pass(`${p.url} answered 429 after ${p.firstLimitedAt} requests (burst of ${p.sent} in ${seconds} s)`, { actual });
    const answered = p.sent - (p.statuses.error ?? 0);
    if (answered === 0) return fail(`No answer from ${p.url} during the burst: ${p.lastError ?? "unknown error"}`, { expected: "a 429 within the burst", actual });
    if (p.statuses.error) return fail(`${p.url} stopped answering during the burst (${p.statuses.error} requests without an answer: ${p.lastError ?? "unknown error"}) and never answered 429`, { expected: "a 429 within the burst", actual });
    return fail(`${p.url} answered ${p.sent} requests in ${seconds} s without a 429`, { expected: `a 429 within ${p.maxRequests} requests`, actual });
  },
});
