import { randomUUID } from "node:crypto";
import { z } from "zod";
import { API_BASE_DEFAULTS, apiBaseFromEnv } from "../../config/api-base.js";
import { datadogMonitorExpectation } from "../../config/bookflow-config.js";
import { defineFact } from "./define.js";
import type { FactContext } from "./types.js";

/**
 * Monitoring facts: a Sentry test event (a probe: sent only with
 * --send-test-events) and, through Sentry's API, that event read back and the
 * project's issue alert rules; the Datadog API key's validity and the
 * monitors the config expects. Network failures are findings (values): the
 * checks decide, and their severity depends on the target.
 */

export interface SentryDsn {
  /** `https:` (or `http:` for 127.0.0.1 only, as in tests). */
  protocol: "https:" | "http:";
  publicKey: string;
  /** Host with its port, when given. */
  host: string;
  /** Path before the project id ("" normally; self-hosted Sentry may sit under a prefix). */
  pathPrefix: string;
  projectId: string;
  /** `<protocol>//<host><prefix>/api/<project id>/envelope/` */
  envelopeUrl: string;
}

export type SentryDsnParse = { ok: true; dsn: SentryDsn } | { ok: false; problem: string };

/** Parses a Sentry DSN, `https://<public key>@<host>/<project id>`; the problem says what is wrong, never the value. */
export function parseSentryDsn(value: string): SentryDsnParse {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return { ok: false, problem: "is not a URL (expected https://<public key>@<host>/<project id>)" };
  }
  const loopback = url.hostname === "127.0.0.1";
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) return { ok: false, problem: `must use https, not ${url.protocol.replace(/:$/, "")}` };
  if (!url.username) return { ok: false, problem: "has no public key (the part before @)" };
  if (!/^[A-Za-z0-9]+$/.test(url.username)) return { ok: false, problem: "has a public key with characters other than letters and digits" };
  if (!url.hostname) return { ok: false, problem: "has no host" };
  const segments = url.pathname.split("/").filter((s) => s !== "");
  const projectId = segments.pop();
  if (!projectId) return { ok: false, problem: "has no project id (…/<project id> at the end of the path)" };
  if (!/^\d+$/.test(projectId)) return { ok: false, problem: "ends in a project id that is not a number" };
  if (url.search || url.hash) return { ok: false, problem: "must not carry a query or fragment" };
  const pathPrefix = segments.length ? `/${segments.join("/")}` : "";
  const protocol = url.protocol as "https:" | "http:";
  return {
    ok: true,
    dsn: { protocol, publicKey: decodeURIComponent(url.username), host: url.host, pathPrefix, projectId, envelopeUrl: `${protocol}//${url.host}${pathPrefix}/api/${projectId}/envelope/` },
  };
}

export type SentryTestEvent =
  | { sent: false; reason: string }
  | {
      sent: true;
      /** The envelope endpoint, without credentials. */
      endpoint: string;
      eventId: string;
      /** HTTP status, or null when no answer came. */
      status: number | null;
      accepted: boolean;
      error?: string;
    };

export interface DatadogKeyValidation {
  /** The validate endpoint called. */
  endpoint: string;
  /** HTTP status, or null when no answer came. */
  status: number | null;
  valid: boolean;
  error?: string;
}

const PROBE_TIMEOUT_MS = 10_000;

function probeSignal(ctx: Pick<FactContext, "signal">): AbortSignal {
  return AbortSignal.any([ctx.signal, AbortSignal.timeout(PROBE_TIMEOUT_MS)]);
}

function networkError(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === "TimeoutError" || e.name === "AbortError") return `no answer within ${PROBE_TIMEOUT_MS / 1000} s`;
  return e.cause?.code ? `${e.cause.code}: ${e.cause.message ?? e.message ?? ""}`.trim() : (e.message ?? String(err));
}

/** `sentryTestEvent`: with --send-test-events, one info-level event POSTed to the DSN's envelope endpoint. */
export async function gatherSentryTestEvent(ctx: Pick<FactContext, "env" | "target" | "signal" | "sendTestEvents">): Promise<SentryTestEvent> {
  if (!ctx.sendTestEvents) return { sent: false, reason: "No test event sent: pass --send-test-events to send one to Sentry" };
  const value = ctx.env.SENTRY_DSN?.trim();
  if (!value) return { sent: false, reason: "SENTRY_DSN is not set (see monitoring.sentry-dsn)" };
  const parsed = parseSentryDsn(value);
  if (!parsed.ok) return { sent: false, reason: `SENTRY_DSN ${parsed.problem} (see monitoring.sentry-dsn)` };
  const { dsn } = parsed;
  const eventId = randomUUID().replace(/-/g, "");
  const now = new Date();
  const envelope = [
    JSON.stringify({ event_id: eventId, sent_at: now.toISOString() }),
    JSON.stringify({ type: "event" }),
    JSON.stringify({
      event_id: eventId,
      timestamp: now.getTime() / 1000,
      platform: "node",
      level: "info",
      logger: "bookflow.verify",
      message: { formatted: "bookflow verify: test event (monitoring.sentry-test-event)" },
      tags: { source: "bookflow-verify", target: ctx.target },
    }),
  ].join("\n");
  const result = { sent: true as const, endpoint: dsn.envelopeUrl, eventId };
  try {
    const res = await fetch(dsn.envelopeUrl, {
      method: "POST",
      headers: {
        "content-type": "application/x-sentry-envelope",
        "x-sentry-auth": `Sentry sentry_version=7, sentry_key=${dsn.publicKey}, sentry_client=bookflow-verify/1`,
      },
      body: envelope,
      signal: probeSignal(ctx),
    });
    const text = await res.text().catch(() => "");
    if (res.ok) return { ...result, status: res.status, accepted: true };
    return { ...result, status: res.status, accepted: false, error: sentryError(text) ?? `HTTP ${res.status}` };
  } catch (err) {
    return { ...result, status: null, accepted: false, error: networkError(err) };
  }
}

function sentryError(text: string): string | undefined {
  try {
    const detail = (JSON.parse(text) as { detail?: unknown }).detail;
    return typeof detail === "string" && detail ? detail : undefined;
  } catch {
    return undefined;
  }
}

/** Where Datadog's API is: DATADOG_API_BASE, else https://api.<DD_SITE or datadoghq.com>. */
export function datadogApiBase(env: Readonly<Record<string, string | undefined>>): string {
  const base = env.DATADOG_API_BASE?.trim();
  if (base) return base.replace(/\/+$/, "");
  const site = env.DD_SITE?.trim() || "datadoghq.com";
  return `https://api.${site}`;
}

/** `datadogApiKey`: GET /api/v1/validate with the key, or null when DATADOG_API_KEY is not set. */
export async function gatherDatadogApiKey(ctx: Pick<FactContext, "env" | "signal">): Promise<DatadogKeyValidation | null> {
  const key = ctx.env.DATADOG_API_KEY?.trim();
  if (!key) return null;
  const endpoint = `${datadogApiBase(ctx.env)}/api/v1/validate`;
  try {
    const res = await fetch(endpoint, { headers: { "dd-api-key": key, accept: "application/json" }, signal: probeSignal(ctx) });
    const text = await res.text().catch(() => "");
    let body: { valid?: unknown; errors?: unknown } = {};
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      // not JSON: decided by the status alone
    }
    if (res.ok && body.valid === true) return { endpoint, status: res.status, valid: true };
    const errors = Array.isArray(body.errors) ? body.errors.filter((e): e is string => typeof e === "string") : [];
    return { endpoint, status: res.status, valid: false, error: errors.length ? errors.join("; ") : `HTTP ${res.status}` };
  } catch (err) {
    return { endpoint, status: null, valid: false, error: networkError(err) };
  }
}

export const sentryTestEventFact = defineFact({ name: "sentryTestEvent", gather: gatherSentryTestEvent });
export const datadogApiKeyFact = defineFact({ name: "datadogApiKey", gather: gatherDatadogApiKey });

// ---------------------------------------------------------------------------
// Monitoring configured, not only reachable: Sentry's issue alert rules and
// the test event read back through Sentry's API; Datadog's monitors.
// ---------------------------------------------------------------------------

/** Sentry's API for the project: SENTRY_API_BASE, else derived from the DSN's host (sentry.io's ingest hosts → its region's API; a self-hosted host → itself), else https://sentry.io. */
export function sentryApiBase(env: Readonly<Record<string, string | undefined>>): string {
  const explicit = apiBaseFromEnv({ ...env }, "SENTRY_API_BASE");
  if (explicit) return explicit.replace(/\/+$/, "");
  const dsn = env.SENTRY_DSN?.trim() ? parseSentryDsn(env.SENTRY_DSN.trim()) : undefined;
  if (!dsn?.ok) return API_BASE_DEFAULTS.SENTRY_API_BASE;
  const host = dsn.dsn.host.toLowerCase();
  const saas = /(?:^|\.)ingest(?:\.([a-z0-9-]+))?\.sentry\.io$/.exec(host);
  if (saas) return saas[1] ? `https://${saas[1]}.sentry.io` : API_BASE_DEFAULTS.SENTRY_API_BASE;
  if (host === "sentry.io" || host.endsWith(".sentry.io")) return API_BASE_DEFAULTS.SENTRY_API_BASE;
  return `${dsn.dsn.protocol}//${dsn.dsn.host}${dsn.dsn.pathPrefix}`;
}

/** The variables the Sentry API facts need, in the order the fix names them. */
export const SENTRY_API_VARS = ["SENTRY_AUTH_TOKEN", "SENTRY_ORG", "SENTRY_PROJECT"] as const;
/** The variables the Datadog monitors fact needs. */
export const DATADOG_MONITOR_VARS = ["DATADOG_API_KEY", "DATADOG_APP_KEY"] as const;

function missingVars(env: Readonly<Record<string, string | undefined>>, names: readonly string[]): string[] {
  return names.filter((n) => !env[n]?.trim());
}

/** What the checks read of one issue alert rule (Sentry's documented rule object, narrowed). */
export interface SentryIssueAlertRule {
  id: string;
  name: string;
  /** "active" or "disabled" (absent on older Sentry versions: active). */
  status: string;
  actionMatch: "all" | "any" | "none";
  /** The triggers' ids, e.g. sentry.rules.conditions.first_seen_event.FirstSeenEventCondition. */
  conditions: string[];
  /** The filters: id, and for the level filter its match and level. */
  filters: { id: string; match?: string; level?: string }[];
  /** How many actions (notifications) the rule performs. */
  actions: number;
  environment: string | null;
}

/** A Sentry or Datadog API call that did not answer as documented. */
export interface MonitoringApiFailure {
  ok: false;
  endpoint: string;
  /** HTTP status, or null when no answer came. */
  status: number | null;
  error: string;
}

export type SentryAlertRulesFact =
  | { configured: false; missing: string[] }
  | ({ configured: true } & MonitoringApiFailure)
  | { configured: true; ok: true; endpoint: string; rules: SentryIssueAlertRule[] };

export type SentryEventReadBackFact =
  /** Nothing to read back: no test event was sent, or Sentry refused it (monitoring.sentry-test-event says why). */
  | { checked: false; reason: string }
  | { checked: true; configured: false; missing: string[]; eventId: string }
  | { checked: true; configured: true; eventId: string; endpoint: string; found: true; attempts: number; waitedMs: number; groupId: string | null }
  | { checked: true; configured: true; eventId: string; endpoint: string; found: false; attempts: number; waitedMs: number; status: number | null; error: string };

/** One expected Datadog monitor (from the config) and what Datadog answered for it. */
export type DatadogMonitorLookup = { expectation: { purpose: string; name?: string; tag?: string } } & (
  | { ok: true; endpoint: string; monitors: DatadogMonitorSummary[] }
  | MonitoringApiFailure
);

export interface DatadogMonitorSummary {
  id: number;
  name: string;
  type: string;
  overallState: string | null;
  tags: string[];
}

export type DatadogMonitorsFact = { configured: false; missing: string[] } | { configured: true; lookups: DatadogMonitorLookup[] };

const sentryErrorBody = z.object({ detail: z.string() });
const datadogErrorBody = z.object({ errors: z.array(z.string()) });

/** Sentry's issue alert rule, as documented for GET /api/0/projects/{org}/{project}/rules/ (fields the checks read; others pass through). */
const sentryRuleSchema = z.object({
  id: z.string(),
  name: z.string(),
  status: z.string().optional(),
  actionMatch: z.enum(["all", "any", "none"]),
  conditions: z.array(z.object({ id: z.string() })),
  filters: z.array(z.object({ id: z.string(), match: z.string().optional(), level: z.union([z.string(), z.number()]).optional() })).optional(),
  actions: z.array(z.object({ id: z.string() })),
  environment: z.string().nullable().optional(),
});

/** Datadog's Monitor, as documented for GET /api/v1/monitor (fields the check reads). */
const datadogMonitorSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  type: z.string(),
  query: z.string(),
  tags: z.array(z.string()).optional(),
  overall_state: z.string().nullable().optional(),
});

interface JsonAnswer {
  status: number;
  json: unknown;
  text: string;
  headers: Headers;
}

async function getJson(url: string, headers: Record<string, string>, ctx: Pick<FactContext, "signal">): Promise<JsonAnswer> {
  const res = await fetch(url, { headers: { accept: "application/json", ...headers }, signal: probeSignal(ctx) });
  const text = await res.text().catch(() => "");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text, headers: res.headers };
}

function sentryProblem(a: JsonAnswer): string {
  const body = sentryErrorBody.safeParse(a.json);
  return body.success ? body.data.detail : `HTTP ${a.status}`;
}

function datadogProblem(a: JsonAnswer): string {
  const body = datadogErrorBody.safeParse(a.json);
  return body.success && body.data.errors.length ? body.data.errors.join("; ") : `HTTP ${a.status}`;
}

/** The `next` cursor of Sentry's Link header, when it says more results follow. */
export function sentryNextCursor(link: string | null): string | undefined {
  for (const part of (link ?? "").split(",")) {
    if (!/rel="next"/.test(part)) continue;
    if (!/results="true"/.test(part)) return undefined;
    return /cursor="([^"]+)"/.exec(part)?.[1];
  }
  return undefined;
}

const MAX_PAGES = 10;

/** `sentryAlertRules`: the project's issue alert rules, GET /api/0/projects/{SENTRY_ORG}/{SENTRY_PROJECT}/rules/ (every page). */
export async function gatherSentryAlertRules(ctx: Pick<FactContext, "env" | "signal">): Promise<SentryAlertRulesFact> {
  const missing = missingVars(ctx.env, SENTRY_API_VARS);
  if (missing.length) return { configured: false, missing };
  const base = sentryApiBase(ctx.env);
  const endpoint = `${base}/api/0/projects/${encodeURIComponent(ctx.env.SENTRY_ORG!.trim())}/${encodeURIComponent(ctx.env.SENTRY_PROJECT!.trim())}/rules/`;
  const headers = { authorization: `Bearer ${ctx.env.SENTRY_AUTH_TOKEN!.trim()}` };
  const rules: SentryIssueAlertRule[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    let a: JsonAnswer;
    try {
      a = await getJson(cursor ? `${endpoint}?cursor=${encodeURIComponent(cursor)}` : endpoint, headers, ctx);
    } catch (err) {
      return { configured: true, ok: false, endpoint, status: null, error: networkError(err) };
    }
    if (a.status !== 200) return { configured: true, ok: false, endpoint, status: a.status, error: sentryProblem(a) };
    const parsed = z.array(sentryRuleSchema).safeParse(a.json);
    if (!parsed.success) return { configured: true, ok: false, endpoint, status: a.status, error: `the answer is not a list of issue alert rules (${parsed.error.issues[0]?.path.join(".") || "body"}: ${parsed.error.issues[0]?.message ?? "invalid"})` };
    for (const r of parsed.data) {
      rules.push({
        id: r.id,
        name: r.name,
        status: r.status ?? "active",
        actionMatch: r.actionMatch,
        conditions: r.conditions.map((c) => c.id),
        filters: (r.filters ?? []).map((f) => ({ id: f.id, ...(f.match !== undefined ? { match: f.match } : {}), ...(f.level !== undefined ? { level: String(f.level) } : {}) })),
        actions: r.actions.length,
        environment: r.environment ?? null,
      });
    }
    cursor = sentryNextCursor(a.headers.get("link"));
    if (!cursor) break;
  }
  return { configured: true, ok: true, endpoint, rules };
}

/** How long the test event is looked for: Sentry answers 404 until it has ingested it. */
export const READ_BACK = { timeoutMs: 8_000, intervalMs: 500 };

/**
 * `sentryEventReadBack`: the event sentryTestEvent sent, read back with
 * GET /api/0/projects/{org}/{project}/events/{event_id}/, polled while Sentry
 * answers 404 (not ingested yet) for up to READ_BACK.timeoutMs.
 */
export async function gatherSentryEventReadBack(ctx: Pick<FactContext, "env" | "signal">, sent: SentryTestEvent, timing = READ_BACK): Promise<SentryEventReadBackFact> {
  if (!sent.sent) return { checked: false, reason: sent.reason };
  if (!sent.accepted) return { checked: false, reason: "Sentry did not accept the test event (see monitoring.sentry-test-event)" };
  const missing = missingVars(ctx.env, SENTRY_API_VARS);
  if (missing.length) return { checked: true, configured: false, missing, eventId: sent.eventId };
  const endpoint = `${sentryApiBase(ctx.env)}/api/0/projects/${encodeURIComponent(ctx.env.SENTRY_ORG!.trim())}/${encodeURIComponent(ctx.env.SENTRY_PROJECT!.trim())}/events/${sent.eventId}/`;
  const headers = { authorization: `Bearer ${ctx.env.SENTRY_AUTH_TOKEN!.trim()}` };
  const start = Date.now();
  let attempts = 0;
  for (;;) {
    attempts++;
    let a: JsonAnswer;
    try {
      a = await getJson(endpoint, headers, ctx);
    } catch (err) {
      return { checked: true, configured: true, eventId: sent.eventId, endpoint, found: false, attempts, waitedMs: Date.now() - start, status: null, error: networkError(err) };
    }
    const waitedMs = Date.now() - start;
    if (a.status === 200) {
      const body = z.object({ eventID: z.string(), groupID: z.string().nullable().optional() }).safeParse(a.json);
      if (body.success && body.data.eventID.replace(/-/g, "") === sent.eventId) return { checked: true, configured: true, eventId: sent.eventId, endpoint, found: true, attempts, waitedMs, groupId: body.data.groupID ?? null };
      return { checked: true, configured: true, eventId: sent.eventId, endpoint, found: false, attempts, waitedMs, status: a.status, error: body.success ? `the answer is event ${body.data.eventID}, not ${sent.eventId}` : "the answer is not an event" };
    }
    if (a.status !== 404 || waitedMs + timing.intervalMs > timing.timeoutMs) {
      return { checked: true, configured: true, eventId: sent.eventId, endpoint, found: false, attempts, waitedMs, status: a.status, error: sentryProblem(a) };
    }
    await new Promise((r) => setTimeout(r, timing.intervalMs));
  }
}

/** `datadogMonitors`: for each monitor the config expects, GET /api/v1/monitor filtered by its name or tag (every page). */
export async function gatherDatadogMonitors(ctx: Pick<FactContext, "env" | "signal" | "config">): Promise<DatadogMonitorsFact> {
  const missing = missingVars(ctx.env, DATADOG_MONITOR_VARS);
  if (missing.length) return { configured: false, missing };
  const endpoint = `${datadogApiBase(ctx.env)}/api/v1/monitor`;
  const headers = { "dd-api-key": ctx.env.DATADOG_API_KEY!.trim(), "dd-application-key": ctx.env.DATADOG_APP_KEY!.trim() };
  const PAGE_SIZE = 100;
  const lookups: DatadogMonitorLookup[] = [];
  for (const expectation of ctx.config.monitoring.datadog.monitors.map(datadogMonitorExpectation)) {
    const monitors: DatadogMonitorSummary[] = [];
    let failure: MonitoringApiFailure | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const q = new URLSearchParams({ page: String(page), page_size: String(PAGE_SIZE) });
      if (expectation.name !== undefined) q.set("name", expectation.name);
      if (expectation.tag !== undefined) q.set("monitor_tags", expectation.tag);
      let a: JsonAnswer;
      try {
        a = await getJson(`${endpoint}?${q}`, headers, ctx);
      } catch (err) {
        failure = { ok: false, endpoint, status: null, error: networkError(err) };
        break;
      }
      if (a.status !== 200) {
        failure = { ok: false, endpoint, status: a.status, error: datadogProblem(a) };
        break;
      }
      const parsed = z.array(datadogMonitorSchema).safeParse(a.json);
      if (!parsed.success) {
        failure = { ok: false, endpoint, status: a.status, error: `the answer is not a list of monitors (${parsed.error.issues[0]?.path.join(".") || "body"}: ${parsed.error.issues[0]?.message ?? "invalid"})` };
        break;
      }
      monitors.push(...parsed.data.map((m) => ({ id: m.id, name: m.name, type: m.type, overallState: m.overall_state ?? null, tags: m.tags ?? [] })));
      if (parsed.data.length < PAGE_SIZE) break;
    }
    lookups.push(failure ? { expectation, ...failure } : { expectation, ok: true, endpoint, monitors });
  }
  return { configured: true, lookups };
}

export const sentryAlertRulesFact = defineFact({ name: "sentryAlertRules", gather: gatherSentryAlertRules });
export const sentryEventReadBackFact = defineFact({
  name: "sentryEventReadBack",
  needs: ["sentryTestEvent"],
  gather: async (ctx, deps) => gatherSentryEventReadBack(ctx, await deps.sentryTestEvent()),
});
export const datadogMonitorsFact = defineFact({ name: "datadogMonitors", gather: gatherDatadogMonitors });
