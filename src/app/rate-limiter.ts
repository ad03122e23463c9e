/**
 * Token bucket per client: `perMinute` requests a minute, bursting up to that
 * many. Memory stays bounded: idle buckets are swept once the map grows.
 */
export interface RateLimiter {
  take(key: string, nowMs?: number): { allowed: true } | { allowed: false; retryAfterSeconds: number };
  size(): number;
}

export function createRateLimiter(options: { perMinute: number; maxClients?: number }): RateLimiter {
  const capacity = options.perMinute;
  const refillPerMs = options.perMinute / 60_000;
  const maxClients = options.maxClients ?? 10_000;
  const buckets = new Map<string, { tokens: number; at: number }>();

  function sweep(now: number): void {
    for (const [key, b] of buckets) {
      if (b.tokens + (now - b.at) * refillPerMs >= capacity) buckets.delete(key);
    }
    // Still too many active clients: drop the oldest (Map keeps insertion order).
    while (buckets.size > maxClients) buckets.delete(buckets.keys().next().value as string);
  }

  return {
    take(key, now = Date.now()) {
      let b = buckets.get(key);
      if (!b) {
        if (buckets.size >= maxClients) sweep(now);
        b = { tokens: capacity, at: now };
        buckets.set(key, b);
      } else {
        b.tokens = Math.min(capacity, b.tokens + (now - b.at) * refillPerMs);
        b.at = now;
      }
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return { allowed: true };
      }
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - b.tokens) / refillPerMs / 1000)) };
    },
    size: () => buckets.size,
  };
}
