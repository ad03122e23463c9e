import type { Command } from "commander";
import { withEffect } from "./support/effect.js";
import { commandAction } from "./support/run.js";

/** `bookflow checks …`: what verify checks, and why. */
export function registerChecks(program: Command): void {
  const checks = program
    .command("checks")
    .description("the check catalogue: list every check, explain one")
    .addHelpText(
      "after",
      `
Examples:
  bookflow checks list                      id, section, severity and title of every check
  bookflow checks list --json               the catalogue as JSON (with needs and docs)
  bookflow checks list --markdown           the catalogue as docs/checks.md
  bookflow checks explain env.required-present`,
    );

  withEffect(checks
    .command("list")
    .description("list every check verify can run")
    .option("--json", "print the catalogue as JSON")
    .option("--markdown", "print the catalogue as Markdown (docs/checks.md is generated this way)")
    .action(commandAction(async () => (await import("./handlers/checks.js")).checksList)), "read");

  withEffect(checks
    .command("explain")
    .description("what a check verifies, why it matters and how to fix a failure")
    .argument("<id>", "check id, e.g. env.required-present")
    .action(commandAction(async () => (await import("./handlers/checks.js")).checksExplain, ["id"])), "read");
}
