import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Agent, request } from "undici";
import { openDatabase, type Database } from "../../src/db/client.js";
import { WEBHOOK_PROVIDERS, type WebhookProviderId } from "../../src/providers/webhook-providers.js";
import { startTestApp, TEST_CALENDLY_KEY, TEST_STRIPE_SECRET, type TestApp } from "../support/app.js";
import { createTestDatabase, type TestDatabase } from "../support/db.js";
import { startPgBouncer, type RunningPgBouncer } from "../../bench/support/pgbouncer.js";
import { calendlyInviteeCanceled, calendlyInviteeCreated, newInviteeUri, stripeCheckoutCompleted } from "../support/webhook-fixtures.js";

/**
 * The app behind PgBouncer, as a Vercel + Prisma deployment reaches PostgreSQL through a pooled DATABASE_URL:
 * in transaction mode every transaction may get another server connection, so nothing may rely on a session
 * (named prepared statements, session advisory locks, SET). Signed deliveries with duplicates and cancellations,
 * sent concurrently through the app on a pooled URL, must all be answered 2xx and end exactly right, with and
 * without Prisma's `?pgbouncer=true` marker (without it, bookflow finds out from the pooler's answers).
 */

const SECRETS: Record<WebhookProviderId, string> = { calendly: TEST_CALENDLY_KEY, stripe: TEST_STRIPE_SECRET };
const PAID = "https://api.calendly.com/event_types/grace-code-review"; // 14900 usd
const FREE = "https://api.calendly.com/event_types/ada-intro-call";

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase({ seed: true });
});
afterAll(async () => {
  await t?.drop();
});

async function storm(app: TestApp, db: Database, n: number): Promise<{ statuses: Map<number, number>; uris: { uri: string; paid: boolean; cancelled: boolean }[] }> {
  const deliveries: { provider: WebhookProviderId; body: string }[] = [];
  const uris: { uri: string; paid: boolean; cancelled: boolean }[] = [];
  for (let i = 0; i < n; i++) {
    const uri = newInviteeUri();
    const paid = i % 2 === 0;
    const cancelled = i % 5 === 0;
    uris.push({ uri, paid, cancelled });
    deliveries.push({ provider: "calendly", body: JSON.stringify(calendlyInviteeCreated({ eventTypeUri: paid ? PAID : FREE, inviteeUri: uri, startTime: "2031-02-03T10:00:00.000Z" })) });
  }
  const statuses = new Map<number, number>();
  const agent = new Agent({ connections: 16 });
  const send = async (list: { provider: WebhookProviderId; body: string }[]) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < list.length) {
          const d = list[next++]!;
          const signature = await WEBHOOK_PROVIDERS[d.provider].sign(d.body, SECRETS[d.provider]);
          const res = await request(`${app.url}/api/webhooks/${d.provider}`, { method: "POST", body: d.body, dispatcher: agent, headers: { "content-type": "application/json", [WEBHOOK_PROVIDERS[d.provider].signatureHeader]: signature } });
          await res.body.text();
          statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        }
      }),
    );
  };
  // Bookings (each delivered twice), then their payments and cancellations (with repeats).
  await send([...deliveries, ...deliveries]);
  if ([...statuses.keys()].some((code) => code !== 200)) return { statuses, uris };
  const second: { provider: WebhookProviderId; body: string }[] = [];
  for (const u of uris) {
    const b = await db.prisma.booking.findUniqueOrThrow({ where: { calendlyInviteeUri: u.uri } });
    if (u.paid) second.push({ provider: "stripe", body: JSON.stringify(stripeCheckoutCompleted({ bookingId: b.id, calendlyInviteeUri: u.uri, amountCents: 14900 })) });
    if (u.cancelled) second.push({ provider: "calendly", body: JSON.stringify(calendlyInviteeCanceled({ eventTypeUri: u.paid ? PAID : FREE, inviteeUri: u.uri })) });
  }
  await send([...second, ...second.slice(0, Math.ceil(second.length / 3))]);
  await agent.close();
  return { statuses, uris };
}

async function expectRight(db: Database, uris: { uri: string; paid: boolean; cancelled: boolean }[]) {
  for (const u of uris) {
    const b = await db.prisma.booking.findUniqueOrThrow({ where: { calendlyInviteeUri: u.uri } });
    // A paid booking cancelled well ahead is refunded (the test app's payments gateway records it).
    const expected = u.cancelled ? (u.paid ? ["CANCELLED", "REFUNDED"] : ["CANCELLED", "NOT_REQUIRED"]) : u.paid ? ["CONFIRMED", "PAID"] : ["CONFIRMED", "NOT_REQUIRED"];
    expect([b.status, b.paymentStatus], u.uri).toEqual(expected);
  }
}

describe.each([
  { mode: "transaction" as const, marker: false },
  { mode: "transaction" as const, marker: true },
  { mode: "session" as const, marker: false },
])("the app on a DATABASE_URL pooled by PgBouncer ($mode mode, ?pgbouncer=true: $marker)", ({ mode, marker }) => {
  let bouncer: RunningPgBouncer;
  let db: Database;
  let app: TestApp;
  beforeAll(async () => {
    // Session mode holds a server connection per client connection: the pool must cover the app's (8 + 8).
    bouncer = await startPgBouncer({ database: t.name, mode, poolSize: mode === "session" ? 20 : 3 });
    db = await openDatabase({ databaseUrl: marker ? `${bouncer.url}?pgbouncer=true` : bouncer.url, poolSize: 8 });
    app = await startTestApp(db);
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
    await bouncer?.stop();
  });

  it("answers every signed delivery 2xx and ends every booking exactly right", { timeout: 60_000 }, async () => {
    const { statuses, uris } = await storm(app, db, 60);
    expect(Object.fromEntries(statuses), JSON.stringify(app.logs.filter((l) => Number(l.status) >= 400).slice(0, 3))).toEqual({ 200: expect.any(Number) });
    await expectRight(db, uris);
    // One refund per cancelled paid booking, however many times its cancellation arrived.
    expect(app.payments.refunds.length).toBe(uris.filter((u) => u.paid && u.cancelled).length);
  });
});
