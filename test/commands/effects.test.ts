import type { Command } from "commander";
import { describe, expect, it } from "vitest";
import { buildProgram } from "../../commands/program.js";
import { effectOf } from "../../commands/support/effect.js";

/** Every runnable command declares its effect; destructive ones can be previewed and confirmed. */
function leaves(cmd: Command, path: string[] = []): { path: string; cmd: Command }[] {
  if (cmd.commands.length === 0) return [{ path: path.join(" "), cmd }];
  return cmd.commands.flatMap((c) => leaves(c, [...path, c.name()]));
}

const commands = leaves(buildProgram());

describe("command metadata", () => {
  it.each(commands.map((c) => [c.path, c.cmd] as const))("`bookflow %s` declares read, write or destructive", (_path, cmd) => {
    expect(["read", "write", "destructive"]).toContain(effectOf(cmd));
  });

  const destructive = commands.filter((c) => effectOf(c.cmd) === "destructive");
  it.each(destructive.map((c) => [c.path, c.cmd] as const))("destructive `bookflow %s` offers --yes and --dry-run (or --plan)", (_path, cmd) => {
    const flags = cmd.options.map((o) => o.long);
    expect(flags).toContain("--yes");
    expect(flags.includes("--dry-run") || flags.includes("--plan")).toBe(true);
  });

  it("every command has a description", () => {
    expect(commands.filter((c) => !c.cmd.description()).map((c) => c.path)).toEqual([]);
  });
});
