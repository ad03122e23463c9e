import type { Command } from "commander";

export function registerRollback(program: Command): void {
  void program;
}
