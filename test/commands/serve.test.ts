import { execa } from "execa";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appEnvSchema } from "../../src/config/app-env.js";
import { BIN, cleanEnv, runCli, tempDir } from "../support/cli.js";
import { createTestDatabase, type TestDatabase } from "../support/db.js";

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase({ seed: true });
});
afterAll(async () => t?.drop());

const appEnv = () => ({
  DATABASE_URL: t.url,
  CALENDLY_WEBHOOK_SIGNING_KEY: "calendly_key_FAKE_for_serve_test",
  STRIPE_WEBHOOK_SECRET: "whsec_FAKE_serve_test",
  STRIPE_SECRET_KEY: "sk_test_FAKE_serve_test_key",
  STRIPE_API_BASE: "http://127.0.0.1:9",
  BOOKFLOW_MAILER: "capture",
  NEXT_PUBLIC_BASE_URL: "http://127.0.0.1:3000",
});

describe("bookflow serve", () => {
  it("--help names every variable the app reads", async () => {
    const r = await runCli(["serve", "--help"]);
    expect(r.exitCode).toBe(0);
    const help = r.stdout.replace(/\s+/g, " ");
    const missing = Object.keys(appEnvSchema.shape).filter((name) => !["PORT", "HOST", "BOOKFLOW_DATA_DIR", "SENDGRID_BOOKING_TEMPLATE_ID", "SENDGRID_API_BASE", "CALENDLY_API_BASE", "BOOKFLOW_COMMIT"].includes(name) && !help.includes(name));
    expect(missing).toEqual([]);
  });


  it("exits 2 naming every missing or malformed variable, without printing secrets", async () => {
    const r = await runCli(["serve", "--port", "0"], { env: { DATABASE_URL: t.url, STRIPE_SECRET_KEY: "pk_live_FAKEFAKEFAKE123456" } });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("CALENDLY_WEBHOOK_SIGNING_KEY");
    expect(r.stderr).toContain("STRIPE_WEBHOOK_SECRET");
    expect(r.stderr).toContain("STRIPE_SECRET_KEY");
    expect(r.stderr).not.toContain("pk_live_FAKEFAKEFAKE123456");
  });

  it.each([
    ["below Stripe's 30 minutes", "10", /BOOKFLOW_CHECKOUT_EXPIRY_MINUTES.*at least 30/],
    ["above Stripe's 24 hours", "2000", /BOOKFLOW_CHECKOUT_EXPIRY_MINUTES.*at most 1440/],
    ["not a number", "soon", /BOOKFLOW_CHECKOUT_EXPIRY_MINUTES/],
  ])("rejects a Checkout expiry %s with exit 2, saying the bounds", async (_name, value, message) => {
    const r = await runCli(["serve", "--port", "0"], { env: { ...appEnv(), BOOKFLOW_CHECKOUT_EXPIRY_MINUTES: value } });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it("rejects a BOOKFLOW_MAX_CONNECTIONS that is not a whole number of at least 1 with exit 2, naming it", async () => {
    const r = await runCli(["serve", "--port", "0"], { env: { ...appEnv(), BOOKFLOW_MAX_CONNECTIONS: "0" } });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("BOOKFLOW_MAX_CONNECTIONS");
  });

  it("rejects a bad --port with exit 2", async () => {
    const r = await runCli(["serve", "--port", "99999"], { env: appEnv() });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("port");
  });

  it("serves health, finishes an in-flight request on SIGTERM, then exits 0", async () => {
    const child = execa("node", ["--", BIN, "serve", "--port", "0"], { env: cleanEnv(appEnv()), extendEnv: false, cwd: tempDir(), reject: false });
    const url = await new Promise<string>((resolve, reject) => {
      let buf = "";
      child.stdout!.on("data", (chunk: Buffer) => {
        buf += chunk.toString();
        const m = /"msg":"listening","url":"([^"]+)"/.exec(buf);
        if (m) resolve(m[1]!);
      });
      setTimeout(() => reject(new Error(`serve did not start: ${buf}`)), 20_000);
    });
    const health = await fetch(`${url}/api/health`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as { database: { up: boolean } }).database.up).toBe(true);

    // An in-flight request: headers and half a body sent, then SIGTERM, then the rest.
    const { port } = new URL(url);
    const socket = connect(Number(port), "127.0.0.1");
    await new Promise<void>((r) => socket.once("connect", () => r()));
    const body = JSON.stringify({ event: "invitee.created", payload: {} });
    socket.write(`POST /api/webhooks/calendly HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body.slice(0, 10)}`);
    let response = "";
    socket.on("data", (c: Buffer) => (response += c.toString()));
    const closed = new Promise<void>((r) => socket.once("close", () => r()));
    await new Promise((r) => setTimeout(r, 200));
    child.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 300));
    socket.write(body.slice(10));
    await closed;
    expect(response).toMatch(/^HTTP\/1\.1 401/);
    const result = await child;
    expect(result.exitCode).toBe(0);
    expect(String(result.stdout)).toContain('"msg":"stopped"');
  });
});
