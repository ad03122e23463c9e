/**
 * A small Calendly API v2 client over undici: Bearer token, per-request
 * timeout, retries with back-off (429 honouring Retry-After / X-RateLimit-Reset,
 * 5xx and network errors with capped exponential back-off and full jitter),
 * pagination as async iterators, and every response body checked with zod.
 *
 * Every failure is a ProviderError("calendly", "<METHOD> <path>", …); the
 * token never appears in one.
 */
import { request, type Dispatcher } from "undici";
import type { z } from "zod";
import { ProviderError, UsageError } from "../../errors.js";
import {
  calendlyCancellationSchema,
  calendlyErrorSchema,
  calendlyEventTypeSchema,
  calendlyInviteeSchema,
  calendlyScheduledEventSchema,
  calendlyUserSchema,
  calendlyWebhookSubscriptionSchema,
  collectionOf,
  describeIssues,
  resourceOf,
  type CalendlyCancellation,
  type CalendlyEventType,
  type CalendlyInvitee,
  type CalendlyPagination,
  type CalendlyScheduledEvent,
  type CalendlyUser,
  type CalendlyWebhookSubscription,
} from "./schemas.js";

export const CALENDLY_API_BASE = "https://api.calendly.com";
const PROVIDER = "calendly";

export interface CalendlyClientOptions {
  /** Personal access token (or OAuth access token). */
  token: string;
  /** Default https://api.calendly.com; the sandbox emulator's URL in tests. */
  baseUrl?: string;
  /** Per attempt, covering headers and body. Default 10000. */
  timeoutMs?: number;
  /** Retries per request after the first attempt (the retry budget). Default 4. */
  maxRetries?: number;
  /** First back-off step; doubles each retry. Default 200. */
  retryBaseMs?: number;
  /** Cap of one back-off step. Default 5000. */
  retryMaxMs?: number;
  /** Longest wait a 429's Retry-After / X-RateLimit-Reset is honoured for; longer asks give up at once. Default 60000. */
  retryAfterMaxMs?: number;
  /** Injectable for tests. */
  sleep?: (ms: number) => Promise<void>;
  /** Injectable for tests: 0..1, the jitter source. */
  random?: () => number;
  /** Current time in ms, to read Retry-After HTTP dates. */
  now?: () => number;
  /** undici dispatcher (Agent/Pool); default the global one. */
  dispatcher?: Dispatcher;
  /** Aborts every request (and retry wait) of this client. */
  signal?: AbortSignal;
}

export type ScheduledEventStatus = "active" | "canceled";
export type TimeInput = Date | string;

export interface OwnerFilter {
  user?: string;
  organization?: string;
}

export interface ListEventTypesParams extends OwnerFilter {
  active?: boolean;
  count?: number;
}

export interface ListScheduledEventsParams extends OwnerFilter {
  minStartTime?: TimeInput;
  maxStartTime?: TimeInput;
  status?: ScheduledEventStatus;
  inviteeEmail?: string;
  sort?: "start_time:asc" | "start_time:desc";
  /** Page size, 1..100 (default 100: fewest requests). */
  count?: number;
}

export interface ListEventInviteesParams {
  status?: ScheduledEventStatus;
  email?: string;
  count?: number;
}

export interface ListWebhookSubscriptionsParams {
  organization: string;
  scope: "user" | "organization";
  user?: string;
}

export interface CreateWebhookSubscriptionParams {
  url: string;
  events: string[];
  organization: string;
  scope: "user" | "organization";
  user?: string;
  /** Our own signing key; Calendly generates one when absent (and never shows it). */
  signingKey?: string;
}

export interface CalendlyClient {
  readonly baseUrl: string;
  getCurrentUser(): Promise<CalendlyUser>;
  listEventTypes(params: ListEventTypesParams): AsyncIterable<CalendlyEventType>;
  listScheduledEvents(params: ListScheduledEventsParams): AsyncIterable<CalendlyScheduledEvent>;
  getScheduledEvent(uuidOrUri: string): Promise<CalendlyScheduledEvent>;
  listEventInvitees(eventUuidOrUri: string, params?: ListEventInviteesParams): AsyncIterable<CalendlyInvitee>;
  cancelScheduledEvent(uuidOrUri: string, reason: string): Promise<CalendlyCancellation>;
  listWebhookSubscriptions(params: ListWebhookSubscriptionsParams): Promise<CalendlyWebhookSubscription[]>;
  getWebhookSubscription(uuidOrUri: string): Promise<CalendlyWebhookSubscription>;
  createWebhookSubscription(params: CreateWebhookSubscriptionParams): Promise<CalendlyWebhookSubscription>;
  deleteWebhookSubscription(uuidOrUri: string): Promise<void>;
}

/** Collects an async iterable into an array (Array.fromAsync is Node 22+). */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/**
 * The uuid of a resource given either its bare uuid or its full URI
 * (`https://api.calendly.com/<collection>/<uuid>`).
 */
export function calendlyUuid(uuidOrUri: string, collection: string): string {
  const value = uuidOrUri.trim();
  if (/^https?:\/\//i.test(value)) {
    let path: string;
    try {
      path = new URL(value).pathname;
    } catch {
      throw new UsageError(`Not a Calendly URI: ${value}`, `Give a ${collection} uuid or its https://api.calendly.com/${collection}/<uuid> URI.`);
    }
    const m = new RegExp(`^/${collection}/([^/]+)/?$`).exec(path);
    if (!m) {
      throw new UsageError(`Not a Calendly ${collection} URI: ${value}`, `Give a ${collection} uuid or its https://api.calendly.com/${collection}/<uuid> URI.`);
    }
    return decodeURIComponent(m[1]!);
  }
  if (!value || value.includes("/")) {
    throw new UsageError(`Not a Calendly ${collection} uuid: "${value}"`, `Give a ${collection} uuid or its https://api.calendly.com/${collection}/<uuid> URI.`);
  }
  return value;
}

function toIso(t: TimeInput | undefined): string | undefined {
  if (t === undefined) return undefined;
  return typeof t === "string" ? t : t.toISOString();
}

/**
 * How long a 429 asks us to wait, in ms: `Retry-After` (seconds or an HTTP
 * date), else `X-RateLimit-Reset` (seconds until the window resets, as Calendly
 * documents it; a value that looks like a Unix time is read as one).
 */
export function rateLimitWaitMs(headers: Record<string, string | string[] | undefined>, nowMs: number): number | undefined {
  const one = (name: string): string | undefined => {
    const v = headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const retryAfter = one("retry-after")?.trim();
  if (retryAfter) {
    if (/^\d+(\.\d+)?$/.test(retryAfter)) return Math.round(Number(retryAfter) * 1000);
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return Math.max(0, date - nowMs);
  }
  const reset = one("x-ratelimit-reset")?.trim();
  if (reset && /^\d+(\.\d+)?$/.test(reset)) {
    const n = Number(reset);
    if (n > 1_000_000_000) return Math.max(0, n * 1000 - nowMs);
    return Math.round(n * 1000);
  }
  return undefined;
}

const HINTS: Record<number, string> = {
  401: "The Calendly token is invalid, expired or revoked: create a new personal access token (Calendly → Integrations → API & Webhooks) and set CALENDLY_API_TOKEN.",
  403: "Calendly refused this (its message above says why): the token's user may lack the role (organization-scope webhook subscriptions need an organization owner or admin; an OAuth token needs the scope), the account's plan may not include it, or the change is not allowed (an event already canceled, or already started).",
  404: "Check the uuid or URI: the resource does not exist or is not visible to this token.",
  429: "Calendly's rate limit was reached: wait a minute and try again, or lower the request rate.",
};

/** A failed attempt that may be retried; becomes a ProviderError when the budget runs out. */
class RetryableFailure {
  constructor(
    readonly message: string,
    readonly status: number | undefined,
    readonly hint: string | undefined,
    readonly waitMs: number | undefined,
  ) {}
}

interface CallOptions {
  method: "GET" | "POST" | "DELETE";
  path: string;
  query?: Record<string, string | undefined>;
  body?: unknown;
}

export function createCalendlyClient(options: CalendlyClientOptions): CalendlyClient {
  const token = options.token;
  const baseUrl = (options.baseUrl ?? CALENDLY_API_BASE).replace(/\/+$/, "");
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxRetries = Math.max(0, options.maxRetries ?? 4);
  const retryBaseMs = options.retryBaseMs ?? 200;
  const retryMaxMs = options.retryMaxMs ?? 5000;
  const retryAfterMaxMs = options.retryAfterMaxMs ?? 60_000;
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => defaultSleep(ms, options.signal));

  /** Removes the token from any text that may reach a message (an echoing server, a proxy error). */
  const scrub = (text: string): string => (token && token.length >= 4 ? text.split(token).join("****") : text);

  const fail = (endpoint: string, message: string, status?: number, hint?: string): ProviderError =>
    new ProviderError(PROVIDER, endpoint, scrub(message), status, hint === undefined ? undefined : scrub(hint));

  const backoffMs = (retry: number): number => {
    const ceiling = Math.min(retryMaxMs, retryBaseMs * 2 ** retry);
    return Math.floor(random() * ceiling);
  };

  function buildUrl(path: string, query?: Record<string, string | undefined>): string {
    const url = new URL(baseUrl + path);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    return url.toString();
  }

  /** One attempt. Returns the parsed JSON (or undefined for an empty body); throws ProviderError or RetryableFailure. */
  async function attempt(call: CallOptions, url: string, endpoint: string): Promise<unknown> {
    // Requests that change something are retried only when Calendly cannot have acted on them.
    const idempotent = call.method !== "POST";
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const onOuterAbort = () => controller.abort();
    options.signal?.addEventListener("abort", onOuterAbort, { once: true });
    let status: number;
    let headers: Record<string, string | string[] | undefined>;
    let text: string;
    try {
      const res = await request(url, {
        method: call.method,
        headers: {
          authorization: `Bearer ${token}`,
          accept: "application/json",
          "user-agent": "bookflow",
          ...(call.body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: call.body === undefined ? undefined : JSON.stringify(call.body),
        signal: controller.signal,
        ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
      });
      status = res.statusCode;
      headers = res.headers;
      text = await res.body.text();
    } catch (err) {
      if (options.signal?.aborted) throw fail(endpoint, "request aborted");
      if (timedOut) {
        const message = `no answer within ${timeoutMs} ms (timed out)`;
        const hint = "Calendly is slow or unreachable; try again, or raise the timeout.";
        if (idempotent) throw new RetryableFailure(message, undefined, hint, undefined);
        throw fail(endpoint, message, undefined, hint);
      }
      const code = (err as { code?: string }).code;
      const message = `network error${code ? ` ${code}` : ""}: ${err instanceof Error ? err.message : String(err)}`;
      const hint = `Check that ${new URL(baseUrl).host} is reachable.`;
      // A refused connection never reached Calendly, so even a POST is safe to repeat.
      if (idempotent || code === "ECONNREFUSED") throw new RetryableFailure(message, undefined, hint, undefined);
      throw fail(endpoint, message, undefined, hint);
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onOuterAbort);
    }

    if (status >= 200 && status < 300) {
      if (text.trim() === "") return undefined;
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw fail(endpoint, `unexpected response: the body is not JSON (${JSON.stringify(text.slice(0, 80))})`, status, "Calendly answered with something other than its API; check the base URL.");
      }
    }

    const message = describeErrorBody(text, status);
    const hint = HINTS[status];
    if (status === 429) {
      const asked = rateLimitWaitMs(headers, now());
      if (asked !== undefined && asked > retryAfterMaxMs) {
        throw fail(endpoint, `${message} (asked to wait ${Math.ceil(asked / 1000)} s, more than the ${Math.ceil(retryAfterMaxMs / 1000)} s allowed)`, status, hint);
      }
      throw new RetryableFailure(message, status, hint, asked);
    }
    // A 503 means Calendly did not act; other 5xx on a POST might have, so those are not repeated.
    if (status >= 500 && (idempotent || status === 503)) throw new RetryableFailure(message, status, hint, undefined);
    throw fail(endpoint, message, status, hint);
  }

  async function call(c: CallOptions): Promise<unknown> {
    const endpoint = `${c.method} ${c.path}`;
    const url = buildUrl(c.path, c.query);
    for (let retry = 0; ; retry++) {
      if (options.signal?.aborted) throw fail(endpoint, "request aborted");
      try {
        return await attempt(c, url, endpoint);
      } catch (err) {
        if (!(err instanceof RetryableFailure)) throw err;
        if (retry >= maxRetries) {
          const attempts = retry + 1;
          throw fail(endpoint, `${err.message} (gave up after ${attempts} attempt${attempts === 1 ? "" : "s"})`, err.status, err.hint);
        }
        await sleep(err.waitMs ?? backoffMs(retry));
      }
    }
  }

  async function get<S extends z.ZodType>(c: CallOptions, schema: S): Promise<z.infer<S>> {
    const body = await call(c);
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      throw fail(`${c.method} ${c.path}`, `unexpected response: ${describeIssues(parsed.error)}`, undefined, "Calendly's answer did not have the documented shape; check the base URL, or report it if Calendly changed its API.");
    }
    return parsed.data;
  }

  /** Follows `pagination.next_page` (re-based on our baseUrl, so the token never goes elsewhere) or `next_page_token`. */
  async function* paginate<S extends z.ZodType>(path: string, query: Record<string, string | undefined>, item: S): AsyncGenerator<z.infer<S>> {
    const schema = collectionOf(item);
    let currentPath = path;
    let currentQuery: Record<string, string | undefined> = query;
    const seen = new Set<string>();
    for (;;) {
      const page = (await get({ method: "GET", path: currentPath, query: currentQuery }, schema)) as { collection: z.infer<S>[]; pagination: CalendlyPagination };
      for (const entry of page.collection) yield entry;
      const next = nextPage(page.pagination, path, query);
      if (!next) return;
      const key = `${next.path}?${new URLSearchParams(next.query as Record<string, string>).toString()}`;
      if (seen.has(key)) throw fail(`GET ${path}`, "unexpected response: pagination repeats a page it already returned");
      seen.add(key);
      currentPath = next.path;
      currentQuery = next.query;
    }
  }

  function nextPage(p: CalendlyPagination, path: string, query: Record<string, string | undefined>): { path: string; query: Record<string, string | undefined> } | undefined {
    if (p.next_page) {
      try {
        const u = new URL(p.next_page);
        const q: Record<string, string> = {};
        for (const [k, v] of u.searchParams) q[k] = v;
        const basePath = new URL(baseUrl).pathname.replace(/\/+$/, "");
        const rel = basePath && u.pathname.startsWith(basePath + "/") ? u.pathname.slice(basePath.length) : u.pathname;
        return { path: rel, query: q };
      } catch {
        /* fall back to the token */
      }
    }
    if (p.next_page_token) return { path, query: { ...query, page_token: p.next_page_token } };
    return undefined;
  }

  const countParam = (count: number | undefined): string => String(Math.min(100, Math.max(1, Math.floor(count ?? 100))));

  return {
    baseUrl,
    async getCurrentUser() {
      return (await get({ method: "GET", path: "/users/me" }, resourceOf(calendlyUserSchema))).resource;
    },
    listEventTypes(params) {
      return paginate(
        "/event_types",
        {
          user: params.user,
          organization: params.organization,
          active: params.active === undefined ? undefined : String(params.active),
          count: countParam(params.count),
        },
        calendlyEventTypeSchema,
      );
    },
    listScheduledEvents(params) {
      return paginate(
        "/scheduled_events",
        {
          user: params.user,
          organization: params.organization,
          min_start_time: toIso(params.minStartTime),
          max_start_time: toIso(params.maxStartTime),
          status: params.status,
          invitee_email: params.inviteeEmail,
          sort: params.sort,
          count: countParam(params.count),
        },
        calendlyScheduledEventSchema,
      );
    },
    async getScheduledEvent(uuidOrUri) {
      const uuid = calendlyUuid(uuidOrUri, "scheduled_events");
      return (await get({ method: "GET", path: `/scheduled_events/${encodeURIComponent(uuid)}` }, resourceOf(calendlyScheduledEventSchema))).resource;
    },
    listEventInvitees(eventUuidOrUri, params = {}) {
      const uuid = calendlyUuid(eventUuidOrUri, "scheduled_events");
      return paginate(
        `/scheduled_events/${encodeURIComponent(uuid)}/invitees`,
        { status: params.status, email: params.email, count: countParam(params.count) },
        calendlyInviteeSchema,
      );
    },
    async cancelScheduledEvent(uuidOrUri, reason) {
      const uuid = calendlyUuid(uuidOrUri, "scheduled_events");
      return (
        await get({ method: "POST", path: `/scheduled_events/${encodeURIComponent(uuid)}/cancellation`, body: { reason } }, resourceOf(calendlyCancellationSchema))
      ).resource;
    },
    async listWebhookSubscriptions(params) {
      return collect(
        paginate(
          "/webhook_subscriptions",
          { organization: params.organization, scope: params.scope, user: params.user, count: "100" },
          calendlyWebhookSubscriptionSchema,
        ),
      );
    },
    async getWebhookSubscription(uuidOrUri) {
      const uuid = calendlyUuid(uuidOrUri, "webhook_subscriptions");
      return (await get({ method: "GET", path: `/webhook_subscriptions/${encodeURIComponent(uuid)}` }, resourceOf(calendlyWebhookSubscriptionSchema))).resource;
    },
    async createWebhookSubscription(params) {
      const body: Record<string, unknown> = {
        url: params.url,
        events: params.events,
        organization: params.organization,
        scope: params.scope,
      };
      if (params.user !== undefined) body.user = params.user;
      if (params.signingKey !== undefined) body.signing_key = params.signingKey;
      return (await get({ method: "POST", path: "/webhook_subscriptions", body }, resourceOf(calendlyWebhookSubscriptionSchema))).resource;
    },
    async deleteWebhookSubscription(uuidOrUri) {
      const uuid = calendlyUuid(uuidOrUri, "webhook_subscriptions");
      await call({ method: "DELETE", path: `/webhook_subscriptions/${encodeURIComponent(uuid)}` });
    },
  };
}

/** `Title: message (parameter: problem; …)` from Calendly's error body, or a short excerpt of whatever came back. */
function describeErrorBody(text: string, status: number): string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    const excerpt = text.trim().slice(0, 120);
    return excerpt ? `HTTP ${status}: ${excerpt}` : `HTTP ${status} with an empty body`;
  }
  const parsed = calendlyErrorSchema.safeParse(json);
  if (!parsed.success) return `HTTP ${status}: ${JSON.stringify(json).slice(0, 120)}`;
  const { title, message, details } = parsed.data;
  const extra = details?.length ? ` (${details.map((d) => (d.parameter ? `${d.parameter}: ${d.message}` : d.message)).join("; ")})` : "";
  return `${title}: ${message}${extra}`;
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
