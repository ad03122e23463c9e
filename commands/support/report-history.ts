import { existsSync, statSync } from "node:fs";
import { relative, resolve } from "node:path";
import { loadBookflowConfig } from "../../src/config/bookflow-config.js";
import type { Context } from "../../src/context.js";
import { compareReports, type BaselineThresholds } from "../../src/engine/baseline.js";
import type { RunReport } from "../../src/engine/report.js";
import { UsageError } from "../../src/errors.js";
import { appendToHistory, readReportFile, resolveBaseline } from "../../src/ops/report-files.js";
import { parseDurationFlag } from "./flags.js";

/**
 * `--history <dir>`, `--baseline <report.json|last>`, `--slower-by` and
 * `--slower-ratio`, the same for `bookflow verify` and `bookflow scenarios
 * run`: the baseline is read and checked before anything runs (exit 2 when it
 * is missing or not a bookflow report); after the run, the comparison goes
 * into the report (so every format shows it) and the redacted report is
 * appended to the history.
 */

export interface HistoryFlags {
  history?: string | undefined;
  baseline?: string | undefined;
  slowerBy?: string | undefined;
  slowerRatio?: string | undefined;
  config?: string | undefined;
}

export interface HistoryOptions {
  /** Absolute history directory. */
  historyDir?: string | undefined;
  baseline?: { report: RunReport; file: string; thresholds: BaselineThresholds } | undefined;
}

/** The thresholds: --slower-by / --slower-ratio, else the config file's thresholds.slowerByMs / slowerByRatio. */
export function parseThresholds(flags: Pick<HistoryFlags, "slowerBy" | "slowerRatio" | "config">, cwd: string): BaselineThresholds {
  const { thresholds } = loadBookflowConfig(flags.config, cwd).config;
  const slowerByMs =
    flags.slowerBy === undefined
      ? thresholds.slowerByMs
      : parseDurationFlag(flags.slowerBy, "--slower-by", { minMs: 0, maxMs: 3_600_000, bareUnit: "ms", hint: "Give milliseconds (500) or a unit: 500ms, 2s." });
  let slowerByRatio = thresholds.slowerByRatio;
  if (flags.slowerRatio !== undefined) {
    slowerByRatio = Number(flags.slowerRatio);
    if (!/^\d+(\.\d+)?$/.test(flags.slowerRatio.trim()) || slowerByRatio < 1)
      throw new UsageError(`--slower-ratio ${JSON.stringify(flags.slowerRatio)} is not a number of at least 1.`, "Give how many times as long a check must take to count as slower: 1.5, 2 (1: --slower-by alone).", "BAD_OPTION");
  }
  return { slowerByMs, slowerByRatio };
}

export function parseHistoryOptions(flags: HistoryFlags, ctx: Context): HistoryOptions {
  const historyDir = flags.history === undefined ? undefined : resolve(ctx.cwd, flags.history);
  if (flags.history !== undefined && !flags.history.trim()) throw new UsageError("--history names no directory.", "Give the directory the run reports go to: --history reports/history.", "BAD_OPTION");
  // Refused before the run rather than after it.
  if (historyDir && existsSync(historyDir) && !statSync(historyDir).isDirectory())
    throw new UsageError(`--history ${flags.history}: ${historyDir} is a file, not a directory.`, "Give a directory (created when missing): --history reports/history.", "BAD_OPTION");
  if (flags.baseline === undefined) {
    if (flags.slowerBy !== undefined || flags.slowerRatio !== undefined)
      throw new UsageError(`${flags.slowerBy !== undefined ? "--slower-by" : "--slower-ratio"} needs --baseline.`, "Give --baseline <report.json|last> too: the slower checks are those slower than in the baseline.", "BAD_OPTION");
    return { historyDir };
  }
  const path = resolveBaseline(flags.baseline, flags.history, ctx.cwd);
  const report = readReportFile(path, "--baseline report");
  const file = relative(ctx.cwd, path) || path;
  return { historyDir, baseline: { report, file, thresholds: parseThresholds(flags, ctx.cwd) } };
}

/** The report with the comparison to the baseline (when there is one). */
export function withBaseline(report: RunReport, options: HistoryOptions): RunReport {
  const b = options.baseline;
  return b ? { ...report, baseline: compareReports(b.report, report, b.file, b.thresholds) } : report;
}

/** Appends the (redacted) report to --history; returns the file written, relative to the working directory. */
export function recordHistory(shown: RunReport, options: HistoryOptions, ctx: Context): string | undefined {
  if (!options.historyDir) return undefined;
  const path = appendToHistory(options.historyDir, shown);
  return relative(ctx.cwd, path) || path;
}
