import { isIP } from "node:net";
import { z } from "zod";
import { parseOrThrow } from "./validation.js";

/** Environment of the reference booking app (`bookflow serve`) and of commands that touch the database. */

const postgresUrl = z
  .string()
  .refine((v) => /^postgres(ql)?:\/\//.test(v), { message: "must be a postgres:// or postgresql:// URL" });

const optionalUrl = z.url({ message: "must be a URL such as http://127.0.0.1:12111" }).optional();

export const databaseEnvSchema = z.object({
  DATABASE_URL: postgresUrl.optional(),
  BOOKFLOW_DATA_DIR: z.string().min(1).default(".bookflow"),
});

export type DatabaseEnv = z.infer<typeof databaseEnvSchema>;

export function readDatabaseEnv(env: Record<string, string | undefined>): DatabaseEnv {
  return parseOrThrow(databaseEnvSchema, blankToUndefined(env), "database settings", "Set DATABASE_URL to a PostgreSQL URL, or unset it to use the embedded database.");
}

/** The app's HTTP bounds when the environment does not set them (`bookflow serve` reads BOOKFLOW_MAX_CONNECTIONS and the others below). */
export const APP_LIMIT_DEFAULTS = {
  /** Connections held at once; past it new ones are closed as they arrive. */
  maxConnections: 500,
  /** Request body bytes held at once across all requests (8 MiB: eight 1 MiB bodies); past it 503 with Retry-After. */
  bodyBytesInFlight: 8 * 1024 * 1024,
  /** Time for a client to send a request's headers. */
  headersTimeoutMs: 10_000,
  /** Time for a client to send a whole request, headers and body (at least the headers timeout). */
  requestTimeoutMs: 30_000,
} as const;

const positiveInt = (min: number) => z.coerce.number({ error: `must be a whole number (at least ${min})` }).int({ error: `must be a whole number (at least ${min})` }).min(min);
/** A number of seconds from `min` to an hour. */
const seconds = (min: number) =>
  z.coerce
    .number({ error: `must be a number of seconds, from ${min} to 3600` })
    .min(min, { message: `must be at least ${min} (seconds)` })
    .max(3600, { message: "must be at most 3600 (seconds)" });

/** A proxy whose X-Forwarded-For the app believes: one address, or a CIDR range. */
export interface TrustedProxy {
  address: string;
  prefix: number;
  family: 4 | 6;
}

/** BOOKFLOW_TRUSTED_PROXIES: comma-separated IP addresses and CIDR ranges (`10.0.0.0/8, 2001:db8::/32, 192.0.2.7`). */
export const trustedProxiesSchema = z.string().transform((value, ctx): TrustedProxy[] => {
  const out: TrustedProxy[] = [];
  value
    .split(",")
    .map((e) => e.trim())
    .filter(Boolean)
    .forEach((entry, i) => {
      const [address = "", prefixText, ...rest] = entry.split("/");
      const family = isIP(address);
      const max = family === 4 ? 32 : 128;
      const prefix = prefixText === undefined ? max : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
      if (family === 0 || rest.length || !(prefix >= 0 && prefix <= max)) {
        ctx.issues.push({ code: "custom", input: value, message: `entry ${i + 1} is not an IP address or a CIDR range (such as 10.0.0.0/8 or 2001:db8::/32)` });
        return;
      }
      out.push({ address, prefix, family: family === 4 ? 4 : 6 });
    });
  return out;
});

export const appEnvSchema = databaseEnvSchema.extend({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default("127.0.0.1"),
  NEXT_PUBLIC_BASE_URL: z.url().default("http://127.0.0.1:3000"),
  CALENDLY_WEBHOOK_SIGNING_KEY: z.string().min(8, { message: "is required (at least 8 characters): the key Calendly signs webhooks with" }),
  /** Lets the app cancel the Calendly event of a booking whose Checkout was never paid (the slot is released); without it the slot stays held. */
  CALENDLY_API_TOKEN: z.string().min(8, { message: "must be a Calendly personal access token" }).optional(),
  CALENDLY_API_BASE: optionalUrl,
  STRIPE_WEBHOOK_SECRET: z.string().startsWith("whsec_", { message: "must start with whsec_" }),
  STRIPE_SECRET_KEY: z.string().regex(/^(sk|rk)_(live|test)_/, { message: "must start with sk_live_, sk_test_, rk_live_ or rk_test_" }),
  STRIPE_API_BASE: optionalUrl,
  SENDGRID_API_KEY: z.string().startsWith("SG.", { message: "must start with SG." }).optional(),
  SENDGRID_FROM_EMAIL: z.email({ message: "must be an email address" }).default("noreply@example.com"),
  SENDGRID_BOOKING_TEMPLATE_ID: z.string().startsWith("d-", { message: "must be a dynamic template id starting with d-" }).optional(),
  SENDGRID_API_BASE: optionalUrl,
  BOOKFLOW_MAILER: z.enum(["sendgrid", "capture"]).default("sendgrid"),
  BOOKFLOW_REFUND_WINDOW_HOURS: z.coerce.number().min(0).default(24),
  /** How long the invitee has to pay before the booking is cancelled and the slot released (Stripe allows 30 to 1440 minutes). */
  BOOKFLOW_CHECKOUT_EXPIRY_MINUTES: z.coerce.number().int().min(30, { message: "must be at least 30 (Stripe's shortest Checkout expiry)" }).max(1440, { message: "must be at most 1440 (Stripe's longest Checkout expiry, 24 hours)" }).optional(),
  BOOKFLOW_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(600),
  BOOKFLOW_TRUSTED_PROXIES: trustedProxiesSchema.default([]),
  BOOKFLOW_MAX_CONNECTIONS: positiveInt(1).default(APP_LIMIT_DEFAULTS.maxConnections),
  /** At least 1 MiB, so one body of the largest size accepted fits. */
  BOOKFLOW_MAX_BODY_BYTES_IN_FLIGHT: positiveInt(1024 * 1024).default(APP_LIMIT_DEFAULTS.bodyBytesInFlight),
  BOOKFLOW_HEADERS_TIMEOUT_MS: positiveInt(100).default(APP_LIMIT_DEFAULTS.headersTimeoutMs),
  BOOKFLOW_REQUEST_TIMEOUT_MS: positiveInt(100).default(APP_LIMIT_DEFAULTS.requestTimeoutMs),
  BOOKFLOW_COMMIT: z.string().optional(),
  /** How often the app retries leftover emails and performs due refunds and Calendly cancellations. */
  BOOKFLOW_SWEEP_SECONDS: seconds(0.05).default(5),
  /** How long a worker's claim on an email or an effect lasts: after a crash, the next worker takes it over once it has run out. Longer than any one provider call. */
  BOOKFLOW_EFFECT_LEASE_SECONDS: seconds(1).default(120),
  /** The first wait before an effect that failed transiently (network, 429, 5xx) is tried again; it doubles each time, up to an hour. */
  BOOKFLOW_EFFECT_RETRY_SECONDS: seconds(0.05).default(30),
});

export type AppEnv = z.infer<typeof appEnvSchema>;

/** The whole request cannot be due before its headers are. */
const checkedAppEnvSchema = appEnvSchema.refine((e) => e.BOOKFLOW_REQUEST_TIMEOUT_MS >= e.BOOKFLOW_HEADERS_TIMEOUT_MS, {
  path: ["BOOKFLOW_REQUEST_TIMEOUT_MS"],
  message: "must be at least BOOKFLOW_HEADERS_TIMEOUT_MS (it covers the headers and the body)",
});

export function readAppEnv(env: Record<string, string | undefined>): AppEnv {
  return parseOrThrow(checkedAppEnvSchema, blankToUndefined(env), "environment for the booking app", "Set the variables named above (or pass --env-file), then run again.");
}

/** Empty variables count as unset. */
export function blankToUndefined(env: Record<string, string | undefined>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(env)) out[k] = v === "" ? undefined : v;
  return out;
}
