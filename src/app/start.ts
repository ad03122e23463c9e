import type { AppEnv } from "../config/app-env.js";
import type { Database } from "../db/client.js";
import type { Mailer, SchedulingGateway } from "../core/ports.js";
import { ConfigError } from "../errors.js";
import { createApp, type AppLogEntry, type RunningApp } from "./server.js";

/**
 * Wires the reference app from its environment: database, webhook intake,
 * mailer (SendGrid, or the capturing one), Stripe payments, Calendly (to
 * release the slot of a booking never paid, with CALENDLY_API_TOKEN). Used by
 * `bookflow serve` and by the sandbox.
 */
export interface StartOptions {
  env: AppEnv;
  db: Database;
  version: string;
  port?: number;
  host?: string;
  log?: (entry: AppLogEntry) => void;
  /** Overrides the mailer chosen by BOOKFLOW_MAILER (the sandbox passes its own). */
  mailer?: Mailer;
  emailSweepMs?: number;
  /** Overrides STRIPE_WEBHOOK_SECRET with a getter (the sandbox learns it after the app listens). */
  stripeWebhookSecret?: () => string;
}

export async function startReferenceApp(options: StartOptions): Promise<RunningApp> {
  const { env, db } = options;
  const [{ createWebhookIntake }, { createNotifier }, { createStripeClient }, { createStripePayments }, { createIntentWorker }] = await Promise.all([
    import("../core/webhook-intake.js"),
    import("../core/notifications.js"),
    import("../providers/stripe-client.js"),
    import("../providers/stripe-payments.js"),
    import("../core/intents.js"),
  ]);
  const stripe = await createStripeClient({ secretKey: env.STRIPE_SECRET_KEY, apiBase: env.STRIPE_API_BASE });
  const payments = createStripePayments(stripe);
  const mailer = options.mailer ?? (await chooseMailer(env));
  const scheduling = await calendlyScheduling(env);
  const leaseMs = env.BOOKFLOW_EFFECT_LEASE_SECONDS * 1000;
  const retryMs = env.BOOKFLOW_EFFECT_RETRY_SECONDS * 1000;
  const intents = createIntentWorker({ prisma: db.prisma, payments, ...(scheduling ? { scheduling } : {}), leaseMs, backoffMs: (n) => Math.min(retryMs * 2 ** Math.max(0, n - 1), 3_600_000) });
  const intake = createWebhookIntake({ prisma: db.prisma, sql: db.sql, policy: { refundWindowHours: env.BOOKFLOW_REFUND_WINDOW_HOURS }, payments, ...(scheduling ? { scheduling } : {}), intents });
  const notifier = createNotifier({ prisma: db.prisma, sql: db.sql, mailer, templateId: env.SENDGRID_BOOKING_TEMPLATE_ID, leaseMs });
  const app = createApp({
    prisma: db.prisma,
    sql: db.sql,
    intake,
    notifier,
    intents,
    payments,
    checkoutExpiryMinutes: env.BOOKFLOW_CHECKOUT_EXPIRY_MINUTES,
    calendlySigningKey: env.CALENDLY_WEBHOOK_SIGNING_KEY,
    stripeWebhookSecret: options.stripeWebhookSecret ?? env.STRIPE_WEBHOOK_SECRET,
    baseUrl: env.NEXT_PUBLIC_BASE_URL,
    version: options.version,
    commit: env.BOOKFLOW_COMMIT,
    rateLimitPerMinute: env.BOOKFLOW_RATE_LIMIT_PER_MINUTE,
    trustedProxies: env.BOOKFLOW_TRUSTED_PROXIES,
    limits: {
      maxConnections: env.BOOKFLOW_MAX_CONNECTIONS,
      bodyBytesInFlight: env.BOOKFLOW_MAX_BODY_BYTES_IN_FLIGHT,
      headersTimeoutMs: env.BOOKFLOW_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: env.BOOKFLOW_REQUEST_TIMEOUT_MS,
    },
    log: options.log,
    emailSweepMs: options.emailSweepMs ?? env.BOOKFLOW_SWEEP_SECONDS * 1000,
  });
  return app.listen(options.port ?? env.PORT, options.host ?? env.HOST);
}

/** Calendly, for releasing the slot of a booking that was never paid; none without CALENDLY_API_TOKEN. */
async function calendlyScheduling(env: AppEnv): Promise<SchedulingGateway | undefined> {
  if (!env.CALENDLY_API_TOKEN) return undefined;
  const [{ createCalendlyClient }, { createCalendlyScheduling }] = await Promise.all([import("../providers/calendly/client.js"), import("../providers/calendly-scheduling.js")]);
  return createCalendlyScheduling(createCalendlyClient({ token: env.CALENDLY_API_TOKEN, ...(env.CALENDLY_API_BASE ? { baseUrl: env.CALENDLY_API_BASE } : {}) }));
}

async function chooseMailer(env: AppEnv): Promise<Mailer> {
  if (env.BOOKFLOW_MAILER === "capture") {
    const { CaptureMailer } = await import("../providers/capture-mailer.js");
    return new CaptureMailer();
  }
  if (!env.SENDGRID_API_KEY) {
    throw new ConfigError(
      "SENDGRID_API_KEY is not set, so the app cannot send booking emails.",
      "Set SENDGRID_API_KEY (and SENDGRID_FROM_EMAIL), or set BOOKFLOW_MAILER=capture to keep emails in memory for local runs.",
      "SENDGRID_KEY_MISSING",
    );
  }
  const { createSendGridMailer } = await import("../providers/sendgrid-mailer.js");
  return createSendGridMailer({
    apiKey: env.SENDGRID_API_KEY,
    from: env.SENDGRID_FROM_EMAIL,
    baseUrl: env.SENDGRID_API_BASE,
    templateId: env.SENDGRID_BOOKING_TEMPLATE_ID,
  });
}
