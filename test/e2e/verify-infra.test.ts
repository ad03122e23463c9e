import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SANDBOX_DOMAIN, type SandboxWorld } from "../../src/sandbox/world.js";
import { sandboxZone } from "../../src/sandbox/dns/zones.js";
import { defaultDeployments, type EmulatedDeployment } from "../../src/sandbox/vercel/emulator.js";
import { healthyDatadogMonitors, healthySentryRules } from "../../src/sandbox/monitoring/emulator.js";
import { localServer, type LocalServer } from "../checks/monitoring/local-server.js";
import { runCli, tempDir } from "../support/cli.js";
import type { TestDatabase } from "../support/db.js";
import { startTestSandbox, type TestSandbox } from "../support/sandbox.js";

/**
 * The dns, database, deployment and monitoring checks through the built CLI
 * against the sandbox (DNS server, Vercel emulator, a real PostgreSQL): the
 * healthy world passes, and each way of breaking it fails exactly the check
 * that names it. Needs `npx tsc -p tsconfig.json` first (the CLI runs from dist/).
 */

const SECTIONS = "dns,database,deployment,monitoring";

interface Result {
  id: string;
  status: string;
  message: string;
}

describe("verify: dns, database, deployment and monitoring against the sandbox", () => {
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

  /**
   * database.connections-stable spreads its samples over 2.5 s by default: a run that is about another check spreads
   * them over 0.2 s (a config of its own), and the healthy run keeps the default and asserts its message.
   */
  let shortSampleWindow: string;
  beforeAll(() => {
    shortSampleWindow = join(tempDir(), "bookflow.config.json");
    writeFileSync(shortSampleWindow, JSON.stringify({ thresholds: { databaseSampleWindowMs: 200 } }));
  });

  async function verify(extraArgs: string[] = [], env: Record<string, string> = {}, options: { defaultConfig?: boolean } = {}): Promise<{ exitCode: number; results: Result[]; stderr: string }> {
    const config = options.defaultConfig ? [] : ["--config", shortSampleWindow];
    const r = await runCli(["verify", "--only", SECTIONS, "--target", "sandbox", "--format", "json", ...config, ...extraArgs], { env: { ...world.env, ...env } });
    let results: Result[] = [];
    try {
      results = (JSON.parse(r.stdout) as { results: Result[] }).results;
    } catch {
      throw new Error(`verify printed no JSON report (exit ${r.exitCode}):\n${r.stdout}\n${r.stderr}`);
    }
    return { exitCode: r.exitCode, results, stderr: r.stderr };
  }

  /** Ids of the checks that failed or errored. */
  const failed = (results: Result[]) => results.filter((r) => r.status === "fail" || r.status === "error").map((r) => r.id);
  const statusOf = (results: Result[], id: string) => results.find((r) => r.id === id)?.status;

  it("passes in the healthy sandbox (its Sentry and Datadog are emulated; the opt-in checks skip)", async () => {
    const { exitCode, results, stderr } = await verify([], {}, { defaultConfig: true });
    expect(failed(results), stderr).toEqual([]);
    expect(exitCode).toBe(0);
    const notPassing = Object.fromEntries(results.filter((r) => r.status !== "pass").map((r) => [r.id, r.status]));
    expect(notPassing).toEqual({
      "deployment.expected-commit": "skip",
      "deployment.emergency-contacts": "skip",
      "monitoring.sentry-test-event": "skip",
      "monitoring.sentry-capturing-errors": "skip",
    });
    for (const id of ["dns.spf", "dns.dkim", "dns.dmarc", "database.connects", "database.migrations-applied", "database.tables-match-schema", "database.session-types-seeded", "database.marketplace-has-builders", "deployment.production-ready", "deployment.rollback-available", "deployment.logs-clean", "monitoring.sentry-dsn", "monitoring.datadog-api-key", "monitoring.sentry-alert-rules", "monitoring.datadog-monitors"]) {
      expect(statusOf(results, id), id).toBe("pass");
    }
    expect(results.find((r) => r.id === "database.connects")!.message).toMatch(/DATABASE_URL [\d.]+ ms .*DIRECT_URL [\d.]+ ms/);
    expect(statusOf(results, "database.connections-stable")).toBe("pass");
    expect(results.find((r) => r.id === "database.connections-stable")!.message).toMatch(/^6 fresh connections over 2500 ms all succeeded: min [\d.]+ ms, median [\d.]+ ms, p95 [\d.]+ ms, max [\d.]+ ms$/);
  });

  it("fails exactly dns.spf when the sending domain has no SPF record", async () => {
    world.dns.setZone(sandboxZone(SANDBOX_DOMAIN, { break: "no-spf" }));
    try {
      const { exitCode, results } = await verify();
      expect(failed(results)).toEqual(["dns.spf"]);
      expect(exitCode).toBe(1);
    } finally {
      world.dns.setZone(sandboxZone(SANDBOX_DOMAIN));
    }
  });

  it("warns (and passes) on DMARC p=none", async () => {
    world.dns.setZone(sandboxZone(SANDBOX_DOMAIN, { break: "dmarc-none" }));
    try {
      const { exitCode, results } = await verify();
      expect(failed(results)).toEqual([]);
      expect(statusOf(results, "dns.dmarc")).toBe("warn");
      expect(exitCode).toBe(0);
    } finally {
      world.dns.setZone(sandboxZone(SANDBOX_DOMAIN));
    }
  });

  it("fails exactly database.migrations-applied when the latest migration is pending", async () => {
    const prisma = t.db.prisma;
    const [latest] = await prisma.$queryRawUnsafe<{ row: unknown }[]>(`SELECT row_to_json(m)::text AS row FROM _prisma_migrations m ORDER BY started_at DESC, migration_name DESC LIMIT 1`);
    expect(latest).toBeDefined();
    const row = JSON.parse(String(latest!.row)) as { id: string };
    await prisma.$executeRawUnsafe(`DELETE FROM _prisma_migrations WHERE id = $1`, row.id);
    try {
      const { exitCode, results } = await verify();
      expect(failed(results)).toEqual(["database.migrations-applied"]);
      expect(results.find((r) => r.id === "database.migrations-applied")!.message).toMatch(/pending: \d+_\w+/);
      expect(exitCode).toBe(1);
    } finally {
      await prisma.$executeRawUnsafe(`INSERT INTO _prisma_migrations SELECT * FROM json_populate_record(NULL::_prisma_migrations, $1::json)`, JSON.stringify(row));
    }
  });

  it("fails exactly deployment.production-ready when production points at a deployment that is not READY", async () => {
    const healthy = world.vercel.state().deployments;
    const broken: EmulatedDeployment = { uid: "dpl_broken0000000000000001", state: "ERROR", target: "production", createdAt: Date.now(), commitSha: "f".repeat(40), commitRef: "main" };
    world.vercel.setDeployments([...healthy, broken], broken.uid);
    try {
      const { exitCode, results } = await verify();
      expect(failed(results)).toEqual(["deployment.production-ready"]);
      expect(statusOf(results, "deployment.rollback-available")).toBe("pass");
      expect(exitCode).toBe(1);
    } finally {
      world.vercel.setDeployments(defaultDeployments("bookflow-sandbox"));
    }
  });

  it("reads a BLOCKED production deployment newer than the one serving: production-ready fails naming it, nothing errors", async () => {
    const healthy = world.vercel.state().deployments;
    const blocked: EmulatedDeployment = { uid: "dpl_blocked000000000000001", state: "BLOCKED", target: "production", createdAt: Date.now(), commitSha: "b".repeat(40), commitRef: "main", blockCode: "COMMIT_AUTHOR_REQUIRED" };
    world.vercel.setDeployments([...healthy, blocked]);
    try {
      const { exitCode, results } = await verify();
      expect(failed(results)).toEqual(["deployment.production-ready"]);
      expect(results.filter((r) => r.status === "error")).toEqual([]);
      expect(results.find((r) => r.id === "deployment.production-ready")!.message).toContain(blocked.uid);
      expect(statusOf(results, "deployment.rollback-available")).toBe("pass");
      expect(exitCode).toBe(1);
    } finally {
      world.vercel.setDeployments(defaultDeployments("bookflow-sandbox"));
    }
  });

  it("checks --expect-commit against the production deployment's commit", async () => {
    const state = world.vercel.state();
    const sha = state.deployments.find((d) => d.uid === state.currentProductionId)!.commitSha!;
    const ok = await verify(["--expect-commit", sha.slice(0, 10)]);
    expect(statusOf(ok.results, "deployment.expected-commit")).toBe("pass");
    expect(ok.exitCode).toBe(0);
    const wrong = await verify(["--expect-commit", "0".repeat(40)]);
    expect(failed(wrong.results)).toEqual(["deployment.expected-commit"]);
    expect(wrong.exitCode).toBe(1);
    const bad = await runCli(["verify", "--only", "deployment", "--expect-commit", "main"], { env: { ...world.env } });
    expect(bad.exitCode).toBe(2);
  });

  describe("monitoring configured, not only reachable (the sandbox's Sentry and Datadog)", () => {
    const MONITORING = "monitoring";
    const verifyMonitoring = async (target: string, extra: string[] = []) => {
      const r = await runCli(["verify", "--only", MONITORING, "--target", target, "--format", "json", ...extra], { env: { ...world.env } });
      return { exitCode: r.exitCode, results: (JSON.parse(r.stdout) as { results: (Result & { severity: string })[] }).results, stderr: r.stderr };
    };

    it("--send-test-events: the event Sentry accepted is read back through its API", async () => {
      const { exitCode, results } = await verify(["--send-test-events"]);
      expect(statusOf(results, "monitoring.sentry-test-event")).toBe("pass");
      const captured = results.find((r) => r.id === "monitoring.sentry-capturing-errors")!;
      expect(captured.status, captured.message).toBe("pass");
      const sent = world.monitoring.events().at(-1)!;
      expect(captured.message).toContain(sent.eventId);
      expect(exitCode).toBe(0);
    });

    it("alert rules deleted through the control API: a warning for the sandbox (exit 0; 1 with --strict), an error for --target production (exit 1)", async () => {
      const res = await fetch(`${world.monitoring.url}/_control/sentry/rules`, { method: "DELETE" });
      expect(res.status).toBe(200);
      try {
        const lax = await verify();
        expect(statusOf(lax.results, "monitoring.sentry-alert-rules")).toBe("warn");
        expect(failed(lax.results)).toEqual([]);
        expect(lax.exitCode).toBe(0);
        expect((await verify(["--strict"])).exitCode).toBe(1);
        const prod = await verifyMonitoring("production");
        const rules = prod.results.find((r) => r.id === "monitoring.sentry-alert-rules")!;
        expect(rules).toMatchObject({ status: "fail", severity: "error" });
        expect(rules.message).toMatch(/new issues .* high-priority/);
        expect(failed(prod.results)).toEqual(["monitoring.sentry-alert-rules"]);
        expect(prod.exitCode, prod.stderr).toBe(1);
      } finally {
        world.monitoring.setSentryRules(healthySentryRules());
      }
    });

    it("a Datadog monitor deleted: monitoring.datadog-monitors warns for staging and fails for production, naming the purpose", async () => {
      expect((await fetch(`${world.monitoring.url}/_control/datadog/monitors/2002`, { method: "DELETE" })).status).toBe(200);
      try {
        const staging = await verifyMonitoring("staging");
        expect(staging.results.find((r) => r.id === "monitoring.datadog-monitors")).toMatchObject({ status: "warn", severity: "warn", message: expect.stringContaining("email-failures") });
        expect(staging.exitCode).toBe(0);
        const prod = await verifyMonitoring("production");
        expect(failed(prod.results)).toEqual(["monitoring.datadog-monitors"]);
        expect(prod.exitCode).toBe(1);
      } finally {
        world.monitoring.setDatadogMonitors(healthyDatadogMonitors());
      }
    });

    it("no Sentry token or Datadog application key: failures for production naming what to set, warnings elsewhere; no secret printed", async () => {
      const env = { ...world.env, SENTRY_AUTH_TOKEN: "", DATADOG_APP_KEY: "" };
      const prod = await runCli(["verify", "--only", MONITORING, "--target", "production", "--format", "json"], { env });
      const results = (JSON.parse(prod.stdout) as { results: Result[] }).results;
      expect(failed(results).sort()).toEqual(["monitoring.datadog-monitors", "monitoring.sentry-alert-rules"]);
      expect(results.find((r) => r.id === "monitoring.sentry-alert-rules")!.message).toMatch(/SENTRY_AUTH_TOKEN.*project:read/);
      expect(results.find((r) => r.id === "monitoring.datadog-monitors")!.message).toMatch(/DATADOG_APP_KEY.*monitors_read/);
      expect(prod.exitCode).toBe(1);
      expect(prod.stdout + prod.stderr).not.toContain(world.env.DATADOG_API_KEY);
      const staging = await runCli(["verify", "--only", MONITORING, "--target", "staging", "--format", "json"], { env });
      expect(staging.exitCode).toBe(0);
    });
  });

  describe("with monitoring configured (Sentry and Datadog on 127.0.0.1)", () => {
    const KEY = "abcdef0123456789abcdef0123456789";
    const TOKEN = "sntryu_FAKElocalsentrytoken0001";
    let sentry: LocalServer;
    let datadog: LocalServer;
    beforeAll(async () => {
      sentry = await localServer((req) => {
        if (req.url === "/api/5/envelope/") return String(req.headers["x-sentry-auth"]).includes(KEY) ? { status: 200, body: { id: "1" } } : { status: 401, body: { detail: "invalid" } };
        if (req.headers.authorization !== `Bearer ${TOKEN}`) return { status: 401, body: { detail: "Invalid token" } };
        if (req.url === "/api/0/projects/acme/web/rules/") return { status: 200, body: healthySentryRules("web") };
        const eventId = /^\/api\/0\/projects\/acme\/web\/events\/([0-9a-f]{32})\/$/.exec(req.url)?.[1];
        const sent = sentry.seen.some((r) => r.url === "/api/5/envelope/" && r.body.includes(`"event_id":"${eventId}"`));
        return eventId && sent ? { status: 200, body: { eventID: eventId, id: eventId, groupID: "9" } } : { status: 404, body: { detail: "Event not found" } };
      });
      datadog = await localServer((req) => {
        if (req.headers["dd-api-key"] !== "dd-good-key-0001") return { status: 403, body: { errors: ["Forbidden"] } };
        if (req.url === "/api/v1/validate") return { status: 200, body: { valid: true } };
        const tag = new URL(req.url, "http://x").searchParams.get("monitor_tags");
        return req.headers["dd-application-key"] === "dd-app-key-0001" ? { status: 200, body: healthyDatadogMonitors().filter((m) => tag === null || m.tags.includes(tag)) } : { status: 403, body: { errors: ["Forbidden"] } };
      });
    });
    afterAll(async () => {
      await sentry?.close();
      await datadog?.close();
    });

    it("passes every monitoring check with --send-test-events, and sends exactly one event", async () => {
      const env = {
        SENTRY_DSN: `http://${KEY}@127.0.0.1:${sentry.port}/5`,
        SENTRY_API_BASE: sentry.url,
        SENTRY_AUTH_TOKEN: TOKEN,
        SENTRY_ORG: "acme",
        SENTRY_PROJECT: "web",
        DATADOG_API_KEY: "dd-good-key-0001",
        DATADOG_APP_KEY: "dd-app-key-0001",
        DATADOG_API_BASE: datadog.url,
      };
      const { exitCode, results } = await verify(["--send-test-events"], env);
      expect(results.filter((r) => r.id.startsWith("monitoring.")).map((r) => [r.id, r.status])).toEqual([
        ["monitoring.sentry-dsn", "pass"],
        ["monitoring.sentry-test-event", "pass"],
        ["monitoring.datadog-api-key", "pass"],
        ["monitoring.sentry-alert-rules", "pass"],
        ["monitoring.sentry-capturing-errors", "pass"],
        ["monitoring.datadog-monitors", "pass"],
      ]);
      expect(sentry.seen.filter((r) => r.method === "POST").length).toBe(1);
      expect(exitCode).toBe(0);
    });

    it("warns, without failing the run, when Datadog rejects the key; fails it with --strict", async () => {
      const env = { DATADOG_API_KEY: "dd-wrong-key-0002", DATADOG_API_BASE: datadog.url };
      const lax = await verify([], env);
      expect(statusOf(lax.results, "monitoring.datadog-api-key")).toBe("warn");
      expect(lax.exitCode).toBe(0);
      const strict = await verify(["--strict"], env);
      expect(strict.exitCode).toBe(1);
      expect(JSON.stringify(strict.results)).not.toContain("dd-wrong-key-0002");
    });
  });
});

describe("bookflow sandbox run -- verify (dns, database, deployment)", () => {
  it("exits 0 in a fresh directory (embedded database, emulators, DNS)", async () => {
    const r = await runCli(["sandbox", "run", "--", "verify", "--only", "dns,database,deployment"], { cwd: tempDir(), timeout: 170_000 });
    expect(r.stdout + r.stderr).toMatch(/PASS\s+dns\.spf/);
    expect(r.stdout).toMatch(/PASS\s+database\.migrations-applied/);
    expect(r.stdout).toMatch(/PASS\s+deployment\.production-ready/);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
  }, 180_000);
});
