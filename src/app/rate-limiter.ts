/**
 * Token bucket per client: `perMinute` requests a minute, bursting up to that many.
 *
 * Memory stays bounded without letting churn reset anyone: buckets are kept in least-recently-used order, and only
 * a bucket untouched for a whole minute is dropped (it has refilled completely, so dropping it changes nothing).
 * When the table is full of buckets still refilling, a new client shares one overflow bucket with every other client
 * that did not fit, with the same limit: many addresses cycling through the table get, together, what the limit
 * gives them, never a fresh bucket each.
 */
export interface RateLimiter {
  take(key: string, nowMs?: number): { allowed: true } | { allowed: false; retryAfterSeconds: number };
  /** Clients with a bucket of their own (the overflow bucket not counted). */
  size(): number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export function createRateLimiter(options: { perMinute: number; maxClients?: number }): RateLimiter {
  const capacity = options.perMinute;
  const refillPerMs = options.perMinute / 60_000;
  /** A bucket untouched this long is full again. */
  const refilledAfterMs = 60_000;
  const maxClients = options.maxClients ?? 10_000;
  // Map order is the order of last use: the first entry is the least recently used.
  const buckets = new Map<string, Bucket>();
  const overflow: Bucket = { tokens: capacity, at: 0 };

  function dropRefilled(now: number): void {
    for (const [key, b] of buckets) {
      if (now - b.at < refilledAfterMs) return;
      buckets.delete(key);
    }
  }

  function takeFrom(b: Bucket, now: number): { allowed: true } | { allowed: false; retryAfterSeconds: number } {
    b.tokens = Math.min(capacity, b.tokens + Math.max(0, now - b.at) * refillPerMs);
    b.at = Math.max(b.at, now);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { allowed: true };
    }
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - b.tokens) / refillPerMs / 1000)) };
  }

  return {
    take(key, now = Date.now()) {
      let b = buckets.get(key);
      if (b) {
        buckets.delete(key);
        buckets.set(key, b);
        return takeFrom(b, now);
      }
      if (buckets.size >= maxClients) dropRefilled(now);
      if (buckets.size >= maxClients) return takeFrom(overflow, now);
      b = { tokens: capacity, at: now };
      buckets.set(key, b);
      return takeFrom(b, now);
    },
    size: () => buckets.size,
  };
}
