import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createContext } from "../../src/context.js";
import { defineCheck, fail } from "../../src/engine/check.js";
import { monitor } from "../../src/ops/monitor.js";

/**
 * /healthz is one consistent picture: a run's outcome is published together
 * with its failing list, after the database's signals are read. While the
 * signals of the first run are still being read, a probe sees "starting", never
 * a "fail" that names nothing failing.
 */

const broken = defineCheck({
  id: "stripe.broken",
  section: "stripe",
  title: "always fails",
  severity: "error",
  needs: [],
  facts: [],
  docs: { why: "test", fix: "test" },
  messages: { no: "no" },
  run: () => fail("no"),
});

describe("monitor /healthz", () => {
  it("never answers a failing outcome with an empty failing list while the signals are read", async () => {
    const ctx = createContext({ env: {}, cwd: mkdtempSync(join(tmpdir(), "bookflow-monitor-")), out: () => {}, err: () => {} });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let asked!: () => void;
    const dbAsked = new Promise<void>((r) => (asked = r));
    ctx.db = async () => {
      asked();
      await gate;
      throw new Error("no database in this test");
    };
    const stop = new AbortController();
    let url!: string;
    let ready!: () => void;
    const serving = new Promise<void>((r) => (ready = r));
    const running = monitor(
      ctx,
      { only: [], skip: [], target: "sandbox", intervalMs: 60_000, port: 0, host: "127.0.0.1", alertsStdout: false, concurrency: 2, timeoutMs: 5000 },
      { signal: stop.signal, ready: (u) => ((url = u), ready()) },
      { catalogue: [broken], gatherers: {} },
    );
    await Promise.race([serving, running]);
    await dbAsked;
    // The checks have run; the signals are being read.
    const during = await fetch(`${url}/healthz`);
    const duringBody = (await during.json()) as { status: string; failing: string[] };
    expect(during.status).toBe(503);
    expect(duringBody).toMatchObject({ status: "starting", failing: [] });

    release();
    let after: { status: string; failing: string[]; signals_error?: string };
    for (;;) {
      after = (await (await fetch(`${url}/healthz`)).json()) as typeof after;
      if (after.status !== "starting") break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(after).toMatchObject({ status: "fail", failing: ["stripe.broken"], signals_error: "no database in this test" });
    stop.abort();
    const summary = await running;
    expect(summary).toMatchObject({ runs: 1, failing: true });
  });
});
