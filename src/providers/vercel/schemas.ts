/**
 * The parts of Vercel REST API responses bookflow reads, validated with zod.
 * Objects are loose (Vercel adds fields freely); only what we use is required.
 */
import { z } from "zod";

export const DEPLOYMENT_STATES = ["BUILDING", "ERROR", "INITIALIZING", "QUEUED", "READY", "CANCELED", "DELETED"] as const;
export type DeploymentState = (typeof DEPLOYMENT_STATES)[number];

/** Deployment meta: string values (githubCommitSha, githubCommitRef, githubCommitMessage, …). */
const metaSchema = z.record(z.string(), z.unknown()).optional();

/** One item of `GET /v6/deployments`. */
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
  readyState: z.enum(DEPLOYMENT_STATES).optional(),
  createdAt: z.number().optional(),
  meta: metaSchema,
});

export const projectSchema = z.looseObject({
  id: z.string(),
  name: z.string(),
  targets: z
    .looseObject({
      production: projectTargetSchema.nullable().optional(),
    })
    .nullable()
    .optional(),
});

/** One item of `GET /v9/projects/{idOrName}/env`. Its `value` is deliberately not read. */
export const envSchema = z.looseObject({
  id: z.string().optional(),
  key: z.string(),
  type: z.enum(["plain", "encrypted", "sensitive", "secret", "system"]),
  target: z.union([z.array(z.string()), z.string()]).optional(),
  gitBranch: z.string().nullable().optional(),
});

export const listEnvSchema = z.looseObject({
  envs: z.array(envSchema),
});

/** Vercel's error body. */
export const errorBodySchema = z.looseObject({
  error: z.looseObject({
    code: z.string().optional(),
    message: z.string().optional(),
  }),
});
