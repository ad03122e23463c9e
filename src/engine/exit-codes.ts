import { BookflowError, ConfigError, UsageError, UserAbort } from "../errors.js";

/** Exit codes, decided here for every command. */
export const EXIT = {
  OK: 0,
  /** Checks or scenarios failed, or a command could not complete its job. */
  FAILED: 1,
  /** Bad usage or configuration, or a confirmation was needed without a TTY or --yes. */
  USAGE: 2,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export function exitCodeForError(err: unknown): ExitCode {
  if (err instanceof ConfigError || err instanceof UsageError || err instanceof UserAbort) return EXIT.USAGE;
  if (err instanceof BookflowError) return EXIT.FAILED;
  return EXIT.FAILED;
}

/** A verify run: 1 when a check failed or errored (or warned, with --strict), else 0. */
export function exitCodeForReport(report: { outcome: "passed" | "failed" }): ExitCode {
  return report.outcome === "passed" ? EXIT.OK : EXIT.FAILED;
}
