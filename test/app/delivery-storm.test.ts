import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Agent, request } from "undici";
import { WEBHOOK_PROVIDERS, type WebhookProviderId } from "../../src/providers/webhook-providers.js";
import { createTestDatabase, type TestDatabase } from "../support/db.js";
import { checkoutIdFor, startTestApp, TEST_CALENDLY_KEY, TEST_STRIPE_SECRET, type TestApp } from "../support/app.js";
import { calendlyInviteeCanceled, calendlyInviteeCreated, stripeCheckoutCompleted, stripePaymentIntentSucceeded } from "../support/webhook-fixtures.js";

/**
 * A delivery storm over HTTP: thousands of signed deliveries sent concurrently,
 * with duplicates, payments that arrive before their booking, cancellations,
 * and bad signatures. Every booking must end in exactly the right state with
 * exactly one set of emails, and every bad signature must be rejected.
 */

let t: TestDatabase;
let app: TestApp;

beforeAll(async () => {
  t = await createTestDatabase({ seed: true, poolSize: 10 });
  app = await startTestApp(t.db, { emailSweepMs: 200 });
});
afterAll(async () => {
  await app?.close();
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
  paid: boolean;
  cancelled: boolean;
  amountCents: number;
}

it("ends with every booking in the right state and one set of emails each", { timeout: 120_000 }, async () => {
  const random = rng(20261125);
  const types = await t.db.prisma.sessionType.findMany();
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

  for (let i = 0; i < BOOKINGS; i++) {
    const isPaid = random() < 0.4;
    const type = isPaid ? paid[i % paid.length]! : free[i % free.length]!;
    const inviteeUri = `https://api.calendly.com/scheduled_events/${randomUUID()}/invitees/${randomUUID()}`;
    const startTime = new Date(Date.now() + (7 + (i % 20)) * 86_400_000).toISOString();
    const p: Planned = { inviteeUri, paid: isPaid, cancelled: !isPaid && random() < 0.1, amountCents: type.priceCents };
    planned.push(p);
    const created = JSON.stringify(calendlyInviteeCreated({ eventTypeUri: type.calendlyEventTypeUri!, inviteeUri, email: `storm${i}@example.com`, name: `Storm ${i}`, startTime }));
    deliveries.push({ provider: "calendly", body: created, signature: await sign("calendly", created), bad: false });
    if (isPaid) {
      const paymentIntentId = `pi_storm_${i}`;
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

  const bookings = await t.db.prisma.booking.findMany();
  expect(bookings).toHaveLength(BOOKINGS);
  const byUri = new Map(bookings.map((b) => [b.calendlyInviteeUri, b]));
  for (const p of planned) {
    const b = byUri.get(p.inviteeUri);
    expect(b, p.inviteeUri).toBeDefined();
    if (p.paid) expect([b!.status, b!.paymentStatus, b!.stripePaymentIntentId !== null]).toEqual(["CONFIRMED", "PAID", true]);
    else if (p.cancelled) expect([b!.status, b!.paymentStatus]).toEqual(["CANCELLED", "NOT_REQUIRED"]);
    else expect([b!.status, b!.paymentStatus]).toEqual(["CONFIRMED", "NOT_REQUIRED"]);
  }
  expect(await t.db.prisma.webhookEvent.count()).toBe(unique);
  expect(await t.db.prisma.webhookEvent.count({ where: { outcome: "DEFERRED" } })).toBe(0);

  // Emails: wait (bounded) for the outbox to drain, then exactly one of each kind per booking.
  const deadline = Date.now() + 30_000;
  while ((await t.db.prisma.emailMessage.count({ where: { status: { not: "SENT" } } })) > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
  }
  const emails = await t.db.prisma.emailMessage.findMany();
  const count = (kind: string) => emails.filter((e) => e.kind === kind).length;
  expect(count("CONFIRMATION")).toBe(BOOKINGS);
  expect(count("RECEIPT")).toBe(planned.filter((p) => p.paid).length);
  expect(count("CANCELLATION")).toBe(planned.filter((p) => p.cancelled).length);
  expect(emails.every((e) => e.status === "SENT")).toBe(true);
  const sentKeys = app.mailer.messages.map((m) => m.idempotencyKey);
  expect(new Set(sentKeys).size).toBe(sentKeys.length);
  expect(sentKeys).toHaveLength(emails.length);
});
