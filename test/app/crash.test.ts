import { execa, type ResultPromise } from "execa";
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { request } from "undici";
import { openDatabase, type Database } from "../../src/db/client.js";
import { applyMigrations } from "../../src/db/migrations.js";
import { DEFAULT_SEED } from "../../src/db/seed-data.js";
import { seed } from "../../src/db/seed.js";
import { WEBHOOK_PROVIDERS, type WebhookProviderId } from "../../src/providers/webhook-providers.js";
import { startSendGridEmulator, type SendGridEmulator } from "../../src/sandbox/sendgrid/emulator.js";
import { startStripeEmulator, type StripeEmulator } from "../../src/sandbox/stripe/emulator.js";
import { BIN, cleanEnv, tempDir } from "../support/cli.js";
import { startPgBouncer, type RunningPgBouncer } from "../support/pgbouncer.js";
import { startPrivatePostgres, type PrivatePostgres } from "../support/private-pg.js";
import { calendlyInviteeCanceled, calendlyInviteeCreated, newInviteeUri } from "../support/webhook-fixtures.js";

/**
 * The crash test: `bookflow serve` on a PostgreSQL of the test's own, fed signed paid bookings, payments and
 * cancellations with duplicates, while the test `kill -9`s the app at random points (and starts it again) and
 * stops PostgreSQL with `pg_ctl stop -m immediate` (and starts it again). Like Calendly and Stripe, the test
 * delivers every event again until it is acknowledged with a 2xx. At the end:
 *   - every booking is exactly right (CONFIRMED/PAID, or CANCELLED/REFUNDED when cancelled ahead of time);
 *   - every owed refund was made exactly once at Stripe (the emulator's ledger) and recorded;
 *   - every email was sent, at most one duplicate per crash or outage per instance (the one in flight);
 *   - every acknowledged event is recorded.
 * Once with one instance on a direct URL, once with two instances through PgBouncer in transaction mode.
 */

const CALENDLY_KEY = "crash_test_calendly_signing_key";
const STRIPE_WEBHOOK_SECRET = "whsec_crash_test_secret_000000000000";
const STRIPE_KEY = "sk_test_crashtest000000000000000000";
const SENDGRID_KEY = "SG.crashtest0000.crashtest00000000000000";
const SECRETS: Record<WebhookProviderId, string> = { calendly: CALENDLY_KEY, stripe: STRIPE_WEBHOOK_SECRET };

// Deterministic pseudo-random numbers, so a failing run can be replayed with its seed.
function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Instance {
  port: number;
  url: string;
  child?: ResultPromise;
}

describe.each([
  { instances: 1, pooled: false, seed: 20261203 },
  { instances: 2, pooled: true, seed: 20261204 },
])("kill -9 and database crashes under signed traffic ($instances instance(s), PgBouncer: $pooled)", ({ instances, pooled, seed: seedValue }) => {
  let pg: PrivatePostgres;
  let bouncer: RunningPgBouncer | undefined;
  let db: Database;
  let stripe: StripeEmulator;
  let sendgrid: SendGridEmulator;
  const apps: Instance[] = [];
  let appUrlEnv: Record<string, string>;

  beforeAll(async () => {
    pg = await startPrivatePostgres();
    await execa("psql", ["-h", "127.0.0.1", "-p", String(pg.port), "-U", "postgres", "-d", "postgres", "-c", "CREATE DATABASE bookflow"]);
    const direct = pg.urlFor("bookflow");
    db = await openDatabase({ databaseUrl: direct, poolSize: 4 });
    await applyMigrations(db);
    await seed(db.prisma);
    if (pooled) bouncer = await startPgBouncer({ database: "bookflow", mode: "transaction", poolSize: 6, server: { host: "127.0.0.1", port: pg.port, user: "postgres" } });
    const sessionTypes = DEFAULT_SEED.builders.flatMap((b) => b.sessionTypes);
    stripe = await startStripeEmulator({ secretKey: STRIPE_KEY, prices: sessionTypes.filter((s) => s.stripePriceId).map((s) => ({ id: s.stripePriceId!, unit_amount: s.priceCents, currency: s.currency, active: true })) });
    sendgrid = await startSendGridEmulator({ apiKey: SENDGRID_KEY, verifiedSenders: [{ from_email: "noreply@bookflow.test", from_name: "Bookflow", verified: true }] });
    for (let i = 0; i < instances; i++) {
      const port = await freePort();
      apps.push({ port, url: `http://127.0.0.1:${port}` });
    }
    appUrlEnv = {
      DATABASE_URL: bouncer ? bouncer.url : direct,
      DIRECT_URL: direct,
      CALENDLY_WEBHOOK_SIGNING_KEY: CALENDLY_KEY,
      STRIPE_WEBHOOK_SECRET,
      STRIPE_SECRET_KEY: STRIPE_KEY,
      STRIPE_API_BASE: stripe.url,
      SENDGRID_API_KEY: SENDGRID_KEY,
      SENDGRID_API_BASE: sendgrid.url,
      SENDGRID_FROM_EMAIL: "noreply@bookflow.test",
      NEXT_PUBLIC_BASE_URL: "https://app.bookflow.test",
      BOOKFLOW_SWEEP_SECONDS: "0.3",
      BOOKFLOW_EFFECT_LEASE_SECONDS: "3",
      BOOKFLOW_EFFECT_RETRY_SECONDS: "0.3",
      BOOKFLOW_RATE_LIMIT_PER_MINUTE: "100000",
    };
  }, 120_000);

  afterAll(async () => {
    for (const a of apps) a.child?.kill("SIGKILL");
    await Promise.allSettled(apps.map((a) => a.child));
    await db?.close();
    await bouncer?.stop();
    await pg?.stop();
    await stripe?.close();
    await sendgrid?.close();
  });

  async function healthy(a: Instance): Promise<boolean> {
    try {
      const res = await request(`${a.url}/api/health`, { headersTimeout: 1000, bodyTimeout: 1000 });
      await res.body.text();
      return res.statusCode === 200;
    } catch {
      return false;
    }
  }

  /** Starts (or restarts) an instance; serve exits when the database is down at start-up, so it is started until it answers. */
  async function start(a: Instance): Promise<void> {
    const deadline = Date.now() + 90_000;
    let lastExit = "";
    while (Date.now() < deadline) {
      if (!a.child || a.child.exitCode !== null || a.child.signalCode !== null) {
        if (a.child && a.child.exitCode !== null) lastExit = `exit ${a.child.exitCode}: ${String((await a.child).stderr ?? "").slice(-400)}`;
        a.child = execa("node", ["--", BIN, "serve", "--port", String(a.port)], { cwd: tempDir(), env: cleanEnv({ ...appUrlEnv, PORT: String(a.port) }), extendEnv: false, reject: false, stdin: "ignore", stdout: "ignore", stderr: "pipe" });
      }
      if (await healthy(a)) return;
      await sleep(150);
    }
    throw new Error(`serve on port ${a.port} did not come up (last: ${lastExit || "still starting"})`);
  }

  async function kill(a: Instance): Promise<void> {
    a.child?.kill("SIGKILL");
    await a.child;
  }

  it("ends with every booking right, every owed refund made once, every email sent with at most one duplicate per crash", { timeout: 240_000 }, async () => {
    const random = rng(seedValue);
    await Promise.all(apps.map(start));
    const paidTypes = DEFAULT_SEED.builders.flatMap((b) => b.sessionTypes.filter((s) => s.priceCents > 0 && s.calendlyEventTypeUri).map((s) => ({ uri: s.calendlyEventTypeUri!, cents: s.priceCents })));
    const BOOKINGS = 60;
    const planned = Array.from({ length: BOOKINGS }, (_, i) => ({ uri: newInviteeUri(), type: paidTypes[i % paidTypes.length]!, cancelled: random() < 0.4 }));

    // The providers' side: deliver until acknowledged, to any instance that answers.
    let acked = 0;
    let attempts = 0;
    let next = 0;
    const stripeEventIds = new Set<string>();
    async function deliver(provider: WebhookProviderId, body: string): Promise<void> {
      const signature = await WEBHOOK_PROVIDERS[provider].sign(body, SECRETS[provider]);
      const deadline = Date.now() + 120_000;
      for (;;) {
        const a = apps[next++ % apps.length]!;
        attempts++;
        try {
          const res = await request(`${a.url}/api/webhooks/${provider}`, { method: "POST", body, headers: { "content-type": "application/json", [WEBHOOK_PROVIDERS[provider].signatureHeader]: signature }, headersTimeout: 10_000, bodyTimeout: 10_000 });
          await res.body.text();
          if (res.statusCode >= 200 && res.statusCode < 300) {
            acked++;
            return;
          }
        } catch {
          /* refused or cut: the provider tries again */
        }
        if (Date.now() > deadline) throw new Error(`a ${provider} delivery was never acknowledged`);
        await sleep(100 + random() * 200);
      }
    }
    const inParallel = async <T>(items: T[], n: number, fn: (item: T) => Promise<void>) => {
      let i = 0;
      await Promise.all(Array.from({ length: n }, async () => {
        while (i < items.length) await fn(items[i++]!);
      }));
    };

    // Chaos at random points of the traffic (by how many deliveries were acknowledged): 3 kills of an app
    // instance, 2 immediate stops of PostgreSQL. Steps not reached when the traffic ends run after it: the
    // workers' recovery is then what is tested.
    const expectedDeliveries = Math.round(BOOKINGS * 1.2 * 3.4);
    const points = Array.from({ length: 5 }, () => Math.round(expectedDeliveries * (0.05 + random() * 0.9))).sort((x, y) => x - y);
    const steps: ("kill" | "outage")[] = ["kill", "outage", "kill", "outage", "kill"];
    let kills = 0;
    let outages = 0;
    let traffic = true;
    const chaos = (async () => {
      for (let i = 0; i < steps.length; i++) {
        while (traffic && acked < points[i]!) await sleep(20);
        if (steps[i] === "kill") {
          const a = apps[Math.floor(random() * apps.length)]!;
          await kill(a);
          kills++;
          await sleep(random() * 400);
          await start(a);
        } else {
          await pg.crash();
          outages++;
          await sleep(500 + random() * 800);
          await pg.start();
        }
      }
    })();
    chaos.catch(() => undefined); // awaited below; a failure there fails the test

    // 1. Bookings (a fifth delivered twice), 2. their payments, 3. the cancellations.
    const created = planned.map((p) => JSON.stringify(calendlyInviteeCreated({ eventTypeUri: p.type.uri, inviteeUri: p.uri, startTime: "2031-06-01T10:00:00.000Z" })));
    await inParallel([...created, ...created.filter(() => random() < 0.2)], 6, (body) => deliver("calendly", body));
    await inParallel(planned, 4, async (p) => {
      let sessionId: string | null = null;
      for (let i = 0; i < 200 && !sessionId; i++) {
        sessionId = (await db.prisma.booking.findUnique({ where: { calendlyInviteeUri: p.uri }, select: { stripeCheckoutSessionId: true } }).catch(() => null))?.stripeCheckoutSessionId ?? null;
        if (!sessionId) await sleep(100);
      }
      if (!sessionId) throw new Error(`no Checkout session for ${p.uri}`);
      const { events } = await stripe.completeCheckout(sessionId);
      for (const ev of events) {
        stripeEventIds.add(ev.id);
        const body = JSON.stringify(ev);
        await deliver("stripe", body);
        if (random() < 0.2) await deliver("stripe", body);
      }
    });
    await inParallel(planned.filter((p) => p.cancelled), 4, async (p) => {
      const body = JSON.stringify(calendlyInviteeCanceled({ eventTypeUri: p.type.uri, inviteeUri: p.uri }));
      await deliver("calendly", body);
      if (random() < 0.2) await deliver("calendly", body);
    });
    traffic = false;
    await chaos;
    for (const a of apps) await start(a);

    // The workers finish what the crashes left: refunds and emails.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const [intents, emails] = await Promise.all([db.prisma.effectIntent.count({ where: { status: "PENDING" } }), db.prisma.emailMessage.count({ where: { status: { not: "SENT" } } })]);
      if (!intents && !emails) break;
      if (Date.now() > deadline) throw new Error(`still ${intents} pending effects and ${emails} unsent emails`);
      await sleep(300);
    }

    let owed = 0;
    let duplicates = 0;
    const inbox = sendgrid.inbox();
    for (const p of planned) {
      const b = await db.prisma.booking.findUniqueOrThrow({ where: { calendlyInviteeUri: p.uri } });
      expect([b.status, b.paymentStatus], p.uri).toEqual(p.cancelled ? ["CANCELLED", "REFUNDED"] : ["CONFIRMED", "PAID"]);
      const refunds = (await (await request(`${stripe.url}/v1/refunds?payment_intent=${b.stripePaymentIntentId}`, { headers: { authorization: `Bearer ${STRIPE_KEY}` } })).body.json()) as { data: { amount: number; status: string }[] };
      expect(refunds.data.map((r) => r.amount), `refunds of ${p.uri}`).toEqual(p.cancelled ? [p.type.cents] : []);
      if (p.cancelled) owed++;
      for (const kind of p.cancelled ? ["CONFIRMATION", "RECEIPT", "CANCELLATION"] : ["CONFIRMATION", "RECEIPT"]) {
        const n = inbox.filter((m) => m.customArgs.bookingId === b.id && m.customArgs.kind === kind).length;
        expect(n, `${kind} emails of ${p.uri}`).toBeGreaterThanOrEqual(1);
        duplicates += n - 1;
      }
    }
    const recorded = await db.prisma.webhookEvent.count({ where: { provider: "STRIPE", providerEventId: { in: [...stripeEventIds] } } });
    expect(recorded).toBe(stripeEventIds.size);
    expect(await db.prisma.effectIntent.count({ where: { status: "FAILED" } })).toBe(0);
    expect(kills).toBe(3);
    expect(outages).toBe(2);
    expect(duplicates).toBeLessThanOrEqual((kills + outages) * instances);
    console.log(
      `crash test (${instances} instance(s)${pooled ? ", PgBouncer transaction mode" : ""}): ${BOOKINGS} bookings, ${acked} deliveries acknowledged in ${attempts} attempts, ${kills} kills, ${outages} database outages; ${owed} refunds owed, ${owed} made once; ${duplicates} duplicate emails`,
    );
  });
});
