import { DEFAULT_CALENDLY_EVENTS, DEFAULT_STRIPE_EVENTS } from "../config/webhook-events.js";
import { existsSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { AppLogEntry, RunningApp } from "../app/server.js";
import type { Database } from "../db/client.js";
import { DEFAULT_SEED } from "../db/seed-data.js";
import { readAppEnv } from "../config/app-env.js";
import type { CalendlyEmulator } from "./calendly/emulator.js";
import type { RunningDnsServer } from "./dns/server.js";
import type { ZoneBreakage } from "./dns/zones.js";
import type { Faults } from "./emulator-server.js";
import type { EmulatorName } from "./faults-spec.js";
import type { SendGridEmulator } from "./sendgrid/emulator.js";
import type { StripeEmulator } from "./stripe/emulator.js";
import type { RunningVercelEmulator } from "./vercel/emulator.js";
import type { MonitoringEmulator } from "./monitoring/emulator.js";

/**
 * The sandbox: a complete local world in one process. An embedded database
 * (PGlite served over the Postgres wire protocol on loopback, or the Postgres
 * in DATABASE_URL), emulated Calendly, Stripe, SendGrid and Vercel APIs, a DNS
 * server for the sending domain, and the reference booking app, with the
 * webhooks registered as an operator would. `env` is the environment under
 * which every other bookflow command targets this world.
 */

export const SANDBOX_DOMAIN = "bookflow.test";

/** Obviously fake credentials: the emulators accept exactly these. */
export const SANDBOX_SECRETS = {
  CALENDLY_API_TOKEN: "sandbox_calendly_token_FAKE_0001",
  CALENDLY_WEBHOOK_SIGNING_KEY: "sandbox_calendly_signing_key_FAKE_0001",
  STRIPE_SECRET_KEY: "sk_test_sandboxFAKE0000000000000000",
  STRIPE_PUBLISHABLE_KEY: "pk_test_sandboxFAKE0000000000000000",
  SENDGRID_API_KEY: "SG.sandboxFAKEkey000000.sandboxFAKEsecret00000000000000",
  VERCEL_TOKEN: "sandbox_vercel_token_FAKE_0001",
  DATADOG_API_KEY: "sandboxFAKEdatadogkey00000000000",
  DATADOG_APP_KEY: "sandboxFAKEdatadogappkey0000000000000000",
  SENTRY_AUTH_TOKEN: "sntryu_sandboxFAKEsentryauthtoken0000000000000000",
} as const;

const SANDBOX_SENTRY_KEY = "sandboxfakesentrypublickey000001";

export interface SandboxOptions {
  /** Where the embedded database lives (default `.bookflow/sandbox/pglite`). */
  dataDir?: string;
  /** Use this PostgreSQL instead of the embedded database. */
  databaseUrl?: string;
  faults?: Partial<Record<EmulatorName, Faults>>;
  /** Break the DNS zone on purpose (tests of the dns checks). */
  zoneBreak?: ZoneBreakage[];
  /** Port of the reference app (default: any free one). */
  appPort?: number;
  /** Receives the app's JSON request logs (default: dropped). */
  appLog?: (entry: AppLogEntry) => void;
  /** Progress lines for a person (default: none). */
  progress?: (line: string) => void;
  /**
   * The start-up step now under way, for a progress line (default: none): "starting the database and the emulators",
   * "creating the database" or "unpacking the database image", "migrating the database", "seeding the database",
   * "saving the database image", "starting the reference app", "registering the webhooks"; null once it is up.
   */
  stage?: (name: string | null) => void;
  /**
   * Where the embedded database's image is kept (default: the user's cache directory, see src/sandbox/pglite-image.ts),
   * or false to make a new data directory from scratch and keep no image.
   */
  imageCache?: string | false;
  /** How often the app's sweep sends held emails and performs due intents (default 1 s; tests that play the sweep themselves set it long). */
  appSweepMs?: number;
}

export interface SandboxWorld {
  env: Record<string, string>;
  databaseUrl: string;
  app: RunningApp;
  calendly: CalendlyEmulator;
  stripe: StripeEmulator;
  sendgrid: SendGridEmulator;
  vercel: RunningVercelEmulator;
  monitoring: MonitoringEmulator;
  dns: RunningDnsServer;
  /** Timings of the start-up steps, in milliseconds. */
  timings: Record<string, number>;
  /** How the embedded database came to be (see startDatabase): "image", "new", "reused", or "external" for DATABASE_URL. */
  databaseOrigin: "image" | "new" | "reused" | "external";
  stop(): Promise<void>;
}

export async function startSandbox(options: SandboxOptions = {}): Promise<SandboxWorld> {
  const started = performance.now();
  const timings: Record<string, number> = {};
  const mark = (name: string, since: number) => (timings[name] = Math.round(performance.now() - since));
  const say = options.progress ?? (() => {});
  const stage = options.stage ?? (() => {});
  const cleanups: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
  };

  try {
    const [{ startCalendlyEmulator }, { startStripeEmulator }, { startSendGridEmulator }, { startVercelEmulator, defaultDeployments, runtimeLogOfAppEntry }, { startDnsServer }, { sandboxZone, sandboxNames }] =
      await Promise.all([
        import("./calendly/emulator.js"),
        import("./stripe/emulator.js"),
        import("./sendgrid/emulator.js"),
        import("./vercel/emulator.js"),
        import("./dns/server.js"),
        import("./dns/zones.js"),
      ]);
    const { startMonitoringEmulator, healthySentryRules, healthyDatadogMonitors } = await import("./monitoring/emulator.js");

    // 1. The database, and the emulators and DNS, side by side.
    stage("starting the database and the emulators");
    let t = performance.now();
    const dbPromise = startDatabase(options).then((r) => (mark("database", t), r));
    const names = sandboxNames(SANDBOX_DOMAIN);
    const sessionTypes = DEFAULT_SEED.builders.flatMap((b) => b.sessionTypes);
    const dnsPromise = startDnsServer({ zone: sandboxZone(SANDBOX_DOMAIN, { break: options.zoneBreak ?? [] }) });
    const [dbHandle, dns, calendly, stripe, vercel, monitoring] = await Promise.all([
      dbPromise,
      dnsPromise,
      startCalendlyEmulator({
        token: SANDBOX_SECRETS.CALENDLY_API_TOKEN,
        user: { name: "Bookflow Sandbox", slug: "bookflow-sandbox", email: "ops@bookflow.test" },
        organizationName: "Bookflow Sandbox",
        eventTypes: sessionTypes.map((s) => ({ uri: s.calendlyEventTypeUri, name: s.title, slug: s.slug, duration: s.durationMinutes, active: true })),
        faults: options.faults?.calendly,
        // Calendly's 24 hours of retries last about a second here: disabling at their end would disable the
        // sandbox's subscription whenever the app is briefly down. The sandbox keeps it active and retrying.
        disableAfterRetries: false,
      }),
      startStripeEmulator({
        secretKey: SANDBOX_SECRETS.STRIPE_SECRET_KEY,
        publishableKey: SANDBOX_SECRETS.STRIPE_PUBLISHABLE_KEY,
        prices: sessionTypes.filter((s) => s.stripePriceId).map((s) => ({ id: s.stripePriceId!, unit_amount: s.priceCents, currency: s.currency, active: true })),
        faults: options.faults?.stripe,
      }),
      startVercelEmulator({
        token: SANDBOX_SECRETS.VERCEL_TOKEN,
        project: { id: "prj_bookflowsandbox", name: "bookflow-sandbox" },
        deployments: defaultDeployments("bookflow-sandbox"),
        faults: options.faults?.vercel,
      }),
      startMonitoringEmulator({
        sentryKey: SANDBOX_SENTRY_KEY,
        datadogApiKey: SANDBOX_SECRETS.DATADOG_API_KEY,
        datadogAppKey: SANDBOX_SECRETS.DATADOG_APP_KEY,
        sentryAuthToken: SANDBOX_SECRETS.SENTRY_AUTH_TOKEN,
        sentryRules: healthySentryRules(),
        datadogMonitors: healthyDatadogMonitors(),
      }),
    ]);
    cleanups.push(() => dbHandle.stop(), () => dns.close(), () => calendly.close(), () => stripe.close(), () => vercel.close(), () => monitoring.close());
    mark("emulators", t);

    const { createDnsClient } = await import("../providers/dns/resolver.js");
    const dnsClient = createDnsClient({ server: dns.address, timeoutMs: 1000, tries: 1 });
    const sendgrid = await startSendGridEmulator({
      apiKey: SANDBOX_SECRETS.SENDGRID_API_KEY,
      verifiedSenders: [{ from_email: `noreply@${SANDBOX_DOMAIN}`, from_name: "Bookflow Sandbox", verified: true }],
      domains: [
        {
          id: 1,
          domain: SANDBOX_DOMAIN,
          subdomain: names.returnPath.split(".")[0]!,
          valid: true,
          dns: {
            mail_cname: { valid: true, type: "cname", host: names.returnPath, data: names.returnPathTarget },
            dkim1: { valid: true, type: "cname", host: names.dkim.s1.name, data: names.dkim.s1.target },
            dkim2: { valid: true, type: "cname", host: names.dkim.s2.name, data: names.dkim.s2.target },
          },
        },
      ],
      resolveCname: async (host) => {
        const target = await dnsClient.cname(host);
        return target ? [target] : [];
      },
      faults: options.faults?.sendgrid,
    });
    cleanups.push(() => sendgrid.close());

    // 2. Migrate and seed, then the reference app.
    t = performance.now();
    const { openDatabase } = await import("../db/client.js");
    const { applyMigrations } = await import("../db/migrations.js");
    const { seed, seedIsPresent } = await import("../db/seed.js");
    const db: Database = await openDatabase({ databaseUrl: dbHandle.url, poolSize: 8 });
    cleanups.push(() => db.close());
    stage("migrating the database");
    await applyMigrations(db);
    stage("seeding the database");
    // A directory from the image, or one in use, holds the seed already: checked in one SQL statement.
    if (!(await seedIsPresent(db.sql))) await seed(db.prisma);
    mark("migrate+seed", t);
    if (dbHandle.saveImage) {
      stage("saving the database image (the next new sandbox starts from it)");
      t = performance.now();
      await dbHandle.saveImage().catch((err: Error) => say(`the sandbox's database image was not saved (${err.message}); the next new directory starts from scratch`));
      mark("image saved", t);
    }

    t = performance.now();
    const templateId = "d-5f2c1a7e9b3d4c6e8a0b1c2d3e4f5a6b";
    const baseEnv: Record<string, string> = {
      ...SANDBOX_SECRETS,
      CALENDLY_USERNAME: "bookflow-sandbox",
      CALENDLY_API_BASE: calendly.url,
      STRIPE_API_BASE: stripe.url,
      SENDGRID_API_BASE: sendgrid.url,
      SENDGRID_FROM_EMAIL: `noreply@${SANDBOX_DOMAIN}`,
      SENDGRID_BOOKING_TEMPLATE_ID: templateId,
      VERCEL_API_BASE: vercel.url,
      VERCEL_PROJECT_ID: "prj_bookflowsandbox",
      BOOKFLOW_DNS_SERVER: dns.address,
      SENTRY_DSN: monitoring.sentryDsn,
      DATADOG_API_BASE: monitoring.url,
      SENTRY_API_BASE: monitoring.url,
      SENTRY_ORG: monitoring.sentryOrg,
      SENTRY_PROJECT: monitoring.sentryProjectSlug,
      DATABASE_URL: dbHandle.url,
      DIRECT_URL: dbHandle.url,
      NODE_ENV: "production",
      VERCEL_ENV: "production",
      BOOKFLOW_TARGET: "sandbox",
      BOOKFLOW_MAILER: "sendgrid",
    };
    // The app needs its own URL in its environment and its webhook secret from
    // Stripe, which issues it when the endpoint (on the app's URL) is created.
    stage("starting the reference app");
    const { startReferenceApp } = await import("../app/start.js");
    const secrets = { stripeWebhookSecret: "whsec_pending" };
    const appEnvVars = { ...baseEnv, STRIPE_WEBHOOK_SECRET: "whsec_pending", CALENDLY_WEBHOOK_SIGNING_KEY: SANDBOX_SECRETS.CALENDLY_WEBHOOK_SIGNING_KEY };
    const app = await startReferenceApp({
      env: readAppEnv(appEnvVars),
      db,
      version: "sandbox",
      port: options.appPort ?? 0,
      host: "127.0.0.1",
      // What the app logs is what Vercel would log for the production deployment (deployment.logs-clean reads it).
      log: (entry) => {
        vercel.appendRuntimeLog(runtimeLogOfAppEntry(entry));
        options.appLog?.(entry);
      },
      stripeWebhookSecret: () => secrets.stripeWebhookSecret,
      emailSweepMs: options.appSweepMs ?? 1000,
    });
    cleanups.push(() => app.close());
    // Previews made through the emulator's control API are served by the same app (one app, one database).
    vercel.servePreviewsAt(new URL(app.url).host);
    mark("app", t);

    // 3. Register the webhooks with the emulated providers, as an operator would.
    stage("registering the webhooks");
    t = performance.now();
    const calendlyWebhookUrl = `${app.url}/api/webhooks/calendly`;
    const stripeWebhookUrl = `${app.url}/api/webhooks/stripe`;
    const { createCalendlyClient } = await import("../providers/calendly/client.js");
    const calendlyClient = createCalendlyClient({ token: SANDBOX_SECRETS.CALENDLY_API_TOKEN, baseUrl: calendly.url });
    const me = await calendlyClient.getCurrentUser();
    await calendlyClient.createWebhookSubscription({
      url: calendlyWebhookUrl,
      events: [...DEFAULT_CALENDLY_EVENTS],
      organization: me.current_organization,
      scope: "organization",
      signingKey: SANDBOX_SECRETS.CALENDLY_WEBHOOK_SIGNING_KEY,
    });
    const { createStripeClient } = await import("../providers/stripe-client.js");
    const stripeClient = await createStripeClient({ secretKey: SANDBOX_SECRETS.STRIPE_SECRET_KEY, apiBase: stripe.url, maxNetworkRetries: 2 });
    const endpoint = await stripeClient.webhookEndpoints.create({ url: stripeWebhookUrl, enabled_events: [...DEFAULT_STRIPE_EVENTS] });
    secrets.stripeWebhookSecret = endpoint.secret!;
    mark("webhooks", t);

    const env: Record<string, string> = {
      ...baseEnv,
      STRIPE_WEBHOOK_SECRET: endpoint.secret!,
      NEXT_PUBLIC_BASE_URL: app.url,
      CALENDLY_WEBHOOK_URL: calendlyWebhookUrl,
      STRIPE_WEBHOOK_URL: stripeWebhookUrl,
    };
    vercel.setEnv(
      Object.keys(env)
        .filter((k) => !k.startsWith("BOOKFLOW_") && !k.endsWith("_API_BASE"))
        .map((key) => ({ key, type: isSecretName(key) ? "encrypted" : "plain", target: ["production", "preview"] })),
    );
    timings.total = Math.round(performance.now() - started);
    stage(null);
    say(`sandbox ready in ${timings.total} ms (database ${dbHandle.origin === "image" ? "from its image" : dbHandle.origin}; ${Object.entries(timings).filter(([k]) => k !== "total").map(([k, v]) => `${k} ${v} ms`).join(", ")})`);
    return { env, databaseUrl: dbHandle.url, databaseOrigin: dbHandle.origin, app, calendly, stripe, sendgrid, vercel, monitoring, dns, timings, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

function isSecretName(key: string): boolean {
  return /TOKEN|SECRET|KEY|DATABASE_URL|DIRECT_URL/.test(key) && !key.startsWith("NEXT_PUBLIC_") && key !== "STRIPE_PUBLISHABLE_KEY";
}

interface DatabaseHandle {
  url: string;
  /** How the embedded database came to be: unpacked from the image, made new (no image yet), opened as it was, or not embedded. */
  origin: "image" | "new" | "reused" | "external";
  /** For a database made new: make the image from it (once it is migrated and seeded). */
  saveImage?: () => Promise<void>;
  stop(): Promise<void>;
}

/**
 * The sandbox's database: DATABASE_URL as given, or PGlite served on a loopback port so other processes can share it.
 * A new data directory is unpacked from the migrated, seeded image (src/sandbox/pglite-image.ts) when there is one.
 */
async function startDatabase(options: SandboxOptions): Promise<DatabaseHandle> {
  if (options.databaseUrl) return { url: options.databaseUrl, origin: "external", stop: async () => {} };
  const dataDir = options.dataDir ?? join(".bookflow", "sandbox", "pglite");
  const [{ PGlite }, { servePGlite }, image] = await Promise.all([import("@electric-sql/pglite"), import("./pglite-server.js"), import("./pglite-image.js")]);
  const fresh = await image.isNewDataDir(dataDir);
  if (!dataDir.startsWith("memory://")) await mkdir(dataDir, { recursive: true });
  const file = fresh && options.imageCache !== false ? image.imageFile(options.imageCache ?? image.imageCacheDir(), await image.imageKey()) : undefined;
  let pglite: InstanceType<typeof PGlite> | undefined;
  let origin: DatabaseHandle["origin"] = fresh ? "new" : "reused";
  if (file && existsSync(file)) {
    options.stage?.("unpacking the database image");
    try {
      // On disk, the image's files are written by Node and PGlite opens the directory as one it made; in memory,
      // PGlite loads the tarball itself.
      if (dataDir.startsWith("memory://")) pglite = await PGlite.create({ dataDir, loadDataDir: await image.readImage(file) });
      else if (await image.unpackImage(file, dataDir)) pglite = await PGlite.create(dataDir);
      if (pglite) origin = "image";
    } catch (err) {
      // An image that cannot be unpacked (cut short, another PGlite's): forget it, start the directory anew, make it again.
      options.progress?.(`the sandbox's database image could not be loaded (${(err as Error).message}); making a new one`);
      await image.discardImage(file!);
      if (!dataDir.startsWith("memory://")) {
        await rm(dataDir, { recursive: true, force: true });
        await mkdir(dataDir, { recursive: true });
      }
    }
  }
  if (!pglite && fresh) options.stage?.("creating the database");
  pglite ??= await PGlite.create(dataDir);
  const db = pglite;
  const served = await servePGlite(db);
  return {
    url: served.url,
    origin,
    saveImage: origin === "new" && file ? () => image.writeImage(db, file) : undefined,
    stop: async () => {
      await served.stop();
      await db.close();
    },
  };
}
