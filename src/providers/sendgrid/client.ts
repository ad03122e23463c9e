/**
 * A SendGrid v3 API client for what bookflow reads (key scopes, dynamic
 * templates, verified senders, authenticated domains and their validation,
 * global delivery stats and the bounce and block lists),
 * over its own `@sendgrid/client` instance (not the SDK's shared singleton),
 * imported only when a client is created. `baseUrl` points it at another
 * server, e.g. the sandbox's SendGrid emulator.
 *
 * Every answer is checked with zod; a wrong shape, an HTTP error or a network
 * failure is a ProviderError("sendgrid", "<METHOD> <path>", …) whose message
 * never contains the API key.
 */
import type { z } from "zod";
import { ProviderError } from "../../errors.js";
import {
  describeIssues,
  sendGridDomainsSchema,
  sendGridDomainValidationSchema,
  sendGridErrorBodySchema,
  sendGridGlobalStatsSchema,
  sendGridScopesSchema,
  sendGridSuppressionsSchema,
  sendGridTemplateSchema,
  sendGridVerifiedSendersSchema,
  type SendGridDomain,
  type SendGridDomainValidation,
  type SendGridGlobalStats,
  type SendGridSuppression,
  type SendGridTemplate,
  type SendGridVerifiedSender,
} from "./schemas.js";

export type {
  SendGridDnsRecord,
  SendGridDomain,
  SendGridDomainValidation,
  SendGridGlobalStats,
  SendGridStatsMetrics,
  SendGridSuppression,
  SendGridTemplate,
  SendGridTemplateVersion,
  SendGridVerifiedSender,
} from "./schemas.js";

/** How SendGrid answered a `POST /v3/mail/send`: accepted (2xx), or refused with its error entries. */
export type SendGridMailAnswer =
  | { accepted: true; status: number; messageId: string | null }
  | { accepted: false; status: number; errors: { message: string; field: string | null }[] };

export const SENDGRID_API_BASE = "https://api.sendgrid.com";
/** Domains asked for per page of `GET /v3/whitelabel/domains`. */
export const DOMAIN_PAGE_SIZE = 100;
/** Pages read before giving up (MAX_DOMAIN_PAGES × DOMAIN_PAGE_SIZE domains). */
export const MAX_DOMAIN_PAGES = 20;
/** Entries asked for per page of a suppression list (the most SendGrid allows). */
export const SUPPRESSION_PAGE_SIZE = 500;
/** Pages of a suppression list read before stopping (the answer then says `truncated`). */
export const MAX_SUPPRESSION_PAGES = 10;

/** The suppression lists bookflow reads: addresses that bounced, and those the receiving server blocked. */
export type SendGridSuppressionList = "bounces" | "blocks";
const PROVIDER = "sendgrid";

export interface SendGridClientOptions {
  /** `SG.…` API key. */
  apiKey: string;
  /** Default https://api.sendgrid.com; the sandbox emulator's URL in tests. */
  baseUrl?: string | undefined;
  /** Per request, in milliseconds (default 15000). */
  timeoutMs?: number | undefined;
}

export interface SendGridClient {
  /** The scopes of the client's API key (`GET /v3/scopes`). */
  getScopes(): Promise<string[]>;
  /** A template and its versions (`GET /v3/templates/{id}`); a missing one is a ProviderError with status 404. */
  getTemplate(id: string): Promise<SendGridTemplate>;
  /** Single sender identities (`GET /v3/verified_senders`). */
  listVerifiedSenders(): Promise<SendGridVerifiedSender[]>;
  /**
   * Authenticated domains with their DNS records (`GET /v3/whitelabel/domains`),
   * every page (`limit`/`offset`), at most MAX_DOMAIN_PAGES of them: more is a
   * ProviderError rather than a silently partial list.
   */
  listAuthenticatedDomains(): Promise<SendGridDomain[]>;
  /**
   * Global email stats per day from `startDate` to `endDate` (YYYY-MM-DD, UTC)
   * (`GET /v3/stats?start_date=&end_date=&aggregated_by=day`; scope stats.global.read).
   */
  getGlobalStats(range: { startDate: string; endDate: string }): Promise<SendGridGlobalStats>;
  /**
   * The entries added to a suppression list between `startTime` and `endTime`
   * (unix seconds, inclusive) (`GET /v3/suppression/bounces` or `/blocks`;
   * scopes suppression.bounces.read / suppression.blocks.read), every page
   * (`limit`/`offset`) up to MAX_SUPPRESSION_PAGES; `truncated` when more remain.
   */
  listSuppressions(list: SendGridSuppressionList, range: { startTime: number; endTime: number }): Promise<{ entries: SendGridSuppression[]; truncated: boolean }>;
  /** Asks SendGrid to check a domain's DNS records now (`POST /v3/whitelabel/domains/{id}/validate`). */
  validateDomain(id: number | string): Promise<SendGridDomainValidation>;
  /**
   * Sends a v3 mail body as given (`POST /v3/mail/send`): a refusal (HTTP >= 400)
   * is an answer, with SendGrid's `errors[]`; only a network failure throws.
   */
  sendMail(body: Record<string, unknown>): Promise<SendGridMailAnswer>;
}

type SdkClient = {
  setApiKey(key: string): void;
  setDefaultHeader(key: string, value: string): unknown;
  setDefaultRequest(key: string, value: unknown): unknown;
  request(data: { method: "GET" | "POST"; url: string; body?: unknown }): Promise<[{ statusCode: number; body: unknown; headers: unknown }, unknown]>;
};

export async function createSendGridClient(options: SendGridClientOptions): Promise<SendGridClient> {
  const clientModule = await import("@sendgrid/client");
  // The package exports a shared singleton with its class attached (`module.exports.Client = Client`).
  const { Client } = clientModule.default as unknown as { Client: new () => SdkClient };
  const client = new Client();
  const apiKey = options.apiKey.trim();
  if (apiKey.startsWith("SG.")) {
    client.setApiKey(apiKey);
  } else {
    // setApiKey() prints a console warning for keys without the SG. prefix, and nothing below commands/ may print:
    // send the header directly and let SendGrid (or a check) reject the key.
    client.setDefaultHeader("Authorization", `Bearer ${apiKey}`);
  }
  // After setApiKey(), which resets the base URL to the region's default.
  const baseUrl = options.baseUrl ?? SENDGRID_API_BASE;
  client.setDefaultRequest("baseUrl", baseUrl);
  client.setDefaultRequest("timeout", options.timeoutMs ?? 15_000);
  // Never send a loopback emulator's traffic through an HTTP(S)_PROXY from the environment.
  if (isLoopback(baseUrl)) client.setDefaultRequest("proxy", false);

  const redact = (text: string) => (apiKey ? text.split(apiKey).join("[redacted]") : text);

  async function call<S extends z.ZodType>(method: "GET" | "POST", path: string, schema: S, endpoint = `${method} ${path}`): Promise<z.infer<S>> {
    let body: unknown;
    try {
      [, body] = await client.request({ method, url: path });
    } catch (err) {
      throw toProviderError(err, endpoint, redact);
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      const what = typeof body === "string" ? `expected JSON, received text (${redact(body.slice(0, 60))}${body.length > 60 ? "…" : ""}); ` : "";
      throw new ProviderError(PROVIDER, endpoint, `unexpected response: ${what}${redact(describeIssues(parsed.error))}`, undefined, "SendGrid answered in a shape bookflow does not know; check the API base URL.");
    }
    return parsed.data;
  }

  return {
    async getScopes() {
      return (await call("GET", "/v3/scopes", sendGridScopesSchema)).scopes;
    },
    async getTemplate(id) {
      return call("GET", `/v3/templates/${encodeURIComponent(id)}`, sendGridTemplateSchema);
    },
    async listVerifiedSenders() {
      const { results = [] } = await call("GET", "/v3/verified_senders", sendGridVerifiedSendersSchema);
      return results.flatMap((s) => (s.from_email ? [{ ...s, from_email: s.from_email, verified: s.verified === true }] : []));
    },
    async listAuthenticatedDomains() {
      const endpoint = "GET /v3/whitelabel/domains";
      const all: SendGridDomain[] = [];
      for (let page = 0; page < MAX_DOMAIN_PAGES; page++) {
        const offset = page * DOMAIN_PAGE_SIZE;
        const items = await call("GET", `/v3/whitelabel/domains?limit=${DOMAIN_PAGE_SIZE}&offset=${offset}`, sendGridDomainsSchema, endpoint);
        all.push(...items);
        if (items.length < DOMAIN_PAGE_SIZE) return all;
      }
      throw new ProviderError(
        PROVIDER,
        endpoint,
        `more than ${MAX_DOMAIN_PAGES * DOMAIN_PAGE_SIZE} authenticated domains (${MAX_DOMAIN_PAGES} pages of ${DOMAIN_PAGE_SIZE}); bookflow stops there rather than report a partial list`,
        undefined,
        "Remove authenticated domains the account no longer sends from (Settings → Sender Authentication), or use a subuser's key holding only this platform's domains.",
      );
    },
    async getGlobalStats({ startDate, endDate }) {
      const query = new URLSearchParams({ start_date: startDate, end_date: endDate, aggregated_by: "day" });
      return call("GET", `/v3/stats?${query}`, sendGridGlobalStatsSchema, "GET /v3/stats");
    },
    async listSuppressions(list, { startTime, endTime }) {
      const endpoint = `GET /v3/suppression/${list}`;
      const entries: SendGridSuppression[] = [];
      for (let page = 0; page < MAX_SUPPRESSION_PAGES; page++) {
        const query = new URLSearchParams({ start_time: String(Math.floor(startTime)), end_time: String(Math.floor(endTime)), limit: String(SUPPRESSION_PAGE_SIZE), offset: String(page * SUPPRESSION_PAGE_SIZE) });
        const items = await call("GET", `/v3/suppression/${list}?${query}`, sendGridSuppressionsSchema, endpoint);
        entries.push(...items);
        if (items.length < SUPPRESSION_PAGE_SIZE) return { entries, truncated: false };
      }
      return { entries, truncated: true };
    },
    async validateDomain(id) {
      return call("POST", `/v3/whitelabel/domains/${encodeURIComponent(String(id))}/validate`, sendGridDomainValidationSchema);
    },
    async sendMail(body) {
      try {
        const [response] = await client.request({ method: "POST", url: "/v3/mail/send", body });
        return { accepted: true, status: response.statusCode, messageId: headerValue(response.headers, "x-message-id") };
      } catch (err) {
        const e = err as { code?: unknown; response?: { body?: unknown } } | null;
        if (typeof e?.code !== "number") throw toProviderError(err, "POST /v3/mail/send", redact);
        const parsed = sendGridErrorBodySchema.safeParse(e.response?.body);
        const errors = parsed.success ? parsed.data.errors.map((x) => ({ message: redact(x.message ?? ""), field: x.field ?? null })) : [];
        return { accepted: false, status: e.code, errors: errors.length ? errors : [{ message: `HTTP ${e.code}`, field: null }] };
      }
    },
  };
}

function toProviderError(err: unknown, endpoint: string, redact: (s: string) => string): ProviderError {
  const e = err as { code?: unknown; message?: unknown; response?: { body?: unknown } } | null;
  if (typeof e?.code === "number") {
    // A ResponseError from @sendgrid/client: SendGrid answered >= 400.
    const status = e.code;
    const parsed = sendGridErrorBodySchema.safeParse(e.response?.body);
    const messages = parsed.success ? parsed.data.errors.map((x) => x.message ?? "").filter((m) => m !== "") : [];
    const message = messages.length > 0 ? messages.join("; ") : typeof e.message === "string" && e.message ? e.message : `HTTP ${status}`;
    return new ProviderError(PROVIDER, endpoint, redact(message), status, hintFor(status));
  }
  // A network failure (axios error: refused, reset, timed out). Only its message is kept: the error object holds the request headers.
  const message = typeof e?.message === "string" && e.message ? e.message : String(err);
  const code = typeof e?.code === "string" ? ` (${e.code})` : "";
  return new ProviderError(PROVIDER, endpoint, `could not reach SendGrid: ${redact(message)}${code}`, undefined, "Check the network (or SENDGRID_API_BASE) and retry.");
}

function hintFor(status: number): string | undefined {
  if (status === 401) return "Check SENDGRID_API_KEY: SendGrid did not accept it.";
  if (status === 403) return "The SendGrid key lacks a scope this call needs; give it the scope in Settings → API Keys, or use a full-access key.";
  if (status === 404) return "SendGrid has no such resource; check the id.";
  if (status === 429) return "SendGrid is rate limiting this key; retry later.";
  return undefined;
}

function headerValue(headers: unknown, name: string): string | null {
  if (!headers || typeof headers !== "object") return null;
  const value = (headers as Record<string, unknown>)[name];
  if (Array.isArray(value)) return typeof value[0] === "string" ? value[0] : null;
  return typeof value === "string" && value !== "" ? value : null;
}

function isLoopback(url: string): boolean {
  try {
    const host = new URL(url).hostname;
    return host === "localhost" || host === "[::1]" || /^127\./.test(host);
  } catch {
    return false;
  }
}
