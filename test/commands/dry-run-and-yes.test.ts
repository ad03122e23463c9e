import { describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";

/**
 * `--dry-run` (change nothing) and `--yes` (apply without asking) contradict
 * each other: every write or destructive command that has both refuses the
 * pair before it does anything (exit 2, saying which one to keep), rather than
 * silently doing a dry run.
 */
describe("--dry-run with --yes", () => {
  it.each([["webhooks", "register"], ["webhooks", "disable"], ["webhooks", "restore"], ["scenarios", "cleanup", "some-run-id"]])("bookflow %s %s refuses the pair with exit 2", async (...args) => {
    const r = await runCli([...args, "--dry-run", "--yes"], { env: {} });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/--dry-run and --yes contradict each other/);
    expect(r.stderr).toMatch(/fix: Pass --dry-run to see the plan, or --yes to apply it/);
  });
});
