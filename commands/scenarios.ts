import type { Command } from "commander";

export function registerScenarios(program: Command): void {
  void program;
}
