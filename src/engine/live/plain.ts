import { Chalk } from "chalk";
import type { RunEvent } from "../runner.js";
import { formatDuration } from "../report.js";
import { STATUS_LABEL } from "../formatters/shared.js";

/**
 * The live view for logs and CI: one line when the run starts, one per result
 * as it arrives. `write` must redact (ctx.out / ctx.err do).
 */
export function plainView(write: (text: string) => void, options: { color?: boolean } = {}): (event: RunEvent) => void {
  const c = new Chalk({ level: options.color ? 1 : 0 });
  const paint = { pass: c.green, warn: c.yellow, fail: c.red, skip: c.dim, error: c.magenta } as const;
  return (event) => {
    if (event.type === "start") write(`Running ${event.checks.length} check(s) in ${new Set(event.checks.map((x) => x.section)).size} section(s)…\n`);
    if (event.type === "result") {
      const r = event.result;
      const label = paint[r.status](STATUS_LABEL[r.status].padEnd(5));
      const time = r.status === "skip" ? "" : c.dim(` (${formatDuration(r.durationMs)})`);
      write(`${label} ${r.id}  ${r.message}${time}\n`);
    }
    if (event.type === "end") write("\n");
  };
}
