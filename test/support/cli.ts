import { execa } from "execa";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const BIN = resolve(import.meta.dirname, "../../bin/bookflow.js");

export interface RunOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  input?: string;
  timeout?: number;
  nodeArgs?: string[];
}

/** A clean environment: only what the test gives, plus PATH/HOME, so the host's variables never leak in. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: "1", CI: "true", ...extra };
}

export function tempDir(prefix = "bookflow-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Runs the built `bookflow` CLI as a process, as a user would. Never throws on a non-zero exit. */
export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export async function runCli(args: string[], options: RunOptions = {}): Promise<CliResult> {
  const result = await execa("node", [...(options.nodeArgs ?? []), "--", BIN, ...args], {
    cwd: options.cwd ?? tempDir(),
    env: cleanEnv(options.env),
    extendEnv: false,
    reject: false,
    timeout: options.timeout ?? 60_000,
    input: options.input ?? "",
    stripFinalNewline: false,
  });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout ?? ""), stderr: String(result.stderr ?? "") };
}
