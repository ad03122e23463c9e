import { resolve } from "node:path";
import { z } from "zod";
import { EXIT } from "../../src/engine/exit-codes.js";
import { UsageError } from "../../src/errors.js";
import { computeStatsReport, DEFAULT_STATS_TOP } from "../../src/ops/stats.js";
import type { StatsReport } from "../../src/ops/stats-report.js";
import { packageVersion } from "../../src/package-root.js";
import { parseDateOption, parseDuration, parseOptions } from "../support/flags.js";
import { createProgressLine } from "../support/progress.js";
import { defineCommand } from "../support/run.js";
import { formatStats } from "../support/stats-view.js";

/** `bookflow stats`: parse the window, compute the report (src/ops/stats.ts), print a table, --json or one HTML page (--format html, --output FILE). */

/** What `--format` takes: text (the table, the default), json (as --json), html (one self-contained page). */
export const STATS_FORMATS = ["text", "json", "html"] as const;
export type StatsFormat = (typeof STATS_FORMATS)[number];

const statsOptionsSchema = z.object({
  since: z.string().default("7d"),
  until: z.string().optional(),
  top: z.coerce.number({ message: "must be a number" }).int({ message: "must be a whole number" }).min(1, { message: "must be 1 to 1000" }).max(1000, { message: "must be 1 to 1000" }).default(DEFAULT_STATS_TOP),
  json: z.boolean().default(false),
  format: z.enum(STATS_FORMATS, { error: (i) => `must be one of ${STATS_FORMATS.join(", ")}, not "${String(i.input)}"` }).optional(),
  output: z.string().trim().min(1, "must be a file path").optional(),
  providerStats: z.boolean().default(true),
});

export type StatsOptions = z.input<typeof statsOptionsSchema>;

const RELATIVE = /^\s*\d+(\.\d+)?\s*(s|m|h|d)\s*$/;

/** `7d`, `24h`, `90m` (that long before now), or an ISO date / date-time (no zone: UTC). */
export function parseWindowEdge(text: string, flag: string, now: Date, options: { endOfDay?: boolean } = {}): Date {
  if (RELATIVE.test(text)) return new Date(now.getTime() - parseDuration(text, flag));
  try {
    return parseDateOption(text, flag, options);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    throw new UsageError(err.message, `Give how long ago (${flag} 7d, 24h, 90m) or an ISO date (2026-03-01) or date-time (2026-03-01T09:00:00Z; no zone means UTC).`, "BAD_DATE");
  }
}

export const stats = defineCommand({
  command: "stats",
  parse(raw, ctx) {
    const opts = parseOptions(statsOptionsSchema, raw, "stats");
    const now = ctx.clock.now();
    const since = parseWindowEdge(opts.since, "--since", now);
    const until = opts.until !== undefined ? parseWindowEdge(opts.until, "--until", now, { endOfDay: true }) : now;
    if (opts.json && opts.format && opts.format !== "json")
      throw new UsageError(`--json and --format ${opts.format} ask for two outputs.`, "Keep one: --json (same as --format json), or --format html --output stats.html.", "BAD_OPTION");
    const format: StatsFormat = opts.json ? "json" : (opts.format ?? "text");
    if (opts.output && format === "text") throw new UsageError("--output writes the --format output, and text is printed, not written.", "Add --format html (or json): `--format html --output stats.html`.", "BAD_OPTION");
    return { since, until, top: opts.top, format, output: opts.output, providerStats: opts.providerStats };
  },
  async run(input, ctx) {
    // One SQL statement (and SendGrid's stats meanwhile): a line saying what is computed, cleared when it is done.
    const line = createProgressLine({ stream: process.stderr, env: ctx.env, machineOutput: input.format !== "text" || input.output !== undefined });
    line.stage(`stats: computing over ${input.since.toISOString()} … ${input.until.toISOString()}${input.providerStats ? " (and reading SendGrid's stats)" : ""}`);
    const report = await computeStatsReport(ctx, input).finally(() => line.finish());
    const rendered = await renderFormat(report, input.format);
    if (input.output) {
      const { writeOutput } = await import("../support/report-output.js");
      writeOutput(resolve(ctx.cwd, input.output), input.format === "html" ? ctx.redactor.redact(rendered) : rendered);
      ctx.out(`${input.format} report written to ${input.output}\n`);
    } else ctx.out(input.format === "html" ? ctx.redactor.redact(rendered) : rendered);
    return EXIT.OK;
  },
});

async function renderFormat(report: StatsReport, format: StatsFormat): Promise<string> {
  if (format === "json") return `${JSON.stringify(report, null, 2)}\n`;
  if (format === "text") return formatStats(report);
  const { renderStatsHtml } = await import("../../src/engine/formatters/html/stats.js");
  return renderStatsHtml(report, packageVersion());
}
