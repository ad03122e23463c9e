import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describeIssues } from "../config/validation.js";
import { REPORT_SCHEMA_VERSION, type RunReport } from "../engine/report.js";
import { runReportSchema } from "../engine/report-schema.js";
import { ConfigError, UsageError } from "../errors.js";
import { jsonNamesNewestFirst } from "./json-files.js";

/**
 * Report files on disk: the run history (`verify --history <dir>`: one JSON
 * report per run, named by its start time so the names sort by time, written
 * atomically) and reading a report back (`--baseline`, `report diff`), checked
 * against the report schema.
 */

/** `2026-12-07T01-02-03-456Z-1a2b3c.json`: the run's start (UTC, to the millisecond), then a short random id. */
export function historyFileName(report: Pick<RunReport, "startedAt">, id = randomBytes(3).toString("hex")): string {
  const when = new Date(report.startedAt).toISOString().replace(/:/g, "-").replace(".", "-");
  return `${when}-${id}.json`;
}

/**
 * Appends `report` (already redacted) to the history directory, creating it:
 * written to a temporary file in the same directory, then renamed, so a reader
 * (or `--baseline last` in a concurrent run) never sees half a report.
 * Returns the file's path.
 */
export function appendToHistory(dir: string, report: RunReport): string {
  const name = historyFileName(report);
  const path = join(dir, name);
  // Hidden and not .json: readers of the directory skip it until the rename.
  const tmp = join(dir, `.${name}.${process.pid}.tmp`);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(tmp, JSON.stringify(report, null, 2) + "\n");
    renameSync(tmp, path);
  } catch (err) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // Nothing was written there (the directory itself is the problem).
    }
    throw new ConfigError(`Cannot write the run to the history directory ${dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, "Check the --history path and its permissions.", "HISTORY_UNWRITABLE");
  }
  return path;
}

/** The newest report file in a history directory, or undefined when it has none (or does not exist). */
export function newestInHistory(dir: string): string | undefined {
  const newest = jsonNamesNewestFirst(dir)[0];
  return newest === undefined ? undefined : join(dir, `${newest}.json`);
}

/**
 * `--baseline <file|last>` → the baseline's path: `last` is the newest report
 * in `--history` (usage errors, with the fix, when there is no --history or it
 * is empty); a file is resolved against `cwd`.
 */
export function resolveBaseline(baseline: string, historyDir: string | undefined, cwd: string): string {
  if (baseline !== "last") return resolve(cwd, baseline);
  if (!historyDir)
    throw new UsageError("--baseline last needs --history <dir>: it is the newest report there.", "Add --history <dir> (the directory earlier runs wrote to), or give a report file: --baseline reports/verify.json.", "BAD_OPTION");
  const dir = resolve(cwd, historyDir);
  const newest = newestInHistory(dir);
  if (!newest)
    throw new UsageError(
      `--baseline last: the history directory ${dir} has no report yet.`,
      "Run once with --history and without --baseline to record one, or give a report file: --baseline reports/verify.json.",
      "BASELINE_MISSING",
    );
  return newest;
}

/**
 * Reads a bookflow JSON report (from `--format json`, `--history` or
 * `--output`). Errors name the file and what is wrong: unreadable, not JSON,
 * not a bookflow report, a schema version this bookflow does not read, or
 * each field that does not match the schema.
 */
export function readReportFile(path: string, what = "report"): RunReport {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(`Cannot read the ${what} ${path}${code === "ENOENT" ? ": no such file" : `: ${code ?? String(err)}`}`, "Give the path of a report written by `bookflow verify --format json` or --history.", "REPORT_UNREADABLE");
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`The ${what} ${path} is not JSON: ${(err as Error).message}`, "Give a report written by `bookflow verify --format json` or --history.", "REPORT_INVALID");
  }
  const head = value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  const tool = head?.tool && typeof head.tool === "object" ? (head.tool as Record<string, unknown>).name : undefined;
  if (!head || tool !== "bookflow" || head.schemaVersion === undefined)
    throw new ConfigError(
      `The ${what} ${path} is not a bookflow report: ${!head ? "expected a JSON object" : tool !== "bookflow" ? 'tool.name is not "bookflow"' : "it has no schemaVersion"}.`,
      "Give a report written by `bookflow verify --format json` or --history.",
      "REPORT_INVALID",
    );
  if (head.schemaVersion !== REPORT_SCHEMA_VERSION) {
    const newer = typeof head.schemaVersion === "number" && head.schemaVersion > REPORT_SCHEMA_VERSION;
    throw new ConfigError(
      `The ${what} ${path} has report schema version ${JSON.stringify(head.schemaVersion)}; this bookflow reads version ${REPORT_SCHEMA_VERSION}.`,
      newer ? "Compare it with the bookflow version that wrote it (tool.version in the file), or upgrade bookflow." : "Record a new baseline with this version: run once with --history (or --format json --output <file>).",
      "REPORT_VERSION",
    );
  }
  const parsed = runReportSchema.safeParse(value);
  if (!parsed.success)
    throw new ConfigError(
      `The ${what} ${path} is not a valid bookflow report:\n  - ${describeIssues(parsed.error.issues).slice(0, 8).join("\n  - ")}`,
      "Give a report written by `bookflow verify --format json` or --history, unedited.",
      "REPORT_INVALID",
    );
  return parsed.data as RunReport;
}
