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
