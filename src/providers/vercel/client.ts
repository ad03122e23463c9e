/**
 * A small Vercel REST API client over undici: deployments, the current
 * production deployment, rollback and promote, and env var metadata (never
 * values). Responses are validated with zod; every failure is a ProviderError
 * naming the endpoint, with Vercel's own message and never the token.
 * 429s are retried after Retry-After (or X-RateLimit-Reset), a bounded number of times.
 * A deployment's events and its runtime logs (a stream of JSON lines, read
 * up to a line limit and a time limit) are read for the log check.
 */
import { request, type Dispatcher } from "undici";
import type { z } from "zod";
import { ProviderError } from "../../errors.js";
import {
  deploymentEventsSchema,
  errorBodySchema,
  listDeploymentsSchema,
  listEnvSchema,
  projectSchema,
  runtimeLogLineSchema,
  type DeploymentState,
  type RUNTIME_LOG_LEVELS,
  type RUNTIME_LOG_SOURCES,
  type VercelErrorBody,
} from "./schemas.js";

export type { DeploymentState } from "./schemas.js";
export { DEPLOYMENT_STATES } from "./schemas.js";

export interface VercelClientOptions {
  token: string;
  /** Default `https://api.vercel.com`; the sandbox passes its emulator's URL. */
  baseUrl?: string | undefined;
  /** For projects owned by a team: sent as the `teamId` query parameter on every request. */
  teamId?: string | undefined;
  /** Per request, in milliseconds (default 15000). */
  timeoutMs?: number | undefined;
  /** How many times a 429 is retried (default 3). */
  maxRetries?: number | undefined;
  /** A 429 asking to wait longer than this is not retried (default 60000 ms). */
  maxRetryDelayMs?: number | undefined;
  /** undici dispatcher (tests, proxies); default undici's global one. */
  dispatcher?: Dispatcher | undefined;
}

export interface VercelDeployment {
  uid: string;
  /** Host name without scheme (`app-abc123.vercel.app`); null while uploading. */
  url: string | null;
  state: DeploymentState | null;
  /** For a BLOCKED deployment, Vercel's reason (`seatBlock.blockCode`: COMMIT_AUTHOR_REQUIRED, TEAM_ACCESS_REQUIRED); else null. */
  blockCode: string | null;
  /** "production", another environment, or null (preview). */
  target: string | null;
  /** Milliseconds since the epoch. */
  createdAt: number;
  /** When it became READY (`ready`, or a project target's `readyAt`), ms since the epoch; absent when Vercel does not say. */
  readyAt?: number | null | undefined;
  /** `meta.githubCommitSha` (or another provider's commit sha), when the deployment came from git. */
  commitSha: string | null;
  /** String-valued deployment meta (githubCommitRef, githubCommitMessage, …). */
  meta: Record<string, string>;
}

export interface VercelEnvVar {
  id: string | null;
  key: string;
  type: "plain" | "encrypted" | "sensitive" | "secret" | "system";
  /** Environments it applies to: "production", "preview", "development", custom ones. */
  target: string[];
  gitBranch: string | null;
}

export interface ListDeploymentsOptions {
  projectId: string;
  target?: "production" | "preview" | (string & {}) | undefined;
  /** One state or several (Vercel's `state` filter takes a comma-separated list). */
  state?: DeploymentState | DeploymentState[] | undefined;
  /** Most deployments to return, newest first, following pagination (default 20). */
  limit?: number | undefined;
  /** Deployments per request (default min(limit, 100)). */
  pageSize?: number | undefined;
}

/** One item of a deployment's events (`GET /v3/deployments/{idOrUrl}/events`), whichever of Vercel's shapes it came in. */
export interface VercelDeploymentEvent {
  /** stdout, stderr, fatal, command, exit, deployment-state, …, or alias-assigned. */
  type: string;
  /** Milliseconds since the epoch. */
  date: number;
  text: string | null;
  /** "error" or "warning" when Vercel flags the event; else null. */
  level: string | null;
  /** For a request event: its path and response status (`payload.proxy`, `payload.statusCode`). */
  requestPath: string | null;
  statusCode: number | null;
}

export interface DeploymentEventsOptions {
  /** Milliseconds since the epoch. */
  since?: number | undefined;
  until?: number | undefined;
  /** Most events to return (default 1000). */
  limit?: number | undefined;
}

export interface VercelRuntimeLogLine {
  level: (typeof RUNTIME_LOG_LEVELS)[number];
  message: string;
  rowId: string;
  source: (typeof RUNTIME_LOG_SOURCES)[number];
  timestampInMs: number;
  domain: string;
  messageTruncated: boolean;
  requestMethod: string;
  requestPath: string;
  responseStatusCode: number;
}

export interface RuntimeLogsOptions {
  /** Lines older than this (ms since the epoch) are dropped. */
  since?: number | undefined;
  /** Stop reading after this many lines (default 1000). */
  limit?: number | undefined;
  /** Stop reading the stream after this long, in ms (default 10000): Vercel keeps it open for live lines. */
  maxReadMs?: number | undefined;
}

export interface RuntimeLogs {
  lines: VercelRuntimeLogLine[];
  /** True when reading stopped at the line limit or the time limit with the stream still open. */
  truncated: boolean;
}

export interface VercelClient {
  listDeployments(options: ListDeploymentsOptions): Promise<VercelDeployment[]>;
  /** The deployment production traffic goes to: the project's `targets.production`, else the newest READY production deployment. */
  currentProduction(projectId: string): Promise<VercelDeployment | null>;
  /** Instant rollback: points production domains at an earlier production deployment. */
  rollback(projectId: string, deploymentId: string, description?: string): Promise<void>;
  /** Points production domains at a deployment without rebuilding it (also undoes a rollback). */
  promote(projectId: string, deploymentId: string): Promise<void>;
  /** Env var keys, types and targets; values are never requested nor returned. */
  listEnv(projectId: string): Promise<VercelEnvVar[]>;
  /** A deployment's build and deployment events, oldest first (no live following). */
  deploymentEvents(idOrUrl: string, options?: DeploymentEventsOptions): Promise<VercelDeploymentEvent[]>;
  /** A deployment's runtime logs (functions, middleware, requests), read from Vercel's stream up to a line and a time limit. */
  runtimeLogs(projectId: string, deploymentId: string, options?: RuntimeLogsOptions): Promise<RuntimeLogs>;
}

const DEFAULT_BASE_URL = "https://api.vercel.com";
const COMMIT_SHA_KEYS = ["githubCommitSha", "gitlabCommitSha", "bitbucketCommitSha"];

export function createVercelClient(options: VercelClientOptions): VercelClient {
  const baseUrl = (options.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, "");
  const timeoutMs = options.timeoutMs ?? 15_000;
  const maxRetries = options.maxRetries ?? 3;
  const maxRetryDelayMs = options.maxRetryDelayMs ?? 60_000;
  const redact = (text: string) => (options.token ? text.split(options.token).join("[redacted]") : text);

  async function call<S extends z.ZodType>(
    method: "GET" | "POST",
    path: string,
    query: Record<string, string | undefined>,
    schema: S | undefined,
  ): Promise<z.infer<S> | undefined> {
    const endpoint = `${method} ${path}`;
    const url = new URL(baseUrl + path);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, v);
    if (options.teamId) url.searchParams.set("teamId", options.teamId);

    for (let attempt = 0; ; attempt++) {
      let statusCode: number;
      let headers: Record<string, string | string[] | undefined>;
      let text: string;
      try {
        const res = await request(url, {
          method,
          headers: { authorization: `Bearer ${options.token}`, accept: "application/json", "user-agent": "bookflow" },
          signal: AbortSignal.timeout(timeoutMs),
          ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
        });
        statusCode = res.statusCode;
        headers = res.headers;
        text = await res.body.text();
      } catch (err) {
        const e = err as { name?: string; message?: string; code?: string };
        const message = e.name === "TimeoutError" || e.name === "AbortError" ? `no answer within ${timeoutMs} ms` : `${e.code ? `${e.code}: ` : ""}${e.message ?? String(err)}`;
        throw new ProviderError("vercel", endpoint, redact(message), undefined, "Check the network connection and the Vercel API base URL.");
      }

      if (statusCode === 429 && attempt < maxRetries) {
        const delay = retryDelayMs(headers, attempt);
        if (delay <= maxRetryDelayMs) {
          await new Promise((r) => setTimeout(r, delay));
          continue;
        }
      }
      if (statusCode < 200 || statusCode >= 300) {
        const body = errorBody(text);
        throw new ProviderError("vercel", endpoint, redact(errorMessage(body, text, statusCode)), statusCode, hintFor(statusCode, body));
      }
      if (!schema) return undefined;
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw new ProviderError("vercel", endpoint, "the response body is not JSON", statusCode);
      }
      const parsed = schema.safeParse(json);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const where = issue && issue.path.length ? issue.path.join(".") : "body";
        throw new ProviderError("vercel", endpoint, `unexpected response shape at ${where}: ${issue?.message ?? "invalid"}`, statusCode);
      }
      return parsed.data as z.infer<S>;
    }
  }

  /**
   * Reads a stream of JSON lines (Vercel's application/stream+json) until it
   * ends, `limit` lines are kept, or `maxReadMs` passes; each line validated.
   */
  async function streamLines<S extends z.ZodType>(
    path: string,
    schema: S,
    opts: { limit: number; maxReadMs: number; keep: (line: z.infer<S>) => boolean },
  ): Promise<{ lines: z.infer<S>[]; truncated: boolean }> {
    const endpoint = `GET ${path}`;
    const url = new URL(baseUrl + path);
    if (options.teamId) url.searchParams.set("teamId", options.teamId);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), opts.maxReadMs);
    const lines: z.infer<S>[] = [];
    let truncated = false;
    let lineNo = 0;
    try {
      for (let attempt = 0; ; attempt++) {
        let res: Dispatcher.ResponseData;
        try {
          res = await request(url, {
            method: "GET",
            headers: { authorization: `Bearer ${options.token}`, accept: "application/stream+json", "user-agent": "bookflow" },
            signal: AbortSignal.any([controller.signal, AbortSignal.timeout(timeoutMs)]),
            ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
          });
        } catch (err) {
          const e = err as { name?: string; message?: string; code?: string };
          const message = e.name === "TimeoutError" || e.name === "AbortError" ? `no answer within ${Math.min(timeoutMs, opts.maxReadMs)} ms` : `${e.code ? `${e.code}: ` : ""}${e.message ?? String(err)}`;
          throw new ProviderError("vercel", endpoint, redact(message), undefined, "Check the network connection and the Vercel API base URL.");
        }
        if (res.statusCode === 429 && attempt < maxRetries) {
          const delay = retryDelayMs(res.headers, attempt);
          await res.body.text().catch(() => "");
          if (delay <= maxRetryDelayMs) {
            await new Promise((r) => setTimeout(r, delay));
            continue;
          }
        }
        if (res.statusCode < 200 || res.statusCode >= 300) {
          const text = await res.body.text().catch(() => "");
          const body = errorBody(text);
          throw new ProviderError("vercel", endpoint, redact(errorMessage(body, text, res.statusCode)), res.statusCode, hintFor(res.statusCode, body));
        }
        let pending = "";
        const take = (raw: string): boolean => {
          lineNo++;
          const trimmed = raw.trim();
          if (!trimmed) return true;
          let json: unknown;
          try {
            json = JSON.parse(trimmed);
          } catch {
            throw new ProviderError("vercel", endpoint, `line ${lineNo} of the stream is not JSON`, res.statusCode);
          }
          const parsed = schema.safeParse(json);
          if (!parsed.success) {
            const issue = parsed.error.issues[0];
            const where = issue && issue.path.length ? issue.path.join(".") : "line";
            throw new ProviderError("vercel", endpoint, `unexpected shape of line ${lineNo} at ${where}: ${issue?.message ?? "invalid"}`, res.statusCode);
          }
          if (!opts.keep(parsed.data as z.infer<S>)) return true;
          if (lines.length >= opts.limit) return false;
          lines.push(parsed.data as z.infer<S>);
          return true;
        };
        try {
          for await (const chunk of res.body) {
            pending += (chunk as Buffer).toString("utf8");
            let nl: number;
            while ((nl = pending.indexOf("\n")) >= 0) {
              const raw = pending.slice(0, nl);
              pending = pending.slice(nl + 1);
              if (!take(raw)) {
                truncated = true;
                break;
              }
            }
            if (truncated) break;
          }
          if (!truncated && pending.trim()) truncated = !take(pending);
        } catch (err) {
          if (err instanceof ProviderError) throw err;
          // The time limit ended a stream Vercel kept open: what was read so far stands.
          if (controller.signal.aborted) truncated = true;
          else throw new ProviderError("vercel", endpoint, redact(`the stream broke off: ${(err as Error).message ?? String(err)}`), res.statusCode);
        } finally {
          res.body.destroy();
        }
        return { lines, truncated };
      }
    } finally {
      clearTimeout(timer);
    }
  }

  const seg = encodeURIComponent;

  const client: VercelClient = {
    async listDeployments(opts) {
      const limit = opts.limit ?? 20;
      const pageSize = Math.max(1, Math.min(opts.pageSize ?? limit, 100));
      const state = Array.isArray(opts.state) ? opts.state.join(",") : opts.state;
      const out: VercelDeployment[] = [];
      let until: number | undefined;
      while (out.length < limit) {
        const page = (await call("GET", "/v7/deployments", {
          projectId: opts.projectId,
          target: opts.target,
          state,
          limit: String(Math.min(pageSize, limit - out.length)),
          until: until === undefined ? undefined : String(until),
        }, listDeploymentsSchema))!;
        for (const d of page.deployments) {
          out.push({
            uid: d.uid,
            url: d.url ?? null,
            state: d.state ?? d.readyState ?? null,
            blockCode: d.seatBlock?.blockCode ?? null,
            target: d.target ?? null,
            createdAt: d.createdAt ?? d.created,
            readyAt: d.ready ?? null,
            ...metaFields(d.meta),
          });
        }
        const next = page.pagination?.next ?? null;
        if (next === null || page.deployments.length === 0 || next === until) break;
        until = next;
      }
      return out.slice(0, limit);
    },

    async currentProduction(projectId) {
      const project = (await call("GET", `/v9/projects/${seg(projectId)}`, {}, projectSchema))!;
      const production = project.targets?.production;
      if (production) {
        return {
          uid: production.id,
          url: production.url ?? null,
          state: production.readyState ?? null,
          blockCode: null,
          target: "production",
          createdAt: production.createdAt ?? 0,
          readyAt: production.readyAt ?? null,
          ...metaFields(production.meta),
        };
      }
      const [newest] = await client.listDeployments({ projectId, target: "production", state: "READY", limit: 1 });
      return newest ?? null;
    },

    async rollback(projectId, deploymentId, description) {
      await call("POST", `/v1/projects/${seg(projectId)}/rollback/${seg(deploymentId)}`, { description }, undefined);
    },

    async promote(projectId, deploymentId) {
      await call("POST", `/v10/projects/${seg(projectId)}/promote/${seg(deploymentId)}`, {}, undefined);
    },

    async listEnv(projectId) {
      // No `decrypt=true`: values are never fetched.
      const body = (await call("GET", `/v10/projects/${seg(projectId)}/env`, {}, listEnvSchema))!;
      return body.envs.map((e) => ({
        id: e.id ?? null,
        key: e.key,
        type: e.type,
        target: e.target === undefined ? [] : Array.isArray(e.target) ? e.target : [e.target],
        gitBranch: e.gitBranch ?? null,
      }));
    },

    async deploymentEvents(idOrUrl, opts = {}) {
      const body = (await call("GET", `/v3/deployments/${seg(idOrUrl)}/events`, {
        direction: "forward",
        follow: "0",
        limit: String(opts.limit ?? 1000),
        since: opts.since === undefined ? undefined : String(opts.since),
        until: opts.until === undefined ? undefined : String(opts.until),
      }, deploymentEventsSchema))!;
      const out: VercelDeploymentEvent[] = [];
      for (const item of body) {
        if (item === null) continue;
        if (item.shape === "payload") {
          const { type, payload: p } = item.event;
          out.push({ type, date: p.date, text: p.text ?? null, level: null, requestPath: p.proxy?.path ?? null, statusCode: p.proxy?.statusCode ?? p.statusCode ?? null });
        } else if (item.shape === "alias") {
          const e = item.event;
          out.push({ type: e.type, date: e.date, text: `alias assigned: ${e.alias.join(", ")}`, level: null, requestPath: null, statusCode: null });
        } else {
          const e = item.event;
          out.push({ type: e.type, date: e.date, text: e.text ?? null, level: e.level ?? null, requestPath: null, statusCode: null });
        }
      }
      return out;
    },

    async runtimeLogs(projectId, deploymentId, opts = {}) {
      const since = opts.since;
      const { lines, truncated } = await streamLines(`/v1/projects/${seg(projectId)}/deployments/${seg(deploymentId)}/runtime-logs`, runtimeLogLineSchema, {
        limit: opts.limit ?? 1000,
        maxReadMs: opts.maxReadMs ?? 10_000,
        keep: (line) => since === undefined || line.timestampInMs >= since,
      });
      return { lines, truncated };
    },
  };
  return client;
}

function metaFields(meta: Record<string, unknown> | undefined): { commitSha: string | null; meta: Record<string, string> } {
  const strings: Record<string, string> = {};
  for (const [k, v] of Object.entries(meta ?? {})) if (typeof v === "string") strings[k] = v;
  const key = COMMIT_SHA_KEYS.find((k) => strings[k]);
  return { commitSha: key ? strings[key]! : null, meta: strings };
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Retry-After (seconds or an HTTP date), else X-RateLimit-Reset (epoch seconds), else exponential from 1 s. */
export function retryDelayMs(headers: Record<string, string | string[] | undefined>, attempt: number, now = Date.now()): number {
  const retryAfter = header(headers, "retry-after")?.trim();
  if (retryAfter) {
    if (/^\d+(\.\d+)?$/.test(retryAfter)) return Math.ceil(Number(retryAfter) * 1000);
    const at = Date.parse(retryAfter);
    if (!Number.isNaN(at)) return Math.max(0, at - now);
  }
  const reset = header(headers, "x-ratelimit-reset")?.trim();
  if (reset && /^\d+$/.test(reset)) return Math.max(0, Number(reset) * 1000 - now);
  return 1000 * 2 ** attempt;
}

function errorBody(text: string): VercelErrorBody | undefined {
  try {
    const parsed = errorBodySchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data.error : undefined;
  } catch {
    return undefined; // not JSON
  }
}

function errorMessage(body: VercelErrorBody | undefined, text: string, status: number): string {
  if (body?.message) return body.code ? `${body.message} (${body.code})` : body.message;
  if (body?.code) return body.code;
  try {
    const other = JSON.parse(text) as { message?: unknown };
    if (typeof other.message === "string" && other.message) return other.message;
  } catch {
    // not JSON: fall through
  }
  return `HTTP ${status}`;
}

/**
 * Vercel answers a missing or refused token with 403 `forbidden` and
 * `missingToken` / `invalidToken`; a 403 without them is a token that works
 * but cannot reach this scope (another team, or a team project asked for
 * without its teamId).
 */
function hintFor(status: number, body: VercelErrorBody | undefined): string | undefined {
  if (status === 401 || body?.invalidToken || body?.missingToken) return "Check VERCEL_TOKEN: Vercel did not accept it (expired, revoked or mistyped).";
  if (status === 403) return "The Vercel token cannot act on this project: check the token's scope, and set VERCEL_TEAM_ID to the team that owns the project (unset for a personal project).";
  if (status === 404) return "Check the Vercel project id (VERCEL_PROJECT_ID), and VERCEL_TEAM_ID for team projects.";
  if (status === 402) return "This Vercel plan does not allow it (Hobby can roll back only to the previous production deployment).";
  if (status === 429) return "Vercel is rate limiting this token; retry later.";
  return undefined;
}
