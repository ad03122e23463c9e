import { Chalk } from "chalk";
import { STATUS_LABEL } from "../formatters/shared.js";
import { formatDuration } from "../report.js";
import type { ScenarioEvent } from "./runner.js";

/**
 * The live view of a scenario run, for terminals and logs alike: a header per
 * scenario, then one line per step as it finishes, then the scenario's
 * verdict. `write` must redact (ctx.out / ctx.err do).
 */
export function scenarioView(write: (text: string) => void, options: { color?: boolean } = {}): (event: ScenarioEvent) => void {
  const c = new Chalk({ level: options.color ? 1 : 0 });
  const paint = { pass: c.green, warn: c.yellow, fail: c.red, skip: c.dim, error: c.magenta } as const;
  return (event) => {
    switch (event.type) {
      case "start":
        write(`Running ${event.scenarios.length} scenario(s) with the ${event.driver} driver (run ${event.runId})…\n`);
        break;
      case "scenario-start":
        write(`\n${c.bold(event.id)}  ${event.title}\n`);
        break;
      case "step": {
        const s = event.step;
        const time = s.status === "skip" ? "" : c.dim(` (${formatDuration(s.durationMs)})`);
        write(`  ${paint[s.status](STATUS_LABEL[s.status].padEnd(5))} ${s.id}  ${s.message}${time}\n`);
        for (const limit of s.limits ?? []) write(`        ${c.yellow("limit:")} ${limit}\n`);
        break;
      }
      case "result": {
        const r = event.result;
        write(`${paint[r.status](STATUS_LABEL[r.status].padEnd(5))} ${r.id}  ${r.message}${c.dim(` (${formatDuration(r.durationMs)})`)}\n`);
        break;
      }
      case "end":
        write("\n");
        break;
    }
  };
}
