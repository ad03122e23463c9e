import { afterAll, beforeAll, describe, expect, it } from "vitest";
import check from "../../../checks/database/connections-stable.js";
import { defaultConfig, type BookflowConfig } from "../../../src/config/bookflow-config.js";
import { FactStore, gatherers } from "../../../src/engine/facts/index.js";
import { CONNECTION_SAMPLE_TIMEOUT_MS, sampleConnections, type ConnectionSample } from "../../../src/engine/facts/database.js";
import { startPrivatePostgres, type PrivatePostgres } from "../../../bench/support/private-pg.js";
import { checkTester, decide } from "../../support/check-tester.js";

const config = defaultConfig(); // 6 samples over 2500 ms, spread 250 ms
const location = "postgresql://app:****@db.example.com:6543/app";
const ok = (ms: number, atMs = 0): ConnectionSample => ({ atMs, ok: true, ms });
const failed = (error: string, atMs = 0): ConnectionSample => ({ atMs, ok: false, error });
const world = (samples: ConnectionSample[], c: BookflowConfig = config) => ({ config: c, databaseConnectionSamples: { variable: "DATABASE_URL" as const, location, windowMs: 2500, samples } });
const spread = (ms: number): BookflowConfig => ({ ...config, thresholds: { ...config.thresholds, databaseLatencySpreadMs: ms } });

checkTester(check, {
  pass: [
    { name: "six steady connections", facts: world([12, 14, 11, 13, 15, 12].map((ms, i) => ok(ms, i * 500))), messageId: "stable" },
    { name: "max exactly the threshold above the median", facts: world([10, 10, 10, 10, 10, 260].map((ms) => ok(ms))), messageId: "stable" },
    { name: "a wider spread allowed by the config", facts: world([10, 10, 10, 600].map((ms) => ok(ms)), spread(1000)), messageId: "stable" },
    { name: "one slow sample alone is a hiccup, not a spread", facts: world([10, 11, 12, 10, 11, 900].map((ms) => ok(ms))), messageId: "stable" },
  ],
  fail: [
    {
      name: "one sample of six refused (a pooler at its client limit)",
      facts: world([ok(12), ok(13), failed("sorry, too many clients already", 1000), ok(12), ok(14), ok(13)]),
      expect: { status: "fail", messageId: "samplesFailed", data: { failed: 1, total: 6, location, windowMs: 2500, firstError: "sorry, too many clients already" } },
    },
    {
      name: "the server went away mid-sampling",
      facts: world([ok(12), ok(13), failed("connect ECONNREFUSED 127.0.0.1:6543"), failed("connect ECONNREFUSED 127.0.0.1:6543"), failed("connect ECONNREFUSED 127.0.0.1:6543"), failed("connect ECONNREFUSED 127.0.0.1:6543")]),
      expect: { status: "fail", messageId: "samplesFailed", data: { failed: 4, total: 6 }, message: /^4 of 6 fresh connections to postgresql:\/\/app:\*\*\*\*@db\.example\.com:6543\/app failed over 2500 ms: connect ECONNREFUSED/ },
    },
    {
      name: "every sample timed out",
      facts: world([failed("timed out after 3000 ms"), failed("timed out after 3000 ms")]),
      expect: { status: "fail", messageId: "samplesFailed", data: { failed: 2, total: 2, firstError: "timed out after 3000 ms" } },
    },
    { name: "no sample at all", facts: world([]), expect: { status: "fail", messageId: "samplesFailed", data: { failed: 0, total: 0, firstError: "no sample was taken" } } },
    {
      name: "two slow samples far above the median",
      facts: world([10, 11, 12, 10, 700, 900].map((ms) => ok(ms))),
      expect: { status: "warn", messageId: "spreadWide", data: { min: 10, median: 11, p95: 900, max: 900, thresholdMs: 250, total: 6, slow: 2 } },
    },
    { name: "a tighter configured spread", facts: world([10, 10, 10, 40, 45].map((ms) => ok(ms)), spread(20)), expect: { status: "warn", messageId: "spreadWide", data: { median: 10, max: 45, thresholdMs: 20, slow: 2 } } },
  ],
});

describe("databaseConnectionSamples against real servers", () => {
  const shared = "postgresql://postgres@127.0.0.1:5432/postgres";

  it("opens fresh connections at even intervals over the window and times each", async () => {
    const t0 = performance.now();
    const samples = await sampleConnections(shared, { count: 5, windowMs: 800 });
    const elapsed = performance.now() - t0;
    expect(samples).toHaveLength(5);
    expect(samples.every((s) => s.ok && typeof s.ms === "number" && s.ms > 0), JSON.stringify(samples)).toBe(true);
    // Started 200 ms apart (timers may run late, never early).
    samples.forEach((s, i) => expect(s.atMs).toBeGreaterThanOrEqual(i * 200 - 1));
    expect(elapsed).toBeGreaterThanOrEqual(800);
    expect(elapsed).toBeLessThan(800 + CONNECTION_SAMPLE_TIMEOUT_MS);
  });

  it("the fact reads its count and window from thresholds, masks the password, and the check passes on the shared server", async () => {
    const c: BookflowConfig = { ...config, thresholds: { ...config.thresholds, databaseConnectionSamples: 3, databaseSampleWindowMs: 300 } };
    const abort = new AbortController();
    const store = new FactStore({ env: { DATABASE_URL: "postgresql://postgres:FAKEpassword@127.0.0.1:5432/postgres" }, target: "sandbox", config: c, signal: abort.signal }, gatherers);
    try {
      const facts = await store.pick(["databaseConnectionSamples", "config"]);
      expect(facts.databaseConnectionSamples.samples).toHaveLength(3);
      expect(facts.databaseConnectionSamples.windowMs).toBe(300);
      expect(facts.databaseConnectionSamples.location).not.toContain("FAKEpassword");
      const outcome = await decide(check, facts);
      expect(outcome, outcome.message).toMatchObject({ status: "pass", messageId: "stable" });
    } finally {
      abort.abort();
    }
  });

  it("a closed port fails every sample with the driver's reason", async () => {
    const samples = await sampleConnections("postgresql://postgres@127.0.0.1:1/postgres", { count: 2, windowMs: 0 });
    expect(samples.map((s) => s.ok)).toEqual([false, false]);
    expect(samples[0]!.error).toMatch(/ECONNREFUSED/);
  });

  describe("a private server crashed mid-sampling", () => {
    let pg: PrivatePostgres;
    beforeAll(async () => {
      pg = await startPrivatePostgres();
    }, 60_000);
    afterAll(async () => {
      await pg?.stop().catch(() => undefined);
    });

    it("fails the check naming how many of how many samples failed", async () => {
      const c: BookflowConfig = { ...config, thresholds: { ...config.thresholds, databaseConnectionSamples: 6, databaseSampleWindowMs: 2500 } };
      const abort = new AbortController();
      const store = new FactStore({ env: { DATABASE_URL: pg.urlFor("postgres") }, target: "sandbox", config: c, signal: abort.signal }, gatherers);
      // Samples start at 0, 500, … 2500 ms: the crash at ~1200 ms leaves the first three up and the last three refused.
      const crash = new Promise<void>((resolve, reject) => setTimeout(() => pg.crash().then(resolve, reject), 1200));
      try {
        const facts = await store.pick(["databaseConnectionSamples", "config"]);
        await crash;
        const outcome = await decide(check, facts);
        expect(outcome.status, outcome.message).toBe("fail");
        expect(outcome.messageId).toBe("samplesFailed");
        const failedCount = Number(outcome.data!.failed);
        expect(failedCount).toBeGreaterThanOrEqual(2);
        expect(failedCount).toBeLessThan(6);
        expect(outcome.data!.total).toBe(6);
        expect(facts.databaseConnectionSamples.samples[0]!.ok).toBe(true);
        expect(facts.databaseConnectionSamples.samples.at(-1)!.ok).toBe(false);
      } finally {
        abort.abort();
        await crash.catch(() => undefined);
      }
    }, 30_000);
  });
});
