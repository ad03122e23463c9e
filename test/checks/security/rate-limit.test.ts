import { expect } from "vitest";
import check from "../../../checks/security/rate-limit.js";
import { checkTester } from "../../support/check-tester.js";
import { burst } from "../endpoints/probe-worlds.js";

checkTester(check, {
  pass: [
    { name: "429 after 609 requests", facts: { rateLimitProbe: burst() } },
    { name: "429 on the first request", facts: { rateLimitProbe: burst({ sent: 32, firstLimitedAt: 1, statuses: { "429": 32 } }) } },
  ],
  fail: [
    { name: "not asked for: skipped with the reason", facts: { rateLimitProbe: { ran: false, reason: "run with --include-load to send a short burst of requests" } }, expect: { status: "skip", messageId: "notRun", data: { reason: expect.stringContaining("run with --include-load") } } },
    { name: "no 429 within the burst", facts: { rateLimitProbe: burst({ sent: 700, firstLimitedAt: null, statuses: { "401": 700 } }) }, expect: { status: "fail", messageId: "notLimited", data: { sent: 700 } } },
    { name: "no 429 before the time limit", facts: { rateLimitProbe: burst({ sent: 120, firstLimitedAt: null, statuses: { "401": 120 }, durationMs: 8000 }) }, expect: { status: "fail", messageId: "notLimited", data: { sent: 120, seconds: "8.0" } } },
    {
      name: "route stopped answering",
      facts: { rateLimitProbe: burst({ sent: 310, firstLimitedAt: null, statuses: { "401": 300, error: 10 }, lastError: "connect ECONNRESET" }) },
      expect: { status: "fail", messageId: "stoppedAnswering", data: { unanswered: 10, error: "connect ECONNRESET" } },
    },
    { name: "no answer at all", facts: { rateLimitProbe: burst({ sent: 10, firstLimitedAt: null, statuses: { error: 10 }, lastError: "connect ECONNREFUSED 127.0.0.1:9" }) }, expect: { status: "fail", messageId: "noAnswer", data: { error: expect.stringContaining("ECONNREFUSED") } } },
  ],
});
