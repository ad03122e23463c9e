import { z } from "zod";
import { hasChanges } from "../../src/engine/baseline.js";
import { EXIT } from "../../src/engine/exit-codes.js";
import { baselineCounts, slowerRule } from "../../src/engine/formatters/baseline.js";
import { formatDuration } from "../../src/engine/report.js";
import { reportDiff, type ReportDiff, type ReportSide } from "../../src/ops/report-diff.js";
import { parseOptions } from "../support/flags.js";
import { parseThresholds } from "../support/report-history.js";
import { defineCommand } from "../support/run.js";

/** `bookflow report diff <a> <b>`: parse, compare (src/ops/report-diff.ts), print a table or --json. */

const optionsSchema = z.object({
  a: z.string().min(1, { message: "must name a report file" }),
  b: z.string().min(1, { message: "must name a report file" }),
  json: z.boolean().default(false),
  failOnNewFailures: z.boolean().default(false),
  slowerBy: z.string().optional(),
  slowerRatio: z.string().optional(),
  config: z.string().min(1).optional(),
});

export type ReportDiffOptions = z.input<typeof optionsSchema>;

export const reportDiffCommand = defineCommand({
  command: "report diff",
  parse(raw, ctx) {
    const opts = parseOptions(optionsSchema, raw, "report diff");
    return { ...opts, thresholds: parseThresholds(opts, ctx.cwd) };
  },
  async run(input, ctx) {
    const diff = reportDiff(ctx, { before: input.a, after: input.b, thresholds: input.thresholds });
    ctx.out(ctx.redactor.redact(input.json ? JSON.stringify(diff, null, 2) + "\n" : renderDiff(diff)));
    return input.failOnNewFailures && diff.comparison.newFailures.length > 0 ? EXIT.FAILED : EXIT.OK;
  },
});

function side(s: ReportSide): string {
  return `${s.file} (${s.startedAt}, target ${s.target}, ${s.outcome}: ${s.summary.fail} failed, ${s.summary.error} errors of ${s.summary.total})`;
}

/** The two reports, the counts, then one table row per change: new failures, fixed, slower. */
export function renderDiff(diff: ReportDiff): string {
  const c = diff.comparison;
  const lines = [`A: ${side(diff.before)}`, `B: ${side(diff.after)}`];
  if (diff.before.target !== diff.after.target) lines.push(`note: A ran against target ${diff.before.target}, B against ${diff.after.target}`);
  lines.push("", baselineCounts(c) + (c.stillFailing.length ? `; still failing: ${c.stillFailing.length}` : ""));
  if (!hasChanges(c)) {
    lines.push("", "No new failure, nothing fixed, nothing slower.");
  } else {
    const rows: string[][] = [["CHANGE", "CHECK", "A", "B", "DETAIL"]];
    for (const ch of c.newFailures) rows.push(["new failure", ch.id, ch.before ?? "-", ch.after, ch.message]);
    for (const ch of c.fixed) rows.push(["fixed", ch.id, ch.before ?? "-", ch.after, ch.message]);
    for (const s of c.slower) rows.push(["slower", s.id, formatDuration(s.beforeMs), formatDuration(s.afterMs), `+${formatDuration(s.deltaMs)}${s.ratio === null ? "" : ` (×${s.ratio})`}`]);
    const widths = rows[0]!.slice(0, -1).map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    lines.push("");
    for (const r of rows) lines.push(r.map((cell, i) => (i < widths.length ? cell.padEnd(widths[i]!) : cell)).join("  ").trimEnd());
  }
  lines.push("", `slower: ${slowerRule(c)} (--slower-by, --slower-ratio, or thresholds.slowerByMs / slowerByRatio in bookflow.config.json)`);
  if (c.added.length) lines.push(`only in B: ${c.added.join(", ")}`);
  if (c.removed.length) lines.push(`only in A: ${c.removed.join(", ")}`);
  return lines.join("\n") + "\n";
}
