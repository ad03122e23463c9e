import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { PrismaClient } from "../generated/prisma/client.js";
import type { SqlClient } from "../db/sql.js";
import type { PaymentsGateway } from "../core/ports.js";
import type { IntakeResult, WebhookIntake } from "../core/webhook-intake.js";
import { attachCheckoutSession } from "../core/bookings.js";
import { WEBHOOK_PROVIDER_IDS, WEBHOOK_PROVIDERS, type WebhookProviderId } from "../providers/webhook-providers.js";
import { APP_LIMIT_DEFAULTS, type TrustedProxy } from "../config/app-env.js";
import { signatureHeaderShape } from "../providers/signature.js";
import { BodyBudget, BodyBudgetExceeded, BodyTooLarge, clientKey, readBody, sendJson } from "./http.js";
import { createClientKeyer } from "./client-address.js";
import { createRateLimiter } from "./rate-limiter.js";

/**
 * The reference booking app: the HTTP surface the platform exposes (webhooks,
 * marketplace, health), over the booking core. `bookflow serve` runs it; the
 * sandbox and the scenarios run against it.
 */

export interface AppLogEntry {
  time: string;
  level: "info" | "warn" | "error";
  msg: string;
  [key: string]: unknown;
}

export interface AppDeps {
  prisma: PrismaClient;
  /**
   * Parameterised SQL on the same database (db.sql): when given, a new Checkout session is attached in one
   * statement that takes the booking's advisory lock, as the webhook intake does, so a payment delivered at the
   * same moment neither waits on nor retries because of it. Without it, attachCheckoutSession (Prisma).
   */
  sql?: SqlClient;
  intake: WebhookIntake;
  /** Sends queued emails; called after each webhook that queued some, and on a timer. */
  notifier?: { dispatchPending(opts?: { bookingIds?: string[]; limit?: number }): Promise<{ sent: number; failed: number }> };
  /** Performs the refunds and Calendly cancellations left PENDING (a crash, a provider outage): on the sweep timer. */
  intents?: { runDue(opts?: { limit?: number }): Promise<{ status: string }[]> };
  /** Creates Stripe Checkout sessions for paid bookings. */
  payments?: PaymentsGateway;
  /** How long a booking's Checkout session stays open (Stripe: 30 minutes to 24 hours; default Stripe's 24 hours). When it expires unpaid, the booking is cancelled and its slot released. */
  checkoutExpiryMinutes?: number | undefined;
  calendlySigningKey: string;
  /** A function when the secret is only known after start-up (the sandbox registers the endpoint on the app's URL). */
  stripeWebhookSecret: string | (() => string);
  /** Public base URL (NEXT_PUBLIC_BASE_URL): checkout return URLs and the allowed CORS origin for public GET routes. */
  baseUrl: string;
  version: string;
  commit?: string | undefined;
  /** Requests a minute a client may make that fail the signature check (signed deliveries are never limited). */
  rateLimitPerMinute: number;
  /** Proxies whose X-Forwarded-For names the client the rate limit counts (BOOKFLOW_TRUSTED_PROXIES); none: the socket's address. */
  trustedProxies?: readonly TrustedProxy[];
  /** Connection cap, body bytes held at once, header and request timeouts (defaults: APP_LIMIT_DEFAULTS). */
  limits?: Partial<AppLimits>;
  log?: (entry: AppLogEntry) => void;
  /** How often leftover emails (failed earlier) and due intents are retried; 0 disables the timer. */
  emailSweepMs?: number;
  /** How long queued emails wait to be sent together (default 25 ms). */
  emailBatchMs?: number;
}

export type AppLimits = { -readonly [K in keyof typeof APP_LIMIT_DEFAULTS]: number };

export interface RunningApp {
  url: string;
  server: Server;
  /** Request body bytes held now and at most since start (bounded by limits.bodyBytesInFlight). */
  bodyBytes: { readonly inFlight: number; readonly peak: number; readonly maxBytes: number };
  /** Stops accepting, finishes in-flight requests and email sends. Does not close the database. */
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse, ctx: RequestContext) => Promise<void>;
interface RequestContext {
  params: Record<string, string>;
  note: Record<string, unknown>;
}

export function createApp(deps: AppDeps): { server: Server; listen(port?: number, host?: string): Promise<RunningApp> } {
  const log = deps.log ?? ((e: AppLogEntry) => process.stdout.write(JSON.stringify(e) + "\n"));
  const limiter = createRateLimiter({ perMinute: deps.rateLimitPerMinute });
  const clientKeyOf = createClientKeyer(deps.trustedProxies);
  const limits: AppLimits = { ...APP_LIMIT_DEFAULTS, ...deps.limits };
  const bodyBudget = new BodyBudget(limits.bodyBytesInFlight);
  const background = new Set<Promise<unknown>>();
  const publicOrigin = new URL(deps.baseUrl).origin;

  function track(p: Promise<unknown>): void {
    const t = p.catch((err: unknown) => log({ time: new Date().toISOString(), level: "error", msg: "background task failed", error: errorText(err) }));
    background.add(t);
    void t.finally(() => background.delete(t));
  }

  // Emails queued by webhooks are sent in small batches: one claim for many
  // bookings instead of one per event, which keeps the webhook path fast.
  const emailBatch = new Set<string>();
  let emailTimer: NodeJS.Timeout | undefined;
  function flushEmails(): void {
    emailTimer = undefined;
    const ids = [...emailBatch];
    emailBatch.clear();
    for (let i = 0; i < ids.length; i += 200) {
      const chunk = ids.slice(i, i + 200);
      track(deps.notifier!.dispatchPending({ bookingIds: chunk, limit: chunk.length * 4 }));
    }
  }
  function dispatchEmails(bookingIds?: string[]): void {
    if (!deps.notifier) return;
    if (!bookingIds) return track(deps.notifier.dispatchPending({}));
    for (const id of bookingIds) emailBatch.add(id);
    emailTimer ??= setTimeout(flushEmails, deps.emailBatchMs ?? 25);
  }

  /** Each provider's signing secret, read when a delivery arrives. */
  const signingSecrets: Record<WebhookProviderId, () => string> = {
    calendly: () => deps.calendlySigningKey,
    stripe: () => (typeof deps.stripeWebhookSecret === "function" ? deps.stripeWebhookSecret() : deps.stripeWebhookSecret),
  };

  /**
   * Answers a delivery that is not (or cannot be shown to be) signed by the provider. Only these count against the
   * client's rate limit: a correctly signed delivery is never limited, so junk from an address (a shared proxy's)
   * cannot lock out the real deliveries that come through it. Past the limit, 429 instead of the refusal.
   */
  function refuseUnsigned(req: IncomingMessage, res: ServerResponse, ctx: RequestContext, provider: WebhookProviderId, outcome: string, status: number, body: object, headers: Record<string, string> = {}): void {
    const limited = limiter.take(`${provider}:${clientKeyOf(req)}`);
    if (!limited.allowed) {
      ctx.note.outcome = "rate_limited";
      ctx.note.refused = outcome;
      return sendJson(res, 429, { error: "rate_limited", message: "Too many unsigned or wrongly signed requests; retry later." }, { ...headers, "retry-after": String(limited.retryAfterSeconds) });
    }
    ctx.note.outcome = outcome;
    sendJson(res, status, body, headers);
  }

  const webhook = (provider: WebhookProviderId): Handler => async (req, res, ctx) => {
    const entry = WEBHOOK_PROVIDERS[provider];
    const header = req.headers[entry.signatureHeader];
    const headerValue = Array.isArray(header) ? header[0] : header;
    // A missing or misshapen signature header is refused before a byte of the body is read.
    const shape = signatureHeaderShape(headerValue, entry.signatureHeader);
    if (!shape.ok) return refuseUnsigned(req, res, ctx, provider, `signature_${shape.reason}`, 401, { error: "invalid_signature", reason: shape.reason, message: shape.message }, { connection: "close" });
    let raw: Buffer;
    try {
      raw = await readBody(req, { budget: { budget: bodyBudget, client: clientKeyOf(req), heldUntil: res } });
    } catch (err) {
      if (err instanceof BodyTooLarge) return refuseUnsigned(req, res, ctx, provider, "too_large", 413, { error: "payload_too_large", message: err.message }, { connection: "close" });
      if (err instanceof BodyBudgetExceeded) {
        ctx.note.outcome = "busy";
        return sendJson(res, 503, { error: "busy", message: err.message }, { connection: "close", "retry-after": "1" });
      }
      throw err;
    }
    const check = await entry.verify(raw, headerValue, signingSecrets[provider]());
    if (!check.ok) return refuseUnsigned(req, res, ctx, provider, `signature_${check.reason}`, 401, { error: "invalid_signature", reason: check.reason, message: check.message });
    // Stripe's verifier already parsed the event; parse only when it did not.
    let body: unknown = "event" in check ? check.event : undefined;
    try {
      body ??= JSON.parse(raw.toString("utf8"));
    } catch {
      ctx.note.outcome = "malformed_json";
      return sendJson(res, 400, { error: "malformed_json", message: "The body is not valid JSON." });
    }
    const result = await deps.intake.receive(provider, body, { raw });
    ctx.note.outcome = result.outcome;
    ctx.note.event = result.eventType;
    if (result.bookingId) ctx.note.booking = result.bookingId;
    if (result.sanitized) {
      // What jsonb refused was replaced in the stored payload: the raw body's hash ties the row to what was signed.
      ctx.note.sanitized = result.sanitized;
      ctx.note.rawSha256 = result.rawSha256;
    }
    if (result.outcome === "invalid") {
      return sendJson(res, 400, { error: "invalid_payload", message: result.message, issues: result.issues ?? [] });
    }
    if (result.checkoutNeeded && deps.payments) {
      try {
        await createCheckout(result.checkoutNeeded.bookingId, result.checkoutDetails);
      } catch (err) {
        // The booking is recorded; answering 500 makes Calendly retry, and the
        // retry (a duplicate) creates the missing checkout session.
        ctx.note.outcome = "checkout_failed";
        ctx.note.error = errorText(err);
        return sendJson(res, 500, { error: "checkout_failed", message: "The booking was recorded but its Stripe Checkout session could not be created; the delivery will be retried." });
      }
    }
    if (result.outcome === "processed" && result.bookingId) dispatchEmails([result.bookingId]);
    return sendJson(res, 200, summary(result));
  };

  /** `known`: the details the intake returned with a booking it just created (no lookup needed), else read here. */
  async function createCheckout(bookingId: string, known?: IntakeResult["checkoutDetails"]): Promise<void> {
    let details = known;
    if (!details) {
      const booking = await deps.prisma.booking.findUnique({ where: { id: bookingId }, include: { sessionType: true } });
      if (!booking || booking.stripeCheckoutSessionId) return;
      details = {
        bookingId: booking.id,
        calendlyInviteeUri: booking.calendlyInviteeUri,
        amountCents: booking.amountCents,
        currency: booking.currency,
        productName: booking.sessionType.title,
        customerEmail: booking.inviteeEmail,
        stripePriceId: booking.sessionType.stripePriceId,
      };
    }
    // Stripe's Idempotency-Key from the booking: a create repeated after a crash between Stripe's answer and the
    // attach below (the delivery is redelivered, or the sweep finds the booking) gets the same session instead of a
    // second one. A key must come with the same parameters, so an expiry is rounded up to a 10-minute boundary:
    // repeats within those 10 minutes share key and session.
    const expiresAt = deps.checkoutExpiryMinutes ? new Date(Math.ceil((Date.now() + deps.checkoutExpiryMinutes * 60_000) / 600_000) * 600_000) : undefined;
    const session = await deps.payments!.createCheckoutSession({
      ...details,
      ...(expiresAt ? { expiresAt } : {}),
      successUrl: `${deps.baseUrl}/bookings/${details.bookingId}?paid=1`,
      cancelUrl: `${deps.baseUrl}/bookings/${details.bookingId}?cancelled=1`,
      idempotencyKey: `checkout:${details.bookingId}${expiresAt ? `:${expiresAt.getTime() / 1000}` : ""}`,
    });
    if (!deps.sql) {
      await attachCheckoutSession(deps.prisma, details.bookingId, session.id);
      return;
    }
    // Only fills an empty slot (as attachCheckoutSession does); the lock (key: the invitee URI, else the booking id,
    // as the intake's) is taken before the booking row is read.
    await deps.sql.query(
      `WITH l AS MATERIALIZED (SELECT pg_advisory_xact_lock(hashtext($3)))
       UPDATE "Booking" SET "stripeCheckoutSessionId" = $2, "updatedAt" = $4::timestamp
        WHERE id = $1 AND "stripeCheckoutSessionId" IS NULL AND EXISTS (SELECT 1 FROM l)`,
      [details.bookingId, session.id, details.calendlyInviteeUri ?? details.bookingId, new Date().toISOString()],
    );
  }

  const health: Handler = async (_req, res, ctx) => {
    const started = performance.now();
    try {
      await deps.prisma.$queryRawUnsafe("SELECT 1");
      const latencyMs = round(performance.now() - started);
      sendJson(res, 200, { status: "ok", database: { up: true, latencyMs }, version: deps.version, commit: deps.commit ?? null });
    } catch (err) {
      ctx.note.error = errorText(err);
      sendJson(res, 503, { status: "degraded", database: { up: false, error: "database unreachable" }, version: deps.version, commit: deps.commit ?? null });
    }
  };

  const builders: Handler = async (req, res) => {
    const rows = await deps.prisma.builderProfile.findMany({
      where: { visible: true },
      orderBy: { displayName: "asc" },
      include: { sessionTypes: { where: { active: true }, orderBy: { priceCents: "asc" } } },
    });
    sendJson(res, 200, { builders: rows.map(publicBuilder) }, corsFor(req));
  };

  const builder: Handler = async (req, res, ctx) => {
    const row = await deps.prisma.builderProfile.findFirst({
      where: { slug: ctx.params.slug!, visible: true },
      include: { sessionTypes: { where: { active: true }, orderBy: { priceCents: "asc" } } },
    });
    if (!row) return sendJson(res, 404, { error: "not_found", message: `No visible builder with slug ${ctx.params.slug}` }, corsFor(req));
    sendJson(res, 200, { builder: publicBuilder(row) }, corsFor(req));
  };

  function corsFor(req: IncomingMessage): Record<string, string> {
    const origin = req.headers.origin;
    return origin === publicOrigin ? { "access-control-allow-origin": publicOrigin, vary: "Origin" } : { vary: "Origin" };
  }

  const routes: { method: string; pattern: RegExp; keys: string[]; handler: Handler }[] = [
    ...WEBHOOK_PROVIDER_IDS.map((id) => ({ method: "POST", pattern: new RegExp(`^/api/webhooks/${id}$`), keys: [], handler: webhook(id) })),
    { method: "GET", pattern: /^\/api\/health$/, keys: [], handler: health },
    { method: "GET", pattern: /^\/api\/marketplace\/builders$/, keys: [], handler: builders },
    { method: "GET", pattern: /^\/api\/builders\/([a-z0-9-]{1,100})$/, keys: ["slug"], handler: builder },
  ];

  // Node checks the header and request timeouts on connectionsCheckingInterval (30 s by default: longer than they are).
  const timeouts = { headersTimeout: limits.headersTimeoutMs, requestTimeout: Math.max(limits.requestTimeoutMs, limits.headersTimeoutMs), keepAliveTimeout: 5_000, connectionsCheckingInterval: Math.min(1_000, limits.headersTimeoutMs) };
  const server = createServer(timeouts, (req, res) => {
    const started = performance.now();
    const ctx: RequestContext = { params: {}, note: {} };
    const path = (req.url ?? "/").split("?")[0]!;
    res.on("finish", () => {
      log({
        time: new Date().toISOString(),
        level: res.statusCode >= 500 ? "error" : res.statusCode >= 400 ? "warn" : "info",
        msg: "request",
        method: req.method,
        path,
        status: res.statusCode,
        latencyMs: round(performance.now() - started),
        client: clientKey(req),
        ...ctx.note,
      });
    });
    const matching = routes.filter((r) => r.pattern.test(path));
    if (!matching.length) return sendJson(res, 404, { error: "not_found", message: `No route for ${path}` });
    const route = matching.find((r) => r.method === req.method || (r.method === "GET" && req.method === "HEAD"));
    if (!route) {
      res.setHeader("allow", matching.map((r) => r.method).join(", "));
      return sendJson(res, 405, { error: "method_not_allowed", message: `${req.method} is not allowed on ${path}` });
    }
    const m = route.pattern.exec(path)!;
    route.keys.forEach((k, i) => (ctx.params[k] = decodeURIComponent(m[i + 1]!)));
    route.handler(req, res, ctx).catch((err: unknown) => {
      ctx.note.error = errorText(err);
      if (!res.headersSent) sendJson(res, 500, { error: "internal_error", message: "The request could not be processed." });
      else res.destroy();
    });
  });
  server.maxConnections = limits.maxConnections;

  let sweep: NodeJS.Timeout | undefined;

  /**
   * Checkouts still owed: a paid booking PENDING/UNPAID with no Checkout session, older than the request that
   * created it could still be creating one. The booking row is the durable record of the owed Checkout (written
   * in the event's transaction); the provider's redelivery creates it too while the delivery is unacknowledged,
   * and this sweep covers a provider that gave up. The idempotency key makes a repeat harmless.
   */
  async function sweepCheckouts(): Promise<void> {
    const owed = await deps.prisma.booking.findMany({
      where: { status: "PENDING", paymentStatus: "UNPAID", stripeCheckoutSessionId: null, amountCents: { gt: 0 }, createdAt: { lt: new Date(Date.now() - CHECKOUT_SWEEP_AFTER_MS) } },
      orderBy: { createdAt: "asc" },
      take: 20,
      select: { id: true },
    });
    for (const b of owed) {
      try {
        await createCheckout(b.id);
      } catch (err) {
        log({ time: new Date().toISOString(), level: "warn", msg: "checkout sweep: creating a Checkout session failed", booking: b.id, error: errorText(err) });
      }
    }
  }

  return {
    server,
    listen(port = 0, host = "127.0.0.1") {
      return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          server.off("error", reject);
          const addr = server.address() as AddressInfo;
          const url = `http://${addr.address.includes(":") ? `[${addr.address}]` : addr.address}:${addr.port}`;
          const sweepMs = deps.emailSweepMs ?? 5_000;
          if ((deps.notifier || deps.intents || deps.payments) && sweepMs > 0) {
            let intentsRunning = false;
            let checkoutsRunning = false;
            sweep = setInterval(() => {
              dispatchEmails();
              // One intent sweep at a time per process; other instances are kept off an intent by its lease.
              if (deps.intents && !intentsRunning) {
                intentsRunning = true;
                track(deps.intents.runDue({ limit: 50 }).finally(() => (intentsRunning = false)));
              }
              if (deps.payments && !checkoutsRunning) {
                checkoutsRunning = true;
                track(sweepCheckouts().finally(() => (checkoutsRunning = false)));
              }
            }, sweepMs);
            sweep.unref();
          }
          resolve({
            url,
            server,
            bodyBytes: bodyBudget,
            close: async () => {
              if (sweep) clearInterval(sweep);
              if (emailTimer) {
                clearTimeout(emailTimer);
                flushEmails();
              }
              await new Promise<void>((done) => {
                server.close(() => done());
                server.closeIdleConnections();
              });
              await Promise.allSettled([...background]);
            },
          });
        });
      });
    },
  };
}

/** How old a booking without its Checkout session must be before the sweep creates one (its own request may still be at it). */
const CHECKOUT_SWEEP_AFTER_MS = 30_000;

function summary(r: IntakeResult) {
  return { outcome: r.outcome, event: r.eventType, providerEventId: r.providerEventId, bookingId: r.bookingId, message: r.message };
}

function publicBuilder(row: {
  slug: string;
  displayName: string;
  headline: string | null;
  sessionTypes: { slug: string; title: string; durationMinutes: number; priceCents: number; currency: string; calendlyEventTypeUri: string | null }[];
}) {
  return {
    slug: row.slug,
    displayName: row.displayName,
    headline: row.headline,
    sessionTypes: row.sessionTypes.map((s) => ({
      slug: s.slug,
      title: s.title,
      durationMinutes: s.durationMinutes,
      priceCents: s.priceCents,
      currency: s.currency,
      free: s.priceCents === 0,
      calendlyEventTypeUri: s.calendlyEventTypeUri,
    })),
  };
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

