import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { fail, skip, warn } from "../../src/engine/check.js";
import { listrView } from "../../src/engine/live/listr.js";
import { plainView } from "../../src/engine/live/plain.js";
import { runChecks } from "../../src/engine/runner.js";
import { testCheck, testFacts } from "./helpers.js";

const SECRET = "sk_live_FAKEliveview0123456789";
const checks = () => [
  testCheck("env.ok"),
  testCheck("env.bad", { messages: { wrongKey: "key {{key}} is wrong" }, run: () => fail("wrongKey", { key: SECRET }) }),
  testCheck("env.after", { needs: ["env.bad"] }),
  testCheck("dns.soft", { messages: { policyNone: "p=none" }, run: () => warn("policyNone") }),
  testCheck("dns.na", { messages: { notConfigured: "not configured" }, run: () => skip("notConfigured") }),
];
const redact = (t: string) => t.split(SECRET).join("sk_live_****6789");

/** A stream that says it is a terminal and keeps what is written to it. */
function fakeTerminal() {
  let text = "";
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      text += chunk.toString();
      cb();
    },
  }) as unknown as NodeJS.WriteStream;
  Object.assign(stream, { isTTY: true, columns: 120, rows: 40 });
  return { stream, text: () => text.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, "") };
}

describe("live views", () => {
  it("plain: a line when the run starts, then one per result with its status", async () => {
    let out = "";
    await runChecks(checks(), { facts: testFacts().store, target: "production", onEvent: plainView((t) => (out += redact(t))) });
    const lines = out.trim().split("\n");
    expect(lines[0]).toBe("Running 5 check(s) in 2 section(s)…");
    expect(out).toMatch(/^PASS\s+env\.ok\s+env\.ok ok \(\d/m);
    expect(out).toMatch(/^FAIL\s+env\.bad\s+key sk_live_\*\*\*\*6789 is wrong/m);
    expect(out).toMatch(/^SKIP\s+env\.after\s+prerequisite env\.bad failed$/m);
    expect(out).toMatch(/^WARN\s+dns\.soft\s+p=none/m);
    expect(out).not.toContain(SECRET);
    expect(out).not.toMatch(/\u001b\[/);
  });

  it("listr: tasks grouped by section, each ending with its result, secrets masked", async () => {
    const term = fakeTerminal();
    const view = listrView(term.stream, redact);
    const report = await runChecks(checks(), { facts: testFacts().store, target: "production", onEvent: (e) => view.onEvent(e) });
    await view.finished();
    const text = term.text();
    expect(report.summary.total).toBe(5);
    for (const s of ["env", "dns", "env.ok", "env.bad", "dns.soft", "prerequisite env.bad failed", "not configured", "key sk_live_****6789 is wrong"]) expect(text).toContain(s);
    expect(text).not.toContain(SECRET);
  });
});
