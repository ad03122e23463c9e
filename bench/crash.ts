import { execa, type ResultPromise } from "execa";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "undici";
import { openDatabase, type Database } from "../src/db/client.js";
import { applyMigrations } from "../src/db/migrations.js";
import { DEFAULT_SEED } from "../src/db/seed-data.js";
import { seed } from "../src/db/seed.js";
import { packageRoot } from "../src/package-root.js";
import { calendlyInviteeCanceled, calendlyInviteeCreated, newInviteeUri } from "../src/providers/webhook-events.js";
import { WEBHOOK_PROVIDERS, type WebhookProviderId } from "../src/providers/webhook-providers.js";
import { startSendGridEmulator } from "../src/sandbox/sendgrid/emulator.js";
import { startStripeEmulator } from "../src/sandbox/stripe/emulator.js";
import { startPgBouncer, type RunningPgBouncer } from "./support/pgbouncer.js";
import { startPrivatePostgres } from "./support/private-pg.js";
import { freePort } from "./support/free-port.js";

/**
 * The crash harness (test/app/crash.test.ts asserts on it; `npm run bench -- crash` prints it): `bookflow serve`
 * as a process (one or more instances) on a PostgreSQL of its own (optionally behind PgBouncer in transaction
 * mode), fed signed paid bookings, payments and cancellations with duplicates, while it `kill -9`s an instance at
 * random points of the traffic (and starts it again) and stops PostgreSQL with `pg_ctl stop -m immediate` (and
 * starts it again). Like Calendly and Stripe, it delivers every event again until it is acknowledged with a 2xx.
 * Then it waits for the workers to finish and counts what went wrong: bookings in the wrong state, owed refunds
 * lost or made twice at Stripe (the emulator's ledger), emails missing or sent more than once, acknowledged
 * Stripe events not recorded.
 */

const CALENDLY_KEY = "crash_test_calendly_signing_key";
const STRIPE_WEBHOOK_SECRET = "whsec_FAKE_crash_test_secret_0000000";
const STRIPE_KEY = "sk_test_FAKEcrashtest00000000000000";
const SENDGRID_KEY = "SG.FAKEcrashtest0.FAKEcrashtest000000000";
const SECRETS: Record<WebhookProviderId, string> = { calendly: CALENDLY_KEY, stripe: STRIPE_WEBHOOK_SECRET };

export interface CrashOptions {
  instances: number;
  pooled: boolean;
  seed: number;
  bookings?: number;
}

export interface CrashFigures {
  bookings: number;
  deliveries: number;
  attempts: number;
  kills: number;
  outages: number;
  wrongBookings: number;
  refundsOwed: number;
  refundsLost: number;
  refundsDoubled: number;
  refundsWrongAmount: number;
  emailsMissing: number;
  duplicateEmails: number;
  unrecordedEvents: number;
  failedEffects: number;
  seconds: number;
  /** The first few wrong things, for a person. */
  problems: string[];
}

// Deterministic pseudo-random numbers, so a failing run can be replayed with its seed.
function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Instance {
  port: number;
  url: string;
  child?: ResultPromise<{ stdin: "ignore"; stdout: "ignore"; stderr: "pipe"; reject: false }>;
}

export async function runCrashHarness(options: CrashOptions): Promise<CrashFigures> {
  const started = performance.now();
  const random = rng(options.seed);
  const BOOKINGS = options.bookings ?? 60;
  const bin = join(packageRoot(), "bin", "bookflow.js");
  const cleanups: (() => Promise<unknown>)[] = [];
  const apps: Instance[] = [];
  try {
    const pg = await startPrivatePostgres();
    cleanups.push(() => pg.stop());
    await execa("psql", ["-h", "127.0.0.1", "-p", String(pg.port), "-U", "postgres", "-d", "postgres", "-c", "CREATE DATABASE bookflow"]);
    const direct = pg.urlFor("bookflow");
    const db: Database = await openDatabase({ databaseUrl: direct, poolSize: 4 });
    cleanups.push(() => db.close());
    await applyMigrations(db);
    await seed(db.prisma);
    let bouncer: RunningPgBouncer | undefined;
    if (options.pooled) {
      bouncer = await startPgBouncer({ database: "bookflow", mode: "transaction", poolSize: 6, server: { host: "127.0.0.1", port: pg.port, user: "postgres" } });
      cleanups.push(() => bouncer!.stop());
    }
    const sessionTypes = DEFAULT_SEED.builders.flatMap((b) => b.sessionTypes);
    const stripe = await startStripeEmulator({ secretKey: STRIPE_KEY, prices: sessionTypes.filter((s) => s.stripePriceId).map((s) => ({ id: s.stripePriceId!, unit_amount: s.priceCents, currency: s.currency, active: true })) });
    cleanups.push(() => stripe.close());
    const sendgrid = await startSendGridEmulator({ apiKey: SENDGRID_KEY, verifiedSenders: [{ from_email: "noreply@bookflow.test", from_name: "Bookflow", verified: true }] });
    cleanups.push(() => sendgrid.close());
    for (let i = 0; i < options.instances; i++) {
      const port = await freePort();
      apps.push({ port, url: `http://127.0.0.1:${port}` });
    }
    const appEnv: Record<string, string> = {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      NO_COLOR: "1",
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

    const healthy = async (a: Instance): Promise<boolean> => {
      try {
        const res = await request(`${a.url}/api/health`, { headersTimeout: 1000, bodyTimeout: 1000 });
        await res.body.text();
        return res.statusCode === 200;
      } catch {
        return false;
      }
    };
    /** Starts (or restarts) an instance; serve exits when the database is down at start-up, so it is started until it answers. */
    const start = async (a: Instance): Promise<void> => {
      const deadline = Date.now() + 90_000;
      let lastExit = "";
      while (Date.now() < deadline) {
        if (!a.child || a.child.exitCode !== null || a.child.signalCode !== null) {
          if (a.child && a.child.exitCode !== null) lastExit = `exit ${a.child.exitCode}: ${String((await a.child).stderr ?? "").slice(-400)}`;
          const spawnOptions = { cwd: mkdtempSync(join(tmpdir(), "bookflow-crash-")), env: { ...appEnv, PORT: String(a.port) }, extendEnv: false, reject: false, stdin: "ignore", stdout: "ignore", stderr: "pipe" } as const;
          a.child = execa("node", ["--", bin, "serve", "--port", String(a.port)], spawnOptions) as unknown as Instance["child"];
        }
        if (await healthy(a)) return;
        await sleep(150);
      }
      throw new Error(`serve on port ${a.port} did not come up (last: ${lastExit || "still starting"})`);
    };
    const kill = async (a: Instance): Promise<void> => {
      a.child?.kill("SIGKILL");
      await a.child;
    };
    cleanups.push(async () => {
      for (const a of apps) a.child?.kill("SIGKILL");
      await Promise.allSettled(apps.map((a) => a.child));
    });

    await Promise.all(apps.map(start));
    const paidTypes = sessionTypes.filter((s) => s.priceCents > 0 && s.calendlyEventTypeUri).map((s) => ({ uri: s.calendlyEventTypeUri!, cents: s.priceCents }));
    const planned = Array.from({ length: BOOKINGS }, (_, i) => ({ uri: newInviteeUri(), type: paidTypes[i % paidTypes.length]!, cancelled: random() < 0.4 }));

    // The providers' side: deliver until acknowledged, to any instance that answers.
    let acked = 0;
    let attempts = 0;
    let next = 0;
    const stripeEventIds = new Set<string>();
    const deliver = async (provider: WebhookProviderId, body: string): Promise<void> => {
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
    };
    const inParallel = async <T>(items: T[], n: number, fn: (item: T) => Promise<void>) => {
      let i = 0;
      await Promise.all(
        Array.from({ length: n }, async () => {
          while (i < items.length) await fn(items[i++]!);
        }),
      );
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
    chaos.catch(() => undefined); // awaited below

    // 1. Bookings (a fifth delivered twice), 2. their payments, 3. the cancellations.
    const created = planned.map((p) => JSON.stringify(calendlyInviteeCreated({ eventTypeUri: p.type.uri, inviteeUri: p.uri, startTime: "2031-06-01T10:00:00.000Z" })));
    await inParallel([...created, ...created.filter(() => random() < 0.2)], 6, (body) => deliver("calendly", body));
    await inParallel(planned, 4, async (p) => {
      let sessionId: string | null = null;
      for (let i = 0; i < 300 && !sessionId; i++) {
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
    await inParallel(
      planned.filter((p) => p.cancelled),
      4,
      async (p) => {
        const body = JSON.stringify(calendlyInviteeCanceled({ eventTypeUri: p.type.uri, inviteeUri: p.uri }));
        await deliver("calendly", body);
        if (random() < 0.2) await deliver("calendly", body);
      },
    );
    traffic = false;
    await chaos;
    for (const a of apps) await start(a);

    // The workers finish what the crashes left: refunds and emails (a bounded wait: what is left counts below).
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const [intents, emails] = await Promise.all([db.prisma.effectIntent.count({ where: { status: "PENDING" } }), db.prisma.emailMessage.count({ where: { status: { not: "SENT" } } })]);
      if (!intents && !emails) break;
      await sleep(300);
    }

    const figures: CrashFigures = {
      bookings: BOOKINGS,
      deliveries: acked,
      attempts,
      kills,
      outages,
      wrongBookings: 0,
      refundsOwed: 0,
      refundsLost: 0,
      refundsDoubled: 0,
      refundsWrongAmount: 0,
      emailsMissing: 0,
      duplicateEmails: 0,
      unrecordedEvents: 0,
      failedEffects: await db.prisma.effectIntent.count({ where: { status: { not: "DONE" } } }),
      seconds: 0,
      problems: [],
    };
    const problem = (text: string) => figures.problems.length < 10 && figures.problems.push(text);
    const inbox = sendgrid.inbox();
    for (const p of planned) {
      const b = await db.prisma.booking.findUniqueOrThrow({ where: { calendlyInviteeUri: p.uri } });
      const want = p.cancelled ? "CANCELLED/REFUNDED" : "CONFIRMED/PAID";
      if (`${b.status}/${b.paymentStatus}` !== want) {
        figures.wrongBookings++;
        problem(`${p.uri}: ${b.status}/${b.paymentStatus}, expected ${want}`);
      }
      const listed = (await (await request(`${stripe.url}/v1/refunds?payment_intent=${b.stripePaymentIntentId}`, { headers: { authorization: `Bearer ${STRIPE_KEY}` } })).body.json()) as { data: { amount: number; status: string }[] };
      const refunds = listed.data.filter((r) => r.status !== "failed" && r.status !== "canceled");
      if (p.cancelled) {
        figures.refundsOwed++;
        if (refunds.length === 0) figures.refundsLost++;
        if (refunds.length > 1) figures.refundsDoubled++;
        if (refunds.length === 1 && refunds[0]!.amount !== p.type.cents) figures.refundsWrongAmount++;
      } else if (refunds.length) {
        figures.refundsDoubled++;
        problem(`${p.uri}: refunded although not cancelled`);
      }
      for (const kind of p.cancelled ? ["CONFIRMATION", "RECEIPT", "CANCELLATION"] : ["CONFIRMATION", "RECEIPT"]) {
        const n = inbox.filter((m) => m.customArgs.bookingId === b.id && m.customArgs.kind === kind).length;
        if (n === 0) {
          figures.emailsMissing++;
          problem(`${p.uri}: no ${kind} email`);
        }
        figures.duplicateEmails += Math.max(0, n - 1);
      }
    }
    const recorded = await db.prisma.webhookEvent.count({ where: { provider: "STRIPE", providerEventId: { in: [...stripeEventIds] } } });
    figures.unrecordedEvents = stripeEventIds.size - recorded;
    figures.seconds = Math.round((performance.now() - started) / 100) / 10;
    return figures;
  } finally {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  }
}

/** `npm run bench -- crash`: the harness once alone on a direct URL, once as two instances behind PgBouncer. */
export async function benchCrash(): Promise<Record<string, number | string>> {
  const out: Record<string, number | string> = {};
  for (const config of [
    { name: "1 instance, direct", instances: 1, pooled: false, seed: 20261203 },
    { name: "2 instances, PgBouncer", instances: 2, pooled: true, seed: 20261204 },
  ]) {
    const f = await runCrashHarness({ ...config, bookings: 100 });
    out[`${config.name}: deliveries acknowledged (attempts)`] = `${f.deliveries} (${f.attempts})`;
    out[`${config.name}: kills, database outages`] = `${f.kills}, ${f.outages}`;
    out[`${config.name}: bookings wrong (floor 0)`] = f.wrongBookings;
    out[`${config.name}: refunds owed, lost, doubled (floor: lost 0, doubled 0)`] = `${f.refundsOwed}, ${f.refundsLost}, ${f.refundsDoubled}`;
    out[`${config.name}: emails missing (floor 0)`] = f.emailsMissing;
    out[`${config.name}: duplicate emails (ceiling: one per crash or outage per instance = ${(f.kills + f.outages) * config.instances})`] = f.duplicateEmails;
    out[`${config.name}: acknowledged events not recorded (floor 0)`] = f.unrecordedEvents;
    out[`${config.name}: effects not done (floor 0)`] = f.failedEffects;
    out[`${config.name}: seconds`] = f.seconds;
  }
  return out;
}
