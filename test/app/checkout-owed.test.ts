import { afterAll, beforeAll, expect, it } from "vitest";
import { createWebhookIntake } from "../../src/core/webhook-intake.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { createTestDatabase, type TestDatabase } from "../support/db.js";
import { calendlyInviteeCreated, newInviteeUri } from "../support/webhook-fixtures.js";

/**
 * A Checkout session owed and never created: the app recorded the paid booking (PENDING/UNPAID) and died before
 * asking Stripe, and the provider gave up redelivering. The app's sweep finds the booking and creates its session,
 * keyed by the booking so a repeat (another instance, a late redelivery) gets the same session from Stripe.
 */

let t: TestDatabase;
let app: TestApp;
beforeAll(async () => {
  t = await createTestDatabase({ seed: true });
  app = await startTestApp(t.db, { emailSweepMs: 100 });
});
afterAll(async () => {
  await app?.close();
  await t?.drop();
});

it("the sweep creates the Checkout session of a paid booking left without one, with the booking's idempotency key", async () => {
  // Recorded by an intake whose process then died (no app, no Checkout), a minute ago.
  const intake = createWebhookIntake({ prisma: t.db.prisma, sql: t.db.sql });
  const uri = newInviteeUri();
  const r = await intake.receive("calendly", calendlyInviteeCreated({ eventTypeUri: "https://api.calendly.com/event_types/grace-code-review", inviteeUri: uri }));
  await t.db.prisma.booking.update({ where: { id: r.bookingId! }, data: { createdAt: new Date(Date.now() - 60_000) } });
  // A free booking and a fresh paid one are left alone (the fresh one's own request is still at it).
  const fresh = await intake.receive("calendly", calendlyInviteeCreated({ eventTypeUri: "https://api.calendly.com/event_types/grace-code-review", inviteeUri: newInviteeUri() }));

  let booking = await t.db.prisma.booking.findUniqueOrThrow({ where: { id: r.bookingId! } });
  for (let i = 0; i < 50 && !booking.stripeCheckoutSessionId; i++) {
    await new Promise((done) => setTimeout(done, 100));
    booking = await t.db.prisma.booking.findUniqueOrThrow({ where: { id: r.bookingId! } });
  }
  expect(booking.stripeCheckoutSessionId).toBeTruthy();
  expect(app.payments.checkouts.map((c) => c.bookingId)).toEqual([r.bookingId]);
  expect(app.payments.checkouts[0]).toMatchObject({ idempotencyKey: `checkout:${r.bookingId}`, successUrl: expect.stringContaining(r.bookingId!) });
  expect((await t.db.prisma.booking.findUniqueOrThrow({ where: { id: fresh.bookingId! } })).stripeCheckoutSessionId).toBeNull();
  // Nothing more is owed: later sweeps ask Stripe for nothing.
  await new Promise((done) => setTimeout(done, 400));
  expect(app.payments.checkouts).toHaveLength(1);
});
