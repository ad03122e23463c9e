import { expect } from "vitest";
import check from "../../../checks/database/connects.js";
import { defaultConfig } from "../../../src/config/bookflow-config.js";
import type { DatabaseConnection } from "../../../src/engine/facts/database.js";
import { checkTester } from "../../support/check-tester.js";

const config = defaultConfig(); // databaseLatencyMs 500
const up = (variable: DatabaseConnection["variable"], latencyMs = 2): DatabaseConnection => ({ variable, location: `postgresql://app:****@db.example.com:5432/app`, ok: true, connectMs: 20, latencyMs });
const world = (...connections: DatabaseConnection[]) => ({ config, databaseConnections: connections });

checkTester(check, {
  pass: [
    { name: "both connect quickly", facts: world(up("DATABASE_URL"), up("DIRECT_URL")) },
    { name: "latency exactly at the threshold", facts: world(up("DATABASE_URL", 500), up("DIRECT_URL", 1)) },
  ],
  fail: [
    {
      name: "DIRECT_URL refused",
      facts: world(up("DATABASE_URL"), { variable: "DIRECT_URL", location: "postgresql://app:****@db.example.com:5432/app", ok: false, error: "connect ECONNREFUSED 10.0.0.1:5432" }),
      expect: { status: "fail", messageId: "notConnecting", data: { problems: "DIRECT_URL does not connect: connect ECONNREFUSED 10.0.0.1:5432" } },
    },
    {
      name: "DATABASE_URL not set",
      facts: world({ variable: "DATABASE_URL", location: null, ok: false, error: "not set" }, up("DIRECT_URL")),
      expect: { status: "fail", messageId: "notConnecting", data: { problems: "DATABASE_URL is not set" } },
    },
    {
      name: "both fail",
      facts: world({ variable: "DATABASE_URL", location: "x", ok: false, error: "password authentication failed" }, { variable: "DIRECT_URL", location: "y", ok: false, error: "timeout" }),
      expect: { status: "fail", messageId: "notConnecting", data: { problems: expect.stringContaining("DATABASE_URL does not connect: password authentication failed; DIRECT_URL does not connect: timeout") } },
    },
    { name: "slow round trip (threshold from config)", facts: world(up("DATABASE_URL", 750), up("DIRECT_URL")), expect: { status: "warn", messageId: "slowRoundTrip", data: { slow: expect.stringContaining("DATABASE_URL 750 ms"), thresholdMs: 500 } } },
    {
      name: "a lower configured threshold",
      facts: { config: { ...config, thresholds: { ...config.thresholds, databaseLatencyMs: 5 } }, databaseConnections: [up("DATABASE_URL", 2), up("DIRECT_URL", 9)] },
      expect: { status: "warn", messageId: "slowRoundTrip", data: { slow: expect.stringMatching(/DIRECT_URL 9 ms$/), thresholdMs: 5 } },
    },
  ],
});
