import { buildProgram } from "../commands/program.js";
import { reportFatal } from "../commands/support/fatal.js";

ignoreClosedPipes();

try {
  await buildProgram().parseAsync(process.argv);
} catch (err) {
  process.exitCode = reportFatal(err);
}

/**
 * A reader that stops early (`bookflow checks list | head -c 10`) closes the
 * pipe: the next write fails with EPIPE, which Node raises as an unhandled
 * 'error' event (a stack trace). The rest of that stream's output has no one to
 * read it, so it is dropped quietly; the command still finishes what it was
 * doing (a write is never left half-applied) and exits with its own code.
 */
function ignoreClosedPipes(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "EPIPE") return;
      throw err;
    });
  }
}
