import { describe, expect, it } from "vitest";
import {
  CLEAR_LINE,
  createProgressLine,
  estimateRemainingMs,
  formatEta,
  formatProgress,
  progressEnabled,
  type ProgressStream,
} from "../../commands/support/progress.js";

/** A stream that records what is written; `isTTY` as given. */
function fakeStream(isTTY: boolean, columns?: number): ProgressStream & { writes: string[] } {
  const writes: string[] = [];
  return { isTTY, columns, writes, write: (text: string) => writes.push(text) };
}

/** A clock the test moves by hand. */
function fakeClock(start = 0) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe("progress line: when it writes at all", () => {
  it("writes on a terminal, with no machine output and no CI", () => {
    expect(progressEnabled({ stream: fakeStream(true), env: {} })).toBe(true);
    expect(progressEnabled({ stream: fakeStream(true), env: { CI: "false" } })).toBe(true);
    expect(progressEnabled({ stream: fakeStream(true), env: { CI: "0" } })).toBe(true);
    expect(progressEnabled({ stream: fakeStream(true), env: { CI: " " } })).toBe(true);
  });

  it.each([
    ["no terminal", { stream: fakeStream(false), env: {} }],
    ["--json", { stream: fakeStream(true), env: {}, machineOutput: true }],
    ["CI=true", { stream: fakeStream(true), env: { CI: "true" } }],
    ["CI=1", { stream: fakeStream(true), env: { CI: "1" } }],
  ])("writes nothing with %s, whatever it is asked", (_name, options) => {
    const clock = fakeClock();
    const line = createProgressLine({ ...options, now: clock.now });
    expect(line.enabled).toBe(false);
    line.stage("reconcile");
    for (let i = 1; i <= 50; i++) {
      clock.advance(500);
      line.update({ done: i, total: 50, unit: "bookings" });
    }
    line.finish();
    expect(options.stream.writes).toEqual([]);
  });

  it("still prints what is printed above it when it is silent, and adds nothing", () => {
    const stream = fakeStream(false);
    const printed: string[] = [];
    const line = createProgressLine({ stream, env: {} });
    line.stage("sandbox");
    line.above(() => printed.push("sandbox ready"));
    expect(printed).toEqual(["sandbox ready"]);
    expect(stream.writes).toEqual([]);
  });
});

describe("progress line: ETA arithmetic", () => {
  it("is the time left at the rate so far", () => {
    // 250 of 1,000 in 2 s: 750 more at 125/s is 6 s.
    expect(estimateRemainingMs(250, 1000, 2000)).toBe(6000);
    expect(estimateRemainingMs(1000, 1000, 8000)).toBe(0);
  });

  it("gives none until enough is done to estimate, or without a total", () => {
    expect(estimateRemainingMs(500, 1000, 999)).toBeNull(); // under a second of rate
    expect(estimateRemainingMs(9, 1000, 5000)).toBeNull(); // under 1% done
    expect(estimateRemainingMs(0, 1000, 5000)).toBeNull();
    expect(estimateRemainingMs(10, 1000, 5000)).toBe(495_000);
    expect(estimateRemainingMs(500, null, 5000)).toBeNull();
    expect(estimateRemainingMs(500, undefined, 5000)).toBeNull();
    expect(estimateRemainingMs(1200, 1000, 5000)).toBeNull(); // past the total: it was an estimate
  });

  it("formats seconds, minutes and hours", () => {
    expect(formatEta(0)).toBe("ETA 0s");
    expect(formatEta(6000)).toBe("ETA 6s");
    expect(formatEta(6001)).toBe("ETA 7s");
    expect(formatEta(59_000)).toBe("ETA 59s");
    expect(formatEta(185_000)).toBe("ETA 3m05s");
    expect(formatEta(3_720_000)).toBe("ETA 1h02m");
  });
});

describe("progress line: the text", () => {
  it("shows the label, done/total, the percentage, the detail and the ETA", () => {
    expect(formatProgress("reconcile", { done: 12_300, total: 200_000, unit: "bookings", detail: "Calendly 123 pages" }, 2000)).toBe(
      "reconcile: 12,300/200,000 bookings (6%) · Calendly 123 pages · ETA 31s",
    );
  });

  it("shows counts only without a total, and the label alone before any count", () => {
    expect(formatProgress("checking pending bookings", { done: 4200, unit: "scanned" }, 5000)).toBe("checking pending bookings: 4,200 scanned");
    expect(formatProgress("migrating the database", null, 5000)).toBe("migrating the database");
  });

  it("drops a total the count has passed (it was an estimate), and with it the percentage and ETA", () => {
    expect(formatProgress("reconcile", { done: 1200, total: 1000, unit: "bookings" }, 5000)).toBe("reconcile: 1,200 bookings");
  });

  it("an empty total is 100% with nothing left", () => {
    expect(formatProgress("reconcile", { done: 0, total: 0, unit: "bookings" }, 5000)).toBe("reconcile: 0/0 bookings (100%)");
  });
});

describe("progress line: drawing", () => {
  it("redraws one line in place, clearing it first, and clears it at the end", () => {
    const stream = fakeStream(true);
    const clock = fakeClock();
    const line = createProgressLine({ stream, env: {}, now: clock.now });
    line.stage("reconcile");
    clock.advance(200);
    line.update({ done: 10, total: 100, unit: "bookings" });
    line.finish();
    expect(stream.writes).toEqual([`${CLEAR_LINE}reconcile`, `${CLEAR_LINE}reconcile: 10/100 bookings (10%)`, CLEAR_LINE]);
    expect(stream.writes.join("")).not.toContain("\n");
    line.update({ done: 20, total: 100 });
    line.stage("again");
    expect(stream.writes).toHaveLength(3); // nothing after finish
  });

  it("draws at most once per interval (about 10 a second), always with the latest counts", () => {
    const stream = fakeStream(true);
    const clock = fakeClock();
    const line = createProgressLine({ stream, env: {}, now: clock.now, minIntervalMs: 100 });
    line.stage("reconcile");
    // 1,000 updates over one second, 1 ms apart.
    for (let i = 1; i <= 1000; i++) {
      clock.advance(1);
      line.update({ done: i, total: 1000 });
    }
    const draws = stream.writes.filter((w) => w.startsWith(CLEAR_LINE) && w.length > CLEAR_LINE.length);
    expect(draws.length).toBeGreaterThanOrEqual(10);
    expect(draws.length).toBeLessThanOrEqual(11); // the stage's own draw, then one per 100 ms
    expect(draws.at(-1)).toBe(`${CLEAR_LINE}reconcile: 1,000/1,000 (100%) · ETA 0s`);
  });

  it("a new stage draws at once and restarts the rate", () => {
    const stream = fakeStream(true);
    const clock = fakeClock();
    const line = createProgressLine({ stream, env: {}, now: clock.now });
    line.stage("reading the providers");
    clock.advance(5000);
    line.update({ done: 50, total: 100 });
    expect(stream.writes.at(-1)).toBe(`${CLEAR_LINE}reading the providers: 50/100 (50%) · ETA 5s`);
    line.stage("checking pending bookings");
    expect(stream.writes.at(-1)).toBe(`${CLEAR_LINE}checking pending bookings`);
    clock.advance(500);
    line.update({ done: 50, total: 100 });
    expect(stream.writes.at(-1)).toBe(`${CLEAR_LINE}checking pending bookings: 50/100 (50%)`); // half a second of rate: no ETA yet
  });

  it("prints a permanent line above it and redraws", () => {
    const stream = fakeStream(true);
    const line = createProgressLine({ stream, env: {}, now: fakeClock().now });
    line.stage("saving the database image");
    line.above(() => stream.write("the image was not saved\n"));
    expect(stream.writes).toEqual([`${CLEAR_LINE}saving the database image`, CLEAR_LINE, "the image was not saved\n", `${CLEAR_LINE}saving the database image`]);
  });

  it("cuts a line wider than the terminal so it never wraps", () => {
    const stream = fakeStream(true, 20);
    const line = createProgressLine({ stream, env: {}, now: fakeClock().now });
    line.stage("a label much longer than twenty columns");
    const text = stream.writes[0]!.slice(CLEAR_LINE.length);
    expect(text.length).toBeLessThanOrEqual(19);
    expect(text.endsWith("…")).toBe(true);
  });
});
