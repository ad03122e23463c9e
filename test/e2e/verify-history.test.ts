import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runReportSchema } from "../../src/engine/report-schema.js";
import { createStripeClient } from "../../src/providers/stripe-client.js";
import { runCli, tempDir } from "../support/cli.js";
import { startTestSandbox, type TestSandbox } from "../support/sandbox.js";

/**
 * `bookflow verify --history … --baseline last` as a process against the
 * sandbox world: a healthy run is recorded; the Stripe webhook endpoint is
 * then disabled through the emulator's API, and the next run names
 * stripe.webhook-endpoint-enabled as the one new failure; once it is enabled
 * again, the run after names it fixed. Several outputs are written each time.
 */

describe("verify history and baseline against the sandbox", () => {
  let sandbox: TestSandbox;
  beforeAll(async () => {
    sandbox = await startTestSandbox();
  });
  afterAll(async () => {
    await sandbox?.stop();
  });

  it("names the new failure since the last run, then names it fixed", async () => {
    const { world } = sandbox;
    const dir = tempDir();
    const verify = (...extra: string[]) =>
      runCli(["verify", "--only", "stripe", "--history", "history", "--format", "json=reports/verify.json", "--format", "junit=reports/verify.xml", ...extra], { env: { ...world.env }, cwd: dir, timeout: 120_000 });
    const saved = () => runReportSchema.parse(JSON.parse(readFileSync(join(dir, "reports/verify.json"), "utf8")));

    const healthy = await verify();
    expect(healthy.exitCode, healthy.stdout + healthy.stderr).toBe(0);
    expect(saved().results.find((r) => r.id === "stripe.webhook-endpoint-enabled")?.status).toBe("pass");

    const stripe = await createStripeClient({ secretKey: world.env.STRIPE_SECRET_KEY!, apiBase: world.env.STRIPE_API_BASE });
    const [endpoint] = world.stripe.webhookEndpoints();
    await stripe.webhookEndpoints.update(endpoint!.id, { disabled: true });
    let broken;
    try {
      broken = await verify("--baseline", "last");
    } finally {
      await stripe.webhookEndpoints.update(endpoint!.id, { disabled: false });
    }
    expect(broken.exitCode).toBe(1);
    expect(broken.stdout).toMatch(/New failures\n\s+✖ stripe\.webhook-endpoint-enabled \(was pass, now fail\): Endpoint \S+ for .* is disabled/);
    expect(broken.stdout).toContain("1 new failure, 0 fixed");
    const brokenReport = saved();
    expect(brokenReport.baseline!.newFailures.map((c) => c.id)).toEqual(["stripe.webhook-endpoint-enabled"]);
    expect(brokenReport.baseline!.fixed).toEqual([]);
    expect(readFileSync(join(dir, "reports/verify.xml"), "utf8")).toContain('<property name="baseline.newFailures" value="stripe.webhook-endpoint-enabled"/>');

    const repaired = await verify("--baseline", "last");
    expect(repaired.exitCode, repaired.stdout + repaired.stderr).toBe(0);
    expect(repaired.stdout).toMatch(/Fixed\n\s+✔ stripe\.webhook-endpoint-enabled \(was fail, now pass\)/);
    expect(saved().baseline!.fixed.map((c) => c.id)).toEqual(["stripe.webhook-endpoint-enabled"]);
    expect(saved().baseline!.newFailures).toEqual([]);

    const history = readdirSync(join(dir, "history")).sort();
    expect(history).toHaveLength(3);
    // report diff over the first two runs of the history says the same.
    const diff = await runCli(["report", "diff", join("history", history[0]!), join("history", history[1]!), "--fail-on-new-failures"], { cwd: dir });
    expect(diff.exitCode).toBe(1);
    expect(diff.stdout).toMatch(/new failure\s+stripe\.webhook-endpoint-enabled\s+pass\s+fail/);
  }, 300_000);
});
