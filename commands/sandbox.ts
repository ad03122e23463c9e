import type { Command } from "commander";
import { withEffect } from "./support/effect.js";
import { commandAction } from "./support/run.js";

/** `bookflow sandbox …`: the embedded default — a complete local world with zero set-up. */
export function registerSandbox(program: Command): void {
  const sandbox = program
    .command("sandbox")
    .description("a complete local world: embedded database, emulated Calendly/Stripe/SendGrid/Vercel, DNS, the reference app")
    .addHelpText(
      "after",
      `
Examples:
  bookflow sandbox run -- db status          start the world, run one command against it, tear it down
  bookflow sandbox up                        start it and keep it up (Ctrl-C stops it); prints its environment
  bookflow --env-file .bookflow/sandbox.env db status     (in another shell, while \`sandbox up\` runs)

The embedded database lives in .bookflow/sandbox/pglite (BOOKFLOW_DATA_DIR moves .bookflow);
with DATABASE_URL set, that PostgreSQL is used instead. Credentials are fake and only the
emulators accept them. Nothing leaves 127.0.0.1.

--faults injects failures into the emulators, per emulator (or "all"):
  --faults "calendly:latency=300,429=0.1;stripe:5xx=0.05,drop=0.01"
  keys: latency (ms), 429, 5xx, drop, malformed (shares 0..1), retry-after (seconds)`,
    );

  withEffect(sandbox
    .command("up")
    .description("start the sandbox and keep it running until Ctrl-C; print its environment and write it to an env file")
    .option("--faults <spec>", "inject failures into the emulators (see `bookflow sandbox --help`)")
    .option("--env-out <file>", "where to write the environment", ".bookflow/sandbox.env")
    .option("--app-port <port>", "port for the reference app (default: any free port)")
    .option("--json", "print the environment as JSON instead of export lines")
    .action(commandAction(async () => (await import("./handlers/sandbox.js")).sandboxUp)), "write");

  withEffect(sandbox
    .command("run")
    .description("start the sandbox, run one bookflow command against it, stop it, and exit with that command's code")
    .argument("<command...>", "the bookflow command and its arguments, after --")
    .option("--faults <spec>", "inject failures into the emulators (see `bookflow sandbox --help`)")
    .action(commandAction(async () => (await import("./handlers/sandbox.js")).sandboxRun, ["command"])), "read");
}
