import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { BIN, cleanEnv, tempDir } from "../support/cli.js";

interface Closed {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** What came out of the stream left open. */
  open: string;
}

/**
 * Runs the built CLI with one of its output pipes closed by the reader before
 * the CLI writes (as `bookflow checks list | head -c 10` does once head has its
 * bytes), and collects the other stream.
 */
function runWithClosed(args: string[], closed: "stdout" | "stderr", env: Record<string, string> = {}): Promise<Closed> {
  return new Promise((resolve, reject) => {
    const child = spawn("node", ["--", BIN, ...args], { cwd: tempDir(), env: cleanEnv(env) as NodeJS.ProcessEnv, stdio: ["ignore", "pipe", "pipe"] });
    child[closed].destroy();
    const keep = closed === "stdout" ? child.stderr : child.stdout;
    let open = "";
    keep.setEncoding("utf8").on("data", (chunk: string) => (open += chunk));
    child.on("error", reject);
    child.on("close", (exitCode, signal) => resolve({ exitCode, signal, open }));
  });
}

describe("a reader that closes the pipe early", () => {
  it("`bookflow checks list | head -c 10`: stdout closed, the CLI ends quietly with exit 0", async () => {
    const r = await runWithClosed(["checks", "list"], "stdout");
    expect(r.open).not.toMatch(/EPIPE|Unhandled|\n\s+at /);
    expect(r.open).toBe("");
    expect(r.exitCode).toBe(0);
  });

  it("stderr closed: a usage error keeps its exit code 2, no crash", async () => {
    const r = await runWithClosed(["frobnicate"], "stderr");
    expect(r.exitCode).toBe(2);
  });

  it("in a shell pipeline into `head -c 10`, the first bytes arrive and stderr stays empty", async () => {
    const child = spawn("bash", ["-c", `node -- "${BIN}" checks list | head -c 10; exit "\${PIPESTATUS[0]}"`], { cwd: tempDir(), env: cleanEnv() as NodeJS.ProcessEnv });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    const exitCode = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(stdout).toHaveLength(10);
    expect(stderr).toBe("");
    expect(exitCode).toBe(0);
  });
});
