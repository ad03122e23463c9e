import Ajv from "ajv";
import { execa } from "execa";
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseEnv } from "node:util";
import { describe, expect, it } from "vitest";
import { bookflowConfigSchema } from "../../src/config/bookflow-config.js";
import { REQUIRED_ENV } from "../../src/config/verify-env.js";
import { NPM_SCHEMA_REF } from "../../src/ops/init.js";
import { BIN, runCli, tempDir } from "../support/cli.js";
import { modulesLoaded } from "../support/imports.js";

/** `bookflow init` run as a process, as a user would. */

const ROOT = resolve(import.meta.dirname, "../..");
const HEAVY = ["@prisma/", "/generated/prisma/", "/stripe/", "@sendgrid/", "/listr2/", "@electric-sql/", "pglite-prisma-adapter", "/undici/", "/prom-client/"];

const read = (dir: string, file: string) => readFileSync(join(dir, file), "utf8");
const readJson = (dir: string, file: string) => JSON.parse(read(dir, file)) as Record<string, unknown>;

describe("bookflow init --yes", () => {
  it("in an empty folder writes a config verify accepts and a schema (where $schema points) validates, and a .env.example", async () => {
    const dir = tempDir("bookflow-init-");
    const r = await runCli(["init", "--yes"], { cwd: dir });
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("Wrote bookflow.config.json");
    expect(r.stdout).toContain("Wrote .env.example");
    expect(r.stdout).toContain("npm install --save-dev bookflow");

    const config = readJson(dir, "bookflow.config.json");
    expect(config).toEqual({ $schema: NPM_SCHEMA_REF, target: "production", contacts: [] });
    expect(bookflowConfigSchema.safeParse(config).success).toBe(true);

    // As after `npm install bookflow`: $schema resolves to the schema the package ships.
    mkdirSync(join(dir, "node_modules"));
    symlinkSync(ROOT, join(dir, "node_modules", "bookflow"));
    const schema = JSON.parse(readFileSync(resolve(dir, String(config.$schema)), "utf8")) as object;
    const validate = new Ajv({ allErrors: true }).compile(schema);
    expect(validate(config), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...config, targt: "staging" })).toBe(false);
    expect(validate.errors?.[0]).toMatchObject({ keyword: "additionalProperties", params: { additionalProperty: "targt" } });
    expect(validate({ ...config, thresholds: { httpLatencyMs: "fast" } })).toBe(false);
    expect(validate({ ...config, contacts: [{ role: "boss", name: "Ann", email: "ann@example.com" }] })).toBe(false);

    // verify reads the config: with .env.example's required variables filled in, env.required-present passes.
    const example = parseEnv(read(dir, ".env.example"));
    const filled = Object.fromEntries(Object.entries(example).map(([k, v]) => [k, v || `FAKE-${k.toLowerCase()}`]));
    expect(Object.keys(filled)).toEqual(expect.arrayContaining([...REQUIRED_ENV]));
    writeFileSync(join(dir, ".env"), Object.entries(filled).map(([k, v]) => `${k}=${v}`).join("\n"));
    const v = await runCli(["--env-file", ".env", "verify", "--config", "bookflow.config.json", "--only", "env.required-present", "--format", "json"], { cwd: dir });
    expect(v.exitCode, v.stderr).toBe(0);
    const report = JSON.parse(v.stdout) as { target: string; results: { id: string; status: string }[] };
    expect(report.target).toBe("production");
    expect(report.results).toEqual([expect.objectContaining({ id: "env.required-present", status: "pass" })]);

    // …and refuses the typo'd one (exit 2, naming the field).
    writeFileSync(join(dir, "typo.json"), JSON.stringify({ ...config, targt: "staging" }));
    const bad = await runCli(["--env-file", ".env", "verify", "--config", "typo.json", "--only", "env.required-present"], { cwd: dir });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain("targt");
  });

  it("takes every answer as a flag: config fields, and the URLs in .env.example (webhook URLs derived from the base URL)", async () => {
    const dir = tempDir("bookflow-init-");
    const r = await runCli(
      [
        "init", "--yes", "--dir", "config/staging", "--target", "staging", "--domain", "Example.com", "--base-url", "https://staging.example.com/",
        "--stripe-webhook-url", "https://staging.example.com/api/webhooks/stripe",
        "--session-type", "intro-call:0:usd", "--session-type", "deep-dive:15000:EUR",
        "--contact", "stripe:Stripe Support:https://support.stripe.com", "--contact", "on-call:Payments on-call:+1 415 555 0100", "--contact", "database:DBA:dba@example.com",
        "--http-latency-ms", "1500", "--database-latency-ms", "250", "--certificate-expiry-days", "30",
      ],
      { cwd: dir },
    );
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    const out = join(dir, "config", "staging");
    const config = bookflowConfigSchema.parse(readJson(out, "bookflow.config.json"));
    expect(config.target).toBe("staging");
    expect(config.email.sendingDomain).toBe("example.com");
    expect(config.seed.sessionTypes).toEqual([{ slug: "intro-call", priceCents: 0, currency: "usd" }, { slug: "deep-dive", priceCents: 15000, currency: "eur" }]);
    expect(config.contacts).toEqual([
      { role: "stripe", name: "Stripe Support", url: "https://support.stripe.com" },
      { role: "on-call", name: "Payments on-call", phone: "+1 415 555 0100" },
      { role: "database", name: "DBA", email: "dba@example.com" },
    ]);
    expect(config.thresholds).toMatchObject({ httpLatencyMs: 1500, databaseLatencyMs: 250, certificateExpiryDays: 30 });
    const env = parseEnv(read(out, ".env.example"));
    expect(env).toMatchObject({
      NEXT_PUBLIC_BASE_URL: "https://staging.example.com",
      CALENDLY_WEBHOOK_URL: "https://staging.example.com/api/webhooks/calendly",
      STRIPE_WEBHOOK_URL: "https://staging.example.com/api/webhooks/stripe",
      NODE_ENV: "production",
      VERCEL_ENV: "preview",
    });
  });

  it("--no-env-example writes only the config", async () => {
    const dir = tempDir("bookflow-init-");
    const r = await runCli(["init", "--yes", "--no-env-example"], { cwd: dir });
    expect(r.exitCode).toBe(0);
    expect(existsSync(join(dir, "bookflow.config.json"))).toBe(true);
    expect(existsSync(join(dir, ".env.example"))).toBe(false);
  });
});

describe("bookflow init never overwrites without --force", () => {
  it("a second run exits 2 naming the file and --force, and leaves it as it was; --force overwrites", async () => {
    const dir = tempDir("bookflow-init-");
    expect((await runCli(["init", "--yes"], { cwd: dir })).exitCode).toBe(0);
    const before = read(dir, "bookflow.config.json");
    const again = await runCli(["init", "--yes", "--domain", "example.com"], { cwd: dir });
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toContain("bookflow.config.json");
    expect(again.stderr).toContain(".env.example");
    expect(again.stderr).toContain("--force");
    expect(read(dir, "bookflow.config.json")).toBe(before);

    const forced = await runCli(["init", "--yes", "--force", "--domain", "example.com"], { cwd: dir });
    expect(forced.exitCode).toBe(0);
    expect(readJson(dir, "bookflow.config.json")).toMatchObject({ email: { sendingDomain: "example.com" } });
    expect(parseEnv(read(dir, ".env.example")).NEXT_PUBLIC_BASE_URL).toBe("https://example.com");
  });

  it("an existing .env.example alone is refused too (and --no-env-example leaves it alone)", async () => {
    const dir = tempDir("bookflow-init-");
    writeFileSync(join(dir, ".env.example"), "MINE=1\n");
    const r = await runCli(["init", "--yes"], { cwd: dir });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(".env.example");
    expect(r.stderr).toContain("--no-env-example");
    expect(existsSync(join(dir, "bookflow.config.json"))).toBe(false);
    expect((await runCli(["init", "--yes", "--no-env-example"], { cwd: dir })).exitCode).toBe(0);
    expect(read(dir, ".env.example")).toBe("MINE=1\n");
  });
});

describe("bookflow init refuses bad answers (exit 2, with the fix, nothing written)", () => {
  it.each([
    [["--contact", "boss:Ann:ann@example.com"], /role "boss"/],
    [["--contact", "stripe:Stripe Support"], /role:name:way/],
    [["--contact", "stripe:Stripe Support:call them"], /phone/],
    [["--session-type", "intro-call:49.00:usd"], /whole number of cents/],
    [["--session-type", "intro-call:100:dollars"], /three-letter/],
    [["--session-type", "Intro Call"], /slug/],
    [["--base-url", "not a url"], /absolute URL/],
    [["--base-url", "http://book.example.com"], /https/],
    [["--stripe-webhook-url", "ftp://example.com/hooks"], /https/],
    [["--domain", "https://example.com"], /domain/],
    [["--domain", "localhost"], /domain/],
    [["--target", "prod"], /not a target/],
    [["--http-latency-ms", "-5"], /httpLatencyMs/],
    [["--certificate-expiry-days", "1.5"], /certificateExpiryDays/],
    [["--database-latency-ms", "fast"], /must be a number/],
  ])("init --yes %j", async (args, why) => {
    const dir = tempDir("bookflow-init-");
    const r = await runCli(["init", "--yes", ...args], { cwd: dir });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(why);
    expect(r.stderr).toContain(args[0]!);
    expect(r.stderr).toMatch(/\n {2}fix: ./);
    expect(existsSync(join(dir, "bookflow.config.json"))).toBe(false);
    expect(existsSync(join(dir, ".env.example"))).toBe(false);
  });

  it("without a terminal and without --yes exits 2 saying to pass --yes, writing nothing", async () => {
    const dir = tempDir("bookflow-init-");
    const r = await runCli(["init", "--domain", "example.com"], { cwd: dir });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("terminal");
    expect(r.stderr).toContain("--yes");
    expect(existsSync(join(dir, "bookflow.config.json"))).toBe(false);
  });
});

describe("bookflow init on a terminal", () => {
  it("asks, re-asks a bad answer, and writes what was answered (under a pseudo-terminal: script -qfec)", async () => {
    const dir = tempDir("bookflow-init-pty-");
    const answers = [
      "staging",
      "example.com",
      "", // base URL: https://example.com
      "", // Calendly webhook URL: derived
      "", // Stripe webhook URL: derived
      "intro-call:0:usd",
      "", // end of session types
      "abc", // HTTP latency: not a number, asked again
      "1200",
      "", // database latency: default
      "", // certificate days: default
      "boss:Ann:ann@example.com", // unknown role, asked again
      "stripe:Stripe Support:https://support.stripe.com",
      "", // end of contacts
    ];
    const r = await execa("script", ["-qfec", `node -- ${BIN} init --dir ${join(dir, "out")}`, "/dev/null"], {
      cwd: dir,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: "1", TERM: "dumb" },
      extendEnv: false,
      reject: false,
      input: `${answers.join("\n")}\n`,
      timeout: 60_000,
    });
    expect(r.exitCode, String(r.stdout)).toBe(0);
    const shown = String(r.stdout);
    expect(shown).toContain("Target (production, staging, sandbox) [production]:");
    expect(shown).toContain("[https://example.com/api/webhooks/calendly]");
    expect(shown).toContain("must be a number");
    expect(shown).toContain('role "boss"');
    const out = join(dir, "out");
    const config = bookflowConfigSchema.parse(readJson(out, "bookflow.config.json"));
    expect(config).toMatchObject({
      target: "staging",
      email: { sendingDomain: "example.com" },
      seed: { sessionTypes: [{ slug: "intro-call", priceCents: 0, currency: "usd" }] },
      contacts: [{ role: "stripe", name: "Stripe Support", url: "https://support.stripe.com" }],
    });
    expect(config.thresholds.httpLatencyMs).toBe(1200);
    expect(readJson(out, "bookflow.config.json").thresholds).toEqual({ httpLatencyMs: 1200 });
    expect(parseEnv(read(out, ".env.example")).STRIPE_WEBHOOK_URL).toBe("https://example.com/api/webhooks/stripe");
  });
});

it("`bookflow init --help` loads no Prisma, provider SDK, listr2 or prom-client", async () => {
  const { result: r, loaded } = await modulesLoaded(["init", "--help"]);
  expect(r.exitCode).toBe(0);
  expect(r.stdout).toContain("--session-type");
  expect(loaded.some((u) => u.includes("commander"))).toBe(true);
  expect(loaded.filter((u) => HEAVY.some((h) => u.includes(h)) || u.includes("/zod/"))).toEqual([]);
});
