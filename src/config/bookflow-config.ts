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
    })
    .default({ databaseLatencyMs: 500, httpLatencyMs: 2000, certificateExpiryDays: 14, webhookDeliveryGraceMinutes: 10 }),
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
            if (!/^[a-z0-9-]+(\.[a-z0-9-]+)?$/.test(key)) ctx.addIssue({ code: "custom", path: [key], message: `${JSON.stringify(key)} must be a check id (stripe.webhook-endpoint-enabled) or a section (stripe)` });
          }
        })
        .default({}),
    })
    .default({ intervals: {} }),
});

/** A monitor interval ("30s", "5m", "1h", "500ms"; a unit is required) → milliseconds, when from 1 s to 24 h; else undefined. */
export function monitorIntervalMs(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$/.exec(text);
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
