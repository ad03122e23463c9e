import { describe, expect, it } from "vitest";
import { longestChain, startDelayingDnsRelay, type CheckCost } from "../../bench/verify-latency.js";
import { createDnsClient } from "../../src/providers/dns/resolver.js";
import { startDnsServer } from "../../src/sandbox/dns/server.js";
import { testCheck } from "./helpers.js";

/** The verify-latency bench's figures: the longest prerequisite chain, and the DNS relay that adds latency. */
describe("bench verify-latency: critical path", () => {
  const costs = (entries: Record<string, number>) => new Map<string, CheckCost>(Object.entries(entries).map(([id, ms]) => [id, { id, ms, requests: 0 }]));

  it("adds each check's cost along the longest chain through needs", () => {
    const checks = [
      testCheck("env.root"),
      testCheck("a.one", { needs: ["env.root"] }),
      testCheck("a.two", { needs: ["a.one"] }),
      testCheck("b.long", { needs: ["env.root"] }),
      testCheck("c.alone"),
    ];
    const chain = longestChain(checks, costs({ "env.root": 0, "a.one": 300, "a.two": 600, "b.long": 700, "c.alone": 850 }));
    expect(chain.ms).toBe(900);
    expect(chain.checks.map((c) => c.id)).toEqual(["env.root", "a.one", "a.two"]);
    expect(chain.roundTrips(300)).toBe(3);
    expect(chain.describe()).toBe("env.root 0 ms → a.one 300 ms → a.two 600 ms");
  });

  it("takes the slower of two prerequisites, and ignores prerequisites outside the run", () => {
    const checks = [testCheck("x.fast"), testCheck("x.slow"), testCheck("x.after", { needs: ["x.fast", "x.slow", "x.not-here"] })];
    const chain = longestChain(checks, costs({ "x.fast": 10, "x.slow": 20, "x.after": 5 }));
    expect(chain.ms).toBe(25);
    expect(chain.checks.map((c) => c.id)).toEqual(["x.slow", "x.after"]);
  });

  it("relays DNS queries to the upstream server (the delay itself is the bench's business: no timing asserted here)", async () => {
    const dns = await startDnsServer({ zone: [{ name: "example.test", type: "TXT", value: "v=spf1 -all" }] });
    const relay = await startDelayingDnsRelay(dns.port, 50);
    try {
      const client = createDnsClient({ server: relay.address, timeoutMs: 2000, tries: 1 });
      const before = dns.queryLog.length;
      expect(await client.txt("example.test")).toEqual(["v=spf1 -all"]);
      expect(dns.queryLog.length).toBe(before + 1);
    } finally {
      await relay.close();
      await dns.close();
    }
  });
});
