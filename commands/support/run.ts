import type { Command } from "commander";
import type { Context } from "../../src/context.js";
import { UsageError } from "../../src/errors.js";
import { effectOf, type Effect } from "./effect.js";
import { reportError } from "./fatal.js";
import { globalOptions } from "./options.js";

/**
 * The command runner (DESIGN.md, "The application layer"). A command is
 * declared once with `defineCommand`: its `command` words (for messages), how its raw
 * flags become typed input, and `run`, which calls a use case in `src/ops`
 * and renders what it returns. The runner owns the rest, the same for every
 * command:
 *
 * - the Context: built once from the global options (env files, config, lazy
 *   provider clients, database, clock, actor, the one redactor);
 * - the effect: a `write` or `destructive` command refuses `--dry-run` with
 *   `--yes` before anything runs; confirmation goes through `ctx.confirm`;
 * - errors: typed errors become "bookflow: message" + "fix: hint" and their
 *   exit code, always through the context's redactor (so a secret read from an
 *   --env-file is masked on every error path); anything else is reported as a
 *   bug, redacted the same way;
 * - closing the context (database, clients) whatever happened;
 * - the exit code: what `run` returns (0 when it returns nothing).
 */
export interface CommandDefinition<Input> {
  /** As typed after `bookflow`: "webhooks replay". Names the command in messages and hints. */
  command: string;
  /** Raw options (commander's flags and arguments) → typed input; throws UsageError. */
  parse(raw: Record<string, unknown>, ctx: Context): Input | Promise<Input>;
  /** Calls the use case and renders its result; returns the exit code. */
  run(input: Input, ctx: Context): Promise<number | void>;
}

/** A defined command as a function of its raw options (what `runCommand` and tests call). */
export type RunnableCommand = (raw: Record<string, unknown>, deps: { ctx: Context; effect?: Effect }) => Promise<number>;

export type CommandHandler<Input = unknown> = CommandDefinition<Input> & {
  /**
   * The command as a function of its raw options, for tests and for
   * `runCommand`: parses, runs, closes the context; typed errors are thrown
   * (not rendered), so a test can assert on them.
   */
  (raw: Record<string, unknown>, deps: { ctx: Context; effect?: Effect }): Promise<number>;
};

export function defineCommand<Input>(def: CommandDefinition<Input>): CommandHandler<Input> {
  const handler = async (raw: Record<string, unknown>, deps: { ctx: Context; effect?: Effect }): Promise<number> => {
    const { ctx } = deps;
    try {
      if (deps.effect && deps.effect !== "read") refuseContradiction(raw, def.command);
      const input = await def.parse(raw, ctx);
      return (await def.run(input, ctx)) ?? 0;
    } finally {
      await ctx.close();
    }
  };
  return Object.assign(handler, { command: def.command, parse: def.parse, run: def.run });
}

/** Runs a command with its errors rendered (through the context's redactor) into an exit code. */
export async function runCommand(handler: RunnableCommand, raw: Record<string, unknown>, deps: { ctx: Context; effect?: Effect }): Promise<number> {
  try {
    return await handler(raw, deps);
  } catch (err) {
    return reportError(err, deps.ctx.redactor, deps.ctx.err);
  }
}

/**
 * The commander action of a command whose handler module is loaded only when
 * it runs (start-up and `--help` load no zod, Prisma, provider SDK or listr2).
 * Positional arguments are named by `args`, in order, and join the flags.
 */
export function commandAction(load: () => Promise<RunnableCommand>, args: readonly string[] = []) {
  return async (...received: unknown[]): Promise<void> => {
    const cmd = received.at(-1) as Command;
    const flags = received.at(-2) as Record<string, unknown>;
    const raw: Record<string, unknown> = { ...flags };
    args.forEach((name, i) => {
      if (received[i] !== undefined) raw[name] = received[i];
    });
    const [{ createContext }, handler] = await Promise.all([import("../../src/context.js"), load()]);
    let ctx: Context;
    try {
      ctx = createContext({ envFiles: globalOptions(cmd).envFile });
    } catch (err) {
      process.exitCode = reportError(err);
      return;
    }
    const effect = effectOf(cmd);
    process.exitCode = await runCommand(handler, raw, { ctx, ...(effect ? { effect } : {}) });
  };
}

/** `--dry-run` says "change nothing", `--yes` "change it without asking": together they are refused. */
function refuseContradiction(raw: Record<string, unknown>, command: string): void {
  if (raw.dryRun && raw.yes) {
    throw new UsageError(
      "--dry-run and --yes contradict each other (one changes nothing, the other applies without asking).",
      `Pass --dry-run to see the plan, or --yes to apply it: \`bookflow ${command}\`.`,
      "CONFLICTING_OPTIONS",
    );
  }
}
