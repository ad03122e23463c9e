import { describe, expect, it } from "vitest";
import { describeMs, durationMs, parseDateFlag, parseDurationFlag } from "../../commands/support/flags.js";

describe("command-line durations", () => {
  it("reads a number and a unit; a bare number only when the flag gives it a unit", () => {
    expect(durationMs("500ms")).toBe(500);
    expect(durationMs("2.5s")).toBe(2500);
    expect(durationMs(" 30m ")).toBe(1_800_000);
    expect(durationMs("7d")).toBe(604_800_000);
    expect(durationMs("15")).toBeNaN();
    expect(durationMs("15", "s")).toBe(15_000);
    expect(durationMs("5 minutes")).toBeNaN();
  });
  it("refuses what is out of bounds or not a duration, naming the flag and the range (exit 2)", () => {
    const bounds = { minMs: 1000, maxMs: 86_400_000, hint: "Give 30m." };
    expect(parseDurationFlag("1.5h", "--stuck-after", bounds)).toBe(5_400_000);
    for (const bad of ["0m", "2d", "soon", "30"]) {
      expect(() => parseDurationFlag(bad, "--stuck-after", bounds)).toThrow(expect.objectContaining({ code: "BAD_OPTION", message: expect.stringContaining(`--stuck-after "${bad}" is not a duration from 1s to 1d`) }));
    }
    expect(describeMs(600_000)).toBe("10m");
    expect(describeMs(1500)).toBe("1.5s");
  });
});

describe("command-line dates", () => {
  it("reads dates as midnight UTC, or the end of the day when asked", () => {
    expect(parseDateFlag("2026-03-01", "--since", { zoneless: "refuse" }).toISOString()).toBe("2026-03-01T00:00:00.000Z");
    expect(parseDateFlag("2026-03-01", "--to", { zoneless: "utc", endOfDay: true }).toISOString()).toBe("2026-03-02T00:00:00.000Z");
  });
  it("reads times with a zone; a zoneless time is UTC or refused, as the flag says", () => {
    expect(parseDateFlag("2026-03-01T09:30:00+02:00", "--since", { zoneless: "refuse" }).toISOString()).toBe("2026-03-01T07:30:00.000Z");
    expect(parseDateFlag("2026-03-01 09:30+0200", "--since", { zoneless: "refuse" }).toISOString()).toBe("2026-03-01T07:30:00.000Z");
    expect(parseDateFlag("2026-03-01T09:30", "--from", { zoneless: "utc" }).toISOString()).toBe("2026-03-01T09:30:00.000Z");
    expect(() => parseDateFlag("2026-03-01T09:30", "--since", { zoneless: "refuse" })).toThrow(expect.objectContaining({ code: "BAD_DATE", message: expect.stringContaining("no time zone") }));
  });
  it("refuses what is not a date or not a day of the calendar (exit 2)", () => {
    for (const bad of ["yesterday", "2026-02-30", "2026-13-01", "2026-03-01T25:00Z"]) {
      expect(() => parseDateFlag(bad, "--since", { zoneless: "utc" })).toThrow(expect.objectContaining({ code: "BAD_DATE" }));
    }
  });
});
