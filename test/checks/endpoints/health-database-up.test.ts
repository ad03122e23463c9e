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
    { name: "answers in 1500 ms (httpLatencyMs 2000)", facts: slow(1500) },
    { name: "answers in 2500 ms with httpLatencyMs 3000", facts: slow(2500, 3000) },
    { name: "database up", facts: endpointsWorld() },
    { name: "database up, no latency reported", facts: health(200, JSON.stringify({ status: "ok", database: { up: true } })) },
  ],
  fail: [
    { name: "answers in 2500 ms (httpLatencyMs 2000)", facts: slow(2500), expect: { status: "warn", message: /reports the database up in 2500 ms, longer than thresholds\.httpLatencyMs \(2000 ms\)/ } },
    { name: "answers in 300 ms with httpLatencyMs 250", facts: slow(300, 250), expect: { status: "warn", message: /longer than thresholds\.httpLatencyMs \(250 ms\)/ } },
    {
      name: "database down (503)",
      facts: health(503, JSON.stringify({ status: "degraded", database: { up: false, error: "database unreachable" } })),
      expect: { status: "fail", message: /reports the database down \(503\): database unreachable/ },
    },
    { name: "no health endpoint", facts: health(404, '{"error":"not_found"}'), expect: { status: "fail", message: /404: no health endpoint/ } },
    { name: "not JSON", facts: health(200, "<html>OK</html>"), expect: { status: "fail", message: /without a database status/ } },
    { name: "up but 500", facts: health(500, JSON.stringify({ database: { up: true } })), expect: { status: "fail", message: /answered 500/ } },
    { name: "app not running", facts: endpointsWorld(endpointProbes({ health: { probed: true, url: URL, result: noAnswer() } })), expect: { status: "fail", message: /No answer from .*ECONNREFUSED/ } },
    { name: "base URL not set", facts: endpointsWorld(endpointProbes({ health: { probed: false, reason: "NEXT_PUBLIC_BASE_URL is not set" } })), expect: { status: "fail", message: /not probed/ } },
  ],
});
