import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { request } from "undici";
import { createApp, type RunningApp } from "../../src/app/server.js";
import { createNotifier } from "../../src/core/notifications.js";
import type { CheckoutRequest, PaymentsGateway } from "../../src/core/ports.js";
import { createWebhookIntake } from "../../src/core/webhook-intake.js";
import { signCalendlyPayload } from "../../src/providers/calendly-signature.js";
import { CaptureMailer } from "../../src/providers/capture-mailer.js";
import { signStripePayload } from "../../src/providers/stripe-signature.js";
import { calendlyInviteeCanceled, calendlyInviteeCreated, newInviteeUri, stripeCheckoutCompleted, stripePaymentIntentSucceeded } from "../../src/providers/webhook-events.js";
import { openDatabase } from "../../src/db/client.js";
import { applyMigrations } from "../../src/db/migrations.js";
import { sqlErrorCode, UNIQUE_VIOLATION, type SqlClient, type SqlTx } from "../../src/db/sql.js";
import { createTestDatabase, type TestDatabase } from "../support/db.js";
import type { WebhookProviderId } from "../../src/providers/webhook-providers.js";

/**
 * The intake's two-statement transaction under races: every event of a booking
 * (and repeats of each) delivered at the same moment, so reads often come with
 * a snapshot from just before another delivery's commit. Whatever the
 * interleaving, each booking ends in its one right state, every event is
 * recorded exactly once, nothing stays deferred, and emails are queued once.
 */

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase({ seed: true, poolSize: 12 });
});
afterAll(async () => {
  await t?.drop();
});

class Payments implements PaymentsGateway {
  checkouts = new Map<string, string>();
  async createCheckoutSession(req: CheckoutRequest) {
    const id = `cs_test_race_${this.checkouts.size + 1}_${req.bookingId.slice(0, 8)}`;
    this.checkouts.set(req.bookingId, id);
    return { id, url: null };
  }
  async refund() {
    return { id: "re_test_race", status: "succeeded" };
  }
}

async function sessionTypes() {
  const types = await t.db.prisma.sessionType.findMany({ where: { active: true } });
  return { free: types.find((s) => s.priceCents === 0)!, paid: types.find((s) => s.priceCents > 0)! };
}

describe("concurrent deliveries for the same booking", () => {
  it("end in the right state, each event recorded once, nothing left deferred", { timeout: 60_000 }, async () => {
    const { prisma } = t.db;
    const intake = createWebhookIntake({ prisma, sql: t.db.sql });
    const { free, paid } = await sessionTypes();
    const N = 30;
    const paidUris: string[] = [];
    const freeUris: string[] = [];
    const bursts: Promise<unknown>[] = [];
    for (let i = 0; i < N; i++) {
      const p = newInviteeUri();
      paidUris.push(p);
      const ids = { calendlyInviteeUri: p, amountCents: paid.priceCents, currency: paid.currency.toLowerCase(), paymentIntentId: `pi_race_${i}` };
      const events: [WebhookProviderId, unknown][] = [
        ["calendly", calendlyInviteeCreated({ eventTypeUri: paid.calendlyEventTypeUri!, inviteeUri: p })],
        ["stripe", stripeCheckoutCompleted({ ...ids, eventId: `evt_race_cs_${i}` })],
        ["stripe", stripePaymentIntentSucceeded({ ...ids, eventId: `evt_race_pi_${i}` })],
      ];
      const f = newInviteeUri();
      freeUris.push(f);
      events.push(
        ["calendly", calendlyInviteeCreated({ eventTypeUri: free.calendlyEventTypeUri!, inviteeUri: f })],
        ["calendly", calendlyInviteeCanceled({ eventTypeUri: free.calendlyEventTypeUri!, inviteeUri: f, reason: "race" })],
      );
      // Every event twice, all at once (the order rotates so each kind sometimes comes first).
      const all = [...events, ...events];
      const rotated = [...all.slice(i % all.length), ...all.slice(0, i % all.length)];
      bursts.push(Promise.all(rotated.map(([provider, body]) => intake.receive(provider, body))));
    }
    const results = (await Promise.all(bursts)).flat() as { outcome: string }[];
    expect(results.filter((r) => !["processed", "duplicate", "deferred"].includes(r.outcome))).toEqual([]);

    const bookings = await prisma.booking.findMany({ where: { calendlyInviteeUri: { in: [...paidUris, ...freeUris] } }, include: { emails: true } });
    expect(bookings).toHaveLength(2 * N);
    for (const b of bookings) {
      const isPaid = paidUris.includes(b.calendlyInviteeUri!);
      expect([b.status, b.paymentStatus]).toEqual(isPaid ? ["CONFIRMED", "PAID"] : ["CANCELLED", "NOT_REQUIRED"]);
      expect(b.emails.map((e) => e.kind).sort()).toEqual(isPaid ? ["CONFIRMATION", "RECEIPT"] : ["CANCELLATION", "CONFIRMATION"]);
    }
    expect(await prisma.webhookEvent.count()).toBe(5 * N);
    expect(await prisma.webhookEvent.count({ where: { outcome: "DEFERRED" } })).toBe(0);
    // One audit entry per change: created + paid, created + cancelled.
    const audits = await prisma.auditLog.groupBy({ by: ["action"], where: { target: { in: bookings.map((b) => b.id) } }, _count: true });
    expect(Object.fromEntries(audits.map((a) => [a.action, a._count]))).toEqual({ "booking.created": 2 * N, "booking.paid": N, "booking.cancelled": N });
  });
});

/**
 * What the intake's write relies on, on both SqlClient implementations: a transaction whose last statement is
 * not awaited (so the COMMIT follows it at once) commits it when it succeeds, and when it fails the COMMIT
 * finds the transaction aborted and nothing is kept, while the statement's own promise rejects.
 */
describe.each([
  ["PostgreSQL", async () => ({ sql: t.db.sql, done: async () => {} })],
  [
    "PGlite",
    async () => {
      const db = await openDatabase({ dataDir: "memory://" });
      await applyMigrations(db);
      return { sql: db.sql, done: () => db.close() };
    },
  ],
] as const)("a transaction's last statement sent with its COMMIT (%s)", (_name, open) => {
  it("keeps it when it succeeds, keeps nothing when it fails", { timeout: 60_000 }, async () => {
    const { sql, done } = await open();
    try {
      const key = `race-${Math.random()}`;
      const insert = `INSERT INTO "AppSetting" (key, value, "updatedAt") VALUES ($1, '1'::jsonb, now())`;
      const ok = await sql.transaction(async (tx) => {
        await tx.query(insert, [`${key}-a`]);
        const last = tx.query(insert, [`${key}-b`]);
        last.catch(() => {});
        return { last };
      });
      await ok.last;
      const failing = await sql.transaction(async (tx) => {
        await tx.query(insert, [`${key}-c`]);
        const last = tx.query(insert, [`${key}-a`]); // a unique key hit
        last.catch(() => {});
        return { last };
      });
      const err = await failing.last.then(() => undefined, (e: unknown) => e);
      expect(sqlErrorCode(err)).toBe(UNIQUE_VIOLATION);
      const keys = await sql.query<{ key: string }>(`SELECT key FROM "AppSetting" WHERE key LIKE $1 ORDER BY key`, [`${key}-%`]);
      expect(keys.map((k) => k.key)).toEqual([`${key}-a`, `${key}-b`]);
      // The connection is fine afterwards.
      expect(await sql.transaction((tx) => tx.query<{ n: number }>(`SELECT 1 AS n`))).toEqual([{ n: 1 }]);
    } finally {
      await done();
    }
  });
});

/**
 * A SqlClient that, the first `times` times, hands the intake's lock-and-read statement a doctored row: what a
 * snapshot taken just before another delivery's commit would have shown. The write must notice, write nothing,
 * and the transaction run again (unchanged the second time).
 */
function staleOnce(sql: SqlClient, doctor: (row: Record<string, unknown>) => Record<string, unknown>, times = 1): SqlClient & { doctored: number } {
  const wrapped = {
    doctored: 0,
    query: sql.query.bind(sql),
    close: sql.close.bind(sql),
    transaction<T>(fn: (tx: SqlTx) => Promise<T>): Promise<T> {
      return sql.transaction((tx) =>
        fn({
          query: async <R>(text: string, params?: unknown[]) => {
            const rows = await tx.query<R>(text, params);
            if (text.includes("pg_try_advisory_xact_lock") && wrapped.doctored < times && rows[0]) {
              wrapped.doctored++;
              return [doctor(rows[0] as Record<string, unknown>) as R];
            }
            return rows;
          },
        }),
      );
    },
  };
  return wrapped;
}

describe("a read that missed another delivery's commit", () => {
  it("a payment that did not see its booking: nothing recorded as deferred, applied on the retry", async () => {
    const { prisma } = t.db;
    const { paid } = await sessionTypes();
    const uri = newInviteeUri();
    await createWebhookIntake({ prisma, sql: t.db.sql }).receive("calendly", calendlyInviteeCreated({ eventTypeUri: paid.calendlyEventTypeUri!, inviteeUri: uri }));
    const sql = staleOnce(t.db.sql, (row) => ({ ...row, id: null, version: null }));
    const r = await createWebhookIntake({ prisma, sql }).receive("stripe", stripePaymentIntentSucceeded({ calendlyInviteeUri: uri, amountCents: paid.priceCents, currency: paid.currency.toLowerCase(), paymentIntentId: "pi_stale_1" }));
    expect(sql.doctored).toBe(1);
    expect(r.outcome).toBe("processed");
    const b = await prisma.booking.findUniqueOrThrow({ where: { calendlyInviteeUri: uri } });
    expect([b.status, b.paymentStatus]).toEqual(["CONFIRMED", "PAID"]);
    expect(await prisma.webhookEvent.findMany({ where: { correlationKey: uri }, select: { outcome: true } })).toEqual(expect.not.arrayContaining([{ outcome: "DEFERRED" }]));
    expect(await prisma.webhookEvent.count({ where: { providerEventId: r.providerEventId! } })).toBe(1);
  });

  it("an invitee.created that did not see a deferred payment: the booking is not created without it; the retry applies it", async () => {
    const { prisma } = t.db;
    const { paid } = await sessionTypes();
    const uri = newInviteeUri();
    const early = await createWebhookIntake({ prisma, sql: t.db.sql }).receive(
      "stripe",
      stripePaymentIntentSucceeded({ calendlyInviteeUri: uri, amountCents: paid.priceCents, currency: paid.currency.toLowerCase(), paymentIntentId: "pi_stale_2" }),
    );
    expect(early.outcome).toBe("deferred");
    const sql = staleOnce(t.db.sql, (row) => ({ ...row, deferred: null }));
    const r = await createWebhookIntake({ prisma, sql }).receive("calendly", calendlyInviteeCreated({ eventTypeUri: paid.calendlyEventTypeUri!, inviteeUri: uri }));
    expect(sql.doctored).toBe(1);
    expect(r.outcome).toBe("processed");
    const b = await prisma.booking.findUniqueOrThrow({ where: { calendlyInviteeUri: uri }, include: { emails: true } });
    expect([b.status, b.paymentStatus, b.stripePaymentIntentId]).toEqual(["CONFIRMED", "PAID", "pi_stale_2"]);
    expect(b.emails.map((e) => e.kind).sort()).toEqual(["CONFIRMATION", "RECEIPT"]);
    expect(await prisma.webhookEvent.count({ where: { correlationKey: uri, outcome: "DEFERRED" } })).toBe(0);
    expect(await prisma.auditLog.count({ where: { target: b.id, action: "booking.created" } })).toBe(1);
  });

  it("a payment whose booking changed since it was read: the write changes nothing, the retry applies it to the new state", async () => {
    const { prisma } = t.db;
    const { paid } = await sessionTypes();
    const uri = newInviteeUri();
    await createWebhookIntake({ prisma, sql: t.db.sql }).receive("calendly", calendlyInviteeCreated({ eventTypeUri: paid.calendlyEventTypeUri!, inviteeUri: uri }));
    const sql = staleOnce(t.db.sql, (row) => ({ ...row, version: "1" }));
    const r = await createWebhookIntake({ prisma, sql }).receive("stripe", stripeCheckoutCompleted({ calendlyInviteeUri: uri, amountCents: paid.priceCents, currency: paid.currency.toLowerCase(), paymentIntentId: "pi_stale_3" }));
    expect(sql.doctored).toBe(1);
    expect(r.outcome).toBe("processed");
    const b = await prisma.booking.findUniqueOrThrow({ where: { calendlyInviteeUri: uri }, include: { emails: true } });
    expect([b.status, b.paymentStatus]).toEqual(["CONFIRMED", "PAID"]);
    expect(b.emails.map((e) => e.kind).sort()).toEqual(["CONFIRMATION", "RECEIPT"]);
    expect(await prisma.auditLog.count({ where: { target: b.id, action: "booking.paid" } })).toBe(1);
    expect(await prisma.webhookEvent.count({ where: { providerEventId: r.providerEventId! } })).toBe(1);
  });

  it("a repeat the read did not see: answered duplicate, nothing written twice", async () => {
    const { prisma } = t.db;
    const { free } = await sessionTypes();
    const body = calendlyInviteeCreated({ eventTypeUri: free.calendlyEventTypeUri! });
    const first = await createWebhookIntake({ prisma, sql: t.db.sql }).receive("calendly", body);
    const sql = staleOnce(t.db.sql, (row) => ({ ...row, seen: false }));
    const again = await createWebhookIntake({ prisma, sql }).receive("calendly", body);
    expect(sql.doctored).toBe(1);
    expect(again).toMatchObject({ outcome: "duplicate", bookingId: first.bookingId });
    expect(await prisma.auditLog.count({ where: { target: first.bookingId! } })).toBe(1);
    expect(await prisma.emailMessage.count({ where: { bookingId: first.bookingId! } })).toBe(1);
  });
});

describe("the app's Checkout session attach (with db.sql: under the booking's lock)", () => {
  let app: RunningApp;
  const payments = new Payments();
  const mailer = new CaptureMailer();
  const CALENDLY_KEY = "race_calendly_key_FAKE";
  const STRIPE_SECRET = "whsec_raceFAKE01234567";
  beforeAll(async () => {
    const { prisma, sql } = t.db;
    app = await createApp({
      prisma,
      sql,
      intake: createWebhookIntake({ prisma, sql, payments }),
      notifier: createNotifier({ prisma, sql, mailer }),
      payments,
      calendlySigningKey: CALENDLY_KEY,
      stripeWebhookSecret: STRIPE_SECRET,
      baseUrl: "https://app.example.test",
      version: "test",
      rateLimitPerMinute: 100_000,
      log: () => {},
      emailSweepMs: 0,
      emailBatchMs: 5,
    }).listen(0);
  });
  afterAll(async () => {
    await app?.close();
  });

  it("attaches the session while payments for the same booking arrive, and both take effect", { timeout: 60_000 }, async () => {
    const { paid } = await sessionTypes();
    const post = async (path: string, body: string, header: string, signature: string) => {
      const res = await request(`${app.url}${path}`, { method: "POST", body, headers: { "content-type": "application/json", [header]: signature } });
      return { status: res.statusCode, json: (await res.body.json()) as { outcome: string; bookingId: string | null } };
    };
    const uris = Array.from({ length: 20 }, () => newInviteeUri());
    await Promise.all(
      uris.map(async (uri, i) => {
        const created = JSON.stringify(calendlyInviteeCreated({ eventTypeUri: paid.calendlyEventTypeUri!, inviteeUri: uri }));
        const payment = JSON.stringify(stripePaymentIntentSucceeded({ calendlyInviteeUri: uri, amountCents: paid.priceCents, currency: paid.currency.toLowerCase(), paymentIntentId: `pi_attach_${i}` }));
        const [a, b] = await Promise.all([
          post("/api/webhooks/calendly", created, "calendly-webhook-signature", signCalendlyPayload(created, CALENDLY_KEY)),
          post("/api/webhooks/stripe", payment, "stripe-signature", await signStripePayload(payment, STRIPE_SECRET)),
        ]);
        expect([a.status, b.status]).toEqual([200, 200]);
      }),
    );
    const bookings = await t.db.prisma.booking.findMany({ where: { calendlyInviteeUri: { in: uris } } });
    expect(bookings).toHaveLength(uris.length);
    for (const b of bookings) {
      expect([b.status, b.paymentStatus]).toEqual(["CONFIRMED", "PAID"]);
      expect(b.stripePaymentIntentId).toMatch(/^pi_attach_/);
      // The session the app created is attached (when the payment came first, the booking was paid on creation: no session needed).
      if (payments.checkouts.has(b.id)) expect(b.stripeCheckoutSessionId).toBe(payments.checkouts.get(b.id));
    }
    expect(payments.checkouts.size).toBeGreaterThan(0);
    // The queued emails are sent (through db.sql here) and marked SENT: a confirmation and a receipt per booking.
    await expect
      .poll(() => t.db.prisma.emailMessage.count({ where: { bookingId: { in: bookings.map((b) => b.id) }, status: "SENT", providerMessageId: { not: null }, sentAt: { not: null } } }), { timeout: 10_000 })
      .toBe(2 * uris.length);
    expect(new Set(mailer.messages.map((m) => m.idempotencyKey)).size).toBe(mailer.messages.length);
  });
});
