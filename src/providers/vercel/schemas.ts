/**
 * The parts of Vercel REST API responses bookflow reads, validated with zod.
 * Objects are loose (Vercel adds fields freely); only what we use is required.
 * Enum values are Vercel's own, as its SDK (generated from Vercel's OpenAPI)
 * declares them: `GetDeploymentsState` / `GetDeploymentsReadyState` for
 * deployments, `GetProjectProjectsReadyState` for a project's targets.
 */
import { z } from "zod";

/** `state` / `readyState` of a deployment in `GET /v7/deployments`. BLOCKED: Vercel holds it without building it (see `seatBlock`). */
export const DEPLOYMENT_STATES = ["BLOCKED", "BUILDING", "CANCELED", "DELETED", "ERROR", "INITIALIZING", "QUEUED", "READY"] as const;
export type DeploymentState = (typeof DEPLOYMENT_STATES)[number];

/** `readyState` of a project's `targets.production` in `GET /v9/projects/{idOrName}` (no DELETED there). */
export const PROJECT_TARGET_STATES = ["BLOCKED", "BUILDING", "CANCELED", "ERROR", "INITIALIZING", "QUEUED", "READY"] as const;

/** Deployment meta: string values (githubCommitSha, githubCommitRef, githubCommitMessage, …). */
const metaSchema = z.record(z.string(), z.unknown()).optional();

/** Why Vercel blocked a deployment (`COMMIT_AUTHOR_REQUIRED`, `TEAM_ACCESS_REQUIRED`). */
const seatBlockSchema = z.looseObject({ blockCode: z.string() }).optional();

/** One item of `GET /v7/deployments`. */
export const deploymentSchema = z.looseObject({
  uid: z.string(),
  name: z.string().optional(),
  /** Null while the deployment is still uploading. */
  url: z.string().nullable().optional(),
  state: z.enum(DEPLOYMENT_STATES).optional(),
  readyState: z.enum(DEPLOYMENT_STATES).optional(),
  /** "production", "staging", a custom environment, or null for previews. */
  target: z.string().nullable().optional(),
  created: z.number(),
  createdAt: z.number().optional(),
  ready: z.number().optional(),
  meta: metaSchema,
  seatBlock: seatBlockSchema,
});

export const listDeploymentsSchema = z.looseObject({
  deployments: z.array(deploymentSchema),
  pagination: z
    .looseObject({
      count: z.number(),
      /** Pass as `until` to get the next (older) page; null on the last page. */
      next: z.number().nullable(),
      prev: z.number().nullable().optional(),
    })
    .optional(),
});

/** `targets.production` of `GET /v9/projects/{idOrName}`. */
export const projectTargetSchema = z.looseObject({
  id: z.string(),
  url: z.string().nullable().optional(),
  readyState: z.enum(PROJECT_TARGET_STATES).optional(),
  createdAt: z.number().optional(),
  readyAt: z.number().optional(),
  meta: metaSchema,
});

/** `GET /v9/projects/{idOrName}`: only `targets` is read (id and name are not, so they are not required here). */
export const projectSchema = z.looseObject({
  id: z.string().optional(),
  name: z.string().optional(),
  targets: z
    .looseObject({
      production: projectTargetSchema.nullable().optional(),
    })
    .nullable()
    .optional(),
});

/** One item of `GET /v10/projects/{idOrName}/env`. Its `value` is deliberately not read. */
export const envSchema = z.looseObject({
  id: z.string().optional(),
  key: z.string(),
  type: z.enum(["plain", "encrypted", "sensitive", "secret", "system"]),
  target: z.union([z.array(z.string()), z.string()]).optional(),
  gitBranch: z.string().nullable().optional(),
});

/**
 * `GET /v10/projects/{idOrName}/env` answers one of three shapes (the SDK's
 * FilterProjectEnvsResponseBody1..3): `{ envs, pagination }`,
 * `{ envs, hiddenProductionEnvCount }`, or a single env var.
 */
export const listEnvSchema = z.union([
  z.looseObject({ envs: z.array(envSchema) }),
  envSchema.transform((one) => ({ envs: [one] })),
]);

/** Vercel's error body; a bad or missing token is flagged with `invalidToken` / `missingToken`. */
export const errorBodySchema = z.looseObject({
  error: z.looseObject({
    code: z.string().optional(),
    message: z.string().optional(),
    invalidToken: z.boolean().optional(),
    missingToken: z.boolean().optional(),
  }),
});
export type VercelErrorBody = z.infer<typeof errorBodySchema>["error"];

/**
 * `GET /v3/deployments/{idOrUrl}/events` (Accept: application/json) answers an
 * array of events, where an item may be null. Vercel's SDK
 * (GetDeploymentEventsResponseBody*) declares three shapes: a flat event
 * (`type`, `created`, `date`, `text`, `level`, `info`), one that carries it in
 * `payload` (with `statusCode`, and `proxy` for a request), and
 * `alias-assigned`. Only what bookflow reads is required.
 */
export const DEPLOYMENT_EVENT_TYPES = [
  "command", "delimiter", "deployment-state", "edge-function-invocation", "exit", "fatal", "metric", "middleware", "middleware-invocation", "report", "stderr", "stdout",
] as const;

const eventInfoSchema = z.looseObject({ type: z.string(), name: z.string(), path: z.string().optional(), step: z.string().optional(), readyState: z.string().optional() });

const eventProxySchema = z.looseObject({ timestamp: z.number(), method: z.string(), host: z.string(), path: z.string().optional(), statusCode: z.number().optional() });

export const flatDeploymentEventSchema = z.looseObject({
  type: z.enum(DEPLOYMENT_EVENT_TYPES),
  created: z.number(),
  date: z.number(),
  deploymentId: z.string(),
  id: z.string(),
  info: eventInfoSchema,
  serial: z.string(),
  text: z.string().optional(),
  level: z.enum(["error", "warning"]).optional(),
});

export const payloadDeploymentEventSchema = z.looseObject({
  type: z.enum(DEPLOYMENT_EVENT_TYPES),
  created: z.number(),
  payload: z.looseObject({
    deploymentId: z.string(),
    id: z.string(),
    date: z.number(),
    serial: z.string(),
    text: z.string().optional(),
    statusCode: z.number().optional(),
    info: eventInfoSchema.optional(),
    proxy: eventProxySchema.optional(),
  }),
});

export const aliasAssignedEventSchema = z.looseObject({
  type: z.literal("alias-assigned"),
  deploymentId: z.string(),
  date: z.number(),
  alias: z.array(z.string()),
});

/** Each item tagged with the shape it came in. */
export const deploymentEventSchema = z.union([
  payloadDeploymentEventSchema.transform((event) => ({ shape: "payload" as const, event })),
  flatDeploymentEventSchema.transform((event) => ({ shape: "flat" as const, event })),
  aliasAssignedEventSchema.transform((event) => ({ shape: "alias" as const, event })),
]);
/** An array of events (items may be null), or a single event (the SDK's GetDeploymentEventsResponse allows both). */
export const deploymentEventsSchema = z.union([z.array(deploymentEventSchema.nullable()), deploymentEventSchema.transform((one) => [one])]);

/** Runtime log levels and sources (the SDK's GetRuntimeLogsLevel / GetRuntimeLogsSource). */
export const RUNTIME_LOG_LEVELS = ["debug", "error", "fatal", "info", "trace", "warning"] as const;
export const RUNTIME_LOG_SOURCES = ["delimiter", "edge-function", "edge-middleware", "request", "serverless"] as const;

/**
 * One line of `GET /v1/projects/{projectId}/deployments/{deploymentId}/runtime-logs`
 * (application/stream+json: one JSON object a line; the SDK's
 * GetRuntimeLogsResponseBody, every field required).
 */
export const runtimeLogLineSchema = z.looseObject({
  level: z.enum(RUNTIME_LOG_LEVELS),
  message: z.string(),
  rowId: z.string(),
  source: z.enum(RUNTIME_LOG_SOURCES),
  timestampInMs: z.number(),
  domain: z.string(),
  messageTruncated: z.boolean(),
  requestMethod: z.string(),
  requestPath: z.string(),
  responseStatusCode: z.number(),
});
