import { execa, type ResultPromise } from "execa";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "../../src/db/client.js";
import { createStripeClient } from "../../src/providers/stripe-client.js";
import { BIN, cleanEnv, tempDir } from "../support/cli.js";
import { startTestSandbox, type TestSandbox } from "../support/sandbox.js";
import { parsePrometheusText, type MetricFamily } from "./prometheus-text.js";

/**
 * `bookflow monitor` as a process (the built CLI) against the sandbox: healthy,
 * then broken through the Stripe API (the webhook endpoint disabled), then
 * repaired; two alerts reach a local receiver; /metrics is valid Prometheus
 * text; SIGTERM and --duration stop it with exit 0.
 */

const INTERVAL_S = 2;

describe("bookflow monitor in the sandbox", () => {
  let sandbox: TestSandbox;
  let db: Database;
  let receiver: Server;
  let hook: string;
  const alerts: { text: string; blocks: unknown[] }[] = [];

  beforeAll(async () => {
    sandbox = await startTestSandbox();
    db = await openDatabase({ databaseUrl: sandbox.world.env.DATABASE_URL!, poolSize: 1 });
    receiver = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        alerts.push(JSON.parse(body) as { text: string; blocks: unknown[] });
        res.writeHead(200).end("ok");
      });
    });
    await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
    hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/services/T0/B0/FAKE`;
  }, 180_000);
  afterAll(async () => {
    receiver?.close();
    await db?.close();
    await sandbox?.stop();
  });

  function start(args: string[], env: Record<string, string | undefined> = sandbox.world.env): { proc: ResultPromise; url: Promise<string> } {
    const proc = execa("node", [BIN, "monitor", "--target", "sandbox", "--port", "0", ...args], { env: cleanEnv(env), extendEnv: false, reject: false, cwd: tempDir(), timeout: 240_000, stripFinalNewline: false });
    const url = new Promise<string>((resolve, reject) => {
      let err = "";
      proc.stderr!.on("data", (c: Buffer) => {
        err += c.toString();
        const m = /serving (http:\/\/127\.0\.0\.1:\d+)\/healthz/.exec(err);
        if (m) resolve(m[1]!);
      });
      void proc.then((r) => reject(new Error(`monitor exited ${r.exitCode} before serving: ${String(r.stderr)}`)));
    });
    return { proc, url };
  }

  async function health(url: string): Promise<{ status: number; body: { status: string; failing: string[]; checks: { id: string; status: string }[] } }> {
    const res = await fetch(`${url}/healthz`);
    return { status: res.status, body: (await res.json()) as never };
  }

  async function waitForHealth(url: string, status: number, withinMs: number): Promise<{ elapsedMs: number; body: Awaited<ReturnType<typeof health>>["body"] }> {
    const started = Date.now();
    for (;;) {
      const h = await health(url);
      if (h.status === status) return { elapsedMs: Date.now() - started, body: h.body };
      if (Date.now() - started > withinMs) throw new Error(`/healthz still ${h.status} after ${withinMs} ms: ${JSON.stringify(h.body)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  const sample = (families: Map<string, MetricFamily>, name: string, labels: Record<string, string> = {}) =>
    families
      .get(name)
      ?.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

  it("healthy → 503 within one interval of a break → 200 after the repair, two alerts, valid /metrics, SIGTERM exits 0", async () => {
    // A FAILED email past its attempts (the app's outbox leaves it alone): counted in bookflow_emails{state="failed"}.
    await db.prisma.emailMessage.create({ data: { kind: "CONFIRMATION", to: "failed-monitor@example.com", subject: "planted", status: "FAILED", attempts: 10, error: "planted by the monitor test" } });
    const { proc, url: served } = start(["--only", "stripe", "--interval", `${INTERVAL_S}s`, "--alert-webhook", hook, "--json"]);
    const url = await served;
    const healthy = await waitForHealth(url, 200, 60_000);
    expect(healthy.body.status).toBe("pass");
    expect(healthy.body.failing).toEqual([]);
    expect(healthy.body.checks.find((c) => c.id === "stripe.webhook-endpoint-enabled")?.status).toBe("pass");

    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toMatch(/<meta http-equiv="refresh" content="\d+">/);
    expect(html).toContain("stripe.webhook-endpoint-enabled");
    expect((await fetch(`${url}/nope`)).status).toBe(404);

    const stripe = await createStripeClient({ secretKey: sandbox.world.env.STRIPE_SECRET_KEY!, apiBase: sandbox.world.env.STRIPE_API_BASE });
    const [endpoint] = sandbox.world.stripe.webhookEndpoints();
    await stripe.webhookEndpoints.update(endpoint!.id, { disabled: true });
    try {
      // Within one interval, plus the run itself (generous: the machine is shared).
      const broken = await waitForHealth(url, 503, INTERVAL_S * 1000 + 15_000);
      expect(broken.body.status).toBe("fail");
      expect(broken.body.failing).toContain("stripe.webhook-endpoint-enabled");

      const metrics = await fetch(`${url}/metrics`);
      expect(metrics.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
      const families = parsePrometheusText(await metrics.text());
      expect(sample(families, "bookflow_check_status", { check: "stripe.webhook-endpoint-enabled", status: "fail" })).toBe(1);
      expect(sample(families, "bookflow_check_status", { check: "stripe.webhook-endpoint-enabled", status: "pass" })).toBe(0);
      expect(sample(families, "bookflow_monitor_healthy")).toBe(0);
      expect(sample(families, "bookflow_signals_up")).toBe(1);
      expect(sample(families, "bookflow_emails", { state: "failed" })).toBeGreaterThanOrEqual(1);
      expect(sample(families, "bookflow_bookings_stuck", { state: "pending" })).toEqual(expect.any(Number));
      expect(families.get("bookflow_check_duration_seconds")?.type).toBe("gauge");
      expect(families.get("bookflow_monitor_runs_total")?.type).toBe("counter");
      expect(families.get("bookflow_webhook_processing_seconds")?.type).toBe("histogram");
      expect(sample(families, "bookflow_webhook_processing_seconds_bucket", { provider: "stripe", le: "+Inf" })).toEqual(sample(families, "bookflow_webhook_processing_seconds_count", { provider: "stripe" }));
    } finally {
      await stripe.webhookEndpoints.update(endpoint!.id, { disabled: false });
    }
    await waitForHealth(url, 200, INTERVAL_S * 1000 + 15_000);
    // Another interval or two: a steady state sends nothing more.
    await new Promise((r) => setTimeout(r, INTERVAL_S * 2000 + 500));
    expect(alerts).toHaveLength(2);
    expect(alerts[0]!.text).toMatch(/^bookflow monitor \(sandbox\): \d+ checks? failing: /);
    expect(alerts[0]!.text).toContain("stripe.webhook-endpoint-enabled (fail)");
    expect(alerts[0]!.blocks).toEqual([{ type: "section", text: { type: "mrkdwn", text: expect.stringContaining("`stripe.webhook-endpoint-enabled` (fail)") } }]);
    expect(alerts[1]!.text).toMatch(/^bookflow monitor \(sandbox\): recovered, every check passes again after \d+ s failing$/);
    for (const a of alerts) expect(JSON.stringify(a)).not.toContain(sandbox.world.env.STRIPE_SECRET_KEY!);

    proc.kill("SIGTERM");
    const r = await proc;
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(String(r.stderr)).toContain("SIGTERM, stopping");
    const lines = String(r.stdout).trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => [l.type, l.kind])).toEqual([["alert", "failing"], ["alert", "recovered"], ["summary", undefined]]);
    const summary = lines[2] as { runs: number; alerts: unknown; timeInFailureMs: number; checks: { id: string; failures: number }[] };
    expect(summary.alerts).toEqual({ raised: 2, delivered: 2, failed: 0 });
    expect(summary.runs).toBeGreaterThanOrEqual(4);
    expect(summary.timeInFailureMs).toBeGreaterThan(0);
    expect(summary.checks.find((c) => c.id === "stripe.webhook-endpoint-enabled")?.failures).toBeGreaterThanOrEqual(1);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  }, 240_000);

  it("a Stripe outage makes its checks error (503), the monitor keeps going and recovers with Stripe", async () => {
    const { proc, url: served } = start(["--only", "stripe.key-valid,stripe.webhook-endpoint-enabled", "--interval", "1s", "--alerts", "none"]);
    const url = await served;
    await waitForHealth(url, 200, 60_000);
    sandbox.world.stripe.setFaults({ rate5xx: 1 });
    try {
      const down = await waitForHealth(url, 503, 60_000);
      expect(down.body.checks.filter((c) => c.status === "error").map((c) => c.id)).toContain("stripe.key-valid");
    } finally {
      sandbox.world.stripe.setFaults({});
    }
    await waitForHealth(url, 200, 60_000);
    expect(proc.exitCode).toBeNull(); // still running
    proc.kill("SIGTERM");
    const r = await proc;
    expect(r.exitCode, JSON.stringify({ signal: r.signal, stderr: r.stderr, all: r.message })).toBe(0);
  }, 180_000);

  it("--duration 3s stops by itself, prints the summary and writes --summary-file; an alert webhook that refuses does not stop it", async () => {
    const dir = tempDir();
    const file = join(dir, "summary.json");
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const dead = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/services/FAKE`;
    await new Promise((r) => closed.close(r));
    // Without STRIPE_SECRET_KEY, env.required-present fails from the first run: one alert, which cannot be delivered.
    const { proc } = start(["--only", "env.required-present", "--interval", "1s", "--duration", "3s", "--summary-file", file, "--alerts", "none", "--alert-webhook", dead], { ...sandbox.world.env, STRIPE_SECRET_KEY: undefined });
    const r = await proc;
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(String(r.stderr)).toMatch(/Alert delivery attempt 1 failed \(fetch failed: .*ECONNREFUSED.*\); retrying\./);
    expect(String(r.stdout)).toMatch(/^Monitor ran 3\.\d s \(.+\): \d+ runs, [\d.]+ s in failure, last run failing\.\nAlerts: 1 raised, 0 delivered, 1 failed to deliver\.\n {2}env\.required-present: failed in \d+ runs, [\d.]+ s in failure\n$/);
    const summary = JSON.parse(readFileSync(file, "utf8")) as { runs: number; durationMs: number; failing: boolean; alerts: unknown };
    expect(summary.runs).toBeGreaterThanOrEqual(2);
    expect(summary.durationMs).toBeGreaterThanOrEqual(3000);
    expect(summary.failing).toBe(true);
    expect(summary.alerts).toEqual({ raised: 1, delivered: 0, failed: 1 });
  }, 120_000);
});
