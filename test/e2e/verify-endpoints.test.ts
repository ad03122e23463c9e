import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { catalogue } from "../../checks/index.js";
import type { RunReport } from "../../src/engine/report.js";
import { type SandboxWorld } from "../../src/sandbox/world.js";
import { runCli } from "../support/cli.js";
import type { TestDatabase } from "../support/db.js";
import { startTestSandbox, type TestSandbox } from "../support/sandbox.js";

/**
 * The endpoints and security checks against the sandbox's reference app,
 * through the built CLI: the probes gather what the checks expect (everything
 * passes, the burst only with --include-load), verify creates no booking, and
 * each way of breaking the world fails the check that names it.
 */

const SECTIONS = ["endpoints", "security"];
const IDS = catalogue.filter((c) => SECTIONS.includes(c.section)).map((c) => c.id);

/** Every check that did not pass or skip, with its status. */
const problems = (report: RunReport) => Object.fromEntries(report.results.filter((r) => r.status !== "pass" && r.status !== "skip").map((r) => [r.id, r.status]));
const result = (report: RunReport, id: string) => report.results.find((r) => r.id === id)!;

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("verify: endpoints and security checks against the sandbox", () => {
  let sandbox: TestSandbox;
  let t: TestDatabase;
  let world: SandboxWorld;

  beforeAll(async () => {
    sandbox = await startTestSandbox();
    ({ database: t, world } = sandbox);
  });
  afterAll(async () => {
    await sandbox?.stop();
  });

  async function verify(env: Record<string, string | undefined>, extra: string[] = []): Promise<{ exitCode: number; report: RunReport; output: string }> {
    const r = await runCli(["verify", "--only", SECTIONS.join(","), "--target", "sandbox", "--format", "json", ...extra], { env });
    let report: RunReport;
    try {
      report = JSON.parse(r.stdout) as RunReport;
    } catch {
      throw new Error(`verify printed no JSON report (exit ${r.exitCode}):\n${r.stdout}\n${r.stderr}`);
    }
    return { exitCode: r.exitCode, report, output: r.stdout + r.stderr };
  }

  const bookingCount = () => t.db.prisma.booking.count();

  it("passes every endpoints and security check in the healthy sandbox, skips the burst without --include-load, and creates no booking", async () => {
    const before = await bookingCount();
    const { exitCode, report, output } = await verify(world.env);
    expect(exitCode, output).toBe(0);
    expect(problems(report)).toEqual({});
    const statuses = Object.fromEntries(report.results.filter((r) => IDS.includes(r.id)).map((r) => [r.id, r.status]));
    expect(statuses).toEqual(Object.fromEntries(IDS.map((id) => [id, id === "security.rate-limit" ? "skip" : "pass"])));
    expect(IDS.length).toBe(12);
    expect(result(report, "security.rate-limit").message).toMatch(/run with --include-load/);
    expect(result(report, "endpoints.base-url-https").message).toMatch(/plain http, allowed for --target sandbox/);
    expect(result(report, "endpoints.health-database-up").message).toMatch(/reports the database up/);
    expect(await bookingCount()).toBe(before);
    // The signed test events were recorded and ignored, never processed.
    const events = await t.db.prisma.webhookEvent.findMany({ where: { type: "bookflow.verify.test" } });
    expect(events.map((e) => [e.provider, e.outcome]).sort()).toEqual([
      ["CALENDLY", "IGNORED"],
      ["STRIPE", "IGNORED"],
    ]);
  });

  it("a wrong STRIPE_WEBHOOK_SECRET fails exactly endpoints.stripe-webhook-accepts-signed-event", async () => {
    const { exitCode, report } = await verify({ ...world.env, STRIPE_WEBHOOK_SECRET: "whsec_notTheEndpointsSecret0000000000" });
    expect(exitCode).toBe(1);
    expect(problems(report)).toEqual({ "endpoints.stripe-webhook-accepts-signed-event": "fail" });
    expect(result(report, "endpoints.stripe-webhook-accepts-signed-event").message).toMatch(/rejected a test event signed with STRIPE_WEBHOOK_SECRET \(401\)/);
    expect(result(report, "endpoints.stripe-webhook-rejects-malformed-json").status).toBe("skip");
    expect(result(report, "endpoints.calendly-webhook-accepts-signed-event").status).toBe("pass");
  });

  it("a stopped app (every URL on a closed port) fails the endpoint checks, naming the refused connection", async () => {
    const base = `http://127.0.0.1:${await closedPort()}`;
    const { exitCode, report } = await verify({
      ...world.env,
      NEXT_PUBLIC_BASE_URL: base,
      CALENDLY_WEBHOOK_URL: `${base}/api/webhooks/calendly`,
      STRIPE_WEBHOOK_URL: `${base}/api/webhooks/stripe`,
    });
    expect(exitCode).toBe(1);
    for (const id of ["endpoints.base-url-https", "endpoints.health-database-up", "endpoints.calendly-webhook-reachable", "endpoints.stripe-webhook-reachable"]) {
      expect(result(report, id).status, id).toBe("fail");
      expect(result(report, id).message, id).toMatch(new RegExp(`No answer from ${base.replace(/[.]/g, "\\.")}.*ECONNREFUSED`));
    }
    // Everything built on them is skipped with the reason, never passed.
    for (const id of IDS.filter((i) => !/base-url|health|reachable/.test(i))) expect(result(report, id).status, id).toBe("skip");
  });

  // Last: the burst drains the Calendly route's rate limit for this client for about a minute.
  it("--include-load: the burst meets the app's rate limit (429) and the rate-limit check passes", async () => {
    const before = await bookingCount();
    const { exitCode, report, output } = await verify(world.env, ["--include-load"]);
    expect(exitCode, output).toBe(0);
    expect(problems(report)).toEqual({});
    const rateLimit = result(report, "security.rate-limit");
    expect(rateLimit.status, rateLimit.message).toBe("pass");
    expect(rateLimit.message).toMatch(/answered 429 after \d+ requests/);
    expect(await bookingCount()).toBe(before);
  });
});

it("`bookflow sandbox run -- verify --only endpoints,security` exits 0", { timeout: 120_000 }, async () => {
  const r = await runCli(["sandbox", "run", "--", "verify", "--only", "endpoints,security"], { timeout: 110_000 });
  expect(r.exitCode, r.stdout + r.stderr).toBe(0);
  for (const id of IDS) expect(r.stdout).toContain(id);
});
