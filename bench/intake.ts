import { randomUUID } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { execa } from "execa";
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
 * Beside it, in the same run on the same server, the floor: `pgbench -N -c 32
 * -j 2` in a scratch database of its own (`pgbench -i -s 10`, dropped after),
 * one pgbench round right after each intake round and as long as it.
 * Target: at least 0.3x pgbench's tx/s, and at most 0.5 ms of PostgreSQL CPU
 * per event.
 *
 * The load generator (undici) runs in the same process as the app; its CPU is
 * in "app+client cpu". "postgres cpu" sums every PostgreSQL server process
 * (Linux /proc, with the children the server reaped meanwhile), so other
 * databases' work on the same server counts too; "own backends" counts only
 * the processes serving the bench's database (not the WAL writer, the
 * checkpointer, nor an autovacuum worker that came and went between readings).
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

/**
 * CPU seconds used so far by the PostgreSQL server processes (Linux /proc; 0 where it is not readable): in all,
 * and per process. The total counts the children the server has already reaped too (cutime, cstime: an
 * autovacuum worker, a pgbench client's backend that ended before the second reading), or their CPU would be
 * lost between two readings.
 */
function postgresCpu(): { total: number; byPid: Map<number, number> } {
  let ticks = 0;
  const byPid = new Map<number, number>();
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return { total: 0, byPid };
  }
  for (const pid of entries) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      if (!stat.slice(stat.indexOf("(") + 1, close).startsWith("postgres")) continue;
      const fields = stat.slice(close + 2).split(" ");
      const own = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
      byPid.set(Number(pid), own / 100); // USER_HZ is 100 on Linux
      ticks += own + Number(fields[13]) + Number(fields[14]); // cutime, cstime (16 and 17): reaped children
    } catch {
      // the process ended meanwhile
    }
  }
  return { total: ticks / 100, byPid };
}

/** CPU seconds the given server processes used between two readings (one that started meanwhile: all of its). */
function cpuOf(pids: Iterable<number>, before: Map<number, number>, after: Map<number, number>): number {
  let s = 0;
  for (const pid of pids) s += (after.get(pid) ?? 0) - (before.get(pid) ?? 0);
  return s;
}

/** The server processes serving a database: its backends, and an autovacuum worker in it at that moment. */
async function backendsOf(admin: pg.Client, database: string): Promise<number[]> {
  const { rows } = await admin.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = $1`, [database]);
  return rows.map((r) => r.pid);
}

/** pgbench's connection options for the bench's server URL. */
function pgbenchConnection(server: string, database: string): string[] {
  const u = new URL(server);
  return ["-h", u.hostname, "-p", u.port || "5432", "-U", decodeURIComponent(u.username || "postgres"), database];
}

/**
 * The floor: `pgbench -N` (TPC-B without the branch and teller updates: three writes and a read per transaction,
 * each committed) with 32 clients and 2 threads on the same server, in a scratch database of its own.
 */
async function pgbenchRound(database: string, seconds: number): Promise<{ tps: number; cpuMs: number; transactions: number }> {
  const cpu0 = postgresCpu().total;
  const { stdout } = await execa("pgbench", ["-N", "-c", "32", "-j", "2", "-T", String(seconds), ...pgbenchConnection(SERVER, database)], { env: { PGCONNECT_TIMEOUT: "10" } });
  const cpuMs = (postgresCpu().total - cpu0) * 1000;
  const tps = /tps = ([\d.]+)/.exec(stdout);
  const done = /number of transactions actually processed: (\d+)/.exec(stdout);
  if (!tps || !done) throw new Error(`pgbench printed no rate:\n${stdout}`);
  return { tps: Number(tps[1]), cpuMs, transactions: Number(done[1]) };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export async function benchIntake(options: { events?: number; concurrency?: number; rounds?: number; poolSize?: number } = {}): Promise<Record<string, number | string>> {
  const total = options.events ?? 4000;
  const concurrency = options.concurrency ?? 64;
  // Several rounds, the median reported: a shared 2-core VM's figures move by 10-20 % from one run to the next.
  const rounds = options.rounds ?? 3;
  const dbName = `bookflow_bench_${process.pid}`;
  const pgbenchDb = `bookflow_pgbench_${process.pid}`;
  const admin = new pg.Client({ connectionString: `${SERVER}/postgres` });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
  await admin.query(`CREATE DATABASE "${dbName}"`);
  await admin.query(`DROP DATABASE IF EXISTS "${pgbenchDb}" WITH (FORCE)`);
  await admin.query(`CREATE DATABASE "${pgbenchDb}"`);
  const poolSize = options.poolSize ?? Number(process.env.BOOKFLOW_BENCH_POOL ?? 16);
  const db = await openDatabase({ databaseUrl: `${SERVER}/${dbName}`, poolSize });
  try {
    await applyMigrations(db);
    await seed(db.prisma);
    const types = await db.prisma.sessionType.findMany();
    const mailer = new CaptureMailer();
    const intake = createWebhookIntake({ prisma: db.prisma, sql: db.sql, payments: new BenchPayments() });
    const app = await createApp({
      prisma: db.prisma, sql: db.sql, intake, notifier: createNotifier({ prisma: db.prisma, sql: db.sql, mailer }), payments: new BenchPayments(),
      calendlySigningKey: CALENDLY_KEY, stripeWebhookSecret: STRIPE_SECRET, baseUrl: "https://bench.example.test",
      version: "bench", rateLimitPerMinute: 10_000_000, log: () => {}, emailSweepMs: 0,
    }).listen(0);

    // Half the events create bookings (Calendly); for paid ones, a Stripe payment follows.
    type Delivery = { path: string; body: string; header: string; sig: string };
    let i = 0;
    let created = 0;
    const build = async (n: number): Promise<Delivery[]> => {
      const bodies: Delivery[] = [];
      while (bodies.length < n) {
        const type = types[i % types.length]!;
        const inviteeUri = `https://api.calendly.com/scheduled_events/${randomUUID()}/invitees/${randomUUID()}`;
        const body = JSON.stringify(envelope(type.calendlyEventTypeUri!, inviteeUri, i));
        bodies.push({ path: "/api/webhooks/calendly", body, header: "calendly-webhook-signature", sig: signCalendlyPayload(body, CALENDLY_KEY) });
        created++;
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
      return bodies;
    };
    const agent = new Agent({ connections: concurrency, pipelining: 1 });
    const send = async (b: Delivery) => {
      const t0 = performance.now();
      const res = await request(`${app.url}${b.path}`, { method: "POST", body: b.body, dispatcher: agent, headers: { "content-type": "application/json", [b.header]: b.sig } });
      await res.body.text();
      return { ms: performance.now() - t0, status: res.statusCode };
    };
    // Warm-up (connections, JIT, Prisma's query plans), not measured.
    for (const b of await build(Math.min(400, Math.floor(total / 10)))) await send(b);
    // The floor's data: pgbench's tables at scale 10 (1,000,000 accounts) in their own scratch database.
    await execa("pgbench", ["-i", "-s", "10", "-q", ...pgbenchConnection(SERVER, pgbenchDb)]);

    const latencies: number[] = [];
    const statuses = new Map<number, number>();
    const rates: number[] = [];
    let sent = 0;
    let seconds = 0;
    let nodeCpuMs = 0;
    let pgCpuMs = 0;
    let ownCpuMs = 0;
    const floor: { tps: number; cpuMs: number; transactions: number }[] = [];
    // Each intake round is followed at once by a pgbench round of the same length, so both meet the same load.
    for (let round = 0; round < rounds; round++) {
      const bodies = await build(total); // built and signed before the clock starts
      let next = 0;
      const backends0 = await backendsOf(admin, dbName);
      const pgCpu0 = postgresCpu();
      const nodeCpu0 = process.cpuUsage();
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
      const s = (performance.now() - started) / 1000;
      const cpu = process.cpuUsage(nodeCpu0);
      nodeCpuMs += (cpu.user + cpu.system) / 1000;
      const pgCpu1 = postgresCpu();
      pgCpuMs += (pgCpu1.total - pgCpu0.total) * 1000;
      ownCpuMs += cpuOf(new Set([...backends0, ...(await backendsOf(admin, dbName))]), pgCpu0.byPid, pgCpu1.byPid) * 1000;
      seconds += s;
      sent += bodies.length;
      rates.push(Math.round(bodies.length / s));
      floor.push(await pgbenchRound(pgbenchDb, Math.max(1, Math.round(s))));
    }
    await agent.close();
    await app.close();
    // Every event took effect: one booking per invitee.created, no payment left waiting for its booking.
    const [state] = await db.sql.query<{ bookings: number; deferred: number }>(
      `SELECT (SELECT count(*) FROM "Booking")::int AS bookings, (SELECT count(*) FROM "WebhookEvent" WHERE outcome = 'DEFERRED')::int AS deferred`,
    );
    latencies.sort((a, b) => a - b);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const eventsPerSecond = median(rates);
    const pgbenchTps = median(floor.map((f) => f.tps));
    const pgbenchCpuPerTx = floor.reduce((n, f) => n + f.cpuMs, 0) / floor.reduce((n, f) => n + f.transactions, 0);
    const result: Record<string, number | string> = {
      events: sent,
      concurrency,
      "pool size": poolSize,
      "events/s": eventsPerSecond,
      "events/s per round": rates.join(" / "),
      "pgbench -N -c 32 -j 2 tx/s": Math.round(pgbenchTps),
      "pgbench tx/s per round": floor.map((f) => Math.round(f.tps)).join(" / "),
      "ratio (events/s / pgbench tx/s)": Number((eventsPerSecond / pgbenchTps).toFixed(2)),
      "p50 ms": Number(percentile(latencies, 50).toFixed(2)),
      "p99 ms": Number(percentile(latencies, 99).toFixed(2)),
      "max ms": Number(latencies[latencies.length - 1]!.toFixed(2)),
      "app+client cpu ms/event": Number((nodeCpuMs / sent).toFixed(3)),
      "postgres cpu ms/event": Number((pgCpuMs / sent).toFixed(3)),
      "postgres cpu ms/event, own backends": Number((ownCpuMs / sent).toFixed(3)),
      "pgbench postgres cpu ms/tx": Number(pgbenchCpuPerTx.toFixed(3)),
      "wall s": Number(seconds.toFixed(2)),
      statuses: [...statuses].map(([s, n]) => `${s}:${n}`).join(" "),
      "bookings ok": state && state.bookings === created && state.deferred === 0 ? "yes" : `NO (${state?.bookings} bookings for ${created} invitee.created, ${state?.deferred} deferred left)`,
      target: ">= 0.3x pgbench -N tx/s (median rounds) and <= 0.5 postgres cpu ms/event",
    };
    return result;
  } finally {
    await db.close();
    await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    await admin.query(`DROP DATABASE IF EXISTS "${pgbenchDb}" WITH (FORCE)`);
    await admin.end();
  }
}
