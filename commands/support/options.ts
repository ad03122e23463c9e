import type { Command } from "commander";

/** The global options every command inherits. */
export interface GlobalOptions {
  envFile: string[];
}

export function globalOptions(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals() as GlobalOptions;
}
