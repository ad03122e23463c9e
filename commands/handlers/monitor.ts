import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { z } from "zod";
import { parseOrThrow } from "../../src/config/validation.js";
import { TARGETS } from "../../src/config/verify-env.js";
import { DEFAULT_CONCURRENCY } from "../../src/engine/runner.js";
import { EXIT } from "../../src/engine/exit-codes.js";
import { ConfigError } from "../../src/errors.js";
import { monitor, type MonitorHooks } from "../../src/ops/monitor.js";
import { parseMonitorDuration } from "../../src/ops/monitor-schedule.js";
import { summaryText, type MonitorSummary } from "../../src/ops/monitor-state.js";
import type { VerifyDeps } from "../../src/ops/verify.js";
import { parseTimeout, splitList } from "../support/flags.js";
import { defineCommand } from "../support/run.js";

const optionsSchema = z.object({
  interval: z.string().default("5m"),
  port: z.coerce.number({ message: "must be a port number" }).int({ message: "must be a whole number" }).min(0, { message: "must be from 0 to 65535" }).max(65535, { message: "must be from 0 to 65535" }).default(9464),
  host: z.string().min(1, { message: "must name an address" }).default("127.0.0.1"),
  duration: z.string().optional(),
  alertWebhook: z
    .string()
    .refine((u) => URL.canParse(u) && /^https?:$/.test(new URL(u).protocol), { message: "must be an http(s) URL (a Slack-compatible incoming webhook)" })
    .optional(),
  alerts: z.enum(["stdout", "none"], { message: "must be stdout or none" }).default("stdout"),
  summaryFile: z.string().min(1, { message: "must name a file" }).optional(),
  json: z.boolean().default(false),
  only: z.array(z.string()).default([]),
  skip: z.array(z.string()).default([]),
  target: z.enum(TARGETS, { message: `must be one of ${TARGETS.join(", ")}` }).optional(),
  config: z.string().min(1).optional(),
  concurrency: z.coerce.number({ message: "must be a number" }).int({ message: "must be a whole number" }).min(1).max(64).default(DEFAULT_CONCURRENCY),
  timeout: z.string().default("15s"),
});

export type MonitorOptions = z.input<typeof optionsSchema>;

export interface MonitorCommandDeps extends VerifyDeps {
  /** Stops the monitor (default: SIGINT or SIGTERM). */
  signal?: AbortSignal;
  alertBackoffMs?: number;
}

/**
 * `bookflow monitor`: parses the flags (bad durations, ports and URLs exit 2
 * before anything starts), runs the monitor until Ctrl-C/SIGTERM or
 * --duration, then prints the summary (text, or --json) and writes
 * --summary-file. Exit 0 when it stopped as asked, whatever the checks said.
 */
export function monitorCommand(deps: MonitorCommandDeps = {}) {
  return defineCommand({
    command: "monitor",
    parse(raw) {
      const opts = parseOrThrow(optionsSchema, raw, "options for monitor", "See `bookflow monitor --help`.");
      const intervalMs = parseMonitorDuration(opts.interval, "--interval", { minMs: 1000, maxMs: 86_400_000 });
      const durationMs = opts.duration === undefined ? undefined : parseMonitorDuration(opts.duration, "--duration", { minMs: 1000, maxMs: 31 * 86_400_000 });
      const timeoutMs = parseTimeout(opts.timeout);
      return { ...opts, intervalMs, durationMs, timeoutMs, only: splitList(opts.only), skip: splitList(opts.skip) };
    },
    async run(input, ctx) {
      const { signal, cleanup } = deps.signal ? { signal: deps.signal, cleanup: () => {} } : stopOnSignals(ctx.err);
      const hooks: MonitorHooks = {
        signal,
        ready: (url, target, checks) => ctx.err(`bookflow monitor: ${checks} checks against ${target}, every ${input.interval} unless configured otherwise; serving ${url}/healthz, ${url}/metrics and ${url}/\n`),
        alertLine: (line) => ctx.out(line + "\n"),
        log: (text) => ctx.err(text),
        ...(deps.alertBackoffMs !== undefined ? { alertBackoffMs: deps.alertBackoffMs } : {}),
      };
      let summary: MonitorSummary;
      try {
        summary = await monitor(
          ctx,
          {
            only: input.only,
            skip: input.skip,
            target: input.target,
            config: input.config,
            intervalMs: input.intervalMs,
            durationMs: input.durationMs,
            port: input.port,
            host: input.host,
            alertWebhook: input.alertWebhook,
            alertsStdout: input.alerts === "stdout",
            concurrency: input.concurrency,
            timeoutMs: input.timeoutMs,
          },
          hooks,
          deps,
        );
      } finally {
        cleanup();
      }
      // --json: one more JSON line on stdout, after the alert lines.
      if (input.json) ctx.out(JSON.stringify({ type: "summary", ...summary }) + "\n");
      else if (input.alerts === "stdout") ctx.err(summaryText(summary));
      else ctx.out(summaryText(summary));
      if (input.summaryFile) {
        const file = resolve(ctx.cwd, input.summaryFile);
        try {
          writeFileSync(file, ctx.redactor.redact(JSON.stringify(summary, null, 2)) + "\n");
        } catch (err) {
          throw new ConfigError(`Cannot write --summary-file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, "Give a path in a directory that exists and is writable.", "OUTPUT_UNWRITABLE");
        }
      }
      // An abandoned run's requests and check timers may still be pending: they must not keep a stopped monitor alive.
      if (!deps.signal) setTimeout(() => process.exit(), 3000).unref();
      return EXIT.OK;
    },
  });
}

/** An abort signal raised by the first SIGINT or SIGTERM; a second one exits at once. */
function stopOnSignals(err: (text: string) => void): { signal: AbortSignal; cleanup: () => void } {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(130);
    err(`bookflow monitor: ${name}, stopping.\n`);
    controller.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return {
    signal: controller.signal,
    cleanup: () => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    },
  };
}
