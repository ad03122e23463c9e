import type { VercelDeployment } from "../../providers/vercel/client.js";
import { defineFact } from "./define.js";

/**
 * `vercelDeployments`: what serves production on Vercel and the production
 * deployments before it, or null when Vercel is not configured
 * (VERCEL_TOKEN and VERCEL_PROJECT_ID; VERCEL_TEAM_ID for team projects,
 * VERCEL_API_BASE for another API such as the sandbox's).
 */
export interface VercelDeploymentsFact {
  projectId: string;
  /** The deployment production traffic goes to (after a rollback: the one rolled back to), or null. */
  current: VercelDeployment | null;
  /** The newest production deployments, any state, newest first. */
  production: VercelDeployment[];
}

/** How many production deployments are read to look for a rollback target. */
export const PRODUCTION_HISTORY = 20;

export const vercelDeploymentsFact = defineFact({
  name: "vercelDeployments",
  needs: ["vercelClient"],
  async gather(_ctx, deps): Promise<VercelDeploymentsFact | null> {
    const vercel = await deps.vercelClient();
    if (!vercel) return null;
    const { client, projectId } = vercel;
    const [current, production] = await Promise.all([
      client.currentProduction(projectId),
      client.listDeployments({ projectId, target: "production", limit: PRODUCTION_HISTORY }),
    ]);
    return { projectId, current, production: [...production].sort((a, b) => b.createdAt - a.createdAt) };
  },
});

/** Logs are read since the production deployment went live, but never further back than this. */
export const LOG_WINDOW_MS = 24 * 3_600_000;
/** Most lines read from each of Vercel's two log sources. */
export const LOG_LINE_LIMIT = 1000;
/** How long Vercel's runtime log stream is read at most (it stays open for live lines). */
export const RUNTIME_LOG_READ_MS = 8_000;

/** One line of the production deployment's logs, from either source, its text already redacted. */
export interface DeploymentLogLine {
  source: "events" | "runtime";
  /** Milliseconds since the epoch. */
  at: number;
  /** Events: stdout, stderr, fatal, command, …; runtime: Vercel's source (serverless, edge-function, request, …). */
  type: string;
  /** error, warning, info, … or null when Vercel gives none. */
  level: string | null;
  text: string;
  requestMethod: string | null;
  requestPath: string | null;
  statusCode: number | null;
}

/** Why a log source could not be read: Vercel's status and message, and what to do. */
export interface LogSourceUnavailable {
  source: "events" | "runtime";
  status: number | null;
  message: string;
  hint: string | null;
}

export type DeploymentLogsFact =
  | { read: false; reason: "noDeployment" }
  | {
      read: true;
      deployment: { uid: string; url: string | null };
      /** The window's start (ms): when the deployment went live, or the cap. */
      since: number;
      /** "ready": the deployment's ready time; "cap": it went live longer ago than LOG_WINDOW_MS; "created": Vercel gave no ready time. */
      sinceFrom: "ready" | "cap" | "created";
      until: number;
      lines: DeploymentLogLine[];
      /** Per source: whether a limit stopped the reading with more lines left. */
      truncated: { events: boolean; runtime: boolean };
      /** Sources that could not be read (403 for the plan or the token's scope, …). */
      unavailable: LogSourceUnavailable[];
      /** The webhook routes a 5xx on fails the check: the paths of CALENDLY_WEBHOOK_URL / STRIPE_WEBHOOK_URL, else /api/webhooks/. */
      webhookPaths: string[];
    };

/** The paths of the configured webhook URLs; `/api/webhooks/` (the routes' prefix) when none parses. */
export function webhookPathsOf(env: Readonly<Record<string, string | undefined>>): string[] {
  const paths = new Set<string>();
  for (const name of ["CALENDLY_WEBHOOK_URL", "STRIPE_WEBHOOK_URL"]) {
    const value = env[name]?.trim();
    if (!value) continue;
    try {
      paths.add(new URL(value).pathname);
    } catch {
      // not a URL: env.urls-well-formed reports it
    }
  }
  return paths.size ? [...paths] : ["/api/webhooks/"];
}

/**
 * `deploymentLogs`: the production deployment's events and runtime logs on
 * Vercel since it went live (at most LOG_WINDOW_MS back, LOG_LINE_LIMIT lines
 * a source), each line's text passed through the run's redactor; null when
 * Vercel is not configured.
 */
export const deploymentLogsFact = defineFact({
  name: "deploymentLogs",
  needs: ["vercelClient", "vercelDeployments"],
  async gather(ctx, deps): Promise<DeploymentLogsFact | null> {
    const vercel = await deps.vercelClient();
    const deployments = await deps.vercelDeployments();
    if (!vercel || !deployments) return null;
    const current = deployments.current;
    if (!current) return { read: false, reason: "noDeployment" };
    const { Redactor, redactText } = await import("../../config/redact.js");
    const redactor = new Redactor({ ...ctx.env });
    const clean = (text: string) => redactText(redactor.redact(text));

    const until = Date.now();
    const wentLive = current.readyAt ?? null;
    const start = wentLive ?? current.createdAt;
    const capped = until - start > LOG_WINDOW_MS;
    const since = capped ? until - LOG_WINDOW_MS : start;
    const sinceFrom = capped ? "cap" : wentLive !== null ? "ready" : "created";

    const unavailable: LogSourceUnavailable[] = [];
    const why = (source: LogSourceUnavailable["source"], err: unknown): LogSourceUnavailable => {
      const e = err as { status?: number; message?: string; hint?: string };
      return { source, status: typeof e.status === "number" ? e.status : null, message: clean(e.message ?? String(err)), hint: e.hint ?? null };
    };
    const [events, runtime] = await Promise.all([
      vercel.client.deploymentEvents(current.uid, { since, until, limit: LOG_LINE_LIMIT + 1 }).catch((err: unknown) => {
        unavailable.push(why("events", err));
        return [];
      }),
      vercel.client.runtimeLogs(vercel.projectId, current.uid, { since, limit: LOG_LINE_LIMIT, maxReadMs: RUNTIME_LOG_READ_MS }).catch((err: unknown) => {
        unavailable.push(why("runtime", err));
        return { lines: [], truncated: false };
      }),
    ]);
    const lines: DeploymentLogLine[] = [
      ...events.slice(0, LOG_LINE_LIMIT).map((e) => ({
        source: "events" as const,
        at: e.date,
        type: e.type,
        level: e.level,
        text: clean(e.text ?? ""),
        requestMethod: null,
        requestPath: e.requestPath,
        statusCode: e.statusCode,
      })),
      ...runtime.lines.map((l) => ({
        source: "runtime" as const,
        at: l.timestampInMs,
        type: l.source,
        level: l.level,
        text: clean(l.messageTruncated ? `${l.message} …(truncated by Vercel)` : l.message),
        requestMethod: l.requestMethod || null,
        requestPath: l.requestPath || null,
        statusCode: l.responseStatusCode || null,
      })),
    ].sort((a, b) => a.at - b.at);
    return {
      read: true,
      deployment: { uid: current.uid, url: current.url },
      since,
      sinceFrom,
      until,
      lines,
      truncated: { events: events.length > LOG_LINE_LIMIT, runtime: runtime.truncated },
      unavailable: unavailable.sort((a, b) => a.source.localeCompare(b.source)),
      webhookPaths: webhookPathsOf(ctx.env),
    };
  },
});
