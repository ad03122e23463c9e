import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { catalogue } from "../../checks/index.js";
import { describeSeverity } from "../../src/engine/check.js";
import { runCli } from "../support/cli.js";
import { modulesLoaded } from "../support/imports.js";

const HEAVY = ["@prisma/", "/generated/prisma/", "/stripe/", "@sendgrid/", "/listr2/", "@electric-sql/", "pglite-prisma-adapter", "/zod/", "/undici/", "/chalk/"];

interface ListedCheck {
  id: string;
  section: string;
  title: string;
  severity: string;
  needs: string[];
  docs: { why: string; fix: string };
}

describe("bookflow checks", () => {
  it("`checks list` prints a table with every check id, section and severity", async () => {
    const r = await runCli(["checks", "list"]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.split("\n")[0]).toMatch(/^ID\s+SECTION\s+SEVERITY\s+TITLE$/);
    for (const c of catalogue) expect(r.stdout).toMatch(new RegExp(`^${c.id.replace(/\./g, "\\.")}\\s+${c.section}\\s+${describeSeverity(c)}\\s+`, "m"));
  });

  it("`checks list --json` prints the catalogue with needs and docs", async () => {
    const r = await runCli(["checks", "list", "--json"]);
    expect(r.exitCode).toBe(0);
    const listed = JSON.parse(r.stdout) as ListedCheck[];
    expect(listed.map((c) => c.id)).toEqual(catalogue.map((c) => c.id));
    const modes = listed.find((c) => c.id === "env.stripe-key-modes-match")!;
    expect(modes.needs).toEqual(["env.stripe-keys-well-formed"]);
    expect(modes.docs.fix.length).toBeGreaterThan(0);
  });

  it("`checks list --markdown` is docs/checks.md", async () => {
    const r = await runCli(["checks", "list", "--markdown"]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(readFileSync(resolve(import.meta.dirname, "../../docs/checks.md"), "utf8"));
  });

  it("`checks explain <id>` prints title, section, severity, needs, why and fix", async () => {
    const r = await runCli(["checks", "explain", "env.stripe-key-modes-match"]);
    expect(r.exitCode).toBe(0);
    const check = catalogue.find((c) => c.id === "env.stripe-key-modes-match")!;
    expect(r.stdout).toContain(check.title);
    expect(r.stdout).toMatch(/section:\s+env/);
    expect(r.stdout).toMatch(/severity:\s+error/);
    expect(r.stdout).toMatch(/needs:\s+env\.stripe-keys-well-formed/);
    expect(r.stdout).toContain(check.docs.why);
    expect(r.stdout).toContain(check.docs.fix);
  });

  it("`checks explain` and `checks list` show a severity that depends on the target", async () => {
    const r = await runCli(["checks", "explain", "monitoring.sentry-alert-rules"]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/severity:\s+warn/);
    expect(r.stdout).toMatch(/error with --target production \(a failure fails verify\)/);
    const listed = JSON.parse((await runCli(["checks", "list", "--json"])).stdout) as (ListedCheck & { severityByTarget?: Record<string, string> })[];
    expect(listed.find((c) => c.id === "monitoring.sentry-alert-rules")).toMatchObject({ severity: "warn", severityByTarget: { production: "error" } });
    expect(listed.find((c) => c.id === "env.stripe-key-modes-match")!.severityByTarget).toBeUndefined();
  });

  it("`checks explain` of an unknown id exits 2 suggesting the closest ids", async () => {
    const r = await runCli(["checks", "explain", "env.stripe-key-mode-match"]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('Unknown check "env.stripe-key-mode-match"');
    expect(r.stderr).toContain("env.stripe-key-modes-match");
  });

  it.each([["verify", "--help"], ["checks", "--help"], ["checks", "list", "--help"]])("`bookflow %s %s` loads no Prisma, provider SDK, listr2, zod or chalk", async (...args) => {
    const { result: r, loaded } = await modulesLoaded(args);
    expect(r.exitCode).toBe(0);
    expect(loaded.some((u) => u.includes("commander"))).toBe(true);
    expect(loaded.filter((u) => HEAVY.some((h) => u.includes(h)))).toEqual([]);
  });

  it("`verify --help` documents formats, output rules and exit codes", async () => {
    const r = await runCli(["verify", "--help"]);
    expect(r.exitCode).toBe(0);
    for (const s of ["--only", "--skip", "--format", "--output", "--concurrency", "--timeout", "--strict", "--target", "--config", "junit", "GITHUB_STEP_SUMMARY", "Exit codes"]) expect(r.stdout).toContain(s);
  });
});
