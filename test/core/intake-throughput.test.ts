import { afterAll, beforeAll, expect, it } from "vitest";
import { createWebhookIntake } from "../../src/core/webhook-intake.js";
import { createTestDatabase, type TestDatabase } from "../support/db.js";
import { calendlyInviteeCreated, newInviteeUri, stripeCheckoutCompleted, stripePaymentIntentSucceeded } from "../support/webhook-fixtures.js";
import type { WebhookProviderId } from "../../src/providers/webhook-providers.js";

/**
 * The intake under load against real Postgres: a mix of free bookings and paid
 * bookings with both payment events, delivered by concurrent callers (as the
 * HTTP layer would). It asserts the end state; the rate is printed, not
 * asserted (it depends on the machine). BOOKFLOW_THROUGHPUT_BOOKINGS / _CONC /
 * _POOL scale it up for a measurement.
 */
let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase({ seed: true, poolSize: Number(process.env.BOOKFLOW_THROUGHPUT_POOL ?? 10) });
});
afterAll(async () => {
  await t?.drop();
});

it("keeps every booking right under concurrent load (and prints the event rate)", { timeout: 120_000 }, async () => {
  const prisma = t.db.prisma;
  const intake = createWebhookIntake({ prisma, sql: t.db.sql });
  const types = await prisma.sessionType.findMany();
  const free = types.filter((s) => s.priceCents === 0);
  const paid = types.filter((s) => s.priceCents > 0);
  const BOOKINGS = Number(process.env.BOOKFLOW_THROUGHPUT_BOOKINGS ?? 300);
  const events: [WebhookProviderId, unknown][] = [];
  let paidCount = 0;
  for (let i = 0; i < BOOKINGS; i++) {
    const uri = newInviteeUri();
    const isPaid = i % 2 === 0;
    const type = isPaid ? paid[i % paid.length]! : free[i % free.length]!;
    events.push(["calendly", calendlyInviteeCreated({ eventTypeUri: type.calendlyEventTypeUri!, inviteeUri: uri, email: `load${i}@example.com` })]);
    if (isPaid) {
      paidCount++;
      const ids = { calendlyInviteeUri: uri, amountCents: type.priceCents, paymentIntentId: `pi_load_${i}` };
      events.push(["stripe", stripeCheckoutCompleted(ids)], ["stripe", stripePaymentIntentSucceeded(ids)]);
    }
  }
  // Warm up (connections, query plans) with a few events outside the timing.
  const warm = events.splice(0, 30);
  for (const [p, b] of warm) await intake.receive(p, b);

  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Number(process.env.BOOKFLOW_THROUGHPUT_CONC ?? 16) }, async () => {
      while (next < events.length) {
        const [provider, body] = events[next++]!;
        const r = await intake.receive(provider, body);
        if (r.outcome !== "processed" && r.outcome !== "deferred") throw new Error(`${r.outcome}: ${r.message}`);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const rate = events.length / seconds;
  console.log(`intake throughput: ${events.length} events in ${seconds.toFixed(2)}s = ${Math.round(rate)} events/s`);

  expect(await prisma.booking.count()).toBe(BOOKINGS);
  expect(await prisma.booking.count({ where: { paymentStatus: "PAID", status: "CONFIRMED" } })).toBe(paidCount);
  expect(await prisma.webhookEvent.count({ where: { outcome: "DEFERRED" } })).toBe(0);
  expect(await prisma.emailMessage.count()).toBe(BOOKINGS + paidCount);
});
