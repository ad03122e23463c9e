import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join, relative, resolve, sep } from "node:path";
import { bookflowConfigSchema, CONTACT_ROLES, DEFAULT_CONFIG_FILE, type BookflowConfig, type EmergencyContact } from "../config/bookflow-config.js";
import { CONFIG_SCHEMA_FILE } from "../config/config-json-schema.js";
import { ENV_CATALOGUE, renderEnvExample } from "../config/env-catalogue.js";
import { describeIssues } from "../config/validation.js";
import { TARGETS, WEBHOOK_PATHS, webUrlProblem, type Target } from "../config/verify-env.js";
import { UsageError } from "../errors.js";

/**
 * `bookflow init`: a first bookflow.config.json and .env.example from a few
 * answers (flags, or questions on a terminal). This module holds the rules: how
 * each answer is read and checked (the same for a flag and a typed answer), what
 * the two files say, and how they are written (never over an existing file
 * without --force). It prints and asks nothing.
 */

export const ENV_EXAMPLE_FILE = ".env.example";

/** The `$schema` a config next to an installed bookflow points at (npm puts the package there). */
export const NPM_SCHEMA_REF = `./node_modules/bookflow/${CONFIG_SCHEMA_FILE}`;

/** The thresholds init asks for (the others keep their defaults; the schema shows them in the editor). */
export const INIT_THRESHOLDS = {
  httpLatencyMs: { flag: "--http-latency-ms", question: "HTTP answers slower than this many ms are a warning" },
  databaseLatencyMs: { flag: "--database-latency-ms", question: "A database round trip slower than this many ms is a warning" },
  certificateExpiryDays: { flag: "--certificate-expiry-days", question: "Warn when the base URL's certificate expires within this many days" },
} as const;
export type InitThreshold = keyof typeof INIT_THRESHOLDS;

type SessionType = BookflowConfig["seed"]["sessionTypes"][number];

export interface InitAnswers {
  target: Target;
  /** The domain mail is sent from (config email.sendingDomain). */
  domain?: string | undefined;
  /** NEXT_PUBLIC_BASE_URL. */
  baseUrl?: string | undefined;
  calendlyWebhookUrl?: string | undefined;
  stripeWebhookUrl?: string | undefined;
  sessionTypes: SessionType[];
  thresholds: Partial<Record<InitThreshold, number>>;
  contacts: EmergencyContact[];
}

/** Where an answer came from, for messages: a flag ("--domain") or a question ("domain"). */
export type AnswerSource = string;

function bad(source: AnswerSource, text: string, problem: string, hint: string): UsageError {
  return new UsageError(`${source} ${JSON.stringify(text)} ${problem}.`, hint, "BAD_OPTION");
}

/** The config's own rule for a piece of it (the messages bookflow.config.json gets), or the first problem. */
function configProblem(piece: Record<string, unknown>): string | undefined {
  const r = bookflowConfigSchema.safeParse(piece);
  return r.success ? undefined : describeIssues(r.error.issues).join("; ");
}

export function parseTarget(text: string, source: AnswerSource): Target {
  const value = text.trim().toLowerCase();
  if ((TARGETS as readonly string[]).includes(value)) return value as Target;
  throw bad(source, text, `is not a target`, `Give one of ${TARGETS.join(", ")}.`);
}

export function parseDomain(text: string, source: AnswerSource): string {
  const value = text.trim().toLowerCase().replace(/\.$/, "");
  const problem = configProblem({ email: { sendingDomain: value } });
  if (problem) throw bad(source, text, `is not a domain name (${problem})`, `Give the domain alone, without a scheme or a path: ${source === "--domain" ? "--domain " : ""}example.com.`);
  return value;
}

/** A web URL acceptable for the target (https, except http for the sandbox), without a trailing slash. */
export function parseWebUrl(text: string, source: AnswerSource, target: Target): string {
  const value = text.trim();
  const problem = webUrlProblem(value, target);
  if (problem) throw bad(source, text, problem, target === "sandbox" ? "Give a full URL such as https://book.example.com." : "Give a full https URL such as https://book.example.com (http only with --target sandbox).");
  return value.replace(/\/+$/, "");
}

/** The webhook URLs the app's routes are at, on the base URL (env.webhook-urls-match-base expects these). */
export function webhookUrlsFor(baseUrl: string): { calendly: string; stripe: string } {
  return { calendly: new URL(WEBHOOK_PATHS.CALENDLY_WEBHOOK_URL, baseUrl).toString(), stripe: new URL(WEBHOOK_PATHS.STRIPE_WEBHOOK_URL, baseUrl).toString() };
}

/** `slug`, `slug:priceCents` or `slug:priceCents:currency` (prices in cents: 15000 is 150.00). */
export function parseSessionType(text: string, source: AnswerSource): SessionType {
  const hint = `Write slug:priceCents:currency, the price in cents: ${source.startsWith("--") ? `${source} ` : ""}intro-call:0:usd (free) or deep-dive:15000:usd (150.00 USD).`;
  const parts = text.trim().split(":").map((p) => p.trim());
  if (parts.length > 3 || parts.some((p) => p === "")) throw bad(source, text, "is not slug:priceCents:currency", hint);
  const [slug, price, currency] = parts as [string, string | undefined, string | undefined];
  if (!/^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(slug)) throw bad(source, text, `has slug "${slug}", which is not a slug (lower-case words joined by -)`, hint);
  const sessionType: SessionType = { slug };
  if (price !== undefined) {
    if (!/^\d+$/.test(price)) throw bad(source, text, `has price "${price}", which is not a whole number of cents`, hint);
    sessionType.priceCents = Number(price);
  }
  if (currency !== undefined) {
    if (!/^[a-z]{3}$/i.test(currency)) throw bad(source, text, `has currency "${currency}", which is not a three-letter ISO code`, hint);
    sessionType.currency = currency.toLowerCase();
  }
  const problem = configProblem({ seed: { sessionTypes: [sessionType] } });
  if (problem) throw bad(source, text, `is not a session type (${problem})`, hint);
  return sessionType;
}

/** `role:name:way`, the way being an email, an http(s) URL or a phone number. */
export function parseContact(text: string, source: AnswerSource): EmergencyContact {
  const prefix = source.startsWith("--") ? `${source} ` : "";
  const hint = `Write role:name:way, the role one of ${CONTACT_ROLES.join(", ")} and the way an email, a phone number or an https URL: ${prefix}"stripe:Stripe Support:https://support.stripe.com" or ${prefix}"on-call:Payments on-call:+1 415 555 0100".`;
  const first = text.indexOf(":");
  const second = first < 0 ? -1 : text.indexOf(":", first + 1);
  if (second < 0) throw bad(source, text, "is not role:name:way", hint);
  const role = text.slice(0, first).trim().toLowerCase();
  const name = text.slice(first + 1, second).trim();
  const way = text.slice(second + 1).trim();
  if (!(CONTACT_ROLES as readonly string[]).includes(role)) throw bad(source, text, `has role "${role}", which is not one of ${CONTACT_ROLES.join(", ")}`, hint);
  const contact = {
    role,
    name,
    ...(/^https?:\/\//i.test(way) ? { url: way } : way.includes("@") ? { email: way } : { phone: way }),
  } as EmergencyContact;
  const problem = configProblem({ contacts: [contact] });
  if (problem) throw bad(source, text, `is not a contact (${problem.replace(/^contacts\.0\.?/, "")})`, hint);
  return contact;
}

export function parseThreshold(key: InitThreshold, text: string, source: AnswerSource): number {
  const value = Number(text.trim());
  const problem = text.trim() === "" || !Number.isFinite(value) ? "must be a number" : configProblem({ thresholds: { [key]: value } })?.replace(/^thresholds\.[A-Za-z]+: /, "");
  if (problem) throw bad(source, text, `is not a valid thresholds.${key} (${problem})`, `Give a number, e.g. ${source.startsWith("--") ? `${source} ` : ""}${bookflowConfigSchema.parse({}).thresholds[key]} (the default).`);
  return value;
}

/** What init offers when an answer is not given: the base URL from the domain, the webhook URLs from the base URL. */
export function withDefaults(answers: InitAnswers): InitAnswers {
  const baseUrl = answers.baseUrl ?? (answers.domain ? `https://${answers.domain}` : undefined);
  const hooks = baseUrl ? webhookUrlsFor(baseUrl) : undefined;
  return {
    ...answers,
    baseUrl,
    calendlyWebhookUrl: answers.calendlyWebhookUrl ?? hooks?.calendly,
    stripeWebhookUrl: answers.stripeWebhookUrl ?? hooks?.stripe,
  };
}

export interface InitFiles {
  /** The config written (and what bookflowConfigSchema reads back). */
  config: Record<string, unknown>;
  configText: string;
  envText: string;
  /** The variables .env.example fills in. */
  envValues: Record<string, string>;
}

/** The two files' contents. The config is parsed with bookflowConfigSchema before anything is written. */
export function initFiles(answers: InitAnswers, schemaRef: string): InitFiles {
  const config: Record<string, unknown> = { $schema: schemaRef, target: answers.target };
  if (answers.domain) config.email = { sendingDomain: answers.domain };
  if (answers.sessionTypes.length) config.seed = { sessionTypes: answers.sessionTypes };
  if (Object.keys(answers.thresholds).length) config.thresholds = { ...answers.thresholds };
  config.contacts = answers.contacts;
  const problem = configProblem(config);
  if (problem) throw new UsageError(`The answers do not make a valid ${DEFAULT_CONFIG_FILE}: ${problem}.`, "Fix the values named above.", "BAD_OPTION");
  const envValues: Record<string, string> = {
    NODE_ENV: "production",
    ...(answers.target === "production" ? { VERCEL_ENV: "production" } : answers.target === "staging" ? { VERCEL_ENV: "preview" } : {}),
    ...(answers.baseUrl ? { NEXT_PUBLIC_BASE_URL: answers.baseUrl } : {}),
    ...(answers.calendlyWebhookUrl ? { CALENDLY_WEBHOOK_URL: answers.calendlyWebhookUrl } : {}),
    ...(answers.stripeWebhookUrl ? { STRIPE_WEBHOOK_URL: answers.stripeWebhookUrl } : {}),
  };
  return { config, configText: `${JSON.stringify(config, null, 2)}\n`, envText: renderEnvExample(envValues), envValues };
}

/**
 * The `$schema` for a config in `dir`: the installed package's schema when
 * bookflow is in `dir`'s node_modules; the relative path to this checkout's
 * schema when `dir` is inside a bookflow checkout (not an installed copy); else
 * the path npm will install it at.
 */
export function schemaReference(dir: string, packageRoot: string): string {
  if (existsSync(join(dir, NPM_SCHEMA_REF))) return NPM_SCHEMA_REF;
  const root = resolve(packageRoot);
  const installed = root.split(sep).includes("node_modules");
  const rel = relative(root, resolve(dir));
  if (!installed && !rel.startsWith("..") && !rel.startsWith(sep)) {
    const ref = relative(resolve(dir), join(root, CONFIG_SCHEMA_FILE)).split(sep).join("/");
    return ref.startsWith(".") ? ref : `./${ref}`;
  }
  return NPM_SCHEMA_REF;
}

export interface InitTargets {
  dir: string;
  configFile: string;
  /** Undefined with --no-env-example. */
  envFile: string | undefined;
}

export function initTargets(dir: string, envExample: boolean): InitTargets {
  return { dir, configFile: join(dir, DEFAULT_CONFIG_FILE), envFile: envExample ? join(dir, ENV_EXAMPLE_FILE) : undefined };
}

/** Refuses, before any question, when a file init would write exists and --force was not given. */
export function refuseExisting(targets: InitTargets, force: boolean): void {
  if (force) return;
  const existing = [targets.configFile, targets.envFile].filter((f): f is string => f !== undefined && existsSync(f));
  if (existing.length === 0) return;
  throw new UsageError(
    `${existing.join(" and ")} already exist${existing.length === 1 ? "s" : ""}; bookflow init does not overwrite ${existing.length === 1 ? "it" : "them"}.`,
    `Pass --force to overwrite, or --dir <folder> to write elsewhere${targets.envFile ? " (--no-env-example leaves .env.example alone)" : ""}.`,
    "FILE_EXISTS",
  );
}

/**
 * Writes the files: each through a temporary file renamed into place (a reader
 * never sees half a file); without --force a file that appeared meanwhile is
 * still not overwritten (exclusive create).
 */
export function writeInitFiles(targets: InitTargets, files: InitFiles, force: boolean): string[] {
  mkdirSync(targets.dir, { recursive: true });
  const written: string[] = [];
  const pairs: [string, string][] = [[targets.configFile, files.configText]];
  if (targets.envFile) pairs.push([targets.envFile, files.envText]);
  for (const [file, text] of pairs) {
    if (force) {
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, text);
      renameSync(tmp, file);
    } else {
      try {
        writeFileSync(file, text, { flag: "wx" });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "EEXIST") refuseExisting({ ...targets, configFile: file, envFile: undefined }, false);
        throw err;
      }
    }
    written.push(file);
  }
  return written;
}

/** How many variables .env.example lists. */
export const ENV_VARIABLE_COUNT = ENV_CATALOGUE.length;
