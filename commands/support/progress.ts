/**
 * One updating progress line on a terminal (stderr): a label, done/total
 * counts, a percentage and an ETA from the rate so far, redrawn in place
 * (`\r` + clear-line) at most every `minIntervalMs`, cleared at the end.
 *
 * It writes nothing when the stream is not a terminal, when the command's
 * output is a machine format (--json, …), or under CI (a truthy CI, the rule
 * of `isInteractive` in src/context.ts): pipes, logs and JSON stay clean.
 */

/** What the line writes to: `process.stderr`, or a test's recorder. */
export interface ProgressStream {
  isTTY?: boolean | undefined;
  /** Terminal width; a longer line is cut so it never wraps (a wrapped line cannot be redrawn in place). */
  columns?: number | undefined;
  write(text: string): unknown;
}

export interface ProgressOptions {
  stream: ProgressStream;
  env?: Record<string, string | undefined>;
  /** The command prints a machine format (--json, --format json, …): no progress. */
  machineOutput?: boolean;
  /** Milliseconds, monotonic (default `performance.now`). */
  now?: () => number;
  /** Least time between two redraws (default 100 ms: at most ~10 a second). */
  minIntervalMs?: number;
}

export interface ProgressUpdate {
  /** How many are done so far. */
  done: number;
  /** How many there are, when known (no total: counts only, no percentage, no ETA). */
  total?: number | null;
  /** What is counted ("bookings"). */
  unit?: string;
  /** Further counts shown after the main one ("Calendly 12 pages"). */
  detail?: string;
}

export interface ProgressLine {
  /** False when nothing is ever written (no terminal, machine output, CI). */
  readonly enabled: boolean;
  /** A new stage: its label is drawn at once, and its counts and rate start from zero. */
  stage(label: string): void;
  /** New counts for the current stage, drawn unless the last redraw was less than the interval ago. */
  update(update: ProgressUpdate): void;
  /** Prints something permanent (a warning, a result) through `print`: the line is cleared first and redrawn after. */
  above(print: () => void): void;
  /** Clears the line (and stops drawing). */
  finish(): void;
}

export const CLEAR_LINE = "\r\x1b[2K";

/** Below this much elapsed time, or this fraction done, the rate is too young for an ETA. */
export const ETA_MIN_ELAPSED_MS = 1000;
export const ETA_MIN_FRACTION = 0.01;

/** The same rule as `isInteractive` (src/context.ts): CI set to anything but "", "0" or "false". */
export function ciIsSet(env: Record<string, string | undefined>): boolean {
  const ci = env.CI?.trim().toLowerCase();
  return Boolean(ci && ci !== "0" && ci !== "false");
}

export function progressEnabled(options: Pick<ProgressOptions, "stream" | "env" | "machineOutput">): boolean {
  return options.stream.isTTY === true && !options.machineOutput && !ciIsSet(options.env ?? {});
}

/** Milliseconds left at the rate so far, or null while too little is done (or no total) to say. */
export function estimateRemainingMs(done: number, total: number | null | undefined, elapsedMs: number): number | null {
  if (total === null || total === undefined || total <= 0 || done <= 0 || done > total) return null;
  if (elapsedMs < ETA_MIN_ELAPSED_MS || done / total < ETA_MIN_FRACTION) return null;
  return (elapsedMs * (total - done)) / done;
}

/** `ETA 45s`, `ETA 3m05s`, `ETA 1h02m`. */
export function formatEta(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  if (s < 60) return `ETA ${s}s`;
  if (s < 3600) return `ETA ${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `ETA ${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

const count = (n: number) => Math.round(n).toLocaleString("en-US");

/**
 * The line's text: `reconcile: 12,300/200,000 bookings (6%) · Calendly 123 pages · ETA 7s`.
 * A count past its total means the total was an estimate: the count is shown alone.
 */
export function formatProgress(label: string, update: ProgressUpdate | null, elapsedMs: number): string {
  if (!update) return label;
  const total = update.total !== null && update.total !== undefined && update.total >= update.done ? update.total : null;
  const unit = update.unit ? ` ${update.unit}` : "";
  const parts = [total === null ? `${count(update.done)}${unit}` : `${count(update.done)}/${count(total)}${unit} (${total === 0 ? 100 : Math.floor((update.done / total) * 100)}%)`];
  if (update.detail) parts.push(update.detail);
  const eta = estimateRemainingMs(update.done, total, elapsedMs);
  if (eta !== null) parts.push(formatEta(eta));
  return `${label}: ${parts.join(" · ")}`;
}

export function createProgressLine(options: ProgressOptions): ProgressLine {
  const enabled = progressEnabled(options);
  const { stream } = options;
  const now = options.now ?? (() => performance.now());
  const interval = options.minIntervalMs ?? 100;
  let label = "";
  let latest: ProgressUpdate | null = null;
  let stageStarted = now();
  let lastDraw = -Infinity;
  let drawn = false;
  let finished = false;

  const fit = (text: string) => (stream.columns && stream.columns > 1 && text.length > stream.columns - 1 ? `${text.slice(0, stream.columns - 2)}…` : text);
  const draw = () => {
    const t = now();
    stream.write(`${CLEAR_LINE}${fit(formatProgress(label, latest, t - stageStarted))}`);
    lastDraw = t;
    drawn = true;
  };
  const live = () => enabled && !finished;

  return {
    enabled,
    stage(next) {
      if (!live()) return;
      label = next;
      latest = null;
      stageStarted = now();
      draw();
    },
    update(u) {
      if (!live()) return;
      latest = { ...u };
      if (now() - lastDraw >= interval) draw();
    },
    above(print) {
      if (drawn) stream.write(CLEAR_LINE);
      drawn = false;
      print();
      if (live() && label) draw();
    },
    finish() {
      if (!live()) return;
      finished = true;
      if (drawn) stream.write(CLEAR_LINE);
      drawn = false;
    },
  };
}
