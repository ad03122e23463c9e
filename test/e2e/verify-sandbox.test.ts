import { afterAll, beforeAll, expect, it } from "vitest";
import { createStripeClient } from "../../src/providers/stripe-client.js";
import { sandboxZone } from "../../src/sandbox/dns/zones.js";
import { SANDBOX_DOMAIN, type SandboxWorld } from "../../src/sandbox/world.js";
import { runCli } from "../support/cli.js";
import type { TestDatabase } from "../support/db.js";
import { startTestSandbox, type TestSandbox } from "../support/sandbox.js";

/**
 * The whole checklist against the sandbox: every check passes or is skipped
 * for a stated reason; and a sandbox broken three ways at once (Stripe endpoint
 * disabled, no SPF record, a pending migration) fails exactly those checks.
 */

interface Result {
  id: string;
  status: string;
  message: string;
}

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

async function verify(): Promise<{ exitCode: number; results: Result[] }> {
  const r = await runCli(["verify", "--format", "json"], { env: world.env, timeout: 90_000 });
  return { exitCode: r.exitCode, results: (JSON.parse(r.stdout) as { results: Result[] }).results };
}

it("passes the whole checklist: every check passes or is skipped with its reason", { timeout: 90_000 }, async () => {
  const { exitCode, results } = await verify();
  expect(results.length).toBeGreaterThanOrEqual(40);
  expect(results.filter((r) => r.status !== "pass" && r.status !== "skip").map((r) => `${r.id}: ${r.status} ${r.message}`)).toEqual([]);
  for (const r of results.filter((x) => x.status === "skip")) expect(r.message.length, r.id).toBeGreaterThan(10);
  expect(exitCode).toBe(0);
});

it("a sandbox broken three ways fails exactly those three checks", { timeout: 90_000 }, async () => {
  const stripe = await createStripeClient({ secretKey: world.env.STRIPE_SECRET_KEY!, apiBase: world.env.STRIPE_API_BASE });
  const endpoints = await stripe.webhookEndpoints.list();
  const endpoint = endpoints.data.find((e) => e.url === world.env.STRIPE_WEBHOOK_URL)!;
  await stripe.webhookEndpoints.update(endpoint.id, { disabled: true });
  world.dns.setZone(sandboxZone(SANDBOX_DOMAIN, { break: "no-spf" }));
  const { Client } = await import("pg");
  const db = new Client({ connectionString: t.url });
  await db.connect();
  // The migration is recorded as not applied: pending, as after a deploy that forgot `db migrate`.
  const rows = await db.query(`DELETE FROM _prisma_migrations RETURNING id, migration_name, checksum, started_at, finished_at, applied_steps_count`);
  try {
    const { exitCode, results } = await verify();
    const broken = results.filter((r) => r.status === "fail" || r.status === "error").map((r) => r.id).sort();
    expect(broken).toEqual(["database.migrations-applied", "dns.spf", "stripe.webhook-endpoint-enabled"]);
    expect(exitCode).toBe(1);
  } finally {
    for (const r of rows.rows as unknown as Record<string, unknown>[]) {
      await db.query(`INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at, finished_at, applied_steps_count) VALUES ($1, $2, $3, $4, $5, $6)`, [r.id, r.checksum, r.migration_name, r.started_at, r.finished_at, r.applied_steps_count]);
    }
    await db.end();
    world.dns.setZone(sandboxZone(SANDBOX_DOMAIN));
    await stripe.webhookEndpoints.update(endpoint.id, { disabled: false });
  }
});
