import type { Context } from "../context.js";
import { displayUrl, stripeKeyMode, TARGETS, type Target } from "../config/verify-env.js";
import { ConfigError, UsageError } from "../errors.js";
import { WEBHOOK_PROVIDERS, type WebhookProviderId } from "../providers/webhook-providers.js";
import { DEFAULT_CALENDLY_EVENT_TYPE_URI, DEFAULT_PAYMENT, newBenchRunTag, runWebhookLoad, type EventMix, type LoadReport } from "../providers/webhook-load.js";

/**
 * `webhooks bench` as a use case: signed webhook load at one's own staging or
 * the sandbox. Refuses a production URL unless told it knows; reads the event
 * mix from the database's active session types when it can. Returns the
 * report; prints nothing (notes and progress through callbacks).
 */

/** The production rule, for the docs and the messages. */
export const PRODUCTION_RULE =
  "A URL is production when its host is not a loopback address (localhost, *.localhost, 127.0.0.0/8, ::1) and either the target " +
  "(--target, else BOOKFLOW_TARGET, else production) is production, or STRIPE_SECRET_KEY is a live-mode key.";

export interface BenchInput {
  provider: WebhookProviderId;
  /** --url (default: the provider's webhook URL variable). */
  url?: URL | undefined;
  target?: Target | undefined;
  count?: number | undefined;
  duration?: number | undefined;
  concurrency: number;
  duplicates: number;
  pipelining: number;
  timeout: number;
  eventTypeUri: string[];
  iKnowThisIsProduction: boolean;
}

export interface BenchOptions {
  /** Aborting stops sending; the report covers what was sent. */
  signal?: AbortSignal | undefined;
  onProgress?: ((p: { sent: number; elapsedMs: number }) => void) | undefined;
  onNote?: ((note: string) => void) | undefined;
  /** How the event mix is read from the database (default: DATABASE_URL's session types). */
  readMix?: ((ctx: Context) => Promise<Partial<Omit<EventMix, "runTag">> | null>) | undefined;
}

/** Requests sent without --count or --duration. */
export const DEFAULT_BENCH_COUNT = 1000;

export type EventTypeSource = "flag" | "database" | "default";

export interface BenchResult extends LoadReport {
  target: Target;
  eventTypeSource: EventTypeSource;
  /** Every request answered 2xx. */
  ok: boolean;
}

/** An http(s) URL without credentials, or undefined. */
export function webhookUrl(text: string): URL | undefined {
  let url: URL | undefined;
  try {
    url = new URL(text.trim());
  } catch {
    return undefined;
  }
  return (url.protocol === "http:" || url.protocol === "https:") && !url.username && !url.password ? url : undefined;
}

const SECRET_WHAT: Record<WebhookProviderId, string> = {
  calendly: "the key the endpoint checks Calendly signatures with",
  stripe: "the whsec_ secret the endpoint checks Stripe signatures with",
};
const SOURCES = Object.fromEntries(Object.values(WEBHOOK_PROVIDERS).map((p) => [p.id, { ...p.env, secretWhat: SECRET_WHAT[p.id] }])) as Record<WebhookProviderId, { url: string; secret: string; secretWhat: string }>;

export async function benchWebhooks(ctx: Context, opts: BenchInput, options: BenchOptions = {}): Promise<BenchResult> {
  const { provider } = opts;
  let url = opts.url;
  const source = SOURCES[provider];
  if (!url) {
    const fromEnv = ctx.env[source.url]?.trim();
    if (!fromEnv) throw new ConfigError(`No endpoint to send to: --url is not given and ${source.url} is not set.`, `Pass --url, or set ${source.url} (e.g. with --env-file).`, "ENV_MISSING");
    url = webhookUrl(fromEnv);
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
      const fromDb = await withTimeout((options.readMix ?? mixFromDatabase)(ctx), 10_000, "reading session types from the database");
      if (fromDb) {
        if (eventTypeSource === "default" && fromDb.eventTypeUris?.length) {
          mix = { ...mix, eventTypeUris: fromDb.eventTypeUris };
          eventTypeSource = "database";
        }
        if (fromDb.payment) mix = { ...mix, payment: fromDb.payment };
      }
    } catch (err) {
      options.onNote?.(`could not read session types from the database (${err instanceof Error ? err.message : String(err)}); using ${DEFAULT_CALENDLY_EVENT_TYPE_URI}.`);
    }
  }

  const report = await runWebhookLoad({
    provider,
    url: url.toString(),
    secret,
    count: opts.duration === undefined ? (opts.count ?? DEFAULT_BENCH_COUNT) : undefined,
    durationMs: opts.duration,
    concurrency: opts.concurrency,
    duplicates: opts.duplicates,
    pipelining: opts.pipelining,
    timeoutMs: opts.timeout,
    mix,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  const ok = report.sent > 0 && report.failed === 0 && Object.keys(report.statusCodes).every((s) => s.startsWith("2"));
  return { ...report, target, eventTypeSource, ok };
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

export function targetOf(flag: Target | undefined, env: Record<string, string | undefined>): Target {
  if (flag) return flag;
  const value = env.BOOKFLOW_TARGET?.trim();
  if (!value) return "production";
  if (!(TARGETS as readonly string[]).includes(value)) {
    throw new ConfigError(`BOOKFLOW_TARGET is "${value}", expected one of ${TARGETS.join(", ")}.`, "Fix or unset BOOKFLOW_TARGET, or pass --target.", "CONFIG_INVALID");
  }
  return value as Target;
}

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
