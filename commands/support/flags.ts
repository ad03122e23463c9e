import type { z } from "zod";
import { describeIssues } from "../../src/config/validation.js";
import { UsageError } from "../../src/errors.js";

/**
 * Durations and dates given on the command line, parsed one way for every
 * command: what each accepts differs only in its bounds, whether a bare number
 * means seconds, and how a time without a zone is read.
 */

export type DurationUnit = "ms" | "s" | "m" | "h" | "d";

const UNIT_MS: Record<DurationUnit, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/;

/**
 * "500ms", "2.5s", "30m", "1h", "7d" → milliseconds. A bare number ("15") is in
 * `bareUnit`, or not a duration when there is none. NaN when it is not a duration.
 */
export function durationMs(text: string, bareUnit?: DurationUnit): number {
  const m = DURATION.exec(text);
  const unit = (m?.[2] as DurationUnit | undefined) ?? bareUnit;
  if (!m || !unit) return NaN;
  return Number(m[1]) * UNIT_MS[unit];
}

/** The largest unit that divides `ms` evenly: 600000 → "10m", 1500 → "1.5s". */
export function describeMs(ms: number): string {
  if (ms === 0) return "0";
  for (const unit of ["d", "h", "m", "s"] as const) if (ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  return ms < 1000 ? `${ms}ms` : `${ms / 1000}s`;
}

export interface DurationBounds {
  minMs: number;
  maxMs: number;
  /** What a bare number means (none: a unit is required). */
  bareUnit?: DurationUnit;
  /** How to write one, for the hint: "Give seconds (15, 2.5s) or milliseconds (500ms)." */
  hint: string;
}

/** A duration flag within its bounds → whole milliseconds; anything else is a UsageError (exit 2) naming the flag. */
export function parseDurationFlag(text: string, flag: string, bounds: DurationBounds): number {
  const ms = durationMs(text, bounds.bareUnit);
  if (!Number.isFinite(ms) || ms < bounds.minMs || ms > bounds.maxMs) {
    throw new UsageError(`${flag} ${JSON.stringify(text)} is not a duration from ${describeMs(bounds.minMs)} to ${describeMs(bounds.maxMs)}.`, bounds.hint, "BAD_OPTION");
  }
  return Math.round(ms);
}

export interface DateFlagOptions {
  /** A time without a zone: read as UTC, or refused rather than guessed. */
  zoneless: "utc" | "refuse";
  /** A bare date stands for the end of that day (the next midnight, exclusive), so `--to 2030-01-31` includes the 31st. */
  endOfDay?: boolean;
}

/** `YYYY-MM-DD` (midnight UTC) or an ISO date and time (`T` or a space; seconds and fractions optional). */
export function parseDateFlag(text: string, flag: string, options: DateFlagOptions): Date {
  const value = text.trim();
  const hint =
    options.zoneless === "refuse"
      ? `Give a date (${flag} 2026-03-01, read as midnight UTC) or a time with its zone (${flag} 2026-03-01T09:30:00Z).`
      : `Give an ISO date (2030-01-31) or date-time (2030-01-31T09:00:00Z).`;
  const dateOnly = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const dateTime = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/i.exec(value);
  if (!dateOnly && !dateTime) throw new UsageError(`${flag} ${JSON.stringify(text)} is not a date.`, hint, "BAD_DATE");
  if (dateTime && !dateTime[7] && options.zoneless === "refuse") throw new UsageError(`${flag} ${JSON.stringify(text)} has no time zone.`, hint, "BAD_DATE");
  const [, y, mo, d] = (dateOnly ?? dateTime)!;
  // The calendar date must exist (2026-02-30 does not).
  const day = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (day.getUTCFullYear() !== Number(y) || day.getUTCMonth() !== Number(mo) - 1 || day.getUTCDate() !== Number(d)) {
    throw new UsageError(`${flag} ${JSON.stringify(text)} is not a date (no such day).`, hint, "BAD_DATE");
  }
  if (dateOnly) return options.endOfDay ? new Date(day.getTime() + 86_400_000) : day;
  const [, , , , hh, mm, ss, zone] = dateTime!;
  const at = new Date(`${value.slice(0, 10)}T${value.slice(11).replace(/(Z|[+-]\d{2}:?\d{2})$/i, "")}${normaliseZone(zone)}`);
  if (Number.isNaN(at.getTime()) || Number(hh) > 23 || Number(mm) > 59 || Number(ss ?? 0) > 59) {
    throw new UsageError(`${flag} ${JSON.stringify(text)} is not a valid time.`, hint, "BAD_DATE");
  }
  return at;
}

function normaliseZone(zone: string | undefined): string {
  if (!zone || zone.toUpperCase() === "Z") return "Z";
  return zone.includes(":") ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
}

/** A time limit flag (`--timeout`, `--step-timeout`): "15s", "500ms", "2.5s", or plain seconds ("15") → milliseconds, 1 ms to 10 minutes. */
export function parseTimeout(text: string, flag = "--timeout"): number {
  return parseDurationFlag(text, flag, { minMs: 1, maxMs: 600_000, bareUnit: "s", hint: "Give seconds (15, 2.5s) or milliseconds (500ms)." });
}

/** Splits repeatable, comma-separated option values: ["a,b", "c"] → ["a", "b", "c"]. */
export function splitList(values: readonly string[]): string[] {
  return values.flatMap((v) => v.split(",")).map((v) => v.trim()).filter(Boolean);
}

/** Raw options (commander's) checked with a zod schema; a problem is a UsageError BAD_OPTION listing each one. */
export function parseOptions<S extends z.ZodType>(schema: S, raw: unknown, command: string): z.infer<S> {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  throw new UsageError(`Invalid options for ${command}:\n  - ${describeIssues(r.error.issues).join("\n  - ")}`, `See \`bookflow ${command} --help\`.`, "BAD_OPTION");
}

/** "30m", "2h", "1d", "90s", "500ms" → milliseconds (at least 1 s, at most 365 days). */
export function parseDuration(text: string, flag: string): number {
  return parseDurationFlag(text, flag, { minMs: 1000, maxMs: 365 * 86_400_000, hint: "Give a number with a unit: 30m, 2h, 1d, 90s." });
}

/** An ISO date (2030-01-31) or date-time (2030-01-31T09:00:00Z; no zone = UTC); `endOfDay`: a bare date includes that day. */
export function parseDateOption(text: string, flag: string, options: { endOfDay?: boolean } = {}): Date {
  return parseDateFlag(text, flag, { zoneless: "utc", ...options });
}

/** Repeatable option values → one, or a UsageError when they differ (`--refund none --refund full`). */
export function single(values: string | readonly string[] | undefined, flag: string): string | undefined {
  if (values === undefined) return undefined;
  const list = typeof values === "string" ? [values] : [...values];
  const distinct = [...new Set(list.map((v) => v.trim().toLowerCase()))];
  if (distinct.length > 1) {
    throw new UsageError(`${flag} was given ${distinct.length} different values (${distinct.join(", ")}).`, `Give ${flag} once.`, "CONFLICTING_OPTIONS");
  }
  return distinct[0];
}
