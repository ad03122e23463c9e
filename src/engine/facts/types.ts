import type { BookflowConfig } from "../../config/bookflow-config.js";
import type { EnvFact, Target } from "../../config/verify-env.js";
import type { VercelEnvVar } from "../../providers/vercel/client.js";

/**
 * Every fact a check can read, by name. To add one: add its name and type
 * here, and its gatherer to `gatherers` in ./index.ts (the compiler insists).
 */
export interface Facts {
  /** The environment (blank = unset) and the target being verified. */
  env: EnvFact;
  /** bookflow.config.json, validated, with defaults filled in. */
  config: BookflowConfig;
  /** The Vercel project's variables (no values), or null when VERCEL_TOKEN/VERCEL_PROJECT_ID are not set. */
  vercelEnvVars: VercelEnvVar[] | null;
}

/** What gatherers read the world with; built once per run by the command. */
export interface FactContext {
  env: Readonly<Record<string, string | undefined>>;
  target: Target;
  config: BookflowConfig;
  /** Aborted when the run ends (or is interrupted): gatherers pass it to their clients. */
  signal: AbortSignal;
}

export type FactGatherer<T> = (ctx: FactContext) => Promise<T>;

export type FactGatherers = { [K in keyof Facts]: FactGatherer<Facts[K]> };
