import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { modulesLoaded } from "../support/imports.js";

const HEAVY = ["@prisma/", "/generated/prisma/", "/stripe/", "@sendgrid/", "/listr2/", "@electric-sql/", "pglite-prisma-adapter", "/zod/", "/undici/", "/prom-client/"];

describe("bookflow CLI basics", () => {
  it("prints its version", async () => {
    const r = await runCli(["--version"]);
    expect(r.exitCode).toBe(0);
    const pkg = JSON.parse(readFileSync(resolve(import.meta.dirname, "../../package.json"), "utf8")) as { version: string };
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it("--help lists the commands and the exit codes", async () => {
    const r = await runCli(["--help"]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("db");
    expect(r.stdout).toContain("Exit codes");
  });

  it.each([["--help"], ["--version"], ["db", "--help"], ["scenarios", "run", "--help"], ["sandbox", "--help"], ["serve", "--help"], ["monitor", "--help"], ["release", "--help"]])("`bookflow %s` loads no Prisma, provider SDK, listr2, zod or prom-client", async (...args) => {
    const { result: r, loaded } = await modulesLoaded(args);
    expect(r.exitCode).toBe(0);
    expect(loaded.some((u) => u.includes("commander"))).toBe(true);
    expect(loaded.filter((u) => HEAVY.some((h) => u.includes(h)))).toEqual([]);
  });

  it("exits 2 with a usage hint for an unknown command", async () => {
    const r = await runCli(["frobnicate"]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/unknown command/i);
  });

  it("exits 2 naming the file when --env-file does not exist", async () => {
    const r = await runCli(["--env-file", "/nonexistent/.env", "db", "status"]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("/nonexistent/.env");
    expect(r.stderr).toContain("--env-file");
  });

  it("exits 2 for a DATABASE_URL that is not a postgres URL, without echoing it", async () => {
    const r = await runCli(["db", "status"], { env: { DATABASE_URL: "mysql://user:hunter2secret@db/x" } });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("DATABASE_URL");
    expect(r.stderr).not.toContain("hunter2secret");
  });
});
