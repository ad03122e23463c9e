import { z } from "zod";
import type { Context } from "../../src/context.js";
import { displayUrl, stripeKeyMode, TARGETS, type Target } from "../../src/config/verify-env.js";
import { EXIT } from "../../src/engine/exit-codes.js";
import { ConfigError, UsageError } from "../../src/errors.js";
import {
  DEFAULT_CALENDLY_EVENT_TYPE_URI,
  DEFAULT_PAYMENT,
  LOAD_PROVIDERS,
  newBenchRunTag,
  runWebhookLoad,
  type EventMix,
  type LoadProvider,
  type LoadReport,
} from "../../src/providers/webhook-load.js";
import { durationMs } from "../support/flags.js";

/**
 * `bookflow webhooks bench <calendly|stripe>`: a load generator for one's own
 * staging or the sandbox. Validates everything first (bad input → UsageError or
 * ConfigError, exit 2, nothing sent), refuses a production URL without
 * --i-know-this-is-production, then sends and reports.
 * Exit codes: 0 every request answered 2xx, 1 otherwise (the report says which), 2 bad usage or configuration.
 */

export interface WebhooksBenchDeps {
  ctx: Context;
  /** Aborting stops sending; the report covers what was sent (the command wires Ctrl-C to it). */
  signal?: AbortSignal;
  /** Progress lines on stderr about once a second (the command turns them on for a terminal). */
  progress?: boolean;
  /** How the event mix is read from the database (tests may replace it); default: DATABASE_URL's session types. */
  readMix?: (ctx: Context) => Promise<Partial<Omit<EventMix, "runTag">> | null>;
}

/** The production rule, for the docs and the messages. */
export const PRODUCTION_RULE =
  "A URL is production when its host is not a loopback address (localhost, *.localhost, 127.0.0.0/8, ::1) and either the target " +
  "(--target, else BOOKFLOW_TARGET, else production) is production, or STRIPE_SECRET_KEY is a live-mode key.";

const MAX_COUNT = 10_000_000;
const MAX_CONCURRENCY = 1024;

function wholeNumber(what: string, min: number, max: number) {
  return z.string().transform((text, ctx) => {
    const t = text.trim();
    const n = /^[+-]?\d+$/.test(t) ? Number(t) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      ctx.addIssue({ code: "custom", message: `must be a whole number of ${what} from ${min} to ${max.toLocaleString("en-US")}, not "${text}"` });
      return z.NEVER;
    }
    return n;
  });
}

/** "30s", "2m", "500ms", "1h", or plain seconds ("15") → milliseconds; NaN when it is none of these. */
export function parseDuration(text: string): number {
  return durationMs(text, "s");
}

function duration(min: number, max: number, examples: string) {
  return z.string().transform((text, ctx) => {
    const ms = parseDuration(text);
    if (!Number.isFinite(ms) || ms < min || ms > max) {
      ctx.addIssue({ code: "custom", message: `must be a duration from ${min < 1000 ? `${min}ms` : `${min / 1000}s`} to ${max >= 3_600_000 ? `${max / 3_600_000}h` : `${max / 1000}s`} (${examples}), not "${text}"` });
      return z.NEVER;
    }
    return Math.round(ms);
  });
}

const share = z.string().transform((text, ctx) => {
  const t = text.trim();
  const percent = t.endsWith("%");
  const n = /^\d*\.?\d+%?$/.test(t) ? Number(percent ? t.slice(0, -1) : t) / (percent ? 100 : 1) : NaN;
  if (!Number.isFinite(n) || n < 0 || n > 1) {
    ctx.addIssue({ code: "custom", message: `must be a share from 0 to 1 (0.2) or a percentage (20%), not "${text}"` });
    return z.NEVER;
  }
  return n;
});

const httpUrl = z.string().transform((text, ctx) => {
  let url: URL | undefined;
  try {
    url = new URL(text.trim());
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:") || url.username || url.password) {
    ctx.addIssue({ code: "custom", message: `must be an http(s) URL without credentials, such as https://staging.example.com/api/webhooks/calendly` });
    return z.NEVER;
  }
  return url;
});

const optionsSchema = z.object({
  count: wholeNumber("requests", 1, MAX_COUNT).optional(),
  duration: duration(100, 24 * 3_600_000, "500ms, 30s, 2m, 1h").optional(),
  concurrency: wholeNumber("requests in flight", 1, MAX_CONCURRENCY).default(16),
  duplicates: share.default(0),
  pipelining: wholeNumber("requests per connection", 1, 64).default(1),
  timeout: duration(100, 120_000, "500ms, 10s").default(10_000),
  url: httpUrl.optional(),
  target: z.string().optional(),
  eventTypeUri: z.array(z.string()).default([]),
  json: z.boolean().default(false),
  iKnowThisIsProduction: z.boolean().default(false),
});

export type WebhooksBenchOptions = z.input<typeof optionsSchema>;

const FLAG_NAMES: Record<string, string> = { iKnowThisIsProduction: "i-know-this-is-production", eventTypeUri: "event-type-uri" };

function parseOptions(raw: WebhooksBenchOptions) {
  const r = optionsSchema.safeParse(raw);
  if (!r.success) {
    const lines = r.error.issues.map((i) => {
      const key = String(i.path[0] ?? "");
      return `--${FLAG_NAMES[key] ?? key}: ${i.message}`;
    });
    throw new UsageError(`Invalid options for webhooks bench:\n  - ${lines.join("\n  - ")}`, "See `bookflow webhooks bench --help`.", "BAD_OPTION");
  }
  const o = r.data;
  if (o.count !== undefined && o.duration !== undefined) {
    throw new UsageError(
      "--count and --duration cannot be used together: the run stops after a number of requests or after a time, not both.",
      "Keep one: --count 5000, or --duration 30s.",
      "BAD_OPTION",
    );
  }
  for (const uri of o.eventTypeUri) {
    if (!/^https:\/\/\S+$/.test(uri)) throw new UsageError(`--event-type-uri "${uri}" is not an https URI.`, "Give a Calendly event type URI, such as https://api.calendly.com/event_types/AAAA.", "BAD_OPTION");
  }
  let target: Target | undefined;
  if (o.target !== undefined) {
    if (!(TARGETS as readonly string[]).includes(o.target)) throw new UsageError(`--target "${o.target}" is not one of ${TARGETS.join(", ")}.`, "Pass --target staging for a staging endpoint.", "BAD_OPTION");
    target = o.target as Target;
  }
  return { ...o, target };
}

function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h.endsWith(".localhost") || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** Why `url` counts as production (see PRODUCTION_RULE), or undefined when it does not. */
export function productionReason(url: URL, target: Target, env: Record<string, string | undefined>): string | undefined {
  if (isLoopbackHost(url.hostname)) return undefined;
  if (target === "production") return `the target is production (--target, else BOOKFLOW_TARGET, else production) and ${url.host} is not a loopback host`;
  if (stripeKeyMode(env.STRIPE_SECRET_KEY?.trim(), "secret") === "live") return `STRIPE_SECRET_KEY is a live-mode key, so this environment is production whatever the target says`;
  return undefined;
}

function targetOf(flag: Target | undefined, env: Record<string, string | undefined>): Target {
  if (flag) return flag;
  const value = env.BOOKFLOW_TARGET?.trim();
  if (!value) return "production";
  if (!(TARGETS as readonly string[]).includes(value)) {
    throw new ConfigError(`BOOKFLOW_TARGET is "${value}", expected one of ${TARGETS.join(", ")}.`, "Fix or unset BOOKFLOW_TARGET, or pass --target.", "CONFIG_INVALID");
  }
  return value as Target;
}

const SOURCES: Record<LoadProvider, { url: string; secret: string; secretWhat: string }> = {
  calendly: { url: "CALENDLY_WEBHOOK_URL", secret: "CALENDLY_WEBHOOK_SIGNING_KEY", secretWhat: "the key the endpoint checks Calendly signatures with" },
  stripe: { url: "STRIPE_WEBHOOK_URL", secret: "STRIPE_WEBHOOK_SECRET", secretWhat: "the whsec_ secret the endpoint checks Stripe signatures with" },
};

/** Active session types from the database (DATABASE_URL): their Calendly event type URIs, and a paid one's price. */
async function mixFromDatabase(ctx: Context): Promise<Partial<Omit<EventMix, "runTag">> | null> {
  if (!ctx.env.DATABASE_URL?.trim()) return null;
  const db = await ctx.db();
  const types = await db.prisma.sessionType.findMany({
    where: { active: true, calendlyEventTypeUri: { not: null } },
    select: { calendlyEventTypeUri: true, priceCents: true, currency: true },
    orderBy: { calendlyEventTypeUri: "asc" },
  });
  if (!types.length) return null;
  const paid = types.find((t) => t.priceCents > 0);
  return {
    eventTypeUris: types.map((t) => t.calendlyEventTypeUri!),
    ...(paid ? { payment: { amountCents: paid.priceCents, currency: paid.currency.toLowerCase() } } : {}),
  };
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms / 1000} s`)), ms);
      timer.unref();
    }),
  ]);
}

export type EventTypeSource = "flag" | "database" | "default";

export interface BenchResult extends LoadReport {
  target: Target;
  eventTypeSource: EventTypeSource;
  /** Every request answered 2xx. */
  ok: boolean;
}

export async function webhooksBench(providerArg: string, rawOptions: WebhooksBenchOptions, deps: WebhooksBenchDeps): Promise<number> {
  const { ctx } = deps;
  try {
    const provider = providerArg.trim().toLowerCase() as LoadProvider;
    if (!LOAD_PROVIDERS.includes(provider)) {
      throw new UsageError(`Unknown provider "${providerArg}": bench sends Calendly or Stripe webhooks.`, "Use `bookflow webhooks bench calendly` or `bookflow webhooks bench stripe`.", "UNKNOWN_PROVIDER");
    }
    const opts = parseOptions(rawOptions);
    const source = SOURCES[provider];

    let url = opts.url;
    if (!url) {
      const fromEnv = ctx.env[source.url]?.trim();
      if (!fromEnv) throw new ConfigError(`No endpoint to send to: --url is not given and ${source.url} is not set.`, `Pass --url, or set ${source.url} (e.g. with --env-file).`, "ENV_MISSING");
      url = httpUrl.safeParse(fromEnv).data;
      if (!url) throw new ConfigError(`${source.url} is not an http(s) URL without credentials.`, `Fix ${source.url}, or pass --url.`, "CONFIG_INVALID");
    }
    const secret = ctx.env[source.secret]?.trim();
    if (!secret) throw new ConfigError(`${source.secret} is not set; it is needed to sign the events (${source.secretWhat}).`, `Set ${source.secret} to the endpoint's secret (e.g. with --env-file).`, "ENV_MISSING");
    if (provider === "stripe" && !secret.startsWith("whsec_")) throw new ConfigError("STRIPE_WEBHOOK_SECRET does not start with whsec_, so it is not a Stripe webhook signing secret.", "Set it to the endpoint's whsec_… secret.", "CONFIG_INVALID");
    ctx.redactor.add(secret);

    const target = targetOf(opts.target, ctx.env);
    const reason = productionReason(url, target, ctx.env);
    if (reason && !opts.iKnowThisIsProduction) {
      throw new UsageError(
        `Refusing to load-test ${displayUrl(url.toString())}: ${reason}. bench sends many signed webhooks, which create real bookings, emails and payment records there.`,
        "Point --url at staging or the sandbox, pass --target staging (or sandbox) if this host is not production, or add --i-know-this-is-production.",
        "PRODUCTION_REFUSED",
      );
    }

    // What the events refer to: the flag, else the database's active session types, else a documented default.
    let eventTypeSource: EventTypeSource = "default";
    let mix: EventMix = { eventTypeUris: [DEFAULT_CALENDLY_EVENT_TYPE_URI], payment: { ...DEFAULT_PAYMENT }, runTag: newBenchRunTag() };
    if (opts.eventTypeUri.length) {
      mix = { ...mix, eventTypeUris: opts.eventTypeUri };
      eventTypeSource = "flag";
    }
    if (eventTypeSource === "default" || provider === "stripe") {
      try {
        const fromDb = await withTimeout((deps.readMix ?? mixFromDatabase)(ctx), 10_000, "reading session types from the database");
        if (fromDb) {
          if (eventTypeSource === "default" && fromDb.eventTypeUris?.length) {
            mix = { ...mix, eventTypeUris: fromDb.eventTypeUris };
            eventTypeSource = "database";
          }
          if (fromDb.payment) mix = { ...mix, payment: fromDb.payment };
        }
      } catch (err) {
        ctx.err(`note: could not read session types from the database (${err instanceof Error ? err.message : String(err)}); using ${DEFAULT_CALENDLY_EVENT_TYPE_URI}.\n`);
      }
    }

    const report = await runWebhookLoad({
      provider,
      url: url.toString(),
      secret,
      count: opts.duration === undefined ? (opts.count ?? 1000) : undefined,
      durationMs: opts.duration,
      concurrency: opts.concurrency,
      duplicates: opts.duplicates,
      pipelining: opts.pipelining,
      timeoutMs: opts.timeout,
      mix,
      ...(deps.signal ? { signal: deps.signal } : {}),
      ...(deps.progress && !opts.json ? { onProgress: (p: { sent: number; elapsedMs: number }) => ctx.err(`  … ${p.sent} sent in ${(p.elapsedMs / 1000).toFixed(0)} s\n`) } : {}),
    });
    const ok = report.sent > 0 && report.failed === 0 && Object.keys(report.statusCodes).every((s) => s.startsWith("2"));
    const result: BenchResult = { ...report, target, eventTypeSource, ok };
    if (opts.json) ctx.out(JSON.stringify(result, null, 2) + "\n");
    else ctx.out(renderReport(result));
    if (!ok && !opts.json) ctx.err("Not every request was answered 2xx: see the status and error breakdown above.\n");
    return ok ? EXIT.OK : EXIT.FAILED;
  } finally {
    await ctx.close();
  }
}

function breakdown(map: Record<string, number>): string {
  const entries = Object.entries(map).sort((a, b) => b[1] - a[1]);
  return entries.length ? entries.map(([k, n]) => `${k} ×${n}`).join("  ") : "none";
}

export function renderReport(r: BenchResult): string {
  const l = r.latencyMs;
  const lines = [
    `Webhook bench: ${r.provider} → ${displayUrl(r.url)}${r.interrupted ? " (interrupted)" : ""}`,
    `  sent        ${r.sent} request(s) (${r.duplicates} repeat(s) of accepted events) in ${(r.durationMs / 1000).toFixed(2)} s, concurrency ${r.concurrency}${r.pipelining > 1 ? `, pipelining ${r.pipelining}` : ""}`,
    `  throughput  ${r.requestsPerSecond} requests/s`,
    `  latency     ${l ? `p50 ${l.p50} ms  p95 ${l.p95} ms  p99 ${l.p99} ms  max ${l.max} ms` : "no requests"}`,
    `  status      ${breakdown(r.statusCodes)}`,
  ];
  if (r.failed) lines.push(`  errors      ${breakdown(r.errors)}`);
  if (Object.keys(r.outcomes).length) lines.push(`  outcome     ${breakdown(r.outcomes)}`);
  const source = { flag: "from --event-type-uri", database: "from the database's active session types", default: `default ${DEFAULT_CALENDLY_EVENT_TYPE_URI}: no session types read` }[r.eventTypeSource];
  lines.push(`  events      ${breakdown(r.eventTypes)}${r.provider === "calendly" ? ` (event types ${source})` : ""}`);
  if (r.runTag) lines.push(`  run tag     ${r.runTag} (tracking.utm_campaign of the created invitees)`);
  return lines.join("\n") + "\n";
}
