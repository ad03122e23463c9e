import { expect } from "vitest";
import check from "../../../checks/endpoints/health-database-up.js";
import { checkTester } from "../../support/check-tester.js";
import { answer, endpointProbes, endpointsWorld, noAnswer, withThresholds } from "./probe-worlds.js";

const URL = "https://www.example.com/api/health";
const health = (status: number, body: string) => endpointsWorld(endpointProbes({ health: { probed: true, url: URL, result: answer(status, { url: URL, bodyText: body }) } }));

/** A healthy answer after `ms`, with the default thresholds or httpLatencyMs = `limit`. */
const slow = (ms: number, limit?: number) =>
  endpointsWorld(endpointProbes({ health: { probed: true, url: URL, result: answer(200, { url: URL, latencyMs: ms, bodyText: JSON.stringify({ status: "ok", database: { up: true } }) }) } }), "production", limit ? withThresholds({ httpLatencyMs: limit }) : undefined);

checkTester(check, {
  pass: [
    { name: "answers in 1500 ms (httpLatencyMs 2000)", facts: slow(1500), messageId: "databaseUp" },
    { name: "answers in 2500 ms with httpLatencyMs 3000", facts: slow(2500, 3000), messageId: "databaseUp" },
    { name: "database up", facts: endpointsWorld(), messageId: "databaseUpWithLatency" },
    { name: "database up, no latency reported", facts: health(200, JSON.stringify({ status: "ok", database: { up: true } })), messageId: "databaseUp" },
  ],
  fail: [
    { name: "answers in 2500 ms (httpLatencyMs 2000)", facts: slow(2500), expect: { status: "warn", messageId: "databaseUpSlowly", data: { latencyMs: 2500, limitMs: 2000 } } },
    { name: "answers in 300 ms with httpLatencyMs 250", facts: slow(300, 250), expect: { status: "warn", messageId: "databaseUpSlowly", data: { limitMs: 250 } } },
    {
      name: "database down (503)",
      facts: health(503, JSON.stringify({ status: "degraded", database: { up: false, error: "database unreachable" } })),
      expect: { status: "fail", messageId: "databaseDownWithError", data: { status: 503, error: "database unreachable" } },
    },
    { name: "no health endpoint", facts: health(404, '{"error":"not_found"}'), expect: { status: "fail", messageId: "noHealthEndpoint" } },
    { name: "not JSON", facts: health(200, "<html>OK</html>"), expect: { status: "fail", messageId: "noDatabaseStatus" } },
    { name: "up but 500", facts: health(500, JSON.stringify({ database: { up: true } })), expect: { status: "fail", messageId: "unexpectedStatus", data: { status: 500 } } },
    { name: "app not running", facts: endpointsWorld(endpointProbes({ health: { probed: true, url: URL, result: noAnswer() } })), expect: { status: "fail", messageId: "noAnswer", data: { error: expect.stringContaining("ECONNREFUSED") } } },
    { name: "base URL not set", facts: endpointsWorld(endpointProbes({ health: { probed: false, reason: "NEXT_PUBLIC_BASE_URL is not set" } })), expect: { status: "fail", messageId: "notProbed" } },
  ],
});
