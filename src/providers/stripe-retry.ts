/**
 * Reading Stripe lists for a long scan: every SDK call through
 * `withStripeRetry` (the SDK does not retry 429s: this waits for Retry-After,
 * else backs off exponentially), every page checked with zod. Errors become
 * ProviderError("stripe", endpoint, …).
 */
import { z } from "zod";
import { ProviderError } from "../errors.js";
import { stripeProviderError } from "./stripe-errors.js";

export type Sleep = (ms: number) => Promise<void>;

export const defaultSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export interface RetryOptions {
  sleep: Sleep;
  /** Retries of a 429 after the first attempt (default 8). */
  maxRetries?: number;
  /** Longest Retry-After honoured; a longer one gives up at once (default 60 s). */
  maxWaitMs?: number;
  onRetry?: (waitMs: number) => void;
}

type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers | undefined, name: string): string | undefined {
  const v = headers?.[name] ?? headers?.[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** Retry-After (seconds or an HTTP date) in ms, else undefined. */
export function retryAfterMs(headers: Headers | undefined, nowMs = Date.now()): number | undefined {
  const raw = header(headers, "retry-after")?.trim();
  if (!raw) return undefined;
  if (/^\d+(\.\d+)?$/.test(raw)) return Math.round(Number(raw) * 1000);
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

interface StripeErrorLike {
  type?: unknown;
  statusCode?: unknown;
  message?: unknown;
  headers?: Headers;
}

/** A rate-limited answer, whether the SDK threw (a Stripe error body) or returned it (any other body). */
class RateLimited {
  constructor(readonly headers: Headers | undefined) {}
}

/**
 * Runs a Stripe SDK call; a 429 waits for its Retry-After (else 1 s, 2 s, 4 s…
 * capped at 30 s) and tries again, up to `maxRetries` times. Other failures
 * become a ProviderError naming the endpoint.
 */
export async function withStripeRetry<T>(endpoint: string, call: () => Promise<T>, options: RetryOptions): Promise<T> {
  const maxRetries = options.maxRetries ?? 8;
  const maxWaitMs = options.maxWaitMs ?? 60_000;
  for (let retry = 0; ; retry++) {
    let limited: RateLimited;
    try {
      const result = await call();
      const last = (result as { lastResponse?: { statusCode?: number; headers?: Headers } } | null)?.lastResponse;
      if (last?.statusCode === 429) throw new RateLimited(last.headers);
      return result;
    } catch (err) {
      if (err instanceof RateLimited) limited = err;
      else {
        const e = err as StripeErrorLike;
        if (e?.statusCode === 429 || e?.type === "StripeRateLimitError") limited = new RateLimited(e.headers);
        else throw stripeProviderError(err, endpoint, { access: "payment intents, refunds and Checkout sessions" });
      }
    }
    const asked = retryAfterMs(limited.headers);
    if (asked !== undefined && asked > maxWaitMs) {
      throw new ProviderError("stripe", endpoint, `rate limited, and asked to wait ${Math.ceil(asked / 1000)} s (more than ${Math.ceil(maxWaitMs / 1000)} s)`, 429, "Stripe's rate limit was reached: wait and run reconcile again.");
    }
    if (retry >= maxRetries) {
      throw new ProviderError("stripe", endpoint, `rate limited (gave up after ${retry + 1} attempts)`, 429, "Stripe's rate limit was reached: wait a minute and run reconcile again, or reconcile a shorter window.");
    }
    const wait = asked ?? Math.min(30_000, 1000 * 2 ** retry);
    options.onRetry?.(wait);
    await options.sleep(wait);
  }
}

// ---------------------------------------------------------------- Stripe pages

const metadataSchema = z.record(z.string(), z.string()).nullish();

export const stripePaymentIntentItemSchema = z.looseObject({
  id: z.string().regex(/^pi_/),
  status: z.string(),
  amount: z.number().int(),
  amount_received: z.number().int().nullish(),
  currency: z.string(),
  metadata: metadataSchema,
  created: z.number().int(),
});

export const stripeRefundItemSchema = z.looseObject({
  id: z.string().regex(/^(re|pyr)_/),
  status: z.string().nullish(),
  amount: z.number().int(),
  currency: z.string(),
  payment_intent: z.union([z.string(), z.looseObject({ id: z.string() })]).nullish(),
  created: z.number().int(),
});

export const stripeDisputeItemSchema = z.looseObject({
  id: z.string().regex(/^(dp|du)_/),
  status: z.string(),
  amount: z.number().int(),
  currency: z.string(),
  payment_intent: z.union([z.string(), z.looseObject({ id: z.string() })]).nullish(),
  created: z.number().int(),
});

export const stripeCheckoutSessionItemSchema = z.looseObject({
  id: z.string().regex(/^cs_/),
  status: z.string().nullish(),
  payment_status: z.string(),
});

const listSchema = <T extends z.ZodType>(item: T) => z.looseObject({ data: z.array(item), has_more: z.boolean() });

export interface StripePageOptions extends RetryOptions {
  pageSize: number;
  /** Unix seconds: only objects created at or after this. */
  createdFrom: number;
  signal?: AbortSignal | undefined;
}

/**
 * A Stripe list, one page (`limit` objects, newest first) at a time, following
 * `starting_after`; every page validated with zod.
 */
export async function* stripePages<S extends z.ZodType<{ id: string }>>(
  endpoint: string,
  fetchPage: (params: { limit: number; created: { gte: number }; starting_after?: string }) => Promise<unknown>,
  item: S,
  options: StripePageOptions,
): AsyncGenerator<z.infer<S>[]> {
  const schema = listSchema(item);
  let after: string | undefined;
  for (;;) {
    if (options.signal?.aborted) return;
    const params = { limit: options.pageSize, created: { gte: options.createdFrom }, ...(after ? { starting_after: after } : {}) };
    const raw = await withStripeRetry(endpoint, () => fetchPage(params), options);
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      throw new ProviderError("stripe", endpoint, `unexpected response: ${first ? `${first.path.join(".")}: ${first.message}` : "not a list"}`, undefined, "Stripe's answer did not have the documented shape; check STRIPE_API_BASE.");
    }
    const page = parsed.data.data as z.infer<S>[];
    if (page.length) yield page;
    if (!parsed.data.has_more || page.length === 0) return;
    after = page[page.length - 1]!.id;
  }
}
