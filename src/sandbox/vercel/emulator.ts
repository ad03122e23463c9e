/**
 * The Vercel REST API emulator: one project with its deployments and env vars,
 * the endpoints bookflow uses at the versions Vercel's SDK calls
 * (`GET /v7/deployments`, `GET /v9/projects/{idOrName}`, rollback, promote,
 * `GET /v10/projects/{idOrName}/env`), Vercel's response and error shapes
 * (`{ error: { code, message } }`; a missing or wrong token is 403
 * `forbidden` with `missingToken` / `invalidToken`, injected faults too), and
 * which deployment is serving production, updated by rollback and promote.
 * Each deployment has its events (`GET /v3/deployments/{idOrUrl}/events`:
 * its build, then whatever is appended) and runtime logs
 * (`GET /v1/projects/{projectId}/deployments/{deploymentId}/runtime-logs`,
 * JSON lines as Vercel streams them).
 *
 * Control (for tests and `bookflow sandbox`): setDeployments, setEnv, state(),
 * rateLimitNext (Vercel-shaped 429s), overrideNext (any canned answer),
 * appendRuntimeLog / appendEvent / clearLogs, createPreview (a git push's
 * preview deployment: READY, a build still running that finishes later, or
 * one that failed; optionally a bad build whose runtime logs get an error
 * once it serves production), and HTTP routes under /_control.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { startEmulator, type EmulatorRequest, type EmulatorResponse, type Faults, type Route, type RunningEmulator } from "../emulator-server.js";

/** Vercel's deployment states (its SDK's GetDeploymentsState), but DELETED: a deleted deployment is not listed. */
export type EmulatedDeploymentState = "BLOCKED" | "BUILDING" | "ERROR" | "INITIALIZING" | "QUEUED" | "READY" | "CANCELED";

export interface EmulatedDeployment {
  uid: string;
  state: EmulatedDeploymentState;
  /** "production", or null for a preview. */
  target: string | null;
  /** Milliseconds since the epoch. */
  createdAt: number;
  commitSha?: string | undefined;
  commitRef?: string | undefined;
  commitMessage?: string | undefined;
  /** Host name; default `<project>-<id>.vercel.app`. */
  url?: string | undefined;
  /** For a BLOCKED deployment, Vercel's `seatBlock.blockCode` (default COMMIT_AUTHOR_REQUIRED). */
  blockCode?: "COMMIT_AUTHOR_REQUIRED" | "TEAM_ACCESS_REQUIRED" | undefined;
  /** When it became READY (ms since the epoch); default a minute after createdAt (its build). */
  readyAt?: number | undefined;
  /**
   * A bad build: once it serves production (a promote or a rollback to it), its
   * runtime logs receive this line at level error, as a function that throws on
   * production traffic (a production-only variable missing, a query the
   * preview's data never reached) logs it. `deployment.logs-clean` then fails.
   */
  productionError?: string | undefined;
}

/** The body of POST /_control/deployments/preview: a git push's preview build, as Vercel makes it. */
export const previewDeploymentInputSchema = z.strictObject({
  commitSha: z.string().regex(/^[0-9a-f]{40}$/, { message: "must be a full 40-hex-digit commit sha" }),
  commitRef: z.string().min(1).optional(),
  commitMessage: z.string().optional(),
  /** READY (default), a build that is still running (BUILDING, QUEUED, INITIALIZING), or one that failed (ERROR, CANCELED). */
  state: z.enum(["READY", "BUILDING", "QUEUED", "INITIALIZING", "ERROR", "CANCELED"]).optional(),
  /** With a running state: the build finishes (READY) after this many ms. */
  readyAfterMs: z.number().int().positive().max(600_000).optional(),
  /** Host name; default the sandbox's app (every preview is served by the one reference app), else `<project>-<id>.vercel.app`. */
  url: z.string().min(1).optional(),
  productionError: z.string().min(1).max(2000).optional(),
});
export type PreviewDeploymentInput = z.infer<typeof previewDeploymentInputSchema>;

export interface EmulatedEnvVar {
  key: string;
  type: "plain" | "encrypted" | "sensitive" | "secret" | "system";
  target: string[];
  /** Served only for plain vars (the other types get an opaque blob, never the value). */
  value?: string | undefined;
  id?: string | undefined;
  gitBranch?: string | undefined;
}

/** A runtime log line to append; the rest of Vercel's line is filled in. */
export interface RuntimeLogInput {
  /** Default the deployment serving production. */
  deploymentId?: string | undefined;
  level?: "debug" | "error" | "fatal" | "info" | "trace" | "warning" | undefined;
  message?: string | undefined;
  /** "request" for a request's line (default when requestPath is given), else "serverless". */
  source?: "delimiter" | "edge-function" | "edge-middleware" | "request" | "serverless" | undefined;
  requestMethod?: string | undefined;
  requestPath?: string | undefined;
  responseStatusCode?: number | undefined;
  /** Default now. */
  timestampInMs?: number | undefined;
}

/** A deployment event to append (flat shape, as Vercel's build and runtime output). */
export interface DeploymentEventInput {
  deploymentId?: string | undefined;
  type?: "command" | "delimiter" | "deployment-state" | "exit" | "fatal" | "stderr" | "stdout" | undefined;
  text: string;
  level?: "error" | "warning" | undefined;
  date?: number | undefined;
}

/**
 * What Vercel would log for one entry of the app's own log (the sandbox serves
 * the app as the production deployment): a request's answer as a `request`
 * line, anything else as the function's output at its level.
 */
export function runtimeLogOfAppEntry(entry: { level: string; msg: string; [key: string]: unknown }): RuntimeLogInput {
  const level = entry.level === "error" ? "error" : entry.level === "warn" ? "warning" : "info";
  if (entry.msg === "request" && typeof entry.path === "string") {
    const method = typeof entry.method === "string" ? entry.method : "GET";
    const status = typeof entry.status === "number" ? entry.status : 200;
    return { source: "request", level, requestMethod: method, requestPath: entry.path, responseStatusCode: status, message: `${method} ${entry.path} ${status}` };
  }
  const error = typeof entry.error === "string" ? `: ${entry.error}` : "";
  return { source: "serverless", level, message: `${entry.msg}${error}` };
}

/** The bodies of POST /_control/runtime-logs and /_control/events. */
const runtimeLogInputSchema = z.strictObject({
  deploymentId: z.string().optional(),
  level: z.enum(["debug", "error", "fatal", "info", "trace", "warning"]).optional(),
  message: z.string().optional(),
  source: z.enum(["delimiter", "edge-function", "edge-middleware", "request", "serverless"]).optional(),
  requestMethod: z.string().optional(),
  requestPath: z.string().startsWith("/").optional(),
  responseStatusCode: z.number().int().min(100).max(599).optional(),
  timestampInMs: z.number().int().nonnegative().optional(),
});
const deploymentEventInputSchema = z.strictObject({
  deploymentId: z.string().optional(),
  type: z.enum(["command", "delimiter", "deployment-state", "exit", "fatal", "stderr", "stdout"]).optional(),
  text: z.string(),
  level: z.enum(["error", "warning"]).optional(),
  date: z.number().int().nonnegative().optional(),
});

/** Runtime log lines kept per deployment (the oldest are dropped beyond it, as Vercel retains a bounded log). */
export const RUNTIME_LOG_RETAINED = 10_000;

/** Vercel truncates long runtime log messages (and says so in `messageTruncated`). */
export const RUNTIME_LOG_MESSAGE_LIMIT = 4096;

export interface VercelEmulatorOptions {
  port?: number;
  token: string;
  /** When set, requests must carry this `teamId` (team-owned project). */
  teamId?: string;
  project: { id: string; name: string };
  /** Default: three READY production deployments an hour apart, the newest serving production. */
  deployments?: EmulatedDeployment[];
  /** Which deployment serves production; default the newest READY production one. */
  currentProductionId?: string;
  env?: EmulatedEnvVar[];
  /** "hobby" allows rollback only to the immediately previous production deployment (default "pro"). */
  plan?: "hobby" | "pro";
  faults?: Faults;
  random?: () => number;
}

export interface ProductionChange {
  kind: "rollback" | "promote";
  from: string | null;
  to: string;
  description?: string;
  at: number;
}

export interface VercelEmulatorState {
  project: { id: string; name: string };
  currentProductionId: string | null;
  deployments: EmulatedDeployment[];
  env: EmulatedEnvVar[];
  /** Rollbacks and promotions, oldest first. */
  changes: ProductionChange[];
  /** Set by a rollback, cleared by a promote (Vercel stops auto-assigning production domains until then). */
  rolledBack: boolean;
}

export interface RunningVercelEmulator extends RunningEmulator {
  setDeployments(deployments: EmulatedDeployment[], currentProductionId?: string): void;
  setEnv(env: EmulatedEnvVar[]): void;
  state(): VercelEmulatorState;
  /** The next `count` API requests get Vercel's 429 with Retry-After. */
  rateLimitNext(count: number, retryAfterSeconds?: number): void;
  /** The next `count` API requests get this answer instead (e.g. a wrong-shaped body). */
  overrideNext(response: EmulatorResponse, count?: number): void;
  /** Appends a runtime log line to a deployment (default: the one serving production); answers the line as served. */
  appendRuntimeLog(line: RuntimeLogInput): Record<string, unknown>;
  /** Appends an event to a deployment's events (default: the one serving production). */
  appendEvent(event: DeploymentEventInput): Record<string, unknown>;
  /** Forgets every appended runtime log line and event (tests that broke something start the next one clean). */
  clearLogs(): void;
  /** A git push's preview deployment (target null) for a commit; answers it as `GET /v7/deployments` lists it. */
  createPreview(input: PreviewDeploymentInput): Record<string, unknown>;
  /** The host previews are served from when their input names none (the sandbox's app). */
  servePreviewsAt(host: string): void;
}

const HOUR = 3_600_000;

/** Deterministic fake commit sha. */
export function fakeCommitSha(seed: string): string {
  return createHash("sha1").update(seed).digest("hex");
}

export function defaultDeployments(projectName: string, now = Date.now()): EmulatedDeployment[] {
  return [3, 2, 1].map((hoursAgo, i) => ({
    uid: `dpl_${fakeCommitSha(`${projectName}-${i + 1}`).slice(0, 24)}`,
    state: "READY" as const,
    target: "production",
    createdAt: now - hoursAgo * HOUR,
    commitSha: fakeCommitSha(`${projectName}-commit-${i + 1}`),
    commitRef: "main",
    commitMessage: `Release ${i + 1}`,
  }));
}

function vercelError(status: number, code: string, message: string, extra: Record<string, unknown> = {}): EmulatorResponse {
  return { status, body: { error: { code, message, ...extra } } };
}

export async function startVercelEmulator(options: VercelEmulatorOptions): Promise<RunningVercelEmulator> {
  const project = { ...options.project };
  const plan = options.plan ?? "pro";
  const projectCreatedAt = Date.now() - 30 * 24 * HOUR;
  let deployments: EmulatedDeployment[] = [];
  let currentProductionId: string | null = null;
  let env: EmulatedEnvVar[] = [];
  let changes: ProductionChange[] = [];
  let rolledBack = false;
  let pending429 = { count: 0, retryAfterSeconds: 1 };
  let overrides: { response: EmulatorResponse; count: number } = { response: { status: 200 }, count: 0 };
  /** Appended runtime log lines and events, by deployment uid. */
  const runtimeLogs = new Map<string, Record<string, unknown>[]>();
  const appendedEvents = new Map<string, Record<string, unknown>[]>();
  let serial = 0;
  let previewHost: string | null = null;

  const newestReadyProduction = () =>
    [...deployments].filter((d) => d.state === "READY" && d.target === "production").sort((a, b) => b.createdAt - a.createdAt)[0]?.uid ?? null;

  const setDeployments = (list: EmulatedDeployment[], current?: string) => {
    deployments = list.map((d) => ({ ...d }));
    currentProductionId = current ?? newestReadyProduction();
    changes = [];
    rolledBack = false;
  };
  const setEnv = (list: EmulatedEnvVar[]) => {
    env = list.map((e, i) => ({ ...e, target: [...e.target], id: e.id ?? `env_${fakeCommitSha(`${e.key}-${i}`).slice(0, 16)}` }));
  };
  setDeployments(options.deployments ?? defaultDeployments(project.name), options.currentProductionId);
  setEnv(options.env ?? []);

  const urlOf = (d: EmulatedDeployment) => d.url ?? `${project.name}-${d.uid.replace(/^dpl_/, "").slice(0, 9).toLowerCase()}.vercel.app`;
  const metaOf = (d: EmulatedDeployment) => ({
    ...(d.commitSha ? { githubCommitSha: d.commitSha, githubCommitOrg: "bookflow", githubCommitRepo: project.name } : {}),
    ...(d.commitRef ? { githubCommitRef: d.commitRef } : {}),
    ...(d.commitMessage ? { githubCommitMessage: d.commitMessage } : {}),
  });
  const deploymentJson = (d: EmulatedDeployment) => ({
    uid: d.uid,
    name: project.name,
    projectId: project.id,
    url: urlOf(d),
    created: d.createdAt,
    createdAt: d.createdAt,
    buildingAt: d.createdAt + 1000,
    ...(d.state === "READY" ? { ready: readyAt(d) } : {}),
    state: d.state,
    readyState: d.state,
    type: "LAMBDAS",
    target: d.target,
    source: "git",
    creator: { uid: "usr_sandbox", username: "sandbox" },
    inspectorUrl: `https://vercel.com/sandbox/${project.name}/${d.uid.replace(/^dpl_/, "")}`,
    meta: metaOf(d),
    ...(d.state === "BLOCKED" ? { seatBlock: { blockCode: d.blockCode ?? "COMMIT_AUTHOR_REQUIRED" } } : {}),
  });

  /** Team scoping: a team project is invisible without its teamId; another team's id is forbidden. */
  const scopeError = (req: EmulatorRequest): EmulatorResponse | undefined => {
    const teamId = req.query.get("teamId");
    if (teamId && teamId !== options.teamId) return vercelError(403, "forbidden", `Not authorized: Trying to access resource under scope "${teamId}". You must re-authenticate to this scope or use a token with access to this scope.`);
    return undefined;
  };
  const findProject = (req: EmulatorRequest, idOrName: string | undefined): EmulatorResponse | undefined => {
    const scoped = scopeError(req);
    if (scoped) return scoped;
    const visible = !options.teamId || req.query.get("teamId") === options.teamId;
    if (!visible || (idOrName !== project.id && idOrName !== project.name)) return vercelError(404, "not_found", "Project not found");
    return undefined;
  };
  const findDeployment = (id: string | undefined) => deployments.find((d) => d.uid === id || urlOf(d) === id);
  /** A READY deployment went live a minute after it was created (its build), unless it says when. */
  const readyAt = (d: EmulatedDeployment) => d.readyAt ?? d.createdAt + 60_000;
  /** A deployment starts serving production: a bad build's error shows in its runtime logs. */
  const nowServing = (d: EmulatedDeployment) => {
    if (d.productionError) appendRuntimeLog({ deploymentId: d.uid, level: "error", source: "serverless", message: d.productionError });
  };
  const createPreview = (input: PreviewDeploymentInput): Record<string, unknown> => {
    const now = Date.now();
    const state = input.state ?? "READY";
    const d: EmulatedDeployment = {
      uid: `dpl_${fakeCommitSha(`${project.name}-preview-${input.commitSha}-${now}-${++serial}`).slice(0, 24)}`,
      state,
      target: null,
      createdAt: now,
      commitSha: input.commitSha,
      commitRef: input.commitRef ?? "feature",
      ...(input.commitMessage !== undefined ? { commitMessage: input.commitMessage } : {}),
      ...(input.url ? { url: input.url } : previewHost ? { url: previewHost } : {}),
      ...(state === "READY" ? { readyAt: now } : {}),
      ...(input.productionError ? { productionError: input.productionError } : {}),
    };
    deployments.push(d);
    if (input.readyAfterMs && state !== "READY" && state !== "ERROR" && state !== "CANCELED") {
      setTimeout(() => {
        const live = deployments.find((x) => x.uid === d.uid);
        if (live && live.state === state) Object.assign(live, { state: "READY" as const, readyAt: Date.now() });
      }, input.readyAfterMs).unref();
    }
    return deploymentJson(d);
  };

  /** Its build, as Vercel records it (flat events), then the appended events; oldest first. */
  const eventsOf = (d: EmulatedDeployment): Record<string, unknown>[] => {
    const built = (offset: number, type: string, text: string, extra: Record<string, unknown> = {}) => ({
      created: d.createdAt + offset,
      date: d.createdAt + offset,
      deploymentId: d.uid,
      id: `${d.uid}-build-${offset}`,
      info: { type: "build", name: "bld_sandbox", entrypoint: "." },
      serial: `${d.createdAt + offset}-build`,
      text,
      type,
      ...extra,
    });
    const build = [
      built(1000, "stdout", "Running build in Washington, D.C., USA (East) – iad1"),
      built(2000, "command", "Running \"npm run build\""),
      built(50_000, "stdout", "Build Completed in /vercel/output [48s]"),
      ...(d.state === "READY" ? [built(60_000, "deployment-state", "", { info: { type: "deployment-state", name: "bld_sandbox", readyState: "READY" } })] : []),
      ...(d.state === "ERROR" ? [built(40_000, "stderr", "Error: Command \"npm run build\" exited with 1", { level: "error" })] : []),
    ];
    return [...build, ...(appendedEvents.get(d.uid) ?? [])];
  };

  const appendRuntimeLog = (input: RuntimeLogInput): Record<string, unknown> => {
    const d = findDeployment(input.deploymentId ?? currentProductionId ?? undefined);
    if (!d) throw new Error(`No deployment ${input.deploymentId ?? "serving production"}`);
    const source = input.source ?? (input.requestPath ? "request" : "serverless");
    const status = input.responseStatusCode ?? (source === "request" ? 200 : 0);
    const method = input.requestMethod ?? (input.requestPath ? "GET" : "");
    const full = input.message ?? (source === "request" ? `${method} ${input.requestPath ?? "/"} ${status}` : "");
    const line = {
      level: input.level ?? (status >= 500 ? "error" : status >= 400 ? "warning" : "info"),
      message: full.slice(0, RUNTIME_LOG_MESSAGE_LIMIT),
      rowId: `row_${(++serial).toString(36).padStart(6, "0")}`,
      source,
      timestampInMs: input.timestampInMs ?? Date.now(),
      domain: urlOf(d),
      messageTruncated: full.length > RUNTIME_LOG_MESSAGE_LIMIT,
      requestMethod: method,
      requestPath: input.requestPath ?? "",
      responseStatusCode: status,
    };
    const kept = runtimeLogs.get(d.uid) ?? [];
    kept.push(line);
    if (kept.length > RUNTIME_LOG_RETAINED) kept.splice(0, kept.length - RUNTIME_LOG_RETAINED);
    runtimeLogs.set(d.uid, kept);
    return line;
  };

  const appendEvent = (input: DeploymentEventInput): Record<string, unknown> => {
    const d = findDeployment(input.deploymentId ?? currentProductionId ?? undefined);
    if (!d) throw new Error(`No deployment ${input.deploymentId ?? "serving production"}`);
    const date = input.date ?? Date.now();
    const event = {
      created: date,
      date,
      deploymentId: d.uid,
      id: `${d.uid}-evt-${++serial}`,
      info: { type: "output", name: "bld_sandbox" },
      serial: `${date}-${serial}`,
      text: input.text,
      type: input.type ?? (input.level === "error" ? "stderr" : "stdout"),
      ...(input.level ? { level: input.level } : {}),
    };
    appendedEvents.set(d.uid, [...(appendedEvents.get(d.uid) ?? []), event]);
    return event;
  };

  const clearLogs = () => {
    runtimeLogs.clear();
    appendedEvents.clear();
  };

  const badQuery = (name: string, what: string) => vercelError(400, "bad_request", `Invalid query parameter \`${name}\`: ${what}`);
  const integerParam = (req: EmulatorRequest, name: string): number | undefined | "invalid" => {
    const raw = req.query.get(name);
    if (raw === null) return undefined;
    return /^-?\d+$/.test(raw) ? Number(raw) : "invalid";
  };

  /** Wraps API handlers with the injected 429s and canned answers. */
  const api = (handler: (req: EmulatorRequest) => EmulatorResponse): Route["handler"] => (req) => {
    if (pending429.count > 0) {
      pending429.count--;
      const reset = Math.ceil(Date.now() / 1000) + pending429.retryAfterSeconds;
      return {
        ...vercelError(429, "rate_limited", "Rate limit exceeded", { limit: { remaining: 0, reset, resetMs: reset * 1000, total: 100 } }),
        headers: {
          "retry-after": String(pending429.retryAfterSeconds),
          "x-ratelimit-limit": "100",
          "x-ratelimit-remaining": "0",
          "x-ratelimit-reset": String(reset),
        },
      };
    }
    if (overrides.count > 0) {
      overrides.count--;
      return overrides.response;
    }
    return handler(req);
  };

  const routes: Route[] = [
    {
      method: "GET",
      path: "/v7/deployments",
      handler: api((req) => {
        const scoped = scopeError(req);
        if (scoped) return scoped;
        const projectId = req.query.get("projectId");
        if (projectId) {
          const missing = findProject(req, projectId);
          if (missing) return missing;
        }
        const limitRaw = req.query.get("limit");
        const limit = limitRaw === null ? 20 : Number(limitRaw);
        if (!Number.isInteger(limit) || limit < 1 || limit > 100) return vercelError(400, "bad_request", "Invalid query parameter `limit`: must be an integer from 1 to 100");
        const target = req.query.get("target");
        const states = req.query.get("state")?.split(",").map((s) => s.trim().toUpperCase());
        const until = req.query.get("until");
        const since = req.query.get("since");
        const matching = deployments
          .filter((d) => !target || (target === "preview" ? d.target === null : d.target === target))
          .filter((d) => !states || states.includes(d.state))
          .filter((d) => until === null || d.createdAt < Number(until))
          .filter((d) => since === null || d.createdAt > Number(since))
          .sort((a, b) => b.createdAt - a.createdAt);
        const page = matching.slice(0, limit);
        const last = page[page.length - 1];
        return {
          status: 200,
          body: {
            deployments: page.map(deploymentJson),
            pagination: { count: page.length, next: matching.length > limit && last ? last.createdAt : null, prev: page[0]?.createdAt ?? null },
          },
        };
      }),
    },
    {
      method: "GET",
      path: "/v9/projects/:idOrName",
      handler: api((req) => {
        const missing = findProject(req, req.params.idOrName);
        if (missing) return missing;
        const current = currentProductionId ? findDeployment(currentProductionId) : undefined;
        const latest = [...deployments].sort((a, b) => b.createdAt - a.createdAt).slice(0, 3);
        const lastChange = changes[changes.length - 1];
        return {
          status: 200,
          body: {
            id: project.id,
            name: project.name,
            accountId: options.teamId ?? "usr_sandbox",
            framework: "nextjs",
            nodeVersion: "20.x",
            createdAt: projectCreatedAt,
            updatedAt: lastChange?.at ?? projectCreatedAt,
            latestDeployments: latest.map((d) => ({ id: d.uid, url: urlOf(d), readyState: d.state, createdAt: d.createdAt, target: d.target, meta: metaOf(d) })),
            targets: current
              ? {
                  production: {
                    id: current.uid,
                    name: project.name,
                    url: urlOf(current),
                    deploymentHostname: urlOf(current),
                    readyState: current.state,
                    createdAt: current.createdAt,
                    ...(current.state === "READY" ? { readyAt: readyAt(current) } : {}),
                    createdIn: "iad1",
                    creator: { uid: "usr_sandbox", username: "sandbox", email: "sandbox@example.com" },
                    plan,
                    private: true,
                    type: "LAMBDAS",
                    target: "production",
                    alias: [`${project.name}.vercel.app`],
                    meta: metaOf(current),
                  },
                }
              : {},
            ...(rolledBack && lastChange
              ? { lastRollbackTarget: { fromDeploymentId: lastChange.from, toDeploymentId: lastChange.to, jobStatus: "succeeded", requestedAt: lastChange.at } }
              : {}),
          },
        };
      }),
    },
    {
      method: "POST",
      path: "/v1/projects/:projectId/rollback/:deploymentId",
      handler: api((req) => {
        const missing = findProject(req, req.params.projectId);
        if (missing) return missing;
        const target = findDeployment(req.params.deploymentId);
        if (!target) return vercelError(404, "not_found", "Deployment not found");
        if (target.target !== "production") return vercelError(400, "bad_request", "Only production deployments can be rolled back to");
        if (target.state !== "READY") return vercelError(400, "bad_request", `Cannot roll back to a deployment that is not ready (state: ${target.state})`);
        if (target.uid === currentProductionId) return vercelError(409, "conflict", "The deployment is already serving production");
        if (plan === "hobby") {
          const current = currentProductionId ? findDeployment(currentProductionId) : undefined;
          const previous = deployments
            .filter((d) => d.target === "production" && d.state === "READY" && (!current || d.createdAt < current.createdAt))
            .sort((a, b) => b.createdAt - a.createdAt)[0];
          if (previous?.uid !== target.uid) return vercelError(402, "payment_required", "To roll back further than the previous production deployment, upgrade to Pro");
        }
        const description = req.query.get("description") ?? undefined;
        changes.push({ kind: "rollback", from: currentProductionId, to: target.uid, ...(description ? { description } : {}), at: Date.now() });
        currentProductionId = target.uid;
        rolledBack = true;
        nowServing(target);
        return { status: 201 };
      }),
    },
    {
      method: "POST",
      path: "/v10/projects/:projectId/promote/:deploymentId",
      handler: api((req) => {
        const missing = findProject(req, req.params.projectId);
        if (missing) return missing;
        const target = findDeployment(req.params.deploymentId);
        if (!target) return vercelError(404, "not_found", "Deployment not found");
        if (target.state !== "READY") return vercelError(400, "bad_request", `Cannot promote a deployment that is not ready (state: ${target.state})`);
        if (target.uid === currentProductionId && !rolledBack) return vercelError(409, "conflict", "The deployment is already serving production");
        changes.push({ kind: "promote", from: currentProductionId, to: target.uid, at: Date.now() });
        currentProductionId = target.uid;
        rolledBack = false;
        nowServing(target);
        return { status: 201 };
      }),
    },
    {
      method: "GET",
      path: "/v10/projects/:idOrName/env",
      handler: api((req) => {
        const missing = findProject(req, req.params.idOrName);
        if (missing) return missing;
        // `value` is always there (Vercel's schema requires it): a plain var's own, an opaque blob for the others.
        return {
          status: 200,
          body: {
            envs: env.map((e) => ({
              id: e.id,
              key: e.key,
              type: e.type,
              target: e.target,
              ...(e.gitBranch ? { gitBranch: e.gitBranch } : {}),
              value: e.type === "plain" ? (e.value ?? "") : Buffer.from(`${e.type}:${e.id}`).toString("base64"),
              decrypted: false,
              configurationId: null,
              createdAt: projectCreatedAt,
              updatedAt: projectCreatedAt,
            })),
            pagination: { count: env.length, next: null, prev: null },
          },
        };
      }),
    },
    {
      method: "GET",
      path: "/v3/deployments/:idOrUrl/events",
      handler: api((req) => {
        const scoped = scopeError(req);
        if (scoped) return scoped;
        const d = findDeployment(req.params.idOrUrl);
        if (!d || (options.teamId && req.query.get("teamId") !== options.teamId)) return vercelError(404, "not_found", "Deployment not found");
        const since = integerParam(req, "since");
        const until = integerParam(req, "until");
        const limit = integerParam(req, "limit");
        const follow = req.query.get("follow");
        const direction = req.query.get("direction") ?? "forward";
        if (since === "invalid") return badQuery("since", "must be a timestamp in milliseconds");
        if (until === "invalid") return badQuery("until", "must be a timestamp in milliseconds");
        if (limit === "invalid" || (limit !== undefined && limit < -1)) return badQuery("limit", "must be an integer, or -1 for all");
        if (direction !== "forward" && direction !== "backward") return badQuery("direction", "must be forward or backward");
        if (follow !== null && follow !== "0" && follow !== "1") return badQuery("follow", "must be 0 or 1");
        let events = eventsOf(d)
          .filter((e) => since === undefined || (e.date as number) >= since)
          .filter((e) => until === undefined || (e.date as number) <= until)
          .sort((a, b) => (a.date as number) - (b.date as number));
        if (direction === "backward") events = events.reverse();
        if (limit !== undefined && limit !== -1) events = events.slice(0, limit);
        return { status: 200, body: events };
      }),
    },
    {
      method: "GET",
      path: "/v1/projects/:projectId/deployments/:deploymentId/runtime-logs",
      handler: api((req) => {
        const missing = findProject(req, req.params.projectId);
        if (missing) return missing;
        const d = findDeployment(req.params.deploymentId);
        if (!d) return vercelError(404, "not_found", "Deployment not found");
        const lines = (runtimeLogs.get(d.uid) ?? []).map((l) => `${JSON.stringify(l)}\n`).join("");
        return { status: 200, body: lines, headers: { "content-type": "application/stream+json" } };
      }),
    },
    // Control routes (no auth, no faults): for `bookflow sandbox` and tests in other processes.
    { method: "GET", path: "/_control/state", handler: () => ({ status: 200, body: snapshot() }) },
    {
      method: "PUT",
      path: "/_control/deployments",
      handler: (req) => {
        const body = req.body as { deployments?: EmulatedDeployment[]; currentProductionId?: string } | undefined;
        if (!body || !Array.isArray(body.deployments)) return { status: 400, body: { error: { code: "bad_request", message: "Expected { deployments: [...] }" } } };
        setDeployments(body.deployments, body.currentProductionId);
        return { status: 200, body: snapshot() };
      },
    },
    {
      method: "POST",
      path: "/_control/deployments/preview",
      handler: (req) => {
        const parsed = previewDeploymentInputSchema.safeParse(req.body);
        if (!parsed.success) return { status: 400, body: { error: { code: "bad_request", message: `Expected { commitSha, commitRef?, commitMessage?, state?, readyAfterMs?, url?, productionError? }: ${parsed.error.issues[0]?.path.join(".") || "body"} ${parsed.error.issues[0]?.message ?? ""}` } } };
        return { status: 201, body: createPreview(parsed.data) };
      },
    },
    {
      method: "PUT",
      path: "/_control/env",
      handler: (req) => {
        const body = req.body as { env?: EmulatedEnvVar[] } | undefined;
        if (!body || !Array.isArray(body.env)) return { status: 400, body: { error: { code: "bad_request", message: "Expected { env: [...] }" } } };
        setEnv(body.env);
        return { status: 200, body: snapshot() };
      },
    },
    {
      method: "POST",
      path: "/_control/runtime-logs",
      handler: (req) => {
        const parsed = runtimeLogInputSchema.safeParse(req.body);
        if (!parsed.success) return { status: 400, body: { error: { code: "bad_request", message: `Expected { message?, level?, source?, requestMethod?, requestPath?, responseStatusCode?, timestampInMs?, deploymentId? }: ${parsed.error.issues[0]?.path.join(".") || "body"} ${parsed.error.issues[0]?.message ?? ""}` } } };
        try {
          return { status: 201, body: appendRuntimeLog(parsed.data) };
        } catch (err) {
          return { status: 404, body: { error: { code: "not_found", message: (err as Error).message } } };
        }
      },
    },
    {
      method: "DELETE",
      path: "/_control/logs",
      handler: () => {
        clearLogs();
        return { status: 204 };
      },
    },
    {
      method: "POST",
      path: "/_control/events",
      handler: (req) => {
        const parsed = deploymentEventInputSchema.safeParse(req.body);
        if (!parsed.success) return { status: 400, body: { error: { code: "bad_request", message: `Expected { text, type?, level?, date?, deploymentId? }: ${parsed.error.issues[0]?.path.join(".") || "body"} ${parsed.error.issues[0]?.message ?? ""}` } } };
        try {
          return { status: 201, body: appendEvent(parsed.data) };
        } catch (err) {
          return { status: 404, body: { error: { code: "not_found", message: (err as Error).message } } };
        }
      },
    },
  ];

  const snapshot = (): VercelEmulatorState => ({
    project: { ...project },
    currentProductionId,
    deployments: deployments.map((d) => ({ ...d })),
    env: env.map((e) => ({ ...e, target: [...e.target] })),
    changes: changes.map((c) => ({ ...c })),
    rolledBack,
  });

  const emulator = await startEmulator({
    name: "vercel",
    routes,
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.faults ? { faults: options.faults } : {}),
    ...(options.random ? { random: options.random } : {}),
    // Vercel refuses a missing or unknown token with 403 (not 401), flagged in the body.
    authenticate: (req) => {
      const auth = req.headers.authorization;
      if (!auth) return vercelError(403, "forbidden", "The request is missing an authentication token", { missingToken: true });
      if (auth !== `Bearer ${options.token}`) return vercelError(403, "forbidden", "Not authorized", { invalidToken: true });
      return undefined;
    },
    faultAnswer: (fault) =>
      fault.kind === "rate_limited"
        ? { status: 429, body: { error: { code: "rate_limited", message: "Rate limit exceeded" } }, headers: { "retry-after": String(fault.retryAfterSeconds) } }
        : { status: fault.status, body: { error: { code: "internal_server_error", message: "An unexpected internal error occurred" } } },
    notFound: (req) => vercelError(404, "not_found", `The requested path ${req.path} was not found`),
  });

  return Object.assign(emulator, {
    setDeployments,
    setEnv,
    state: snapshot,
    rateLimitNext(count: number, retryAfterSeconds = 1) {
      pending429 = { count, retryAfterSeconds };
    },
    overrideNext(response: EmulatorResponse, count = 1) {
      overrides = { response, count };
    },
    appendRuntimeLog,
    appendEvent,
    clearLogs,
    createPreview,
    servePreviewsAt(host: string) {
      previewHost = host;
    },
  });
}
