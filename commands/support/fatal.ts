import { BookflowError } from "../../src/errors.js";
import { exitCodeForError, EXIT } from "../../src/engine/exit-codes.js";
import { Redactor } from "../../src/config/redact.js";

/** Prints an error for a person (what is wrong, what to do) and returns the exit code. */
export function reportFatal(err: unknown, redactor = new Redactor(process.env)): number {
  const code = exitCodeForError(err);
  if (err instanceof BookflowError) {
    process.stderr.write(redactor.redact(`bookflow: ${err.message}\n`));
    if (err.hint) process.stderr.write(redactor.redact(`  fix: ${err.hint}\n`));
    return code;
  }
  if (isCommanderError(err)) {
    // commander has already printed its message (and the help hint).
    return err.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
  }
  const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.stderr.write(redactor.redact(`bookflow: unexpected error (a bug in bookflow, please report it):\n${message}\n`));
  return code;
}

function isCommanderError(err: unknown): err is { code: string; exitCode: number } {
  return !!err && typeof err === "object" && typeof (err as { code?: unknown }).code === "string" && (err as { code: string }).code.startsWith("commander.");
}
