import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseEnv } from "node:util";
import { describe, expect, it } from "vitest";
import { API_BASE_DEFAULTS } from "../../src/config/api-base.js";
import { appEnvSchema, databaseEnvSchema } from "../../src/config/app-env.js";
import { ENV_CATALOGUE, ENV_GROUP_TITLES, renderEnvExample } from "../../src/config/env-catalogue.js";
import { SECRET_ENV_NAMES } from "../../src/config/redact.js";
import { OPTIONAL_ENV, REQUIRED_ENV } from "../../src/config/verify-env.js";
import { EXTRA_CA_FILE_ENV } from "../../src/engine/facts/endpoints.js";
import { DATADOG_MONITOR_VARS, SENTRY_API_VARS } from "../../src/engine/facts/monitoring.js";
import { DNS_SERVER_ENV } from "../../src/providers/dns/resolver.js";
import { SANDBOX_SECRETS } from "../../src/sandbox/world.js";

/**
 * .env.example lists every variable bookflow reads: every variable the env
 * schemas and lists define, and every variable the code reads anywhere else
 * (found by scanning the source for `env.NAME`, `env["NAME"]` and the helpers
 * that take a variable's name).
 */

const ROOT = resolve(import.meta.dirname, "../..");
const names = new Set(ENV_CATALOGUE.map((v) => v.name));
const example = renderEnvExample();

/** Every .ts file under the folders bookflow runs from (not tests, not the generated client). */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (entry === "generated" || entry === "node_modules") return [];
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith(".ts") ? [path] : [];
  });
}

/** The variable names the code reads outside the schemas. */
function variablesReadInCode(): Map<string, string> {
  const found = new Map<string, string>();
  const patterns = [
    /\benv\??\.([A-Z][A-Z0-9_]*)\b/g, // env.NAME, ctx.env.NAME, process.env.NAME, env?.NAME
    /\benv\[\s*"([A-Z][A-Z0-9_]*)"\s*\]/g, // env["NAME"]
    /\brequired\(\s*env,\s*"([A-Z][A-Z0-9_]*)"/g, // from-env's required(env, "NAME", …)
    /\bapiBaseFromEnv\([^,]+,\s*"([A-Z][A-Z0-9_]*)"/g,
    /_ENV\s*=\s*"([A-Z][A-Z0-9_]*)"/g, // DNS_SERVER_ENV = "BOOKFLOW_DNS_SERVER"
  ];
  for (const folder of ["bin", "commands", "checks", "scenarios", "src"]) {
    for (const file of sourceFiles(join(ROOT, folder))) {
      const text = readFileSync(file, "utf8");
      for (const re of patterns) for (const m of text.matchAll(re)) if (!found.has(m[1]!)) found.set(m[1]!, file.slice(ROOT.length + 1));
      // A check's `vars: ["NAME", …]`.
      for (const m of text.matchAll(/\bvars:\s*\[([^\]]*)\]/g)) for (const v of m[1]!.matchAll(/"([A-Z][A-Z0-9_]*)"/g)) if (!found.has(v[1]!)) found.set(v[1]!, file.slice(ROOT.length + 1));
    }
  }
  return found;
}

describe(".env.example covers every variable", () => {
  it.each([
    ["REQUIRED_ENV (the release checklist's list)", [...REQUIRED_ENV]],
    ["OPTIONAL_ENV", [...OPTIONAL_ENV]],
    ["the app's env schema (appEnvSchema)", Object.keys(appEnvSchema.shape)],
    ["the database env schema", Object.keys(databaseEnvSchema.shape)],
    ["the redactor's secret names", [...SECRET_ENV_NAMES]],
    ["the *_API_BASE variables", Object.keys(API_BASE_DEFAULTS)],
    ["the Sentry and Datadog variables", [...SENTRY_API_VARS, ...DATADOG_MONITOR_VARS, "SENTRY_DSN"]],
    ["the DNS server and extra CA variables", [DNS_SERVER_ENV, EXTRA_CA_FILE_ENV]],
    ["the sandbox's secrets", Object.keys(SANDBOX_SECRETS)],
  ])("%s", (_what, vars) => {
    expect(vars.length).toBeGreaterThan(0);
    for (const name of vars) {
      expect(names, `${name} is not in src/config/env-catalogue.ts`).toContain(name);
      expect(example, `${name} is not in .env.example`).toMatch(new RegExp(`^(# |#   )?${name}(=|$)`, "m"));
    }
  });

  it("every variable the code reads (env.NAME, env[\"NAME\"], vars: […]) is in the catalogue", () => {
    const read = variablesReadInCode();
    // Sanity: the scan finds what it should.
    expect([...read.keys()]).toEqual(expect.arrayContaining(["DATABASE_URL", "BOOKFLOW_TARGET", "VERCEL_TOKEN", "DD_SITE", "CI", "SENDGRID_API_KEY"]));
    const missing = [...read].filter(([name]) => !names.has(name)).map(([name, file]) => `${name} (read in ${file})`);
    expect(missing, "add these to src/config/env-catalogue.ts with what they are for").toEqual([]);
  });

  it("each variable has a purpose, a known group, and appears once", () => {
    expect(new Set(ENV_CATALOGUE.map((v) => v.name)).size).toBe(ENV_CATALOGUE.length);
    for (const v of ENV_CATALOGUE) {
      expect(v.purpose.length, v.name).toBeGreaterThan(10);
      expect(Object.keys(ENV_GROUP_TITLES)).toContain(v.group);
      expect(example).toContain(v.purpose);
    }
  });

  it("parses as a dotenv file: the required variables as NAME= to fill in, optional ones commented out, values given filled in", () => {
    const parsed = parseEnv(renderEnvExample({ NEXT_PUBLIC_BASE_URL: "https://book.example.com", NODE_ENV: "production" }));
    for (const name of REQUIRED_ENV) expect(Object.keys(parsed), name).toContain(name);
    expect(parsed.NEXT_PUBLIC_BASE_URL).toBe("https://book.example.com");
    expect(parsed.NODE_ENV).toBe("production");
    expect(parsed.STRIPE_SECRET_KEY).toBe("");
    // Optional and ambient variables are documented but not set.
    expect(Object.keys(parsed)).not.toContain("SENTRY_DSN");
    expect(Object.keys(parsed)).not.toContain("CI");
    expect(Object.keys(parsed)).not.toContain("BOOKFLOW_MAILER");
  });

  it("marks secrets and required variables", () => {
    const line = (name: string) => {
      const lines = example.split("\n");
      return lines[lines.findIndex((l) => l.startsWith(`${name}=`)) - 1]!;
    };
    expect(line("STRIPE_SECRET_KEY")).toMatch(/^# \(required\) \(secret\) /);
    expect(line("CALENDLY_USERNAME")).toMatch(/^# \(required\) (?!\(secret\))/);
  });
});
