import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import spfCheck from "../../checks/dns/spf.js";
import { createContext } from "../../src/context.js";
import { defineCheck, fail, pass } from "../../src/engine/check.js";
import { evaluateSpf } from "../../src/providers/dns/spf.js";
import type { DnsClient } from "../../src/providers/dns/resolver.js";
import { verify, type RetryEvent } from "../../src/ops/verify.js";

/**
 * verify --retry-timeout: a check that waits on propagation (dns.spf here) is
 * retried with freshly gathered facts until it passes or the time is up; the
 * checks it held back come along; a check that does not wait on propagation
 * is never retried.
 */

const D = "example.com";

/** DNS whose SPF record appears from the `appearsAt`-th time the domain's TXT is asked for (never when 0). */
function propagatingDns(appearsAt: number): { dns: DnsClient; asked: () => number } {
  let asked = 0;
  const txt = async (name: string) => {
    if (name === "sendgrid.net") return ["v=spf1 ip4:167.89.0.0/17 ~all"];
    if (name !== D) return [];
    asked++;
    return appearsAt > 0 && asked >= appearsAt ? ["v=spf1 include:sendgrid.net -all"] : [];
  };
  const none = async () => [];
  return { dns: { server: "test", txt, cname: async () => null, a: none, aaaa: none, mx: async () => [], ptr: none }, asked: () => asked };
}

/** Needs dns.spf: skipped while it fails. */
const dependent = defineCheck({
  id: "dns.after-spf",
  section: "dns",
  title: "runs after dns.spf",
  severity: "error",
  needs: ["dns.spf"],
  facts: [],
  docs: { why: "test", fix: "test" },
  messages: { ok: "ok" },
  run: () => pass("ok"),
});

/** Fails, and does not wait on propagation. */
const stubborn = defineCheck({
  id: "dns.stubborn",
  section: "dns",
  title: "always fails",
  severity: "error",
  needs: [],
  facts: ["dkimRecords"],
  docs: { why: "test", fix: "test" },
  messages: { no: "no" },
  run: () => fail("no"),
});

async function run(appearsAt: number, retry: { retryTimeoutMs?: number; retryIntervalMs?: number }) {
  const { dns, asked } = propagatingDns(appearsAt);
  let dkimGathered = 0;
  const events: RetryEvent[] = [];
  const ctx = createContext({ env: {}, cwd: mkdtempSync(join(tmpdir(), "bookflow-retry-")), out: () => {}, err: () => {} });
  const started = Date.now();
  const { report } = await verify(
    ctx,
    { only: [], skip: [], concurrency: 4, timeoutMs: 5000, strict: false, target: "sandbox", sendTestEvents: false, includeLoad: false, ...retry },
    { retry: (e) => events.push(e) },
    {
      catalogue: [spfCheck, dependent, stubborn],
      gatherers: {
        spfRecord: () => evaluateSpf(D, dns),
        dkimRecords: async () => (dkimGathered++, []),
      },
    },
  );
  return { report, events, asked: asked(), dkimGathered, elapsed: Date.now() - started, status: (id: string) => report.results.find((r) => r.id === id)!.status };
}

describe("verify --retry-timeout", () => {
  it("retries dns.spf until the record has propagated, then runs the check it held back", async () => {
    const r = await run(3, { retryTimeoutMs: 5000, retryIntervalMs: 100 });
    expect(r.status("dns.spf")).toBe("pass");
    expect(r.status("dns.after-spf")).toBe("pass");
    expect(r.events.map((e) => [e.attempt, e.checks])).toEqual([
      [2, ["dns.spf", "dns.after-spf"]],
      [3, ["dns.spf", "dns.after-spf"]],
    ]);
    expect(r.asked).toBe(3);
    // The check that does not wait on propagation ran once and still fails.
    expect(r.status("dns.stubborn")).toBe("fail");
    expect(r.dkimGathered).toBe(1);
    expect(r.report.summary).toMatchObject({ total: 3, pass: 2, fail: 1, skip: 0 });
    expect(r.report.outcome).toBe("failed");
  });

  it("gives up when the time is up, with the last result", async () => {
    const r = await run(0, { retryTimeoutMs: 1000, retryIntervalMs: 300 });
    expect(r.status("dns.spf")).toBe("fail");
    expect(r.status("dns.after-spf")).toBe("skip");
    expect(r.events.length).toBeGreaterThanOrEqual(2);
    expect(r.events.length).toBeLessThanOrEqual(3);
    expect(r.asked).toBe(r.events.length + 1);
    expect(r.elapsed).toBeLessThan(3000);
  });

  it("without --retry-timeout nothing is retried", async () => {
    const r = await run(2, {});
    expect(r.status("dns.spf")).toBe("fail");
    expect(r.events).toEqual([]);
    expect(r.asked).toBe(1);
  });
});
