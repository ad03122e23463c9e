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
  messages: {
    notRun: "{{reason}}",
    limited: "{{url}} answered 429 after {{firstLimitedAt}} requests (burst of {{sent}} in {{seconds}} s)",
    noAnswer: "No answer from {{url}} during the burst: {{error}}",
    stoppedAnswering: "{{url}} stopped answering during the burst ({{unanswered}} requests without an answer: {{error}}) and never answered 429",
    notLimited: "{{url}} answered {{sent}} requests in {{seconds}} s without a 429",
  },
  run({ rateLimitProbe: p }) {
    if (!p.ran) return skip("notRun", { reason: p.reason });
    const seconds = (p.durationMs / 1000).toFixed(1);
    const actual = { sent: p.sent, statuses: p.statuses, durationMs: p.durationMs, ...(p.lastError ? { lastError: p.lastError } : {}) };
    if (p.firstLimitedAt !== null) return pass("limited", { url: p.url, firstLimitedAt: p.firstLimitedAt, sent: p.sent, seconds }, { actual });
    const answered = p.sent - (p.statuses.error ?? 0);
    const error = p.lastError ?? "unknown error";
    if (answered === 0) return fail("noAnswer", { url: p.url, error }, { expected: "a 429 within the burst", actual });
    if (p.statuses.error) return fail("stoppedAnswering", { url: p.url, unanswered: p.statuses.error, error }, { expected: "a 429 within the burst", actual });
    return fail("notLimited", { url: p.url, sent: p.sent, seconds }, { expected: `a 429 within ${p.maxRequests} requests`, actual });
  },
});
