import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPgBouncer, type RunningPgBouncer } from "../../bench/support/pgbouncer.js";
import { openDatabase, type Database } from "../../src/db/client.js";
import { Agent, request } from "undici";
import { WEBHOOK_PROVIDERS, type WebhookProviderId } from "../../src/providers/webhook-providers.js";
import { createTestDatabase, type TestDatabase } from "../support/db.js";
import { checkoutIdFor, startTestApp, TEST_CALENDLY_KEY, TEST_STRIPE_SECRET, type TestApp } from "../support/app.js";
import {
  calendlyInviteeCanceled,
  calendlyInviteeCreated,
  calendlyReschedule,
  scheduledEventUriOf,
  stripeChargeRefunded,
  stripeCheckoutCompleted,
  stripeCheckoutSessionEvent,
  stripeDispute,
  stripePaymentIntentSucceeded,
} from "../support/webhook-fixtures.js";

/**
 * A delivery storm over HTTP: thousands of signed deliveries sent concurrently,
 * with duplicates, payments that arrive before their booking, cancellations,
 * reschedules (both halves, in any order), Checkout sessions that expire
 * unpaid, and bad signatures; then a second wave of what happens after the
 * payment: refunds made in the Stripe dashboard (full and partial) and
 * disputes. Every booking must end in exactly the right state with exactly the
 * right emails, and every bad signature must be rejected.
 */

describe.each([{ pooled: false }, { pooled: true }])("a delivery storm (DATABASE_URL through PgBouncer in transaction mode: $pooled)", ({ pooled }) => {
let t: TestDatabase;
let db: Database;
let bouncer: RunningPgBouncer | undefined;
let app: TestApp;

beforeAll(async () => {
  t = await createTestDatabase({ seed: true, poolSize: 10 });
  if (pooled) bouncer = await startPgBouncer({ database: t.name, mode: "transaction", poolSize: 6 });
  db = bouncer ? await openDatabase({ databaseUrl: bouncer.url, poolSize: 10 }) : t.db;
  app = await startTestApp(db, { emailSweepMs: 200 });
});
afterAll(async () => {
  await app?.close();
  if (bouncer) await db?.close();
  await bouncer?.stop();
  await t?.drop();
});

// Deterministic pseudo-random numbers, so a failure can be replayed.
function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

interface Delivery {
  provider: WebhookProviderId;
  body: string;
  signature: string;
  bad: boolean;
  early?: boolean;
}

interface Planned {
  inviteeUri: string;
  /** Where the booking ends up: the reschedule's new invitee, else inviteeUri. */
  finalUri: string;
  paid: boolean;
  cancelled: boolean;
  rescheduled: boolean;
  /** A paid session type whose Checkout session expires unpaid. */
  abandoned: boolean;
  amountCents: number;
  paymentIntentId?: string;
  /** After-payment wave: what Stripe reports. */
  after?: "refunded" | "partly-refunded" | "dispute-won" | "dispute-lost";
}

it("ends with every booking in the right state and one set of emails each", { timeout: 120_000 }, async () => {
  const random = rng(20261125);
  const types = await db.prisma.sessionType.findMany();
  const free = types.filter((s) => s.priceCents === 0);
  const paid = types.filter((s) => s.priceCents > 0);
  const BOOKINGS = 900;

  const planned: Planned[] = [];
  const deliveries: Delivery[] = [];
  const secrets: Record<WebhookProviderId, { right: string; wrong: string }> = {
    calendly: { right: TEST_CALENDLY_KEY, wrong: "wrong_key_FAKE" },
    stripe: { right: TEST_STRIPE_SECRET, wrong: "whsec_FAKE_wrong" },
  };
  const sign = (provider: WebhookProviderId, body: string) => WEBHOOK_PROVIDERS[provider].sign(body, secrets[provider].right);

  const push = async (provider: WebhookProviderId, value: unknown, early = false) => {
    const body = JSON.stringify(value);
    deliveries.push({ provider, body, signature: await sign(provider, body), bad: false, early });
  };
  const AFTER: NonNullable<Planned["after"]>[] = ["refunded", "partly-refunded", "dispute-won", "dispute-lost"];
  for (let i = 0; i < BOOKINGS; i++) {
    const isPaid = random() < 0.4;
    const abandoned = !isPaid && random() < 0.06;
    const type = isPaid || abandoned ? paid[i % paid.length]! : free[i % free.length]!;
    const inviteeUri = `https://api.calendly.com/scheduled_events/${randomUUID()}/invitees/${randomUUID()}`;
    const startTime = new Date(Date.now() + (7 + (i % 20)) * 86_400_000).toISOString();
    const cancelled = !isPaid && !abandoned && random() < 0.1;
    const rescheduled = !cancelled && !abandoned && random() < 0.12;
    const p: Planned = { inviteeUri, finalUri: inviteeUri, paid: isPaid, cancelled, rescheduled, abandoned, amountCents: type.priceCents };
    planned.push(p);
    const email = `storm${i}@example.com`;
    await push("calendly", calendlyInviteeCreated({ eventTypeUri: type.calendlyEventTypeUri!, inviteeUri, email, name: `Storm ${i}`, startTime }));
    if (rescheduled) {
      const newStart = new Date(Date.parse(startTime) + 3_600_000).toISOString();
      const r = calendlyReschedule({ eventTypeUri: type.calendlyEventTypeUri!, oldInviteeUri: inviteeUri, oldStartTime: startTime, newStartTime: newStart, email, name: `Storm ${i}` });
      p.finalUri = r.newInviteeUri;
      await push("calendly", r.canceled);
      await push("calendly", r.created);
    }
    if (abandoned) {
      await push("stripe", stripeCheckoutSessionEvent("checkout.session.expired", { calendlyInviteeUri: inviteeUri, amountCents: type.priceCents, sessionId: checkoutIdFor(inviteeUri) }), random() < 0.17);
    }
    if (isPaid) {
      const paymentIntentId = `pi_storm_${i}`;
      p.paymentIntentId = paymentIntentId;
      if (random() < 0.2) p.after = AFTER[Math.floor(random() * AFTER.length)];
      const cs = JSON.stringify(stripeCheckoutCompleted({ calendlyInviteeUri: inviteeUri, amountCents: type.priceCents, paymentIntentId, sessionId: checkoutIdFor(inviteeUri) }));
      const pi = JSON.stringify(stripePaymentIntentSucceeded({ calendlyInviteeUri: inviteeUri, amountCents: type.priceCents, paymentIntentId }));
      // About 1 payment event in 6 goes out before its booking exists: over 5% of all deliveries.
      deliveries.push({ provider: "stripe", body: cs, signature: await sign("stripe", cs), bad: false, early: random() < 0.17 });
      deliveries.push({ provider: "stripe", body: pi, signature: await sign("stripe", pi), bad: false, early: random() < 0.17 });
    }
    if (p.cancelled) {
      const c = JSON.stringify(calendlyInviteeCanceled({ eventTypeUri: type.calendlyEventTypeUri!, inviteeUri, email: `storm${i}@example.com`, startTime, reason: "storm cancellation" }));
      deliveries.push({ provider: "calendly", body: c, signature: await sign("calendly", c), bad: false });
    }
  }
  const unique = deliveries.length;
  // 20% of all deliveries are exact repeats; 1% carry a bad signature.
  const total = Math.ceil(unique / 0.79);
  const extra: Delivery[] = [];
  while (extra.length < Math.round(total * 0.2)) extra.push({ ...deliveries[Math.floor(random() * unique)]! , early: false });
  const badCount = Math.round(total * 0.01);
  for (let i = 0; i < badCount; i++) {
    const d = deliveries[Math.floor(random() * unique)]!;
    const signature = await WEBHOOK_PROVIDERS[d.provider].sign(d.body, secrets[d.provider].wrong);
    extra.push({ ...d, signature, bad: true, early: false });
  }
  const all = [...deliveries, ...extra];
  for (let i = all.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  // Payments marked early go out before everything else.
  const order = [...all.filter((d) => d.early), ...all.filter((d) => !d.early)];
  expect(order.length).toBeGreaterThanOrEqual(2000);
  expect(order.filter((d) => d.early).length / order.length).toBeGreaterThanOrEqual(0.05);

  const agent = new Agent({ connections: 32 });
  const statuses = new Map<Delivery, number[]>();
  let next = 0;
  const worker = async () => {
    while (next < order.length) {
      const d = order[next++]!;
      const res = await request(`${app.url}/api/webhooks/${d.provider}`, {
        method: "POST",
        body: d.body,
        dispatcher: agent,
        headers: { "content-type": "application/json", [WEBHOOK_PROVIDERS[d.provider].signatureHeader]: d.signature },
      });
      await res.body.text();
      statuses.set(d, [...(statuses.get(d) ?? []), res.statusCode]);
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  await agent.close();

  for (const [d, codes] of statuses) {
    for (const code of codes) expect(code).toBe(d.bad ? 401 : 200);
  }

  // The second wave, once every payment is recorded: refunds made in the Stripe dashboard and disputes,
  // each sent twice, concurrently, in shuffled order.
  const wave: Delivery[] = [];
  for (const p of planned.filter((x) => x.after)) {
    const o = { paymentIntentId: p.paymentIntentId!, amountCents: p.amountCents };
    const events: { provider: WebhookProviderId; value: unknown }[] = [];
    if (p.after === "refunded") events.push({ provider: "stripe", value: stripeChargeRefunded({ ...o, refundedCents: p.amountCents }) });
    if (p.after === "partly-refunded") events.push({ provider: "stripe", value: stripeChargeRefunded({ ...o, refundedCents: Math.floor(p.amountCents / 3) }) });
    if (p.after === "dispute-won" || p.after === "dispute-lost") {
      const disputeId = `dp_storm_${p.paymentIntentId}`;
      events.push({ provider: "stripe", value: stripeDispute("charge.dispute.created", { ...o, disputeId, status: "needs_response" }) });
      events.push({ provider: "stripe", value: stripeDispute("charge.dispute.closed", { ...o, disputeId, status: p.after === "dispute-won" ? "won" : "lost" }) });
    }
    for (const e of events) {
      const body = JSON.stringify(e.value);
      const d = { provider: e.provider, body, signature: await sign(e.provider, body), bad: false };
      wave.push(d, { ...d });
    }
  }
  for (let i = wave.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [wave[i], wave[j]] = [wave[j]!, wave[i]!];
  }
  next = 0;
  order.splice(0, order.length, ...wave);
  const agent2 = new Agent({ connections: 32 });
  const waveCodes: number[] = [];
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < order.length) {
        const d = order[next++]!;
        const res = await request(`${app.url}/api/webhooks/${d.provider}`, { method: "POST", body: d.body, dispatcher: agent2, headers: { "content-type": "application/json", [WEBHOOK_PROVIDERS[d.provider].signatureHeader]: d.signature } });
        await res.body.text();
        waveCodes.push(res.statusCode);
      }
    }),
  );
  await agent2.close();
  expect(waveCodes.every((c) => c === 200)).toBe(true);

  const bookings = await db.prisma.booking.findMany();
  expect(bookings).toHaveLength(BOOKINGS);
  const byUri = new Map(bookings.map((b) => [b.calendlyInviteeUri, b]));
  const paidState = (p: Planned) =>
    p.after === "refunded" ? "REFUNDED" : p.after === "partly-refunded" ? "PARTIALLY_REFUNDED" : p.after === "dispute-lost" ? "DISPUTED" : "PAID";
  for (const p of planned) {
    const b = byUri.get(p.finalUri);
    expect(b, p.finalUri).toBeDefined();
    expect(b!.previousInviteeUris).toEqual(p.rescheduled ? [p.inviteeUri] : []);
    if (p.paid) expect([b!.status, b!.paymentStatus, b!.stripePaymentIntentId !== null]).toEqual(["CONFIRMED", paidState(p), true]);
    else if (p.abandoned) expect([b!.status, b!.paymentStatus]).toEqual(["CANCELLED", "UNPAID"]);
    else if (p.cancelled) expect([b!.status, b!.paymentStatus]).toEqual(["CANCELLED", "NOT_REQUIRED"]);
    else expect([b!.status, b!.paymentStatus]).toEqual(["CONFIRMED", "NOT_REQUIRED"]);
    if (p.after === "partly-refunded") expect(b!.refundedCents).toBe(Math.floor(p.amountCents / 3));
  }
  expect(await db.prisma.webhookEvent.count()).toBe(unique + wave.length / 2);
  // Each abandoned booking's Calendly slot was released exactly once; nothing else was.
  const released = app.scheduling.cancelled.map((c) => c.eventUri).sort();
  expect(released).toEqual(planned.filter((p) => p.abandoned).map((p) => scheduledEventUriOf(p.inviteeUri)).sort());
  expect(app.payments.refunds).toEqual([]);
  expect(await db.prisma.webhookEvent.count({ where: { outcome: "DEFERRED" } })).toBe(0);

  // Emails: wait (bounded) for the outbox to drain, then exactly one of each kind per booking.
  const deadline = Date.now() + 30_000;
  while ((await db.prisma.emailMessage.count({ where: { status: { not: "SENT" } } })) > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
  }
  const emails = await db.prisma.emailMessage.findMany();
  const count = (kind: string) => emails.filter((e) => e.kind === kind).length;
  expect(count("CONFIRMATION")).toBe(BOOKINGS - planned.filter((p) => p.abandoned).length);
  expect(count("RECEIPT")).toBe(planned.filter((p) => p.paid).length);
  expect(count("CANCELLATION")).toBe(planned.filter((p) => p.cancelled || p.abandoned).length);
  expect(count("RESCHEDULED")).toBe(planned.filter((p) => p.rescheduled).length);
  expect(emails.every((e) => e.status === "SENT")).toBe(true);
  const sentKeys = app.mailer.messages.map((m) => m.idempotencyKey);
  expect(new Set(sentKeys).size).toBe(sentKeys.length);
  expect(sentKeys).toHaveLength(emails.length);
});
});
