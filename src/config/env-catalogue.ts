import { API_BASE_DEFAULTS, type ApiBaseName } from "./api-base.js";
import { appEnvSchema, APP_LIMIT_DEFAULTS } from "./app-env.js";
import { SECRET_ENV_NAMES } from "./redact.js";
import { OPTIONAL_ENV, REQUIRED_ENV, WEBHOOK_PATHS } from "./verify-env.js";

/**
 * Every environment variable bookflow reads, with what it is for: the source of
 * the `.env.example` that `bookflow init` writes. Which variables are required
 * comes from the release checklist's list (REQUIRED_ENV), which are secrets from
 * the redactor's (SECRET_ENV_NAMES), and the compiler refuses a catalogue that
 * misses a variable of those lists, of the app's env schema (appEnvSchema) or
 * of the `*_API_BASE` variables; test/config/env-catalogue.test.ts also scans the
 * code for variables read anywhere else.
 */

export type EnvGroup = "calendly" | "stripe" | "sendgrid" | "database" | "app" | "vercel" | "monitoring" | "bookflow" | "serve" | "emulators" | "ambient";

export const ENV_GROUP_TITLES: Record<EnvGroup, string> = {
  calendly: "Calendly",
  stripe: "Stripe",
  sendgrid: "SendGrid",
  database: "Database (PostgreSQL through Prisma)",
  app: "The deployment",
  vercel: "Vercel (deployment checks, rollback)",
  monitoring: "Monitoring (Sentry, Datadog): every monitoring.* check is an error for --target production",
  bookflow: "bookflow itself",
  serve: "The reference booking app (`bookflow serve`), optional tuning",
  emulators: "API addresses: unset in real use; the sandbox points them at its emulators",
  ambient: "Read from the environment bookflow runs in: set by CI or the shell, not in this file",
};

type SchemaVar = (typeof REQUIRED_ENV)[number] | (typeof OPTIONAL_ENV)[number] | keyof typeof appEnvSchema.shape | ApiBaseName;

interface Entry {
  group: EnvGroup;
  /** What it is for, one or two sentences. */
  purpose: string;
}

const base = (name: keyof typeof WEBHOOK_PATHS) => `<NEXT_PUBLIC_BASE_URL>${WEBHOOK_PATHS[name]}`;
const apiBase = (name: ApiBaseName, what: string): Entry => ({ group: "emulators", purpose: `Where the ${what} API is (default ${API_BASE_DEFAULTS[name]}).` });

/** The variables the schemas name: the compiler refuses a missing one. */
const SCHEMA_VARS: Record<SchemaVar, Entry> = {
  CALENDLY_API_TOKEN: { group: "calendly", purpose: "A Calendly personal access token: verify reads the account and the webhook subscriptions; webhooks register and rollback manage them; the app cancels unpaid bookings' events with it." },
  CALENDLY_USERNAME: { group: "calendly", purpose: "The Calendly user (the scheduling link's name) whose event types and webhooks are checked." },
  CALENDLY_WEBHOOK_SIGNING_KEY: { group: "calendly", purpose: "The key Calendly signs webhook deliveries with (given when the subscription is created); the app refuses unsigned or badly signed deliveries." },
  CALENDLY_WEBHOOK_URL: { group: "calendly", purpose: `Where Calendly delivers webhooks: ${base("CALENDLY_WEBHOOK_URL")}.` },
  STRIPE_SECRET_KEY: { group: "stripe", purpose: "Stripe's secret (or restricted) key: sk_live_… for production, sk_test_… for staging and the sandbox." },
  STRIPE_PUBLISHABLE_KEY: { group: "stripe", purpose: "Stripe's publishable key of the same account and mode (pk_live_… / pk_test_…)." },
  STRIPE_WEBHOOK_SECRET: { group: "stripe", purpose: "The webhook endpoint's signing secret (whsec_…), shown once by Stripe or by `bookflow webhooks register stripe`." },
  STRIPE_WEBHOOK_URL: { group: "stripe", purpose: `Where Stripe delivers webhooks: ${base("STRIPE_WEBHOOK_URL")}.` },
  SENDGRID_API_KEY: { group: "sendgrid", purpose: "A SendGrid API key (SG.…) with Mail Send (and Stats read, for sendgrid.delivery-rates)." },
  SENDGRID_FROM_EMAIL: { group: "sendgrid", purpose: "The address booking emails are sent from; its domain is the sending domain the DNS checks read unless bookflow.config.json names one." },
  SENDGRID_BOOKING_TEMPLATE_ID: { group: "sendgrid", purpose: "Optional: the SendGrid dynamic template (d-…) for booking emails; without it bookflow's own text is sent." },
  DATABASE_URL: { group: "database", purpose: "The app's (pooled) PostgreSQL URL. Unset for local commands: bookflow then uses an embedded database under BOOKFLOW_DATA_DIR." },
  DIRECT_URL: { group: "database", purpose: "A direct (unpooled) PostgreSQL URL for migrations, which need a session." },
  NEXT_PUBLIC_BASE_URL: { group: "app", purpose: "The public base URL of the deployment (https); the endpoints checks probe it and the webhook URLs must be on it." },
  NODE_ENV: { group: "app", purpose: "The runtime's mode: production for --target production (staging too)." },
  VERCEL_ENV: { group: "app", purpose: "Vercel's environment name (production, preview, development); Vercel sets it on its deployments." },
  BOOKFLOW_DATA_DIR: { group: "bookflow", purpose: "Where bookflow keeps local state: the embedded database, rollback journals, webhook snapshots (default .bookflow)." },
  PORT: { group: "serve", purpose: "The port `bookflow serve` listens on (default 3000)." },
  HOST: { group: "serve", purpose: "The address `bookflow serve` listens on (default 127.0.0.1)." },
  BOOKFLOW_MAILER: { group: "serve", purpose: "sendgrid (default) sends through SendGrid; capture keeps emails in the app's memory (tests, demos)." },
  BOOKFLOW_REFUND_WINDOW_HOURS: { group: "serve", purpose: "A cancellation at least this many hours before the session is refunded under the policy (default 24)." },
  BOOKFLOW_CHECKOUT_EXPIRY_MINUTES: { group: "serve", purpose: "How long an invitee has to pay before the booking is cancelled and the slot released (30 to 1440; default Stripe's 24 hours)." },
  BOOKFLOW_RATE_LIMIT_PER_MINUTE: { group: "serve", purpose: "Requests per minute per client address on the app's routes (default 600)." },
  BOOKFLOW_TRUSTED_PROXIES: { group: "serve", purpose: "Comma-separated proxy addresses or CIDR ranges whose X-Forwarded-For the app believes (default none)." },
  BOOKFLOW_MAX_CONNECTIONS: { group: "serve", purpose: `Connections held at once; past it new ones are closed (default ${APP_LIMIT_DEFAULTS.maxConnections}).` },
  BOOKFLOW_MAX_BODY_BYTES_IN_FLIGHT: { group: "serve", purpose: `Request body bytes held at once across requests; past it 503 with Retry-After (default ${APP_LIMIT_DEFAULTS.bodyBytesInFlight}).` },
  BOOKFLOW_HEADERS_TIMEOUT_MS: { group: "serve", purpose: `Time for a client to send a request's headers (default ${APP_LIMIT_DEFAULTS.headersTimeoutMs}).` },
  BOOKFLOW_REQUEST_TIMEOUT_MS: { group: "serve", purpose: `Time for a client to send a whole request, at least the headers timeout (default ${APP_LIMIT_DEFAULTS.requestTimeoutMs}).` },
  BOOKFLOW_COMMIT: { group: "serve", purpose: "The commit the app reports on /api/health (verify --expect-commit compares it)." },
  BOOKFLOW_SWEEP_SECONDS: { group: "serve", purpose: "How often the app retries leftover emails and performs due refunds and Calendly cancellations (default 5)." },
  BOOKFLOW_EFFECT_LEASE_SECONDS: { group: "serve", purpose: "How long a worker's claim on an email or an effect lasts before another worker takes it over (default 120)." },
  BOOKFLOW_EFFECT_RETRY_SECONDS: { group: "serve", purpose: "The first wait before a transiently failed effect is retried; it doubles, up to an hour (default 30)." },
  CALENDLY_API_BASE: apiBase("CALENDLY_API_BASE", "Calendly"),
  STRIPE_API_BASE: apiBase("STRIPE_API_BASE", "Stripe"),
  SENDGRID_API_BASE: apiBase("SENDGRID_API_BASE", "SendGrid"),
  VERCEL_API_BASE: apiBase("VERCEL_API_BASE", "Vercel"),
  SENTRY_API_BASE: { group: "monitoring", purpose: `Optional: Sentry's API (default: from SENTRY_DSN's host, else ${API_BASE_DEFAULTS.SENTRY_API_BASE}).` },
};

/** The variables read outside the schemas: the code scan in the test keeps this list complete. */
const OTHER_VARS: Record<string, Entry> = {
  VERCEL_TOKEN: { group: "vercel", purpose: "A Vercel access token: deployment checks read deployments and logs; rollback (and release) promote." },
  VERCEL_PROJECT_ID: { group: "vercel", purpose: "The Vercel project (prj_…)." },
  VERCEL_TEAM_ID: { group: "vercel", purpose: "The Vercel team (team_…), for a project owned by a team." },
  SENTRY_DSN: { group: "monitoring", purpose: "The Sentry project's client key DSN (https://<key>@<host>/<project id>)." },
  SENTRY_AUTH_TOKEN: { group: "monitoring", purpose: "A Sentry token with project:read, to read alert rules and the test event back." },
  SENTRY_ORG: { group: "monitoring", purpose: "The Sentry organization slug." },
  SENTRY_PROJECT: { group: "monitoring", purpose: "The Sentry project slug." },
  DATADOG_API_KEY: { group: "monitoring", purpose: "A Datadog API key." },
  DATADOG_APP_KEY: { group: "monitoring", purpose: "A Datadog application key with the monitors_read scope." },
  DD_SITE: { group: "monitoring", purpose: "Optional: the Datadog site for an account outside datadoghq.com (e.g. datadoghq.eu)." },
  DATADOG_API_BASE: { group: "monitoring", purpose: "Optional: Datadog's API address, instead of DD_SITE (e.g. https://api.datadoghq.eu)." },
  BOOKFLOW_TARGET: { group: "bookflow", purpose: "The default --target (production, staging or sandbox), before the config file's target." },
  BOOKFLOW_ACTOR: { group: "bookflow", purpose: "Who is running bookflow, for the audit log, when --actor is not given (default: the OS user)." },
  BOOKFLOW_EXTRA_CA_FILE: { group: "bookflow", purpose: "A PEM file of extra CA certificates the endpoints and security probes trust (a private CA in front of staging)." },
  BOOKFLOW_DNS_SERVER: { group: "bookflow", purpose: "A DNS server (host:port) the DNS checks ask instead of the system's resolvers." },
  BOOKFLOW_CACHE_DIR: { group: "bookflow", purpose: "Where the sandbox keeps its migrated, seeded database image (default $XDG_CACHE_HOME/bookflow, else ~/.cache/bookflow)." },
  CI: { group: "ambient", purpose: "Set by CI systems: bookflow then never asks (destructive commands need --yes) and shows no live progress." },
  GITHUB_STEP_SUMMARY: { group: "ambient", purpose: "Set by GitHub Actions: verify and scenarios write their Markdown summary there." },
  NO_COLOR: { group: "ambient", purpose: "Any value turns colour off." },
  FORCE_COLOR: { group: "ambient", purpose: "Colour on (or 0/false: off) even when not on a terminal." },
  DEBUG: { group: "ambient", purpose: "Debug output of libraries; bookflow masks secrets in it." },
  NODE_DEBUG: { group: "ambient", purpose: "Node's own debug output; bookflow masks secrets in it." },
  PATH: { group: "ambient", purpose: "Where --use-vercel-cli looks for the vercel CLI." },
  XDG_CACHE_HOME: { group: "ambient", purpose: "The user's cache directory: the sandbox's database image goes in its bookflow folder unless BOOKFLOW_CACHE_DIR is set." },
};

export interface EnvVariable extends Entry {
  name: string;
  /** In the release checklist's list of required variables (env.required-present fails without it). */
  required: boolean;
  /** Its value is a secret (masked in every output). */
  secret: boolean;
}

const GROUP_ORDER = Object.keys(ENV_GROUP_TITLES) as EnvGroup[];

/** Every variable, grouped in the order of ENV_GROUP_TITLES, required ones first within a group. */
export const ENV_CATALOGUE: readonly EnvVariable[] = Object.entries({ ...SCHEMA_VARS, ...OTHER_VARS })
  .map(([name, entry]) => ({
    name,
    ...entry,
    required: (REQUIRED_ENV as readonly string[]).includes(name),
    secret: (SECRET_ENV_NAMES as readonly string[]).includes(name),
  }))
  .sort((a, b) => GROUP_ORDER.indexOf(a.group) - GROUP_ORDER.indexOf(b.group) || Number(b.required) - Number(a.required));

/**
 * The `.env.example` text: every variable with what it is for. `values` fills in
 * the ones `bookflow init` knows (the base and webhook URLs, NODE_ENV…); the
 * required ones are left `NAME=` to fill in, optional ones commented out, and
 * those the environment sets (CI, PATH…) listed in comments only.
 */
export function renderEnvExample(values: Readonly<Record<string, string>> = {}): string {
  const out = [
    "# Every environment variable bookflow reads, with what it is for (written by `bookflow init`).",
    "# Copy to .env, fill in the values, and keep .env out of version control:",
    "#   bookflow verify --env-file .env",
    "# Empty values count as unset. (required) marks the release checklist's variables; (secret) values are masked in every output.",
  ];
  for (const group of GROUP_ORDER) {
    const vars = ENV_CATALOGUE.filter((v) => v.group === group);
    if (vars.length === 0) continue;
    out.push("", `# ── ${ENV_GROUP_TITLES[group]} ──`);
    for (const v of vars) {
      const tags = [v.required ? "required" : "", v.secret ? "secret" : ""].filter(Boolean).map((t) => `(${t}) `).join("");
      out.push(`# ${tags}${v.purpose}`);
      const value = values[v.name];
      if (group === "ambient") out.push(`#   ${v.name}`);
      else if (value !== undefined) out.push(`${v.name}=${quote(value)}`);
      else out.push(v.required ? `${v.name}=` : `# ${v.name}=`);
    }
  }
  return `${out.join("\n")}\n`;
}

/** A dotenv value: bare when it is plain, else double-quoted. */
function quote(value: string): string {
  return /^[A-Za-z0-9_./:@+-]*$/.test(value) ? value : JSON.stringify(value);
}
