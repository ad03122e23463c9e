import { BookflowError } from "../../src/errors.js";
import { exitCodeForError, EXIT } from "../../src/engine/exit-codes.js";
import { Redactor } from "../../src/config/redact.js";

/**
 * Prints an error for a person (what is wrong, what to do) and returns the
 * exit code. Commands render their errors through their context's redactor
 * (commands/support/run.ts), which knows the secrets of every --env-file; the
 * default here is for errors before a context exists (bad usage, an
 * unreadable --env-file), and knows the process environment's.
 */
export function reportError(err: unknown, redactor: Redactor = new Redactor(process.env), write: (text: string) => void = (t) => process.stderr.write(t)): number {
  const code = exitCodeForError(err);
  if (err instanceof BookflowError) {
    write(redactor.redact(`bookflow: ${err.message}\n`));
    if (err.hint) write(redactor.redact(`  fix: ${err.hint}\n`));
    return code;
  }
  if (isCommanderError(err)) {
    // commander has already printed its message (and the help hint).
    return err.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
  }
  const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
  write(redactor.redact(`bookflow: unexpected error (a bug in bookflow, please report it):\n${message}\n`));
  return code;
}

/** bin/'s last resort: errors that escaped every command (commander's own, mostly). */
export const reportFatal = (err: unknown): number => reportError(err);

function isCommanderError(err: unknown): err is { code: string; exitCode: number } {
  return !!err && typeof err === "object" && typeof (err as { code?: unknown }).code === "string" && (err as { code: string }).code.startsWith("commander.");
}
