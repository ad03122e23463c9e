import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyCommand, type VerifyOptions } from "../../commands/handlers/verify.js";
import { fail, pass, type AnyCheck } from "../../src/engine/check.js";
import { createContext, type Context } from "../../src/context.js";
import { runReportSchema } from "../../src/engine/report-schema.js";
import { ConfigError, UsageError } from "../../src/errors.js";
import { FORMAT_NAMES, type FormatName } from "../../src/engine/formatters/names.js";
import { startSandbox, type SandboxWorld } from "../../src/sandbox/world.js";
import { runCli, tempDir } from "../support/cli.js";
import { createTestDatabase, type TestDatabase } from "../support/db.js";
import { VALID_ENV } from "../support/env-worlds.js";
import { testCheck } from "../engine/helpers.js";

/** Every secret in VALID_ENV, whole; none may appear in any output. */
const SECRETS = [
  VALID_ENV.CALENDLY_API_TOKEN!,
  VALID_ENV.CALENDLY_WEBHOOK_SIGNING_KEY!,
  VALID_ENV.STRIPE_SECRET_KEY!,
  VALID_ENV.STRIPE_WEBHOOK_SECRET!,
  VALID_ENV.SENDGRID_API_KEY!,
  "FAKEdbPassw0rd1",
];

/** The verify command as `bookflow verify` runs it, with a test catalogue (the context carries the working directory). */
function verify(options: VerifyOptions, deps: { ctx: Context; catalogue?: readonly AnyCheck[] }): Promise<number> {
  return verifyCommand({ catalogue: deps.catalogue })(options, { ctx: deps.ctx });
}

function expectNoSecrets(...texts: string[]): void {
  for (const text of texts) for (const s of SECRETS) expect(text, `secret ${s.slice(0, 6)}… leaked`).not.toContain(s);
}

describe("bookflow verify (CLI)", () => {
  it("exits 0 for `--only env.*` with a fully valid environment", async () => {
    const r = await runCli(["verify", "--only", "env.*"], { env: { ...VALID_ENV } });
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/PASS\s+env\.required-present/);
    expect(r.stdout).toContain("Result: passed");
    expectNoSecrets(r.stdout);
  });

  it("exits 1 naming the missing variable, and skips only the checks that read it, with the reason", async () => {
    const env: Record<string, string> = { ...VALID_ENV };
    delete env.STRIPE_WEBHOOK_SECRET;
    const r = await runCli(["verify", "--only", "env"], { env });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/FAIL\s+env\.required-present\s+Missing: STRIPE_WEBHOOK_SECRET/);
    expect(r.stdout).toMatch(/SKIP\s+env\.stripe-keys-well-formed\s+STRIPE_WEBHOOK_SECRET is not set \(see env\.required-present\)/);
    // Checks that read none of the missing variables still run.
    expect(r.stdout).toMatch(/PASS\s+env\.sendgrid-well-formed/);
    expect(r.stdout).toMatch(/PASS\s+env\.calendly-well-formed/);
    expect(r.stdout).toContain("fix: Set each missing variable");
  });

  it("takes the environment from --env-file, and --target from the config file", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, ".env"), Object.entries({ ...VALID_ENV, STRIPE_SECRET_KEY: "sk_test_FAKEsecret0123456789abcdefgh", STRIPE_PUBLISHABLE_KEY: "pk_test_FAKEpublic0123456789abcdefgh" }).map(([k, v]) => `${k}=${v}`).join("\n"));
    const prod = await runCli(["--env-file", ".env", "verify", "--only", "env.stripe-mode-matches-target"], { cwd: dir });
    expect(prod.exitCode).toBe(1);
    expect(prod.stdout).toMatch(/FAIL\s+env\.stripe-mode-matches-target\s+Target production needs live keys/);
    writeFileSync(join(dir, "bookflow.config.json"), JSON.stringify({ target: "staging" }));
    const staging = await runCli(["--env-file", ".env", "verify", "--only", "env.stripe-mode-matches-target"], { cwd: dir });
    expect(staging.exitCode).toBe(0);
    const flag = await runCli(["--env-file", ".env", "verify", "--only", "env.stripe-mode-matches-target", "--target", "production"], { cwd: dir });
    expect(flag.exitCode).toBe(1);
  });

  it("exits 2 for an unknown --format, listing the known ones", async () => {
    const r = await runCli(["verify", "--format", "xml"], { env: { ...VALID_ENV } });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('Unknown --format "xml"');
    expect(r.stderr).toContain("junit");
    expect(r.stdout).not.toMatch(/PASS|FAIL/);
  });

  it("exits 2 for a selector that matches no check, suggesting ids", async () => {
    const r = await runCli(["verify", "--only", "env.required"], { env: { ...VALID_ENV } });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("env.required-present");
  });

  it("exits 2 for an invalid config file, naming the file and the field", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "bookflow.config.json"), JSON.stringify({ stripe: { events: "checkout.session.completed" } }));
    const r = await runCli(["verify"], { env: { ...VALID_ENV }, cwd: dir });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(join(dir, "bookflow.config.json"));
    expect(r.stderr).toContain("stripe.events");
  });

  it("exits 2 for a config file that is not JSON, or does not exist", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "broken.json"), "{ target: staging }");
    const broken = await runCli(["verify", "--config", "broken.json"], { env: { ...VALID_ENV }, cwd: dir });
    expect(broken.exitCode).toBe(2);
    expect(broken.stderr).toContain("broken.json is not valid JSON");
    const missing = await runCli(["verify", "--config", "nowhere.json"], { env: { ...VALID_ENV }, cwd: dir });
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain("nowhere.json: no such file");
  });

  it("exits 2 for --output with two formats, and for a bad --timeout or --target", async () => {
    for (const args of [["--format", "json", "--format", "junit", "--output", "x"], ["--timeout", "soon"], ["--target", "prod"], ["--concurrency", "0"]]) {
      const r = await runCli(["verify", ...args], { env: { ...VALID_ENV } });
      expect(r.exitCode, args.join(" ")).toBe(2);
    }
  });

  it("exits 2 for a bad --retry-timeout or --retry-interval, and for --retry-interval alone, naming the flag", async () => {
    for (const [args, flag] of [
      [["--retry-timeout", "soon"], "--retry-timeout"],
      [["--retry-timeout", "2h"], "--retry-timeout"],
      [["--retry-timeout", "1m", "--retry-interval", "0"], "--retry-interval"],
      [["--retry-interval", "5s"], "--retry-interval needs --retry-timeout"],
    ] as const) {
      const r = await runCli(["verify", ...args], { env: { ...VALID_ENV } });
      expect(r.exitCode, args.join(" ")).toBe(2);
      expect(r.stderr, args.join(" ")).toContain(flag);
    }
  });

  it("--retry-timeout retries only checks that wait on propagation: env checks that pass are not retried", async () => {
    const r = await runCli(["verify", "--only", "env", "--retry-timeout", "2s", "--retry-interval", "200ms"], { env: { ...VALID_ENV } });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).not.toContain("Retrying");
  });

  it("--format json --output writes a valid, versioned report; the summary stays on stdout", async () => {
    const dir = tempDir();
    const r = await runCli(["verify", "--only", "env", "--format", "json", "--output", "reports/verify.json"], { env: { ...VALID_ENV }, cwd: dir });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("Result: passed");
    const report = runReportSchema.parse(JSON.parse(readFileSync(join(dir, "reports/verify.json"), "utf8")));
    expect(report.schemaVersion).toBe(1);
    expect(report.results.map((x) => x.id)).toContain("env.required-present");
    expect(report.outcome).toBe("passed");
    expect(report.results.filter((x) => x.status !== "pass").map((x) => [x.id, x.status])).toEqual([["env.vercel-production-vars", "skip"]]);
  });

  it("--format without --output prints the format on stdout and moves the human output to stderr", async () => {
    const r = await runCli(["verify", "--only", "env", "--format", "json"], { env: { ...VALID_ENV } });
    expect(r.exitCode).toBe(0);
    expect(runReportSchema.safeParse(JSON.parse(r.stdout)).success).toBe(true);
    expect(r.stderr).toContain("Result: passed");
  });

  it.each([
    ["verify", "--format", "json", "--format", "junit"],
    ["verify", "--format", "json,github"],
    ["verify", "--format", "junit", "--format", "pretty-summary"],
    ["scenarios", "run", "--format", "json", "--format", "junit"],
  ])("refuses two formats for stdout with exit 2, saying how to write the others to files: %s", async (...args) => {
    const r = await runCli(args, { env: { ...VALID_ENV } });
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/bookflow: Only one --format can go to stdout, got 2/);
    expect(r.stderr).toMatch(/fix: .*--format <name> --output <file>/);
    expect(r.stderr).not.toMatch(/unexpected error/i);
  });

  it("allows one format on stdout with markdown going to $GITHUB_STEP_SUMMARY", async () => {
    const dir = tempDir();
    const summary = join(dir, "summary.md");
    const r = await runCli(["verify", "--only", "env", "--format", "json", "--format", "markdown"], { env: { ...VALID_ENV, GITHUB_STEP_SUMMARY: summary }, cwd: dir });
    expect(r.exitCode).toBe(0);
    expect(runReportSchema.safeParse(JSON.parse(r.stdout)).success).toBe(true);
    expect(readFileSync(summary, "utf8")).toContain("## bookflow verify: ✅ passed");
    expect(r.stderr).toContain("Result: passed");
    const noSummary = await runCli(["verify", "--only", "env", "--format", "json", "--format", "markdown"], { env: { ...VALID_ENV }, cwd: dir });
    expect(noSummary.exitCode).toBe(2);
    expect(noSummary.stderr).toContain("with $GITHUB_STEP_SUMMARY set, markdown is appended there");
  });

  it("appends markdown to $GITHUB_STEP_SUMMARY when set", async () => {
    const dir = tempDir();
    const summary = join(dir, "summary.md");
    writeFileSync(summary, "earlier step\n");
    const r = await runCli(["verify", "--only", "env", "--format", "markdown"], { env: { ...VALID_ENV, GITHUB_STEP_SUMMARY: summary }, cwd: dir });
    expect(r.exitCode).toBe(0);
    const text = readFileSync(summary, "utf8");
    expect(text.startsWith("earlier step\n")).toBe(true);
    expect(text).toContain("## bookflow verify: ✅ passed");
    expect(r.stdout).not.toContain("## bookflow verify");
  });

  it.each(FORMAT_NAMES)("never prints a secret from the environment: --format %s, failing and passing checks", async (format) => {
    const dir = tempDir();
    // Secrets in wrong places make checks fail and talk about them.
    const env = { ...VALID_ENV, NEXT_PUBLIC_STRIPE_KEY: VALID_ENV.STRIPE_SECRET_KEY!, NEXT_PUBLIC_DB: VALID_ENV.DIRECT_URL!, GITHUB_STEP_SUMMARY: join(dir, "summary.md") };
    const out = await runCli(["verify", "--format", format], { env, cwd: dir });
    const file = await runCli(["verify", "--format", format, "--output", "out.txt"], { env, cwd: dir });
    expect(out.exitCode).toBe(1);
    expect(file.exitCode).toBe(1);
    expect(out.stdout + out.stderr).toContain("NEXT_PUBLIC_STRIPE_KEY");
    const written = readFileSync(join(dir, "out.txt"), "utf8");
    expect(written.length).toBeGreaterThan(0);
    expectNoSecrets(out.stdout, out.stderr, file.stdout, file.stderr, written, existsSync(join(dir, "summary.md")) ? readFileSync(join(dir, "summary.md"), "utf8") : "");
  });
});

describe("verify handler", () => {
  /** A check that leaks every secret it can into its result: the redactor must mask them all. */
  const leaky = testCheck("leak.everything", {
    facts: ["env"],
    messages: { leaked: "leaked {{all}}" },
    run: (f) => {
      const v = f.env!.vars;
      const all = [v.STRIPE_SECRET_KEY, v.SENDGRID_API_KEY, v.CALENDLY_API_TOKEN, v.DATABASE_URL, v.NEXT_PUBLIC_ODD].join(" ");
      return fail("leaked", { all }, { expected: v.STRIPE_WEBHOOK_SECRET, actual: { token: v.CALENDLY_WEBHOOK_SIGNING_KEY, list: [all] }, details: all });
    },
  });
  const fine = testCheck("leak.fine", { run: () => pass("ok") });
  const extraSecret = "FAKEstrangeSecret_0123456789";

  async function runHandler(options: VerifyOptions, env: Record<string, string> = {}) {
    const dir = tempDir();
    let stdout = "";
    let stderr = "";
    const ctx = createContext({ env: { ...VALID_ENV, NEXT_PUBLIC_ODD: `sk_live_${extraSecret}`, ...env }, out: (t) => (stdout += t), err: (t) => (stderr += t), cwd: dir });
    const code = await verify(options, { ctx, catalogue: [leaky, fine] });
    return { code, stdout, stderr, dir };
  }

  it.each(FORMAT_NAMES)("masks every secret a check puts in its result: %s on stdout, in --output and in the step summary", async (format: FormatName) => {
    const summary = join(tempDir(), "summary.md");
    const a = await runHandler({ format: [format] }, { GITHUB_STEP_SUMMARY: summary });
    expect(a.code).toBe(1);
    const b = await runHandler({ format: [format], output: "out/report" });
    const written = readFileSync(join(b.dir, "out/report"), "utf8");
    expect(a.stdout + a.stderr + written).toContain("leak.everything");
    expectNoSecrets(a.stdout, a.stderr, b.stdout, b.stderr, written, existsSync(summary) ? readFileSync(summary, "utf8") : "");
    for (const text of [a.stdout, a.stderr, written]) expect(text).not.toContain(extraSecret);
    expect(a.stdout + a.stderr).toMatch(/sk_live_\*\*\*\*/);
  });

  it("throws UsageError/ConfigError (exit 2) before running anything", async () => {
    await expect(runHandler({ format: ["yaml"] })).rejects.toBeInstanceOf(UsageError);
    await expect(runHandler({ config: "missing.json" })).rejects.toBeInstanceOf(ConfigError);
    await expect(runHandler({ only: ["nothing.here"] })).rejects.toBeInstanceOf(UsageError);
  });

  it("takes the target from BOOKFLOW_TARGET unless --target is given; rejects an unknown one", async () => {
    const dir = tempDir();
    let stdout = "";
    const seen: string[] = [];
    const probe = testCheck("probe.target", { facts: ["env"], run: (f) => (seen.push(f.env!.target), pass("ok")) });
    const ctx = (env: Record<string, string>) => createContext({ env, out: (t) => (stdout += t), err: () => undefined, cwd: dir });
    await verify({}, { ctx: ctx({ BOOKFLOW_TARGET: "sandbox" }), catalogue: [probe] });
    await verify({ target: "staging" }, { ctx: ctx({ BOOKFLOW_TARGET: "sandbox" }), catalogue: [probe] });
    await verify({}, { ctx: ctx({}), catalogue: [probe] });
    expect(seen).toEqual(["sandbox", "staging", "production"]);
    expect(stdout).toContain("target sandbox");
    await expect(verify({}, { ctx: ctx({ BOOKFLOW_TARGET: "prod" }), catalogue: [probe] })).rejects.toBeInstanceOf(ConfigError);
  });

  it("passes with warnings, fails with them under --strict", async () => {
    const dir = tempDir();
    const soft = testCheck("soft.dmarc-policy", { severity: "warn", messages: { weakPolicy: "p=none" }, run: () => fail("weakPolicy") });
    const ctx = () => createContext({ env: {}, out: () => undefined, err: () => undefined, cwd: dir });
    expect(await verify({}, { ctx: ctx(), catalogue: [soft] })).toBe(0);
    expect(await verify({ strict: true }, { ctx: ctx(), catalogue: [soft] })).toBe(1);
  });

  it("applies --only/--skip comma lists, --timeout and --concurrency", async () => {
    const r = await runHandler({ only: ["leak.fine,leak.everything"], skip: ["leak.everything"], timeout: "500ms", concurrency: "2" });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/PASS\s+leak\.fine/);
    expect(r.stdout).not.toContain("leak.everything ");
  });
});

describe("verify against the sandbox world", () => {
  let t: TestDatabase;
  let world: SandboxWorld;
  beforeAll(async () => {
    t = await createTestDatabase({ migrated: false });
    world = await startSandbox({ databaseUrl: t.url });
  });
  afterAll(async () => {
    await world?.stop();
    await t?.drop();
  });

  async function verifySandbox(): Promise<{ code: number; report: { results: { id: string; status: string }[] } }> {
    const dir = tempDir();
    const ctx = createContext({ env: { ...world.env }, out: () => undefined, err: () => undefined, cwd: dir });
    const code = await verify({ only: ["env"], format: ["json"], output: "report.json" }, { ctx });
    return { code, report: JSON.parse(readFileSync(join(dir, "report.json"), "utf8")) as { results: { id: string; status: string }[] } };
  }

  it("passes every env check (target sandbox from BOOKFLOW_TARGET, Vercel variables read from its emulator)", async () => {
    const { code, report } = await verifySandbox();
    expect(report.results.filter((r) => r.status !== "pass")).toEqual([]);
    expect(report.results.map((r) => r.id)).toContain("env.vercel-production-vars");
    expect(code).toBe(0);
  });

  it("fails exactly env.vercel-production-vars when a secret is stored as plain on Vercel", async () => {
    const before = world.vercel.state().env;
    world.vercel.setEnv(before.map((v) => (v.key === "STRIPE_SECRET_KEY" ? { ...v, type: "plain" as const } : v)));
    try {
      const { code, report } = await verifySandbox();
      expect(code).toBe(1);
      expect(report.results.filter((r) => r.status !== "pass").map((r) => [r.id, r.status])).toEqual([["env.vercel-production-vars", "fail"]]);
    } finally {
      world.vercel.setEnv(before);
    }
  });
});
