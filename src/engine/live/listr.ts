import { Listr, ListrLogger, ProcessOutput } from "listr2";
import type { CheckResult } from "../check.js";
import type { RunEvent } from "../runner.js";
import { formatDuration } from "../report.js";

export interface ListrView {
  onEvent(event: RunEvent): void;
  /** Resolves when the view has drawn its last frame. */
  finished(): Promise<void>;
}

/**
 * The live view for a person at a terminal: listr2 tasks grouped by section,
 * each check ticking off as its result arrives. Everything shown goes through
 * `redact` first (listr2 writes to the stream itself).
 */
export function listrView(stream: NodeJS.WriteStream, redact: (text: string) => string): ListrView {
  const waiting = new Map<string, (r: CheckResult) => void>();
  const results = new Map<string, Promise<CheckResult>>();
  let done: Promise<void> = Promise.resolve();

  const start = (checks: { id: string; section: string; title: string }[]) => {
    for (const c of checks) results.set(c.id, new Promise((resolve) => waiting.set(c.id, resolve)));
    const sections = [...new Set(checks.map((c) => c.section))];
    const list = new Listr(
      sections.map((section) => ({
        title: section,
        task: (_ctx: unknown, task) =>
          task.newListr(
            checks
              .filter((c) => c.section === section)
              .map((c) => ({
                title: redact(`${c.id}  ${c.title}`),
                task: async (_c: unknown, t) => {
                  const r = await results.get(c.id)!;
                  const message = redact(r.message);
                  if (r.status === "skip") {
                    t.skip(`${c.id}  ${message}`);
                    return;
                  }
                  const time = ` (${formatDuration(r.durationMs)})`;
                  if (r.status === "fail" || r.status === "error") {
                    t.title = `${c.id}${time}`;
                    throw new Error(r.status === "error" ? `could not decide: ${message}` : message);
                  }
                  t.title = `${r.status === "warn" ? "⚠ " : ""}${c.id}  ${message}${time}`;
                },
              })),
            { concurrent: true, exitOnError: false },
          ),
      })),
      {
        concurrent: true,
        exitOnError: false,
        registerSignalListeners: false,
        // Chosen only when the stream is a terminal (which may be stderr while stdout is piped).
        forceTTY: true,
        renderer: "default",
        rendererOptions: {
          collapseSubtasks: false,
          collapseErrors: false,
          logger: new ListrLogger({ processOutput: new ProcessOutput(stream, stream) }),
        },
      },
    );
    done = list.run().then(
      () => undefined,
      () => undefined,
    );
  };

  return {
    onEvent(event) {
      if (event.type === "start") start(event.checks);
      if (event.type === "result") waiting.get(event.result.id)?.(event.result);
    },
    finished: () => done,
  };
}
