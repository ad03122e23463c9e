import { randomUUID } from "node:crypto";
import pg from "pg";
import { Agent, request } from "undici";
import { createApp } from "../src/app/server.js";
import { createNotifier } from "../src/core/notifications.js";
import type { CheckoutRequest, PaymentsGateway } from "../src/core/ports.js";
import { createWebhookIntake } from "../src/core/webhook-intake.js";
import { openDatabase } from "../src/db/client.js";
import { applyMigrations } from "../src/db/migrations.js";
import { seed } from "../src/db/seed.js";
import { signCalendlyPayload } from "../src/providers/calendly-signature.js";
import { CaptureMailer } from "../src/providers/capture-mailer.js";
import { signStripePayload } from "../src/providers/stripe-signature.js";

/**
 * Signed webhook intake throughput through the app's HTTP routes on the real
 * PostgreSQL (BOOKFLOW_BENCH_PG, default postgresql://postgres@127.0.0.1:5432).
 * Target: at least 1,000 events/s on a 2-core machine.
 */
const SERVER = process.env.BOOKFLOW_BENCH_PG ?? "postgresql://postgres@127.0.0.1:5432";
const CALENDLY_KEY = "bench_calendly_key_FAKE";
const STRIPE_SECRET = "whsec_bench_FAKE";

class BenchPayments implements PaymentsGateway {
  n = 0;
  async createCheckoutSession(req: CheckoutRequest) {
    return { id: `cs_bench_${++this.n}_${req.bookingId.slice(0, 8)}`, url: null };
  }
  async refund() {
    return { id: `re_bench_${++this.n}`, status: "succeeded" };
  }
}

function envelope(eventTypeUri: string, inviteeUri: string, i: number) {
  const now = new Date().toISOString();
  const start = new Date(Date.now() + 86_400_000 * (1 + (i % 30))).toISOString();
  const end = new Date(Date.parse(start) + 30 * 60_000).toISOString();
  const eventUri = inviteeUri.split("/invitees/")[0]!;
  return {
    event: "invitee.created",
    created_at: now,
    created_by: "https://api.calendly.com/users/bench",
    payload: {
      uri: inviteeUri, email: `bench${i}@example.com`, name: `Bench ${i}`, first_name: null, last_name: null, status: "active",
      timezone: "UTC", event: eventUri, created_at: now, updated_at: now, cancel_url: "https://calendly.com/cancellations/x",
      reschedule_url: "https://calendly.com/reschedulings/x", rescheduled: false, old_invitee: null, new_invitee: null,
      questions_and_answers: [], tracking: {}, text_reminder_number: null, no_show: null, reconfirmation: null, routing_form_submission: null, payment: null,
      scheduled_event: { uri: eventUri, name: "Bench session", status: "active", start_time: start, end_time: end, event_type: eventTypeUri,
        location: { type: "zoom" }, invitees_counter: { total: 1, active: 1, limit: 1 }, created_at: now, updated_at: now, event_memberships: [], event_guests: [] },
    },
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export async function benchIntake(options: { events?: number; concurrency?: number } = {}): Promise<Record<string, number | string>> {
  const total = options.events ?? 6000;
  const concurrency = options.concurrency ?? 64;
  const dbName = `bookflow_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: `${SERVER}/postgres` });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
  await admin.query(`CREATE DATABASE "${dbName}"`);
  const db = await openDatabase({ databaseUrl: `${SERVER}/${dbName}`, poolSize: 16 });
  try {
    await applyMigrations(db);
    await seed(db.prisma);
    const types = await db.prisma.sessionType.findMany();
    const mailer = new CaptureMailer();
    const intake = createWebhookIntake({ prisma: db.prisma, sql: db.sql, payments: new BenchPayments() });
    const app = await createApp({
      prisma: db.prisma, intake, notifier: createNotifier({ prisma: db.prisma, mailer }), payments: new BenchPayments(),
      calendlySigningKey: CALENDLY_KEY, stripeWebhookSecret: STRIPE_SECRET, baseUrl: "https://bench.example.test",
      version: "bench", rateLimitPerMinute: 10_000_000, log: () => {}, emailSweepMs: 0,
    }).listen(0);

    // Half the events create bookings (Calendly); for paid ones, a Stripe payment follows.
    const bodies: { path: string; body: string; header: string; sig: string }[] = [];
    let i = 0;
    while (bodies.length < total) {
      const type = types[i % types.length]!;
      const inviteeUri = `https://api.calendly.com/scheduled_events/${randomUUID()}/invitees/${randomUUID()}`;
      const created = JSON.stringify(envelope(type.calendlyEventTypeUri!, inviteeUri, i));
      bodies.push({ path: "/api/webhooks/calendly", body: created, header: "calendly-webhook-signature", sig: signCalendlyPayload(created, CALENDLY_KEY) });
      if (type.priceCents > 0) {
        const paid = JSON.stringify({
          id: `evt_bench_${i}`, object: "event", api_version: "2024-06-20", created: Math.floor(Date.now() / 1000), livemode: false, pending_webhooks: 1,
          request: { id: null, idempotency_key: null }, type: "payment_intent.succeeded",
          data: { object: { id: `pi_bench_${i}`, object: "payment_intent", amount: type.priceCents, amount_received: type.priceCents, currency: type.currency, status: "succeeded", metadata: { calendly_invitee_uri: inviteeUri }, latest_charge: `ch_bench_${i}` } },
        });
        bodies.push({ path: "/api/webhooks/stripe", body: paid, header: "stripe-signature", sig: await signStripePayload(paid, STRIPE_SECRET) });
      }
      i++;
    }
    // Warm-up (connections, JIT, Prisma's query plans), not measured.
    const agent = new Agent({ connections: concurrency, pipelining: 1 });
    const send = async (b: (typeof bodies)[number]) => {
      const t0 = performance.now();
      const res = await request(`${app.url}${b.path}`, { method: "POST", body: b.body, dispatcher: agent, headers: { "content-type": "application/json", [b.header]: b.sig } });
      await res.body.text();
      return { ms: performance.now() - t0, status: res.statusCode };
    };
    const warm = bodies.splice(0, Math.min(400, Math.floor(total / 10)));
    for (const b of warm) await send(b);

    const latencies: number[] = [];
    const statuses = new Map<number, number>();
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < bodies.length) {
          const r = await send(bodies[next++]!);
          latencies.push(r.ms);
          statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    await agent.close();
    await app.close();
    latencies.sort((a, b) => a - b);
    const result: Record<string, number | string> = {
      events: bodies.length,
      concurrency,
      "events/s": Math.round(bodies.length / seconds),
      "p50 ms": Number(percentile(latencies, 50).toFixed(2)),
      "p99 ms": Number(percentile(latencies, 99).toFixed(2)),
      "max ms": Number(latencies[latencies.length - 1]!.toFixed(2)),
      statuses: [...statuses].map(([s, n]) => `${s}:${n}`).join(" "),
      target: ">= 1000 events/s",
    };
    return result;
  } finally {
    await db.close();
    await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    await admin.end();
  }
}
