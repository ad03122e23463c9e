import { describe, expect, it } from "vitest";
import { createRateLimiter } from "../../src/app/rate-limiter.js";

const T0 = 1_700_000_000_000;

describe("createRateLimiter", () => {
  it("allows perMinute requests in a burst, then refuses with a Retry-After, and refills at the rate", () => {
    const limiter = createRateLimiter({ perMinute: 5 });
    const first = Array.from({ length: 6 }, () => limiter.take("a", T0));
    expect(first.filter((r) => r.allowed)).toHaveLength(5);
    expect(first[5]).toEqual({ allowed: false, retryAfterSeconds: 12 });
    expect(limiter.take("a", T0 + 11_000).allowed).toBe(false);
    expect(limiter.take("a", T0 + 12_000).allowed).toBe(true);
    // Another client has its own bucket.
    expect(limiter.take("b", T0).allowed).toBe(true);
  });

  it("10,200 addresses at 1/min, two rounds within a minute, a table of 10,000: at most what the limit allows passes", () => {
    const limiter = createRateLimiter({ perMinute: 1, maxClients: 10_000 });
    let allowed = 0;
    let now = T0;
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 10_200; i++) {
        now += 1; // 20,400 requests in 20.4 s
        if (limiter.take(`10.0.${i >> 8}.${i & 255}`, now).allowed) allowed++;
      }
    }
    // One per address per minute at most (10,200); the 200 past the table share one overflow bucket.
    expect(allowed).toBeLessThanOrEqual(10_200);
    expect(allowed).toBe(10_001);
    expect(limiter.size()).toBe(10_000);
  });

  it("a client in the table keeps its bucket however many others come and go", () => {
    const limiter = createRateLimiter({ perMinute: 1, maxClients: 100 });
    expect(limiter.take("busy", T0).allowed).toBe(true);
    for (let i = 0; i < 1_000; i++) limiter.take(`churn-${i}`, T0 + 1 + i);
    expect(limiter.take("busy", T0 + 2_000).allowed).toBe(false);
  });

  it("drops only buckets untouched for a minute (full again), so the table frees up for new clients", () => {
    const limiter = createRateLimiter({ perMinute: 1, maxClients: 3 });
    for (const k of ["a", "b", "c"]) expect(limiter.take(k, T0).allowed).toBe(true);
    // Full of buckets still refilling: a new client shares the overflow bucket.
    expect(limiter.take("d", T0 + 1_000).allowed).toBe(true);
    expect(limiter.take("e", T0 + 1_000).allowed).toBe(false);
    expect(limiter.size()).toBe(3);
    // A minute later a, b and c are full again: dropping them changes nothing, and e gets its own bucket.
    expect(limiter.take("e", T0 + 60_000).allowed).toBe(true);
    expect(limiter.take("e", T0 + 60_001).allowed).toBe(false);
    expect(limiter.take("a", T0 + 60_002).allowed).toBe(true);
    expect(limiter.size()).toBe(2);
  });
});
