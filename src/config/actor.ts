import { userInfo } from "node:os";
import { UsageError } from "../errors.js";

/**
 * The operator identity written into the audit log: `--actor`, else
 * BOOKFLOW_ACTOR, else the OS user name. Trimmed; 1–200 printable characters.
 */
export function resolveActor(flag: string | undefined, env: Record<string, string | undefined>): string {
  const fromFlag = flag?.trim();
  const fromEnv = env.BOOKFLOW_ACTOR?.trim();
  const candidate = fromFlag || fromEnv || osUser();
  if (!candidate) {
    throw new UsageError("No operator identity for the audit log.", "Pass --actor <name> or set BOOKFLOW_ACTOR.");
  }
  if (candidate.length > 200 || /[\u0000-\u001f\u007f]/.test(candidate)) {
    throw new UsageError(
      `The operator identity ${JSON.stringify(candidate.slice(0, 40))} is not usable (control characters, or longer than 200).`,
      "Pass a plain name or email with --actor, or set BOOKFLOW_ACTOR.",
    );
  }
  return candidate;
}

function osUser(): string | undefined {
  try {
    return userInfo().username || undefined;
  } catch {
    return undefined;
  }
}
