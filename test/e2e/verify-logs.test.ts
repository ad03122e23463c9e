import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createVercelClient } from "../../src/providers/vercel/client.js";
import type { SandboxWorld } from "../../src/sandbox/world.js";
import { runCli } from "../support/cli.js";
import { startTestSandbox, type TestSandbox } from "../support/sandbox.js";

/**
 * deployment.logs-clean through the built CLI against the sandbox: the app's
 * own requests land in the emulated runtime logs of the production deployment
 * (as Vercel logs them) and leave them clean; an error line, or a 5xx on a
 * webhook route, appended through the Vercel emulator's control API makes
 * `verify` exit 1 on that check alone. Needs `npx tsc -p tsconfig.json` first.
 */

interface Result {
  id: string;
  status: string;
  message: string;
}

describe("verify: deployment.logs-clean against the sandbox", () => {
  let sandbox: TestSandbox;
  let world: SandboxWorld;

  beforeAll(async () => {
    sandbox = await startTestSandbox();
    ({ world } = sandbox);
  });
  afterAll(async () => {
    await sandbox?.stop();
  });

  async function verify(only: string): Promise<{ exitCode: number; results: Result[]; stdout: string; stderr: string }> {
    const r = await runCli(["verify", "--only", only, "--target", "sandbox", "--format", "json"], { env: { ...world.env } });
    let results: Result[] = [];
    try {
      results = (JSON.parse(r.stdout) as { results: Result[] }).results;
    } catch {
      throw new Error(`verify printed no JSON report (exit ${r.exitCode}):\n${r.stdout}\n${r.stderr}`);
    }
    return { exitCode: r.exitCode, results, stdout: r.stdout, stderr: r.stderr };
  }
  const failed = (results: Result[]) => results.filter((r) => r.status === "fail" || r.status === "error").map((r) => r.id);
  const logsClean = (results: Result[]) => results.find((r) => r.id === "deployment.logs-clean");

  async function append(line: Record<string, unknown>): Promise<void> {
    const res = await fetch(`${world.vercel.url}/_control/runtime-logs`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(line) });
    expect(res.status).toBe(201);
  }

  it("passes in the healthy sandbox, whose probes of the app (4xx to unsigned deliveries) are in the production deployment's runtime logs", async () => {
    const first = await verify("deployment,endpoints");
    expect(failed(first.results), first.stderr).toEqual([]);
    expect(first.exitCode).toBe(0);
    const client = createVercelClient({ token: world.env.VERCEL_TOKEN!, baseUrl: world.vercel.url });
    const current = world.vercel.state().currentProductionId!;
    const { lines } = await client.runtimeLogs(world.env.VERCEL_PROJECT_ID!, current, { maxReadMs: 2000 });
    const webhookAnswers = lines.filter((l) => l.source === "request" && l.requestPath === "/api/webhooks/stripe").map((l) => l.responseStatusCode);
    expect(webhookAnswers.length).toBeGreaterThan(0);
    expect(webhookAnswers.some((s) => s >= 400 && s < 500)).toBe(true);
    // Read again, with those lines now in the logs: still clean.
    const again = await verify("deployment");
    expect(logsClean(again.results)?.status).toBe("pass");
    expect(logsClean(again.results)?.message).toMatch(/No errors and no 5xx in [1-9]\d* log lines of dpl_\w+ .*since .*\(when it went live\)/);
    expect(again.exitCode).toBe(0);
  });

  it("an error line in the deployment's logs fails exactly deployment.logs-clean, showing the line with its secret masked", async () => {
    const secret = world.env.STRIPE_SECRET_KEY!;
    await append({ level: "error", message: `Unhandled error in POST /api/webhooks/stripe: Stripe refused key ${secret}` });
    const { exitCode, results, stdout } = await verify("deployment");
    expect(failed(results)).toEqual(["deployment.logs-clean"]);
    expect(exitCode).toBe(1);
    expect(logsClean(results)!.message).toMatch(/^1 error line in the logs of dpl_\w+ .*first: \S+ serverless error: Unhandled error in POST \/api\/webhooks\/stripe: Stripe refused key sk_test_\*\*\*\*/);
    expect(stdout).not.toContain(secret);
  });

  it("a 5xx answer on a webhook route is named as one", async () => {
    await append({ requestMethod: "POST", requestPath: "/api/webhooks/calendly", responseStatusCode: 500 });
    const { exitCode, results } = await verify("deployment");
    expect(failed(results)).toEqual(["deployment.logs-clean"]);
    expect(logsClean(results)!.message).toMatch(/^2 error lines, 1 of them 5xx on the webhook routes \(.*\/api\/webhooks\/calendly.*\).*first: \S+ request error POST \/api\/webhooks\/calendly 500/);
    expect(exitCode).toBe(1);
  });
});
