import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Context } from "../../src/context.js";
import { ConfigError, UsageError } from "../../src/errors.js";
import { FORMAT_NAMES, formatters, isFormatName, type FormatName } from "../../src/engine/formatters/index.js";
import { plainView } from "../../src/engine/live/plain.js";
import { redactDeep, type RunReport } from "../../src/engine/report.js";
import type { RunEvent } from "../../src/engine/runner.js";
import { scenarioView } from "../../src/engine/scenarios/live.js";
import type { ScenarioEvent } from "../../src/engine/scenarios/runner.js";

/**
 * Where a run report goes, the same for `bookflow verify` and `bookflow
 * scenarios run` (imported by their handlers only: it loads the formatters).
 *
 * - no --format: live view and summary on stdout;
 * - --format NAME=FILE (repeatable, InSpec's style): NAME written to FILE (directories created);
 * - --format NAME without a file: on stdout (one at most), live view and summary on stderr;
 * - --output FILE: the one --format given without a file (default json) into FILE;
 * - markdown, when $GITHUB_STEP_SUMMARY is set: appended there (as well as to its file when it has one; instead of stdout otherwise).
 *
 * Colour follows NO_COLOR / FORCE_COLOR, else whether the human stream is a
 * terminal; the checks' live view is listr2 on a terminal outside CI, plain
 * lines otherwise. Every string is redacted by the context's redactor.
 */

/** The real streams behind ctx.out / ctx.err, to decide on the live view and colours (none: plain lines, no colour). */
export interface TerminalStreams {
  stdout?: NodeJS.WriteStream | undefined;
  stderr?: NodeJS.WriteStream | undefined;
}

/** One format to produce, and where: a file (relative to the working directory), or stdout. */
export interface FormatTarget {
  format: FormatName;
  /** undefined: stdout (markdown: $GITHUB_STEP_SUMMARY when it is set). */
  file?: string | undefined;
}

export interface ReportOutputOptions {
  targets: readonly FormatTarget[];
}

/** Other names `--format` accepts. */
const FORMAT_ALIASES: Readonly<Record<string, FormatName>> = { pretty: "pretty-summary" };

export interface ChecksLiveView {
  onEvent(event: RunEvent): void;
  /** Resolves when the view has drawn its last frame. */
  finished(): Promise<void>;
}

export interface ReportOutput {
  /** Where progress, the summary and notes for a person go (stdout, or stderr when formats take stdout). */
  human(text: string): void;
  color: boolean;
  /** The checks' live view: listr2 on a terminal (outside CI), plain lines otherwise. */
  checksView(): Promise<ChecksLiveView>;
  /** The scenarios' live view: one line per step. */
  scenarioView(): (event: ScenarioEvent) => void;
  /**
   * Redacts the report, prints its summary, then `notes` (what the command adds
   * under the summary), then the formats; returns the redacted report.
   */
  present(report: RunReport, notes?: () => void): RunReport;
}

/**
 * `--format` values (already split at commas), `--output` and
 * `$GITHUB_STEP_SUMMARY` → the formats to produce and where. A value is
 * `name` or `name=file`. Usage errors: an unknown name or an empty file; two
 * formats for one file; --output with two formats that have no file of their
 * own; two formats for stdout (two documents one after the other, which no
 * reader can parse). Markdown appended to the step summary does not take stdout.
 */
export function checkFormats(values: readonly string[], output: string | undefined, summaryFile?: string): FormatTarget[] {
  const targets: FormatTarget[] = [];
  for (const value of values) {
    const eq = value.indexOf("=");
    const name = (eq < 0 ? value : value.slice(0, eq)).trim();
    const file = eq < 0 ? undefined : value.slice(eq + 1).trim();
    const format = FORMAT_ALIASES[name] ?? name;
    if (!isFormatName(format)) throw new UsageError(`Unknown --format "${name}".`, `Use one of: ${FORMAT_NAMES.join(", ")} (each optionally =<file>: --format junit=reports/verify.xml).`, "BAD_OPTION");
    if (file === "") throw new UsageError(`--format ${value} names no file after "=".`, `Give the file (--format ${format}=reports/verify.${format === "junit" ? "xml" : format}) or leave out "=" for stdout.`, "BAD_OPTION");
    if (!targets.some((t) => t.format === format && t.file === file)) targets.push({ format, file });
  }
  const withoutFile = targets.filter((t) => t.file === undefined);
  if (output !== undefined) {
    if (withoutFile.length > 1)
      throw new UsageError(
        `--output takes one --format, got ${withoutFile.length} (${withoutFile.map((t) => t.format).join(", ")}).`,
        "Give each format its own file instead: --format junit=reports/verify.xml --format json=reports/verify.json.",
        "BAD_OPTION",
      );
    if (withoutFile[0]) withoutFile[0].file = output;
    else targets.push({ format: "json", file: output });
  }
  const byFile = new Map<string, FormatName>();
  for (const t of targets) {
    if (t.file === undefined) continue;
    const key = resolve(t.file);
    const other = byFile.get(key);
    if (other && other !== t.format) throw new UsageError(`--format ${other} and --format ${t.format} both write ${t.file}.`, "Give each format its own file.", "BAD_OPTION");
    byFile.set(key, t.format);
  }
  const onStdout = stdoutFormats(targets, summaryFile);
  if (onStdout.length > 1)
    throw new UsageError(
      `Only one --format can go to stdout, got ${onStdout.length} (${onStdout.join(", ")}).`,
      `Keep one on stdout and write each other one to a file: \`--format <name>=<file>\` (or, for one format, \`--format <name> --output <file>\`)` +
        (onStdout.includes("markdown") ? "; with $GITHUB_STEP_SUMMARY set, markdown is appended there instead of stdout" : "") +
        " (the human summary goes to stderr whenever a format takes stdout).",
      "BAD_OPTION",
    );
  return targets;
}

/** The formats printed on stdout: those without a file, but markdown goes to $GITHUB_STEP_SUMMARY when it is set. */
function stdoutFormats(targets: readonly FormatTarget[], summaryFile: string | undefined): FormatName[] {
  return targets.filter((t) => t.file === undefined && !(t.format === "markdown" && summaryFile)).map((t) => t.format);
}

export function reportOutput(ctx: Context, options: ReportOutputOptions, streams: TerminalStreams = {}): ReportOutput {
  const { targets } = options;
  const redact = (text: string) => ctx.redactor.redact(text);
  const summaryFile = ctx.env.GITHUB_STEP_SUMMARY || undefined;
  const onStdout = stdoutFormats(targets, summaryFile);
  const humanToStderr = onStdout.length > 0;
  const human = humanToStderr ? ctx.err : ctx.out;
  const humanStream = humanToStderr ? streams.stderr : streams.stdout;
  const color = wantsColor(ctx.env, humanStream);
  return {
    human,
    color,
    async checksView() {
      if (humanStream?.isTTY && !ctx.env.CI) {
        const { listrView } = await import("../../src/engine/live/listr.js");
        return listrView(humanStream, redact);
      }
      return { onEvent: plainView(human, { color }), finished: async () => undefined };
    },
    scenarioView: () => scenarioView(human, { color }),
    present(report, notes) {
      const shown = redactDeep(report, redact);
      human(formatters["pretty-summary"](shown, { color }));
      notes?.();
      const rendered = new Map<FormatName, string>();
      const render = (f: FormatName) => rendered.get(f) ?? rendered.set(f, redact(formatters[f](shown, { color: false }))).get(f)!;
      for (const f of onStdout) ctx.out(ensureNewline(render(f)));
      for (const t of targets) if (t.file !== undefined) writeOutput(resolve(ctx.cwd, t.file), render(t.format), t.format);
      if (summaryFile && targets.some((t) => t.format === "markdown")) appendSummary(summaryFile, render("markdown"));
      return shown;
    },
  };
}

export function wantsColor(env: Record<string, string | undefined>, stream: NodeJS.WriteStream | undefined): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== "0" && env.FORCE_COLOR !== "false";
  return !!stream?.isTTY;
}

export function writeOutput(file: string, text: string, format?: string): void {
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, ensureNewline(text));
  } catch (err) {
    throw new ConfigError(`Cannot write the ${format ? `--format ${format}` : "--output"} file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, "Check the path and its permissions.", "OUTPUT_UNWRITABLE");
  }
}

export function appendSummary(file: string, markdown: string): void {
  try {
    appendFileSync(file, ensureNewline(markdown));
  } catch (err) {
    throw new ConfigError(`Cannot append to $GITHUB_STEP_SUMMARY (${file}): ${(err as NodeJS.ErrnoException).code ?? String(err)}`, "Unset GITHUB_STEP_SUMMARY outside GitHub Actions.", "OUTPUT_UNWRITABLE");
  }
}

export function ensureNewline(text: string): string {
  return text.endsWith("\n") ? text : text + "\n";
}
