import { parseWebhookProviderId } from "../../src/providers/webhook-providers.js";
import { EXIT } from "../../src/engine/exit-codes.js";
import { displayUrl } from "../../src/config/verify-env.js";
import { DEFAULT_CALENDLY_EVENT_TYPE_URI } from "../../src/providers/webhook-load.js";
import { benchWebhooks, DEFAULT_BENCH_COUNT, type BenchResult } from "../../src/ops/webhooks-bench.js";
import { packageVersion } from "../../src/package-root.js";
import { resolve } from "node:path";
import { createProgressLine } from "../support/progress.js";
import { writeOutput } from "../support/report-output.js";
import { defineCommand } from "../support/run.js";
import { parseBenchOptions } from "../support/webhooks-bench-options.js";

export type { WebhooksBenchOptions } from "../support/webhooks-bench-options.js";

/**
 * `bookflow webhooks bench <calendly|stripe>` (use case: src/ops/webhooks-bench.ts):
 * a load generator for one's own staging or the sandbox. Validates everything
 * first (bad input → UsageError or ConfigError, exit 2, nothing sent), then
 * sends (Ctrl-C stops sending and reports what was sent) and reports.
 * Exit codes: 0 every request answered 2xx, 1 otherwise (the report says which), 2 bad usage or configuration.
 */
export const webhooksBench = defineCommand({
  command: "webhooks bench",
  parse: (raw) => {
    const provider = parseWebhookProviderId(String(raw.provider ?? "").trim().toLowerCase(), {
      message: `Unknown provider "${String(raw.provider ?? "")}": bench sends Calendly or Stripe webhooks.`,
      hint: "Use `bookflow webhooks bench calendly` or `bookflow webhooks bench stripe`.",
      code: "UNKNOWN_PROVIDER",
    });
    const { provider: _provider, ...flags } = raw;
    return { ...parseBenchOptions(flags), provider };
  },
  run: async (opts, ctx) => {
    const abort = new AbortController();
    const stop = () => abort.abort();
    process.once("SIGINT", stop);
    let result: BenchResult;
    // On a terminal, one line with the requests answered (out of --count, with an ETA; counts only with --duration).
    const line = createProgressLine({ stream: process.stderr, env: ctx.env, machineOutput: opts.json || (opts.format === "html" && !opts.output) });
    const total = opts.duration === undefined ? (opts.count ?? DEFAULT_BENCH_COUNT) : null;
    const seconds = (ms: number) => `${(ms / 1000).toFixed(0)} s`;
    try {
      line.stage(`webhooks bench: sending ${opts.provider} webhooks`);
      result = await benchWebhooks(ctx, opts, {
        signal: abort.signal,
        onNote: (note) => line.above(() => ctx.err(`note: ${note}\n`)),
        ...(line.enabled
          ? { onProgress: (p: { sent: number; elapsedMs: number }) => line.update({ done: p.sent, total, unit: "sent", detail: opts.duration === undefined ? seconds(p.elapsedMs) : `${seconds(p.elapsedMs)} of ${seconds(opts.duration)}` }) }
          : {}),
      });
    } finally {
      line.finish();
      process.off("SIGINT", stop);
    }
    const rendered = await renderFormat(result, opts.format);
    if (opts.output) {
      writeOutput(resolve(ctx.cwd, opts.output), ctx.redactor.redact(rendered));
      ctx.out(renderReport(result) + `  ${opts.format} report written to ${opts.output}\n`);
    } else ctx.out(opts.format === "html" ? ctx.redactor.redact(rendered) : rendered);
    if (!result.ok && opts.format !== "json") ctx.err("Not every request was answered 2xx: see the status and error breakdown above.\n");
    return result.ok ? EXIT.OK : EXIT.FAILED;
  },
});

async function renderFormat(result: BenchResult, format: "text" | "json" | "html"): Promise<string> {
  if (format === "json") return JSON.stringify(result, null, 2) + "\n";
  if (format === "text") return renderReport(result);
  const { renderBenchHtml } = await import("../../src/engine/formatters/html/bench.js");
  return renderBenchHtml({ ...result, url: displayUrl(result.url) }, packageVersion());
}

function breakdown(map: Record<string, number>): string {
  const entries = Object.entries(map).sort((a, b) => b[1] - a[1]);
  return entries.length ? entries.map(([k, n]) => `${k} ×${n}`).join("  ") : "none";
}

export function renderReport(r: BenchResult): string {
  const l = r.latencyMs;
  const lines = [
    `Webhook bench: ${r.provider} → ${displayUrl(r.url)}${r.interrupted ? " (interrupted)" : ""}`,
    `  sent        ${r.sent} request(s) (${r.duplicates} repeat(s) of accepted events) in ${(r.durationMs / 1000).toFixed(2)} s, concurrency ${r.concurrency}${r.pipelining > 1 ? `, pipelining ${r.pipelining}` : ""}`,
    `  throughput  ${r.requestsPerSecond} requests/s`,
    `  latency     ${l ? `p50 ${l.p50} ms  p95 ${l.p95} ms  p99 ${l.p99} ms  max ${l.max} ms` : "no requests"}`,
    `  status      ${breakdown(r.statusCodes)}`,
  ];
  if (r.failed) lines.push(`  errors      ${breakdown(r.errors)}`);
  if (Object.keys(r.outcomes).length) lines.push(`  outcome     ${breakdown(r.outcomes)}`);
  const source = { flag: "from --event-type-uri", database: "from the database's active session types", default: `default ${DEFAULT_CALENDLY_EVENT_TYPE_URI}: no session types read` }[r.eventTypeSource];
  lines.push(`  events      ${breakdown(r.eventTypes)}${r.provider === "calendly" ? ` (event types ${source})` : ""}`);
  if (r.runTag) lines.push(`  run tag     ${r.runTag} (tracking.utm_campaign of the created invitees)`);
  return lines.join("\n") + "\n";
}
