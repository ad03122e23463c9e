import { writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defineCommand, runCommand } from "../../commands/support/run.js";
import { createContext } from "../../src/context.js";
import { stripeProviderError } from "../../src/providers/stripe-errors.js";
import { runCli, tempDir } from "../support/cli.js";

/**
 * A secret that came from --env-file (not from the process environment) is
 * masked on every error path: the runner renders errors through the
 * context's redactor, which knows the env files' secrets.
 */

const STRIPE_KEY = "sk_test_FAKEleakyKey0123456789abcdEFGH";
const SENDGRID_KEY = "SG.FAKEsendgridKey0123456789.abcdefghijklmnopqrstuv";

function expectMasked(text: string): void {
  expect(text).not.toContain(STRIPE_KEY);
  expect(text).not.toContain(SENDGRID_KEY);
  expect(text).not.toContain("FAKEleakyKey0123456789");
  expect(text).not.toContain("FAKEsendgridKey0123456789");
}

/** A Stripe API that refuses every key and, like some providers do, quotes the key it was given. */
let stripeApi: Server;
let stripeBase: string;
beforeAll(async () => {
  stripeApi = createServer((req, res) => {
    const key = (req.headers.authorization ?? "").replace(/^Bearer /, "");
    res.writeHead(401, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: { type: "invalid_request_error", message: `Invalid API Key provided: ${key}` } }));
  });
  await new Promise<void>((resolve) => stripeApi.listen(0, "127.0.0.1", resolve));
  stripeBase = `http://127.0.0.1:${(stripeApi.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => stripeApi.close(() => resolve())));

describe("secrets from --env-file on error paths", () => {
  it("an internal error (the embedded database's folder is a file named like the SendGrid key) is reported as a bug, with the key masked (built CLI)", async () => {
    const dir = tempDir("bookflow-secret-error-");
    // BOOKFLOW_DATA_DIR points at a file: opening the embedded database fails with an error naming the path.
    writeFileSync(join(dir, SENDGRID_KEY), "not a folder\n");
    writeFileSync(join(dir, ".env"), [`STRIPE_SECRET_KEY=${STRIPE_KEY}`, `SENDGRID_API_KEY=${SENDGRID_KEY}`, `BOOKFLOW_DATA_DIR=./${SENDGRID_KEY}`].join("\n") + "\n");
    const r = await runCli(["--env-file", ".env", "db", "status"], { cwd: dir });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("unexpected error (a bug in bookflow");
    expect(r.stderr).toContain("ENOTDIR");
    expect(r.stderr).toMatch(/SG\.\*\*\*\*stuv\/pglite/);
    expectMasked(r.stdout + r.stderr);
  });

  it("a provider error whose message quotes the Stripe key is rendered by the runner with the key masked", async () => {
    const dir = tempDir("bookflow-secret-error-");
    const envFile = join(dir, ".env");
    writeFileSync(envFile, [`STRIPE_SECRET_KEY=${STRIPE_KEY}`, `SENDGRID_API_KEY=${SENDGRID_KEY}`, `STRIPE_API_BASE=${stripeBase}`].join("\n") + "\n");
    let out = "";
    let err = "";
    // Only what the env file holds: the process environment knows no secret.
    const ctx = createContext({ envFiles: [envFile], env: { PATH: process.env.PATH }, cwd: dir, out: (t) => (out += t), err: (t) => (err += t) });
    const listEndpoints = defineCommand({
      command: "webhooks status stripe",
      parse: () => ({}),
      async run(_input, c) {
        const stripe = await c.clients.stripe();
        try {
          await stripe.webhookEndpoints.list({ limit: 1 });
        } catch (e) {
          throw stripeProviderError(e, "GET /v1/webhook_endpoints");
        }
      },
    });
    const code = await runCommand(listEndpoints, {}, { ctx });
    expect(code).toBe(1);
    expect(err).toContain("bookflow: stripe GET /v1/webhook_endpoints answered 401: Invalid API Key provided: sk_test_****EFGH");
    expect(err).toContain("fix: Check STRIPE_SECRET_KEY");
    expectMasked(out + err);
  });

  it("webhooks status and register stripe: Stripe quoting the --env-file key back is printed masked (built CLI)", async () => {
    const dir = tempDir("bookflow-secret-error-");
    writeFileSync(
      join(dir, ".env"),
      [`STRIPE_SECRET_KEY=${STRIPE_KEY}`, `SENDGRID_API_KEY=${SENDGRID_KEY}`, `STRIPE_API_BASE=${stripeBase}`, "STRIPE_WEBHOOK_URL=https://app.example.com/api/webhooks/stripe", "STRIPE_WEBHOOK_SECRET=whsec_FAKEsecretFromEnvFile0123"].join("\n") + "\n",
    );
    for (const args of [["webhooks", "status", "stripe"], ["webhooks", "register", "stripe", "--dry-run"]]) {
      const r = await runCli(["--env-file", ".env", ...args], { cwd: dir });
      expect(r.exitCode, r.stderr).toBe(1);
      expect(r.stdout + r.stderr).toContain("sk_test_****EFGH");
      expectMasked(r.stdout + r.stderr);
      expect(r.stdout + r.stderr).not.toContain("whsec_FAKEsecretFromEnvFile0123");
    }
  });
});

describe("DEBUG=* (the libraries' own debug logs)", () => {
  it("db status with DEBUG=*: Prisma's debug output of its driver adapter's config shows the connection string without its password", async () => {
    const password = "FAKEdebugPassw0rd1";
    const r = await runCli(["db", "status"], { env: { DEBUG: "*", DATABASE_URL: `postgresql://postgres:${password}@127.0.0.1:5432/postgres` } });
    expect(r.stderr).toMatch(/prisma:client/);
    expect(r.stderr).toContain("postgresql://postgres:****@127.0.0.1:5432/postgres");
    expect(r.stdout + r.stderr).not.toContain(password);
  });
});
