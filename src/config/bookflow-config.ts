import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { z } from "zod";
import { isStripeEventType } from "./stripe-webhook-enums.js";
import { DEFAULT_CALENDLY_EVENTS, DEFAULT_STRIPE_EVENTS } from "./webhook-events.js";
import { ConfigError } from "../errors.js";
import { describeIssues } from "./validation.js";
import { TARGETS } from "./verify-env.js";

/**
 * `bookflow.config.json`: what the world should look like, beyond the
 * environment: the target, which domain sends email, the webhook events each
 * provider must deliver, the seed data to expect, and thresholds.
 * Every field is optional; unknown fields are errors (a typo must not pass silently).
 */

export const DEFAULT_CONFIG_FILE = "bookflow.config.json";

const eventList = z.array(z.string().min(1)).min(1, { message: "must list at least one event" });

/** Stripe's events: each one of Stripe's event type names (a typo would make Stripe refuse the endpoint), or `*`. */
const stripeEventList = z
  .array(
    z.string().refine((name): boolean => name === "*" || isStripeEventType(name), {
      error: (issue) => `"${String(issue.input)}" is not a Stripe event type (see https://docs.stripe.com/api/events/types)`,
    }),
  )
  .min(1, { message: "must list at least one event" });

/** A rate as a fraction from 0 to 1 (95% is 0.95): a percentage written as 95 is refused, saying so. */
const rate = z
  .number({ message: "must be a number from 0 to 1 (a fraction: 0.95 is 95%)" })
  .min(0, { message: "must be from 0 to 1 (a fraction: 0.95 is 95%)" })
  .max(1, { message: "must be from 0 to 1 (a fraction: 0.95 is 95%, not 95)" });

/** The kinds of Sentry issue alert rule `monitoring.sentry-alert-rules` looks for. */
export const SENTRY_ALERT_KINDS = ["new-issues", "high-priority"] as const;
export type SentryAlertKind = (typeof SENTRY_ALERT_KINDS)[number];

/** The Datadog monitors expected without a config file: found by the tags `bookflow:<purpose>`. */
export const DEFAULT_DATADOG_MONITORS: readonly { purpose: string; tag: string }[] = [
  { purpose: "webhook-processing-time", tag: "bookflow:webhook-processing-time" },
  { purpose: "email-failures", tag: "bookflow:email-failures" },
];

/** The roles an emergency contact can have (`contacts[].role`), in the checklist's order. */
export const CONTACT_ROLES = ["calendly", "stripe", "sendgrid", "database", "vercel", "on-call", "other"] as const;
export type ContactRole = (typeof CONTACT_ROLES)[number];
export type EmergencyContact = BookflowConfig["contacts"][number];

/** `monitor.intervals` keys: a check id or a section. */
export const MONITOR_INTERVAL_KEY = /^[a-z0-9-]+(\.[a-z0-9-]+)?$/;
/** `monitor.intervals` values: a number and a unit (its bounds are checked by `monitorIntervalMs`). */
export const MONITOR_INTERVAL_TEXT = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$/;

function unique(values: readonly string[]): boolean {
  return new Set(values).size === values.length;
}

export const bookflowConfigSchema = z.strictObject({
  $schema: z.string().optional(),
  /** Default for --target. */
  target: z.enum(TARGETS).optional(),
  email: z
    .strictObject({
      /** The domain mail is sent from (default: the SENDGRID_FROM_EMAIL domain). */
      sendingDomain: z.string().regex(/^[a-z0-9.-]+\.[a-z]{2,}$/i, { message: "must be a domain name such as example.com" }).optional(),
      /** SendGrid's DKIM selectors. */
      dkimSelectors: z.array(z.string().min(1)).min(1).default(["s1", "s2"]),
    })
    .default({ dkimSelectors: ["s1", "s2"] }),
  calendly: z
    .strictObject({ events: eventList.default([...DEFAULT_CALENDLY_EVENTS]) })
    .default({ events: [...DEFAULT_CALENDLY_EVENTS] }),
  stripe: z
    .strictObject({ events: stripeEventList.default([...DEFAULT_STRIPE_EVENTS]) })
    .default({ events: [...DEFAULT_STRIPE_EVENTS] }),
  seed: z
    .strictObject({
      /** Tables the schema must have. */
      tables: z.array(z.string().min(1)).default(["Booking", "SessionType", "User", "BuilderProfile"]),
      /** Session types that must exist (by slug), with their price when given. */
      sessionTypes: z
        .array(
          z.strictObject({
            slug: z.string().min(1),
            priceCents: z.number().int().min(0).optional(),
            currency: z.string().length(3).optional(),
          }),
        )
        .default([]),
      /** At least this many builders visible in the marketplace with an active session type. */
      minVisibleBuilders: z.number().int().min(0).default(1),
    })
    .default({ tables: ["Booking", "SessionType", "User", "BuilderProfile"], sessionTypes: [], minVisibleBuilders: 1 }),
  thresholds: z
    .strictObject({
      /** Database round trip above this is a warning. */
      databaseLatencyMs: z.number().positive().default(500),
      /** HTTP answers slower than this are a warning (endpoints checks: base URL, health, webhook routes). */
      httpLatencyMs: z.number().positive().default(2000),
      /** The base URL's certificate expiring within this many days is a warning (0: only an expired one counts). */
      certificateExpiryDays: z.number().int({ message: "must be a whole number of days" }).min(0).max(3650).default(14),
      /** A Stripe event still undelivered this many minutes after it was created means deliveries to the endpoint are failing (0: any undelivered event counts). */
      webhookDeliveryGraceMinutes: z.number().min(0).max(1440).default(10),
      /** --baseline / report diff: a check is slower when it took more than this many ms longer than in the baseline… */
      slowerByMs: z.number().min(0).default(1000),
      /** …and at least this many times as long (1: the ms rule alone). */
      slowerByRatio: z.number().min(1, { message: "must be at least 1 (1: the slowerByMs rule alone)" }).default(1.5),
      /** sendgrid.delivery-rates: the share of requested emails SendGrid delivered over the window must be at least this (a fraction: 0.95 is 95%). */
      emailDeliveryRateMin: rate.default(0.95),
      /** sendgrid.delivery-rates: the share that bounced must be at most this. */
      emailBounceRateMax: rate.default(0.05),
      /** sendgrid.delivery-rates: the share the receiving servers blocked must be at most this. */
      emailBlockRateMax: rate.default(0.02),
      /** sendgrid.delivery-rates: the window read from SendGrid's stats and suppression lists, in hours (at most 30 days). */
      emailStatsWindowHours: z.number().int({ message: "must be a whole number of hours" }).min(1, { message: "must be at least 1 hour" }).max(720, { message: "must be at most 720 hours (30 days)" }).default(24),
      /** sendgrid.delivery-rates: with fewer emails requested in the window, the rates are not judged (too few to mean anything). */
      emailStatsMinVolume: z.number().int({ message: "must be a whole number of emails" }).min(0, { message: "must be 0 or more" }).default(20),
      /** database.connections-stable: how many fresh connections to DATABASE_URL it opens (each runs one query), evenly spread over databaseSampleWindowMs. */
      databaseConnectionSamples: z.number().int({ message: "must be a whole number" }).min(2).max(20).default(6),
      /** database.connections-stable: the time the samples are spread over (ms). */
      databaseSampleWindowMs: z.number().int({ message: "must be a whole number of milliseconds" }).min(0).max(10_000).default(2500),
      /** database.connections-stable: two or more samples more than this above the median (ms) are a warning. */
      databaseLatencySpreadMs: z.number().positive().default(250),
    })
    // Every field has its default: an absent section is parsed as {} (one place for the defaults).
    .prefault({}),
  monitoring: z
    .strictObject({
      sentry: z
        .strictObject({
          /** Issue alert rules the Sentry project must have: "new-issues" (first seen), "high-priority" (new or escalating high-priority issues, or error/fatal level). */
          alertRules: z.array(z.enum(SENTRY_ALERT_KINDS)).refine(unique, { message: "lists a kind twice" }).default([...SENTRY_ALERT_KINDS]),
        })
        .default({ alertRules: [...SENTRY_ALERT_KINDS] }),
      datadog: z
        .strictObject({
          /** Datadog monitors that must exist, each found by its name (a substring, as Datadog's `name` filter) or a monitor tag; neither: the tag `bookflow:<purpose>`. */
          monitors: z
            .array(
              z.strictObject({
                purpose: z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, { message: "must be kebab-case, e.g. webhook-processing-time" }),
                name: z.string().trim().min(1).optional(),
                tag: z.string().regex(/^[^\s,]+$/, { message: "must be one tag without spaces or commas, e.g. team:payments" }).optional(),
              }),
            )
            .refine((ms) => unique(ms.map((m) => m.purpose)), { message: "lists a purpose twice" })
            .default(DEFAULT_DATADOG_MONITORS.map((m) => ({ ...m }))),
        })
        .default({ monitors: DEFAULT_DATADOG_MONITORS.map((m) => ({ ...m })) }),
    })
    .default({ sentry: { alertRules: [...SENTRY_ALERT_KINDS] }, datadog: { monitors: DEFAULT_DATADOG_MONITORS.map((m) => ({ ...m })) } }),
  /**
   * Who to call when a release goes wrong (the checklist's "Emergency Contacts"): printed by
   * `rollback --help`, the rollback and release plans; verify warns when none is configured for production.
   */
  contacts: z
    .array(
      z
        .strictObject({
          /** What they are called for: one of the providers, the database, the on-call engineer, or other. */
          role: z.enum(CONTACT_ROLES, { error: (i) => `must be one of ${CONTACT_ROLES.join(", ")}, not ${JSON.stringify(i.input)}` }),
          /** Who: a person, a team or a support desk ("Stripe Support"). */
          name: z.string().trim().min(1, { message: "must name the person or desk" }),
          email: z.email({ message: "must be an email address" }).optional(),
          phone: z.string().regex(/^\+?[0-9 ().-]{5,30}$/, { message: "must be a phone number such as +1 415 555 0100" }).optional(),
          url: z.url({ protocol: /^https?$/, message: "must be an http(s) URL" }).optional(),
          /** When to call them ("payment issues", "webhooks stop arriving"). */
          when: z.string().trim().min(1).optional(),
        })
        .refine((c) => c.email !== undefined || c.phone !== undefined || c.url !== undefined, { message: "needs a way to reach them: email, phone or url" }),
    )
    .default([]),
  /** `bookflow rollback --notify`: the SendGrid dynamic template of the notice to affected invitees (else bookflow's own text; --notice-template wins). */
  rollback: z
    .strictObject({
      noticeTemplateId: z.string().regex(/^d-[0-9a-f]{32}$/, { message: "must be a SendGrid dynamic template id (d- and 32 hex digits)" }).optional(),
    })
    .default({}),
  /** `bookflow monitor`: each check's (or section's) own interval, e.g. { "env": "1h", "stripe.webhook-endpoint-enabled": "1m" }. */
  monitor: z
    .strictObject({
      intervals: z
        .record(
          z.string(),
          z.string().refine((text) => monitorIntervalMs(text) !== undefined, { error: (issue) => `${JSON.stringify(issue.input)} is not an interval from 1s to 24h (write 30s, 5m, 1h)` }),
        )
        .superRefine((intervals, ctx) => {
          for (const key of Object.keys(intervals)) {
            if (!MONITOR_INTERVAL_KEY.test(key)) ctx.addIssue({ code: "custom", path: [key], message: `${JSON.stringify(key)} must be a check id (stripe.webhook-endpoint-enabled) or a section (stripe)` });
          }
        })
        .default({}),
    })
    .default({ intervals: {} }),
});

/** The monitoring config's expected Datadog monitor, with its tag filled in when it gives neither name nor tag. */
export function datadogMonitorExpectation(m: BookflowConfig["monitoring"]["datadog"]["monitors"][number]): { purpose: string; name?: string; tag?: string } {
  return m.name === undefined && m.tag === undefined ? { purpose: m.purpose, tag: `bookflow:${m.purpose}` } : m;
}

/** A monitor interval ("30s", "5m", "1h", "500ms"; a unit is required) → milliseconds, when from 1 s to 24 h; else undefined. */
export function monitorIntervalMs(text: string): number | undefined {
  const m = MONITOR_INTERVAL_TEXT.exec(text);
  if (!m) return undefined;
  const ms = Math.round(Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as "ms" | "s" | "m" | "h"]);
  return ms >= 1000 && ms <= 86_400_000 ? ms : undefined;
}

export type BookflowConfig = z.infer<typeof bookflowConfigSchema>;

export interface LoadedConfig {
  config: BookflowConfig;
  /** The file read, or undefined when none was given and bookflow.config.json does not exist. */
  file: string | undefined;
}

/** Defaults for every field: what verify uses without a config file. */
export function defaultConfig(): BookflowConfig {
  return bookflowConfigSchema.parse({});
}

/**
 * Reads and validates the config file: `path` when given (it must exist),
 * else ./bookflow.config.json when present, else the defaults.
 * Throws ConfigError naming the file and each invalid field.
 */
export function loadBookflowConfig(path: string | undefined, cwd = process.cwd()): LoadedConfig {
  const file = resolve(cwd, path ?? DEFAULT_CONFIG_FILE);
  if (!path && !existsSync(file)) return { config: defaultConfig(), file: undefined };
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(
      `Cannot read config file ${file}${code === "ENOENT" ? ": no such file" : `: ${code ?? String(err)}`}`,
      "Check the path given to --config.",
      "CONFIG_UNREADABLE",
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`Config file ${file} is not valid JSON: ${(err as Error).message}`, "Fix the JSON syntax (see docs/checks.md for the fields).", "CONFIG_INVALID");
  }
  const r = bookflowConfigSchema.safeParse(json);
  if (!r.success) {
    throw new ConfigError(
      `Invalid config file ${file}:\n  - ${describeIssues(r.error.issues).join("\n  - ")}`,
      "Fix the fields named above (see docs/checks.md for the fields).",
      "CONFIG_INVALID",
    );
  }
  return { config: r.data, file };
}
