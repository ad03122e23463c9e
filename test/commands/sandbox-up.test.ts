import { execa } from "execa";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseEnv } from "node:util";
import { expect, it } from "vitest";
import { BIN, cleanEnv, runCli, tempDir } from "../support/cli.js";
import { createTestDatabase } from "../support/db.js";

it("`sandbox up` prints its environment, writes the env file, serves other processes, and stops cleanly on Ctrl-C", { timeout: 120_000 }, async () => {
  const cwd = tempDir("bookflow-sandbox-up-");
  const child = execa("node", ["--", BIN, "sandbox", "up"], { cwd, env: cleanEnv(), extendEnv: false, reject: false });
  await new Promise<void>((resolve, reject) => {
    let err = "";
    child.stderr!.on("data", (c: Buffer) => {
      err += c.toString();
      if (err.includes("Sandbox is up")) resolve();
    });
    setTimeout(() => reject(new Error(`sandbox did not come up: ${err}`)), 90_000);
  });
  const envFile = join(cwd, ".bookflow", "sandbox.env");
  const env = parseEnv(readFileSync(envFile, "utf8"));
  expect(env.DATABASE_URL).toMatch(/^postgresql:\/\/postgres@127\.0\.0\.1:\d+\//);
  expect(env.STRIPE_WEBHOOK_SECRET).toMatch(/^whsec_/);

  // Another process reaches the same world through the env file.
  const status = await runCli(["--env-file", envFile, "db", "status", "--json"], { cwd });
  expect(status.exitCode).toBe(0);
  expect(JSON.parse(status.stdout).upToDate).toBe(true);
  const health = await fetch(`${env.NEXT_PUBLIC_BASE_URL}/api/health`);
  expect(health.status).toBe(200);

  child.kill("SIGINT");
  const result = await child;
  expect(result.exitCode).toBe(0);
  expect(String(result.stdout)).toContain("export STRIPE_API_BASE=");
  await expect(fetch(`${env.NEXT_PUBLIC_BASE_URL}/api/health`)).rejects.toThrow();
});

it("`sandbox up` on the user's own DATABASE_URL prints it without the password (the env file keeps it whole)", { timeout: 120_000 }, async () => {
  const t = await createTestDatabase({ poolSize: 1 });
  try {
    const url = new URL(t.url);
    url.password = "s3cretPW";
    url.searchParams.set("password", "s3cretPW2");
    const cwd = tempDir("bookflow-sandbox-up-");
    const child = execa("node", ["--", BIN, "sandbox", "up", "--json"], { cwd, env: cleanEnv({ DATABASE_URL: url.toString() }), extendEnv: false, reject: false });
    let err = "";
    await new Promise<void>((resolve, reject) => {
      child.stderr!.on("data", (c: Buffer) => {
        err += c.toString();
        if (err.includes("Sandbox is up")) resolve();
      });
      void child.then(() => reject(new Error(`sandbox exited: ${err}`)));
      setTimeout(() => reject(new Error(`sandbox did not come up: ${err}`)), 90_000);
    });
    const envFile = join(cwd, ".bookflow", "sandbox.env");
    expect(parseEnv(readFileSync(envFile, "utf8")).DATABASE_URL).toBe(url.toString());
    const status = await runCli(["--env-file", envFile, "db", "status"], { cwd });
    expect(status.exitCode).toBe(0);
    expect(status.stdout + status.stderr).not.toContain("s3cretPW");
    child.kill("SIGINT");
    const result = await child;
    expect(result.exitCode, `${result.signal} ${String(result.stderr)}`).toBe(0);
    const printed = JSON.parse(String(result.stdout)) as { env: Record<string, string> };
    expect(printed.env.DATABASE_URL).toContain(`@${url.host}/${t.name}?password=****`);
    expect(String(result.stdout) + String(result.stderr)).not.toContain("s3cretPW");
  } finally {
    await t.drop();
  }
});

it("the first start on a terminal names each step on one line, cleared once the sandbox is up; without a terminal none of it", { timeout: 180_000 }, async () => {
  const env = cleanEnv({ CI: undefined, BOOKFLOW_CACHE_DIR: tempDir("bookflow-sandbox-cache-") });
  const pty = await execa("script", ["-qec", `node -- ${BIN} sandbox run -- db status --json`, "/dev/null"], { cwd: tempDir("bookflow-sandbox-pty-"), env, extendEnv: false, reject: false, timeout: 150_000 });
  const out = String(pty.stdout);
  expect(pty.exitCode, out).toBe(0);
  const steps = [...out.matchAll(/\r\x1b\[2Ksandbox: ([^\r\n]+)/g)].map((m) => m[1]);
  for (const step of ["starting the database and the emulators", "creating the database", "migrating the database", "seeding the database", "starting the reference app", "registering the webhooks"]) {
    expect(steps, out).toContain(step);
  }
  expect(steps.some((s) => s!.startsWith("saving the database image"))).toBe(true);
  // The ready line is printed on a cleared line, and the command's own output follows the progress line's last clearing.
  expect(out).toMatch(/\r\x1b\[2Ksandbox ready in \d+ ms/);
  const lastClear = out.lastIndexOf("\r\x1b[2K");
  expect(out.slice(lastClear)).not.toMatch(/sandbox: /);
  expect(out.slice(lastClear)).toContain('"upToDate": true');

  const piped = await runCli(["sandbox", "run", "--", "db", "status", "--json"], { env: { CI: undefined, BOOKFLOW_CACHE_DIR: env.BOOKFLOW_CACHE_DIR }, timeout: 150_000 });
  expect(piped.exitCode, piped.stderr).toBe(0);
  expect(piped.stderr).not.toMatch(/[\r\x1b]/);
  expect(piped.stderr).not.toContain("sandbox: ");
});
