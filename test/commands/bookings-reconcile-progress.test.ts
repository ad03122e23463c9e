import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bookingsReconcile, type ReconcileReport } from "../../commands/handlers/bookings-reconcile.js";
import { CLEAR_LINE, type ProgressStream } from "../../commands/support/progress.js";
import { createContext } from "../../src/context.js";
import { BIN, cleanEnv, runCli, tempDir } from "../support/cli.js";
import { startTestSandbox, type TestSandbox } from "../support/sandbox.js";

/**
 * `bookings reconcile`'s progress line: on a terminal it counts the window's bookings checked out of those in the
 * database and is cleared at the end; with --json, without a terminal or under CI, stderr carries none of it.
 */

const FREE = "https://api.calendly.com/event_types/ada-intro-call";
const HOUR = 3_600_000;
const BOOKINGS = 6;
const TERMINAL_CONTROL = /[\r\x1b]/;

function recorder(isTTY: boolean): ProgressStream & { writes: string[] } {
  const writes: string[] = [];
  return { isTTY, writes, write: (t: string) => writes.push(t) };
}

describe("bookflow bookings reconcile: the progress line", () => {
  let s: TestSandbox;
  let since: string;
  let until: string;

  beforeAll(async () => {
    s = await startTestSandbox();
    const base = Math.floor(Date.now() / HOUR) * HOUR + 48 * HOUR;
    since = new Date(base).toISOString();
    until = new Date(base + 2 * 24 * HOUR).toISOString();
    for (let i = 0; i < BOOKINGS; i++) {
      await s.world.calendly.book({ eventTypeUri: FREE, email: `progress${i}@example.com`, name: `Progress ${i}`, startTime: new Date(base + i * HOUR).toISOString() });
    }
    await s.world.calendly.idle();
  }, 120_000);

  afterAll(() => s?.stop());

  const run = async (stream: ProgressStream, options: { json?: boolean; env?: Record<string, string | undefined> } = {}) => {
    const out: string[] = [];
    const err: string[] = [];
    const ctx = createContext({ env: { ...s.world.env, ...options.env }, out: (t) => out.push(t), err: (t) => err.push(t), interactive: false });
    const code = await bookingsReconcile({ since, until, json: options.json ?? false }, { ctx, progress: { stream, minIntervalMs: 0 } });
    return { code, out: out.join(""), err: err.join("") };
  };

  it("on a terminal: the stage, the bookings checked out of the window's total, then the line is cleared", async () => {
    const stream = recorder(true);
    const r = await run(stream);
    expect(r.code, r.err).toBe(0);
    expect(stream.writes.length).toBeGreaterThanOrEqual(2);
    expect(stream.writes.every((w) => w.startsWith(CLEAR_LINE) && !w.includes("\n"))).toBe(true);
    const text = stream.writes.map((w) => w.slice(CLEAR_LINE.length));
    expect(text[0]).toBe("reconcile: reading Calendly and Stripe");
    const counts = text.filter((t) => t.startsWith("reconcile: reading Calendly and Stripe: "));
    expect(counts.length, text.join("\n")).toBeGreaterThan(0);
    for (const t of counts) expect(t).toMatch(/^reconcile: reading Calendly and Stripe: \d\/6 bookings \(\d+%\) · Calendly \d+ pages \(\d+ events\) · Stripe \d+ pages/);
    // Every booking of the window is checked against Calendly by the end of the providers' stage.
    expect(counts.some((t) => t.includes(": 6/6 bookings (100%)")), counts.join("\n")).toBe(true);
    expect(text).toContain("reconcile: checking pending bookings");
    expect(stream.writes.at(-1)).toBe(CLEAR_LINE);
    // The report itself goes to stdout as before, untouched by the line.
    expect(r.out).toMatch(/No disagreements/);
    expect(r.out).not.toMatch(TERMINAL_CONTROL);
  });

  it("writes nothing with --json, without a terminal, or under CI", async () => {
    const json = recorder(true);
    const asJson = await run(json, { json: true });
    expect((JSON.parse(asJson.out) as ReconcileReport).total).toBe(0);
    expect(json.writes).toEqual([]);

    const piped = recorder(false);
    await run(piped);
    expect(piped.writes).toEqual([]);

    const ci = recorder(true);
    await run(ci, { env: { CI: "true" } });
    expect(ci.writes).toEqual([]);
  });

  it("the built CLI, as a process without a terminal: stderr has no progress text, with or without --json", async () => {
    for (const args of [["--json"], []]) {
      const r = await runCli(["bookings", "reconcile", "--since", since, "--until", until, ...args], { env: { ...s.world.env, CI: undefined } });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stderr).not.toMatch(TERMINAL_CONTROL);
      expect(r.stderr).not.toContain("reconcile:");
      expect(r.stdout).not.toMatch(TERMINAL_CONTROL);
    }
  });

  it("the built CLI on a pseudo-terminal: the line is drawn and cleared; --json on the same terminal draws none", async () => {
    const command = (extra: string) => `node -- ${BIN} bookings reconcile --since ${since} --until ${until}${extra}`;
    const onPty = (extra: string) =>
      execa("script", ["-qec", command(extra), "/dev/null"], { cwd: tempDir(), env: cleanEnv({ ...s.world.env, CI: undefined }), extendEnv: false, reject: false, timeout: 60_000 });
    const human = await onPty("");
    expect(human.exitCode, String(human.stdout)).toBe(0);
    expect(String(human.stdout)).toContain(`${CLEAR_LINE}reconcile: reading Calendly and Stripe`);
    expect(String(human.stdout)).toMatch(/No disagreements/);
    const json = await onPty(" --json");
    expect(json.exitCode, String(json.stdout)).toBe(0);
    expect(String(json.stdout)).not.toContain("\x1b[2K");
    expect(String(json.stdout)).not.toContain("reconcile: reading");
  });
});
