import { loadBookflowConfig } from "../config/bookflow-config.js";
import { TARGETS, type Target } from "../config/verify-env.js";
import { ConfigError } from "../errors.js";

/** BOOKFLOW_TARGET (set by `bookflow sandbox`), validated like --target. */
export function targetFromEnv(env: Record<string, string | undefined>): Target | undefined {
  const value = env.BOOKFLOW_TARGET?.trim();
  if (!value) return undefined;
  if (!(TARGETS as readonly string[]).includes(value)) throw new ConfigError(`BOOKFLOW_TARGET is "${value}", expected one of ${TARGETS.join(", ")}.`, "Fix or unset BOOKFLOW_TARGET, or pass --target.", "CONFIG_INVALID");
  return value as Target;
}

/**
 * The target of a run: the --target flag, else BOOKFLOW_TARGET, else the
 * config file's target (the file is read only when it decides), else production.
 */
export function resolveTarget(flag: Target | undefined, configFile: string | undefined, env: Record<string, string | undefined>, cwd: string): Target {
  if (flag) return flag;
  const fromEnv = targetFromEnv(env);
  if (fromEnv) return fromEnv;
  return loadBookflowConfig(configFile, cwd).config.target ?? "production";
}
