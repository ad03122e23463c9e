import { z } from "zod";
import { EXIT } from "../../src/engine/exit-codes.js";
import { UsageError } from "../../src/errors.js";
import { computeStats, DEFAULT_STATS_TOP } from "../../src/ops/stats.js";
import { parseDateOption, parseDuration, parseOptions } from "../support/flags.js";
import { defineCommand } from "../support/run.js";
import { formatStats } from "../support/stats-view.js";

/** `bookflow stats`: parse the window, compute the report (src/ops/stats.ts), print a table or --json. */

const statsOptionsSchema = z.object({
  since: z.string().default("7d"),
  until: z.string().optional(),
  top: z.coerce.number({ message: "must be a number" }).int({ message: "must be a whole number" }).min(1, { message: "must be 1 to 1000" }).max(1000, { message: "must be 1 to 1000" }).default(DEFAULT_STATS_TOP),
  json: z.boolean().default(false),
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
    return { since, until, top: opts.top, json: opts.json };
  },
  async run(input, ctx) {
    const report = await computeStats(ctx, input);
    ctx.out(input.json ? `${JSON.stringify(report, null, 2)}\n` : formatStats(report));
    return EXIT.OK;
  },
});
