import { readFileSync } from "node:fs";
import { parseEnv } from "node:util";
import { ConfigError } from "../errors.js";

/**
 * Builds the environment bookflow runs with: process.env, then each --env-file
 * in order (later files win over earlier ones and over process.env).
 */
export function loadEnv(envFiles: readonly string[] = [], base: NodeJS.ProcessEnv = process.env): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...base };
  for (const file of envFiles) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new ConfigError(
        `Cannot read env file ${file}${code === "ENOENT" ? ": no such file" : `: ${code ?? String(err)}`}`,
        "Check the path given to --env-file.",
        "ENV_FILE_UNREADABLE",
      );
    }
    Object.assign(env, parseEnv(text));
  }
  return env;
}
