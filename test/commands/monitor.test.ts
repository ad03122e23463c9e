import { writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli, tempDir } from "../support/cli.js";

/** `bookflow monitor`'s bad input: exit 2 with the reason and a fix, before anything is served or checked. */
describe("bookflow monitor: bad input", () => {
  it.each([
    [["--interval", "5"], /--interval "5" is not a duration\.[\s\S]*fix: Give a number with a unit: --interval 30s, 5m, 1h\./],
    [["--interval", "500ms"], /--interval "500ms" is out of range: from 1s to 1d\./],
    [["--interval", "soon"], /--interval "soon" is not a duration\./],
    [["--duration", "forever"], /--duration "forever" is not a duration\./],
    [["--duration", "40d"], /--duration "40d" is out of range: from 1s to 31d\./],
    [["--port", "70000"], /port: must be from 0 to 65535/],
    [["--port", "http"], /port: must be a port number/],
    [["--alerts", "slack"], /alerts: must be stdout or none/],
    [["--alert-webhook", "hooks.slack.com/services/FAKE"], /alertWebhook: must be an http\(s\) URL/],
    [["--target", "prod"], /target: must be one of production, staging, sandbox/],
  ])("monitor %j exits 2 naming the problem", async (args, message) => {
    const r = await runCli(["monitor", ...args]);
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe("");
    // A webhook URL is a secret: the error does not repeat it.
    if (args[0] === "--alert-webhook") expect(r.stderr).not.toContain(args[1]);
  });

  it("a config file with a bad monitor interval, or one naming no check, exits 2 naming the field", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "bookflow.config.json"), JSON.stringify({ monitor: { intervals: { stripe: "every minute" } } }));
    const bad = await runCli(["monitor", "--target", "sandbox"], { cwd: dir });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('monitor.intervals.stripe: "every minute" is not an interval from 1s to 24h (write 30s, 5m, 1h)');
    writeFileSync(join(dir, "bookflow.config.json"), JSON.stringify({ monitor: { intervals: { strpie: "1m" } } }));
    const typo = await runCli(["monitor", "--target", "sandbox"], { cwd: dir });
    expect(typo.exitCode).toBe(2);
    expect(typo.stderr).toContain("monitor.intervals names no check or section: strpie");
  });

  it("a --port already in use exits 2 with a fix", async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, "127.0.0.1", r));
    const port = (taken.address() as { port: number }).port;
    try {
      const r = await runCli(["monitor", "--target", "sandbox", "--only", "env", "--port", String(port)]);
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toContain(`--port ${port} is in use on 127.0.0.1.`);
      expect(r.stderr).toContain("0 picks a free one");
    } finally {
      taken.close();
    }
  });

  it("--help teaches the routes, the config intervals and an example", async () => {
    const r = await runCli(["monitor", "--help"]);
    expect(r.exitCode).toBe(0);
    for (const text of ["GET /healthz", "GET /metrics", '"monitor": { "intervals"', "--duration 24h", "--alert-webhook"]) expect(r.stdout).toContain(text);
  });
});
