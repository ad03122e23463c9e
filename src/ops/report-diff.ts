import { relative, resolve } from "node:path";
import type { Context } from "../context.js";
import { compareReports, type BaselineComparison, type BaselineThresholds } from "../engine/baseline.js";
import type { RunReport } from "../engine/report.js";
import { readReportFile } from "./report-files.js";

/**
 * `bookflow report diff <a> <b>`: two saved reports (from `--format json`,
 * `--output` or `--history`), `a` the older, compared by the rules of
 * `verify --baseline` (src/engine/baseline.ts). Both files are read and
 * checked before anything is compared.
 */

export interface ReportDiffInput {
  /** The older report (the baseline). */
  before: string;
  /** The newer one. */
  after: string;
  thresholds: BaselineThresholds;
}

export interface ReportSide {
  file: string;
  startedAt: string;
  target: RunReport["target"];
  outcome: RunReport["outcome"];
  summary: RunReport["summary"];
}

export interface ReportDiff {
  before: ReportSide;
  after: ReportSide;
  comparison: BaselineComparison;
}

export function reportDiff(ctx: Pick<Context, "cwd">, input: ReportDiffInput): ReportDiff {
  const show = (path: string) => relative(ctx.cwd, path) || path;
  const [beforePath, afterPath] = [resolve(ctx.cwd, input.before), resolve(ctx.cwd, input.after)];
  const before = readReportFile(beforePath, "report");
  const after = readReportFile(afterPath, "report");
  const side = (file: string, r: RunReport): ReportSide => ({ file: show(file), startedAt: r.startedAt, target: r.target, outcome: r.outcome, summary: r.summary });
  return { before: side(beforePath, before), after: side(afterPath, after), comparison: compareReports(before, after, show(beforePath), input.thresholds) };
}
