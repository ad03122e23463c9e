import { describe, expect, it } from "vitest";
import { parseFaultsSpec } from "../../src/sandbox/faults-spec.js";
import { UsageError } from "../../src/errors.js";

describe("--faults specs", () => {
  it("parses per-emulator faults, and `all` for every emulator", () => {
    expect(parseFaultsSpec("calendly:latency=300,429=0.1,retry-after=2;stripe:5xx=0.05,drop=0.01")).toEqual({
      calendly: { latencyMs: 300, rate429: 0.1, retryAfterSeconds: 2 },
      stripe: { rate5xx: 0.05, rateDrop: 0.01 },
    });
    const all = parseFaultsSpec("all:latency=50;sendgrid:malformed=1");
    expect(all.vercel).toEqual({ latencyMs: 50 });
    expect(all.sendgrid).toEqual({ latencyMs: 50, rateMalformed: 1 });
  });

  it.each([
    ["bogus:latency=1", /unknown emulator "bogus"/],
    ["stripe", /no emulator name/],
    ["stripe:speed=3", /key=value/],
    ["stripe:429=2", /share between 0 and 1/],
    ["stripe:latency=-5", /whole number/],
    ["stripe:latency", /key=value/],
  ])("rejects %s with a usage error that says how to write it", (spec, message) => {
    let err: unknown;
    try {
      parseFaultsSpec(spec);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).message).toMatch(message);
    expect((err as UsageError).hint).toContain("--faults");
  });
});
