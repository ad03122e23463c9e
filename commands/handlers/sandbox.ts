import { spawn } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { z } from "zod";
import type { Context } from "../../src/context.js";
import { readDatabaseEnv } from "../../src/config/app-env.js";
import { displayUrl } from "../../src/config/redact.js";
import { parseOrThrow } from "../../src/config/validation.js";
import { EXIT } from "../../src/engine/exit-codes.js";
import { UsageError } from "../../src/errors.js";
import { packageRoot } from "../../src/package-root.js";
import { parseFaultsSpec } from "../../src/sandbox/faults-spec.js";
import { startSandbox, type SandboxWorld } from "../../src/sandbox/world.js";
import { createProgressLine } from "../support/progress.js";
import { defineCommand } from "../support/run.js";

const upSchema = z.object({
  faults: z.string().optional(),
  envOut: z.string().min(1).default(".bookflow/sandbox.env"),
  appPort: z.coerce.number().int().min(0).max(65535, { message: "must be a port number from 0 to 65535" }).optional(),
  json: z.boolean().optional(),
});

/** Starts the world; on a terminal (not --json, not CI) a progress line names the start-up step under way, cleared once it is up. */
async function start(ctx: Context, faults: string | undefined, options: { appPort?: number; json?: boolean } = {}): Promise<SandboxWorld> {
  const dbEnv = readDatabaseEnv(ctx.env);
  const line = createProgressLine({ stream: process.stderr, env: ctx.env, machineOutput: options.json === true });
  return startSandbox({
    databaseUrl: dbEnv.DATABASE_URL,
    dataDir: join(dbEnv.BOOKFLOW_DATA_DIR, "sandbox", "pglite"),
    faults: faults ? parseFaultsSpec(faults) : undefined,
    appPort: options.appPort,
    progress: (text) => line.above(() => ctx.err(`${text}\n`)),
    ...(line.enabled ? { stage: (name: string | null) => (name === null ? line.finish() : line.stage(`sandbox: ${name}`)) } : {}),
  }).finally(() => line.finish());
}

/** The sandbox's environment to print: the user's own database URLs (DATABASE_URL given) with their credentials masked. */
function printable(env: Record<string, string>, ctx: Context): Record<string, string> {
  if (!ctx.env.DATABASE_URL?.trim()) return env;
  const masked = { ...env };
  for (const name of ["DATABASE_URL", "DIRECT_URL"]) if (masked[name]) masked[name] = displayUrl(masked[name]);
  return masked;
}

function exportLines(env: Record<string, string>): string {
  return Object.entries(env)
    .map(([k, v]) => `export ${k}=${shellQuote(v)}`)
    .join("\n");
}

function dotenv(env: Record<string, string>): string {
  return (
    "# Written by `bookflow sandbox up`: the environment of the running sandbox.\n" +
    "# Credentials are fake; only the sandbox emulators accept them.\n" +
    Object.entries(env)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join("\n") +
    "\n"
  );
}

function shellQuote(v: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`;
}

/** `bookflow sandbox up`: starts the world, prints and writes its environment, stops on Ctrl-C. */
export const sandboxUp = defineCommand({
  command: "sandbox up",
  parse(raw) {
    const opts = parseOrThrow(upSchema, raw, "options for sandbox up", "See `bookflow sandbox --help`.");
    if (opts.faults) parseFaultsSpec(opts.faults);
    return opts;
  },
  run: async (opts, ctx) => {
    const world = await start(ctx, opts.faults, { appPort: opts.appPort, json: opts.json === true });
    try {
      const envOut = resolve(ctx.cwd, opts.envOut);
      await mkdir(dirname(envOut), { recursive: true });
      await writeFile(envOut, dotenv(world.env), { mode: 0o600 });
      // The sandbox's credentials are fake by design: print them as they are, so they can be pasted.
      // A database given in DATABASE_URL is the user's own: printed masked (the env file has it whole).
      const shown = printable(world.env, ctx);
      process.stdout.write(opts.json ? JSON.stringify({ env: shown, envFile: opts.envOut, timings: world.timings }, null, 2) + "\n" : exportLines(shown) + "\n");
      ctx.err(`\nSandbox is up. Reference app: ${world.app.url}\nEnvironment written to ${opts.envOut}; in another shell: bookflow --env-file ${opts.envOut} <command>\nPress Ctrl-C to stop.\n`);
      await new Promise<void>((stopped) => {
        process.once("SIGINT", () => stopped());
        process.once("SIGTERM", () => stopped());
      });
      ctx.err("Stopping the sandbox…\n");
    } finally {
      await world.stop();
    }
    return EXIT.OK;
  },
});

const runSchema = z.object({ command: z.array(z.string()).default([]), faults: z.string().optional() });

/** `bookflow sandbox run -- <command…>`: starts the world, runs one bookflow command in it, stops it; exits with that command's code. */
export const sandboxRun = defineCommand({
  command: "sandbox run",
  parse(raw) {
    const opts = parseOrThrow(runSchema, raw, "options for sandbox run", "See `bookflow sandbox --help`.");
    const args = opts.command[0] === "--" ? opts.command.slice(1) : opts.command;
    if (!args.length) throw new UsageError("sandbox run needs a bookflow command to run.", "Example: bookflow sandbox run -- db status", "SANDBOX_NO_COMMAND");
    if (args[0] === "sandbox") throw new UsageError("sandbox run cannot run another sandbox.", "Run the command itself: bookflow sandbox run -- db status", "SANDBOX_NESTED");
    if (opts.faults) parseFaultsSpec(opts.faults); // bad --faults: exit 2 before anything starts
    return { args, faults: opts.faults };
  },
  run: async ({ args, faults }, ctx) => {
    const world = await start(ctx, faults);
    try {
      const bin = join(packageRoot(), "bin", "bookflow.js");
      return await new Promise<number>((exited, reject) => {
        const child = spawn(process.execPath, ["--", bin, ...args], { stdio: "inherit", env: { ...process.env, ...world.env } });
        const forward = (signal: NodeJS.Signals) => child.kill(signal);
        process.on("SIGINT", forward);
        process.on("SIGTERM", forward);
        child.once("error", reject);
        child.once("exit", (code, signal) => {
          process.off("SIGINT", forward);
          process.off("SIGTERM", forward);
          exited(code ?? (signal ? 128 + 15 : EXIT.FAILED));
        });
      });
    } finally {
      await world.stop();
    }
  },
});
