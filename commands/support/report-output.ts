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
 * - --format without --output: the one format on stdout (two are refused), live view and summary on stderr;
 * - --output FILE: the one --format (default json) into FILE, live view and summary on stdout;
 * - markdown, when $GITHUB_STEP_SUMMARY is set: appended there (as well as to FILE with --output; instead of stdout without).
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

export interface ReportOutputOptions {
  formats: readonly FormatName[];
  output?: string | undefined;
}

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
 * `--format` values (already split), `--output` and `$GITHUB_STEP_SUMMARY` →
 * the formats to produce. Unknown names, two formats for one file and two
 * formats for stdout (two documents one after the other, which no reader can
 * parse) are usage errors; markdown appended to the step summary does not
 * take stdout.
 */
export function checkFormats(formats: readonly string[], output: string | undefined, summaryFile?: string): FormatName[] {
  for (const f of formats) {
    if (!isFormatName(f)) throw new UsageError(`Unknown --format "${f}".`, `Use one of: ${FORMAT_NAMES.join(", ")}.`, "BAD_OPTION");
  }
  const names = [...new Set(formats)] as FormatName[];
  if (output && names.length > 1)
    throw new UsageError(`--output takes one --format, got ${names.length} (${names.join(", ")}).`, "Run once per format, each with its own --output file.", "BAD_OPTION");
  if (output && names.length === 0) return ["json"];
  const onStdout = stdoutFormats(names, output, summaryFile);
  if (onStdout.length > 1)
    throw new UsageError(
      `Only one --format can go to stdout, got ${onStdout.length} (${onStdout.join(", ")}).`,
      `Keep one on stdout and write each other one to a file in its own run with \`--format <name> --output <file>\`` +
        (onStdout.includes("markdown") ? "; with $GITHUB_STEP_SUMMARY set, markdown is appended there instead of stdout" : "") +
        " (the human summary goes to stderr whenever a format takes stdout).",
      "BAD_OPTION",
    );
  return names;
}

/** The formats printed on stdout: none with --output; markdown goes to $GITHUB_STEP_SUMMARY when it is set. */
function stdoutFormats(formats: readonly FormatName[], output: string | undefined, summaryFile: string | undefined): FormatName[] {
  return output ? [] : formats.filter((f) => !(f === "markdown" && summaryFile));
}

export function reportOutput(ctx: Context, options: ReportOutputOptions, streams: TerminalStreams = {}): ReportOutput {
  const { formats, output } = options;
  const redact = (text: string) => ctx.redactor.redact(text);
  const summaryFile = ctx.env.GITHUB_STEP_SUMMARY || undefined;
  const onStdout = stdoutFormats(formats, output, summaryFile);
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
      const render = (f: FormatName) => redact(formatters[f](shown, { color: false }));
      for (const f of onStdout) ctx.out(ensureNewline(render(f)));
      if (output) writeOutput(resolve(ctx.cwd, output), render(formats[0]!));
      if (summaryFile && formats.includes("markdown")) appendSummary(summaryFile, render("markdown"));
      return shown;
    },
  };
}

export function wantsColor(env: Record<string, string | undefined>, stream: NodeJS.WriteStream | undefined): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== "0" && env.FORCE_COLOR !== "false";
  return !!stream?.isTTY;
}

export function writeOutput(file: string, text: string): void {
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, ensureNewline(text));
  } catch (err) {
    throw new ConfigError(`Cannot write --output file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, "Check the path and its permissions.", "OUTPUT_UNWRITABLE");
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
