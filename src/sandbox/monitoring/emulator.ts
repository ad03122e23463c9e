import { randomBytes } from "node:crypto";
import { startEmulator, type EmulatorRequest, type EmulatorResponse, type Faults, type RunningEmulator } from "../emulator-server.js";

/**
 * Sentry and Datadog, as far as the monitoring checks read them:
 *
 * - Sentry's envelope endpoint (`POST /api/{project id}/envelope/`, the DSN's
 *   public key in `X-Sentry-Auth`); an event it accepts becomes readable
 *   through the API after `ingestDelayMs`, as Sentry answers 404 until it has
 *   processed an event.
 * - Sentry's API with a bearer token (`Authorization: Bearer`): the project's
 *   issue alert rules (`GET /api/0/projects/{org}/{project}/rules/`, Link
 *   header cursor pagination) and one event
 *   (`GET /api/0/projects/{org}/{project}/events/{event id}/`). No token or
 *   an unknown one: 401; a token without a scope the route accepts: 403; an
 *   organization or project the token's org does not have: 404. Bodies are
 *   Sentry's `{ detail }`.
 * - Datadog's key validation (`GET /api/v1/validate`) and monitors
 *   (`GET /api/v1/monitor` with `DD-API-KEY` and `DD-APPLICATION-KEY`; the
 *   `name`, `monitor_tags`, `tags`, `page` and `page_size` filters). A wrong
 *   key, a missing application key or one without `monitors_read`: 403
 *   `{ errors: ["Forbidden"] }`.
 *
 * Control routes (no auth): `GET /_control/sentry/rules`,
 * `DELETE /_control/sentry/rules[/:id]`, `GET /_control/sentry/events`,
 * `GET /_control/datadog/monitors`, `DELETE /_control/datadog/monitors[/:id]`
 * (the dashboard deleting them), and the same as methods.
 */

/** Sentry's issue alert rule, as `GET /api/0/projects/{org}/{project}/rules/` documents it. */
export interface SentryRule {
  id: string;
  conditions: ({ id: string } & Record<string, unknown>)[];
  filters: ({ id: string } & Record<string, unknown>)[];
  actions: ({ id: string } & Record<string, unknown>)[];
  actionMatch: "all" | "any" | "none";
  filterMatch: "all" | "any" | "none";
  frequency: number;
  name: string;
  dateCreated: string;
  owner: string | null;
  createdBy: { id: number; name: string; email: string } | null;
  environment: string | null;
  projects: string[];
  status: "active" | "disabled";
  snooze: boolean;
}

/** Datadog's Monitor, as `GET /api/v1/monitor` documents it (the fields the emulator keeps). */
export interface DatadogMonitor {
  id: number;
  name: string;
  type: string;
  query: string;
  message: string;
  tags: string[];
  options: Record<string, unknown>;
  overall_state: "Alert" | "Ignored" | "No Data" | "OK" | "Skipped" | "Unknown" | "Warn";
  created: string;
  modified: string;
  creator: { email: string; handle: string; name: string };
  deleted: string | null;
  multi: boolean;
  priority: number | null;
  restricted_roles: string[] | null;
}

/** An event taken in through the envelope endpoint. */
export interface IngestedEvent {
  projectId: string;
  eventId: string;
  receivedAt: number;
  /** When the API starts answering it (receivedAt + ingestDelayMs). */
  readableAt: number;
  payload: Record<string, unknown>;
}

export interface MonitoringEmulatorOptions {
  sentryKey: string;
  sentryProjectId?: string;
  datadogApiKey: string;
  /** Sentry's API: the token it accepts and that token's scopes (default project:read). */
  sentryAuthToken?: string;
  sentryTokenScopes?: readonly string[];
  /** The organization and project slugs the API knows (default "bookflow" / "bookflow-app"). */
  sentryOrg?: string;
  sentryProjectSlug?: string;
  /** Issue alert rules on the project (default: none). */
  sentryRules?: SentryRule[];
  /** Milliseconds between an envelope accepted and its event readable through the API (default 300). */
  ingestDelayMs?: number;
  /** Datadog's application key and its scopes (default monitors_read). */
  datadogAppKey?: string;
  datadogAppKeyScopes?: readonly string[];
  /** Monitors in the Datadog organization (default: none). */
  datadogMonitors?: DatadogMonitor[];
  faults?: Faults;
}

export interface MonitoringEmulator extends RunningEmulator {
  sentryDsn: string;
  sentryOrg: string;
  sentryProjectSlug: string;
  /** Envelopes received: (project id, first header line). */
  envelopes(): { projectId: string; header: string; at: number }[];
  /** Events taken in, oldest first. */
  events(): IngestedEvent[];
  sentryRules(): SentryRule[];
  setSentryRules(rules: SentryRule[]): void;
  /** Deletes one rule (true) or says it was not there (false); without an id, every rule. */
  deleteSentryRules(id?: string): boolean;
  datadogMonitors(): DatadogMonitor[];
  setDatadogMonitors(monitors: DatadogMonitor[]): void;
  /** Deletes one monitor (true) or says it was not there (false); without an id, every monitor. */
  deleteDatadogMonitors(id?: number): boolean;
}

/** Scopes Sentry documents for each API route the emulator serves. */
const RULES_SCOPES = ["alerts:read", "alerts:write", "project:admin", "project:read", "project:write"];
const EVENT_SCOPES = ["project:read", "project:write", "project:admin", "event:read", "event:write", "event:admin"];

const FIRST_SEEN = "sentry.rules.conditions.first_seen_event.FirstSeenEventCondition";
const NEW_HIGH_PRIORITY = "sentry.rules.conditions.high_priority_issue.NewHighPriorityIssueCondition";
const EXISTING_HIGH_PRIORITY = "sentry.rules.conditions.high_priority_issue.ExistingHighPriorityIssueCondition";

function rule(id: string, name: string, conditions: SentryRule["conditions"], project: string): SentryRule {
  return {
    id,
    conditions,
    filters: [],
    actions: [{ id: "sentry.mail.actions.NotifyEmailAction", targetType: "IssueOwners", fallthroughType: "ActiveMembers", targetIdentifier: "" }],
    actionMatch: "any",
    filterMatch: "all",
    frequency: 30,
    name,
    dateCreated: "2026-11-02T09:00:00.000000Z",
    owner: null,
    createdBy: { id: 1, name: "Sandbox Operator", email: "ops@bookflow.test" },
    environment: null,
    projects: [project],
    status: "active",
    snooze: false,
  };
}

/** The rules a healthy project has: an alert on new issues and one on high-priority issues. */
export function healthySentryRules(projectSlug = "bookflow-app"): SentryRule[] {
  return [
    rule("101", "New issue in bookflow", [{ id: FIRST_SEEN }], projectSlug),
    rule("102", "High-priority issue in bookflow", [{ id: NEW_HIGH_PRIORITY }, { id: EXISTING_HIGH_PRIORITY }], projectSlug),
  ];
}

function monitor(id: number, name: string, type: string, query: string, tags: string[]): DatadogMonitor {
  return {
    id,
    name,
    type,
    query,
    message: "Notify @ops-bookflow",
    tags,
    options: { notify_no_data: false, thresholds: { critical: 1 } },
    overall_state: "OK",
    created: "2026-11-02T09:00:00.000000+00:00",
    modified: "2026-11-02T09:00:00.000000+00:00",
    creator: { email: "ops@bookflow.test", handle: "ops@bookflow.test", name: "Sandbox Operator" },
    deleted: null,
    multi: false,
    priority: 2,
    restricted_roles: null,
  };
}

/** The monitors a healthy organization has, tagged as bookflow's default config expects. */
export function healthyDatadogMonitors(): DatadogMonitor[] {
  return [
    monitor(2001, "Webhook processing time p95 above 5 s", "query alert", "percentile(last_5m):p95:trace.http.request.duration{service:bookflow,resource_name:post_/api/webhooks/*} > 5", ["bookflow:webhook-processing-time", "service:bookflow"]),
    monitor(2002, "Booking emails failing", "log alert", 'logs("service:bookflow status:error @email.kind:*").index("*").rollup("count").last("10m") > 3', ["bookflow:email-failures", "service:bookflow"]),
  ];
}

const sentryDetail = (status: number, detail: string): EmulatorResponse => ({ status, body: { detail } });
const FORBIDDEN_DD: EmulatorResponse = { status: 403, body: { errors: ["Forbidden"] } };

export async function startMonitoringEmulator(options: MonitoringEmulatorOptions): Promise<MonitoringEmulator> {
  const projectId = options.sentryProjectId ?? "1";
  const org = options.sentryOrg ?? "bookflow";
  const projectSlug = options.sentryProjectSlug ?? "bookflow-app";
  const tokenScopes = options.sentryTokenScopes ?? ["project:read"];
  const appKeyScopes = options.datadogAppKeyScopes ?? ["monitors_read"];
  const ingestDelayMs = options.ingestDelayMs ?? 300;
  const received: { projectId: string; header: string; at: number }[] = [];
  const events: IngestedEvent[] = [];
  let rules: SentryRule[] = structuredClone(options.sentryRules ?? []);
  let monitors: DatadogMonitor[] = structuredClone(options.datadogMonitors ?? []);
  const sentryKeyOf = (auth: string | undefined, query: URLSearchParams) => /sentry_key=([^,\s]+)/.exec(auth ?? "")?.[1] ?? query.get("sentry_key") ?? undefined;

  /** Sentry's bearer auth and the project lookup; undefined when the request may go on. */
  const sentryApiRefusal = (req: EmulatorRequest, scopes: readonly string[]): EmulatorResponse | undefined => {
    const auth = String(req.headers.authorization ?? "");
    if (!auth) return sentryDetail(401, "Authentication credentials were not provided.");
    const token = /^Bearer\s+(\S+)$/i.exec(auth)?.[1];
    if (!options.sentryAuthToken || token !== options.sentryAuthToken) return sentryDetail(401, "Invalid token");
    if (!tokenScopes.some((s) => scopes.includes(s))) return sentryDetail(403, "You do not have permission to perform this action.");
    const projectMatches = req.params.project === projectSlug || req.params.project === projectId;
    if (req.params.org !== org || !projectMatches) return sentryDetail(404, "The requested resource does not exist");
    return undefined;
  };

  const ingest = (raw: string, now: number) => {
    const lines = raw.split("\n");
    // Envelope: a header line, then (item header, payload) pairs.
    for (let i = 1; i + 1 < lines.length; i += 2) {
      let item: { type?: unknown };
      let payload: Record<string, unknown>;
      try {
        item = JSON.parse(lines[i]!) as { type?: unknown };
        payload = JSON.parse(lines[i + 1]!) as Record<string, unknown>;
      } catch {
        return;
      }
      if (item.type !== "event" || typeof payload.event_id !== "string") continue;
      events.push({ projectId, eventId: payload.event_id.replace(/-/g, ""), receivedAt: now, readableAt: now + ingestDelayMs, payload });
    }
  };

  const eventBody = (e: IngestedEvent) => {
    const message = e.payload.message as { formatted?: unknown } | string | undefined;
    const text = typeof message === "string" ? message : typeof message?.formatted === "string" ? message.formatted : "";
    const tags = Object.entries((e.payload.tags as Record<string, unknown> | undefined) ?? {}).map(([key, value]) => ({ key, value: String(value), _meta: null }));
    const level = typeof e.payload.level === "string" ? e.payload.level : "error";
    const timestamp = typeof e.payload.timestamp === "number" ? e.payload.timestamp * 1000 : e.receivedAt;
    return {
      eventID: e.eventId,
      id: e.eventId,
      groupID: String(4000 + events.indexOf(e)),
      projectID: projectId,
      title: text || "<unlabeled event>",
      message: text,
      platform: typeof e.payload.platform === "string" ? e.payload.platform : "other",
      type: "default",
      dateCreated: new Date(timestamp).toISOString(),
      dateReceived: new Date(e.receivedAt).toISOString(),
      tags: [{ key: "level", value: level, _meta: null }, ...tags],
      entries: text ? [{ type: "message", data: { formatted: text } }] : [],
      errors: [],
      contexts: {},
      context: {},
      user: null,
      sdk: null,
      dist: null,
      size: JSON.stringify(e.payload).length,
      metadata: { title: text },
      culprit: "",
      fingerprints: [],
      location: null,
      packages: {},
      crashFile: null,
      userReport: null,
      previousEventID: null,
      nextEventID: null,
    };
  };

  const matchesFilters = (m: DatadogMonitor, q: URLSearchParams): boolean => {
    const name = q.get("name");
    if (name && !m.name.toLowerCase().includes(name.toLowerCase())) return false;
    const monitorTags = (q.get("monitor_tags") ?? "").split(",").map((t) => t.trim()).filter(Boolean);
    if (!monitorTags.every((t) => m.tags.includes(t))) return false;
    const scope = (q.get("tags") ?? "").split(",").map((t) => t.trim()).filter(Boolean);
    return scope.every((t) => m.query.includes(t));
  };

  const emulator = await startEmulator({
    name: "monitoring",
    faults: options.faults,
    faultAnswer: (fault) =>
      fault.kind === "rate_limited"
        ? { status: 429, body: { detail: "You are attempting to use this endpoint too frequently. Limit is 40 requests in 1 seconds" }, headers: { "retry-after": String(fault.retryAfterSeconds) } }
        : { status: fault.status, body: { detail: "Internal Error" } },
    routes: [
      {
        method: "POST",
        path: "/api/:project/envelope/",
        handler: (req) => {
          if (sentryKeyOf(req.headers["x-sentry-auth"] as string | undefined, req.query) !== options.sentryKey) {
            return { status: 401, body: { detail: "Invalid api key" } };
          }
          if (req.params.project !== projectId) return { status: 404, body: { detail: "Unknown project" } };
          const raw = req.rawBody.toString("utf8");
          const header = raw.split("\n")[0] ?? "";
          const now = Date.now();
          received.push({ projectId: req.params.project!, header, at: now });
          ingest(raw, now);
          return { status: 200, body: { id: randomBytes(16).toString("hex") } };
        },
      },
      {
        method: "GET",
        path: "/api/0/projects/:org/:project/rules/",
        handler: (req) => {
          const refused = sentryApiRefusal(req, RULES_SCOPES);
          if (refused) return refused;
          const perPage = Math.min(100, Math.max(1, Number(req.query.get("per_page") ?? 100) || 100));
          const offset = Number(/^\d+:(\d+):0$/.exec(req.query.get("cursor") ?? "")?.[1] ?? 0);
          const page = rules.slice(offset, offset + perPage);
          const self = `${emulator.url}${req.path}`;
          const more = offset + perPage < rules.length;
          const link = [
            `<${self}?&cursor=0:${Math.max(0, offset - perPage)}:1>; rel="previous"; results="${offset > 0}"; cursor="0:${Math.max(0, offset - perPage)}:1"`,
            `<${self}?&cursor=0:${offset + perPage}:0>; rel="next"; results="${more}"; cursor="0:${offset + perPage}:0"`,
          ].join(", ");
          return { status: 200, body: page, headers: { link } };
        },
      },
      {
        method: "GET",
        path: "/api/0/projects/:org/:project/events/:eventId/",
        handler: (req) => {
          const refused = sentryApiRefusal(req, EVENT_SCOPES);
          if (refused) return refused;
          const wanted = req.params.eventId!.replace(/-/g, "").toLowerCase();
          const e = events.find((x) => x.eventId === wanted && x.readableAt <= Date.now());
          return e ? { status: 200, body: eventBody(e) } : sentryDetail(404, "Event not found");
        },
      },
      {
        method: "GET",
        path: "/api/v1/validate",
        handler: (req) =>
          req.headers["dd-api-key"] === options.datadogApiKey ? { status: 200, body: { valid: true } } : { status: 403, body: { errors: ["Forbidden"] } },
      },
      {
        method: "GET",
        path: "/api/v1/monitor",
        handler: (req) => {
          if (req.headers["dd-api-key"] !== options.datadogApiKey) return FORBIDDEN_DD;
          if (!options.datadogAppKey || req.headers["dd-application-key"] !== options.datadogAppKey || !appKeyScopes.includes("monitors_read")) return FORBIDDEN_DD;
          const pageSize = req.query.get("page_size");
          const page = req.query.get("page");
          if (pageSize !== null && !(/^\d+$/.test(pageSize) && Number(pageSize) <= 1000)) return { status: 400, body: { errors: ["page_size must be an integer between 0 and 1000"] } };
          if (page !== null && !/^\d+$/.test(page)) return { status: 400, body: { errors: ["page must be a non-negative integer"] } };
          const matching = monitors.filter((m) => matchesFilters(m, req.query)).sort((a, b) => a.id - b.id);
          if (page === null && pageSize === null) return { status: 200, body: matching };
          const size = pageSize === null ? 100 : Number(pageSize);
          const start = Number(page ?? 0) * size;
          return { status: 200, body: matching.slice(start, start + size) };
        },
      },
      { method: "GET", path: "/_control/sentry/rules", handler: () => ({ status: 200, body: { rules } }) },
      { method: "DELETE", path: "/_control/sentry/rules", handler: () => (deleteSentryRules(), { status: 200, body: { rules } }) },
      { method: "DELETE", path: "/_control/sentry/rules/:id", handler: (req) => (deleteSentryRules(req.params.id) ? { status: 200, body: { rules } } : { status: 404, body: { detail: `No rule ${req.params.id}` } }) },
      { method: "GET", path: "/_control/sentry/events", handler: () => ({ status: 200, body: { events } }) },
      { method: "GET", path: "/_control/datadog/monitors", handler: () => ({ status: 200, body: { monitors } }) },
      { method: "DELETE", path: "/_control/datadog/monitors", handler: () => (deleteDatadogMonitors(), { status: 200, body: { monitors } }) },
      {
        method: "DELETE",
        path: "/_control/datadog/monitors/:id",
        handler: (req) => (deleteDatadogMonitors(Number(req.params.id)) ? { status: 200, body: { monitors } } : { status: 404, body: { errors: [`No monitor ${req.params.id}`] } }),
      },
    ],
  });

  function deleteSentryRules(id?: string): boolean {
    const before = rules.length;
    rules = id === undefined ? [] : rules.filter((r) => r.id !== id);
    return id === undefined || rules.length < before;
  }
  function deleteDatadogMonitors(id?: number): boolean {
    const before = monitors.length;
    monitors = id === undefined ? [] : monitors.filter((m) => m.id !== id);
    return id === undefined || monitors.length < before;
  }

  return Object.assign(emulator, {
    sentryDsn: `http://${options.sentryKey}@127.0.0.1:${emulator.port}/${projectId}`,
    sentryOrg: org,
    sentryProjectSlug: projectSlug,
    envelopes: () => [...received],
    events: () => events.map((e) => ({ ...e })),
    sentryRules: () => structuredClone(rules),
    setSentryRules: (next: SentryRule[]) => void (rules = structuredClone(next)),
    deleteSentryRules,
    datadogMonitors: () => structuredClone(monitors),
    setDatadogMonitors: (next: DatadogMonitor[]) => void (monitors = structuredClone(next)),
    deleteDatadogMonitors,
  });
}
