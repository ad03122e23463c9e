import { buildProgram } from "../commands/program.js";
import { reportFatal } from "../commands/support/fatal.js";
import { redactText, Redactor } from "../src/config/redact.js";

ignoreClosedPipes();
if (process.env.DEBUG || process.env.NODE_DEBUG) redactDebugOutput();

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

/**
 * DEBUG=* (or NODE_DEBUG) turns on the libraries' own debug logs (Prisma prints its driver adapter's
 * configuration, connection string included), written straight to stderr, past bookflow's redactor: with either
 * set, stderr is redacted on its way out (the environment's secrets, and any secret-shaped text such as a
 * password in a connection string).
 */
function redactDebugOutput(): void {
  const redactor = new Redactor(process.env);
  const write = process.stderr.write.bind(process.stderr) as (chunk: unknown, ...rest: unknown[]) => boolean;
  process.stderr.write = ((chunk: unknown, ...rest: unknown[]) => {
    const text = typeof chunk === "string" ? chunk : chunk instanceof Uint8Array ? Buffer.from(chunk).toString("utf8") : null;
    return text === null ? write(chunk, ...rest) : write(redactor.redact(redactText(text)), ...rest);
  }) as typeof process.stderr.write;
}
