import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import type { ReconcileReport } from "../commands/handlers/bookings-reconcile.js";
import { DISAGREEMENT_KINDS, type DisagreementKind } from "../src/core/reconcile.js";
import { openDatabase, type Database } from "../src/db/client.js";
import { applyMigrations } from "../src/db/migrations.js";
import { seed } from "../src/db/seed.js";
import { DEFAULT_SEED } from "../src/db/seed-data.js";
import { packageRoot } from "../src/package-root.js";
import { startCalendlyEmulator, type BookResult } from "../src/sandbox/calendly/emulator.js";
import { startStripeEmulator } from "../src/sandbox/stripe/emulator.js";

/**
 * `bookflow bookings reconcile` at scale: 100,000 and 200,000 bookings on the
 * real PostgreSQL (BOOKFLOW_BENCH_PG, default postgresql://postgres@127.0.0.1:5432),
 * the Calendly and Stripe emulators seeded to match (in this process, through
 * their bulk seeding functions), and 1% planted disagreements of each kind.
 * Reconcile runs as a child process (`node bin/bookflow.js bookings reconcile
 * --json`) against the emulators' HTTP APIs; its wall time and peak RSS
 * (`/usr/bin/time -v` when there is one, else the report's own maxRSS figure)
 * are measured, and its report is checked against what was planted.
 *
 * Targets: every planted disagreement found and nothing else, peak RSS under
 * 300 MB at both sizes, 200k taking at most 2.2x the time of 100k.
 * BOOKFLOW_BENCH_RECONCILE_SIZES=20000,40000 runs other sizes.
 */
const SERVER = process.env.BOOKFLOW_BENCH_PG ?? "postgresql://postgres@127.0.0.1:5432";
const CALENDLY_TOKEN = "bench_calendly_token_FAKE";
const STRIPE_KEY = "sk_test_benchFAKE00000000000000000000";
const MINUTE = 60_000;
const DAY = 86_400_000;
const RUNS = Number(process.env.BOOKFLOW_BENCH_RECONCILE_RUNS ?? 3);

const sessionTypes = DEFAULT_SEED.builders.flatMap((b) => b.sessionTypes);
const FREE = sessionTypes.find((s) => s.priceCents === 0)!;
const PAID = sessionTypes.find((s) => s.priceCents > 0)!;

type Group = "free-active" | "free-cancelled" | "paid-active" | "paid-cancelled";
const GROUPS: Group[] = ["free-active", "free-cancelled", "paid-active", "paid-cancelled"];

/**
 * What booking i is, by i mod 100: one of each planted kind, and a realistic mix of agreeing ones
 * (free and paid, cancelled, refunded, PENDING but fresh).
 */
interface Category {
  group: Group;
  /** null: no booking (missing_in_db). */
  db: { status: string; paymentStatus: string; ageMs: number; recordsPayment: boolean } | null;
  payment: boolean;
  refund: boolean;
  planted: DisagreementKind | null;
}
function category(i: number): Category {
  const c = i % 100;
  const confirmedFree = { status: "CONFIRMED", paymentStatus: "NOT_REQUIRED", ageMs: 7 * DAY, recordsPayment: false };
  if (c === 0) return { group: "free-active", db: null, payment: false, refund: false, planted: "missing_in_db" };
  // Unpaid here for an hour (older than --stuck-after): the payment explains it, so it is not also stuck.
  if (c === 1) return { group: "paid-active", db: { status: "PENDING", paymentStatus: "UNPAID", ageMs: 60 * MINUTE, recordsPayment: false }, payment: true, refund: false, planted: "paid_not_recorded" };
  if (c === 2) return { group: "free-cancelled", db: confirmedFree, payment: false, refund: false, planted: "cancelled_not_recorded" };
  if (c === 3) return { group: "paid-cancelled", db: { status: "CANCELLED", paymentStatus: "PAID", ageMs: 7 * DAY, recordsPayment: true }, payment: true, refund: true, planted: "refunded_not_recorded" };
  if (c === 4) return { group: "paid-active", db: { status: "PENDING", paymentStatus: "UNPAID", ageMs: 120 * MINUTE, recordsPayment: false }, payment: false, refund: false, planted: "stuck_pending" };
  if (c < 10) return { group: "paid-active", db: { status: "PENDING", paymentStatus: "UNPAID", ageMs: MINUTE, recordsPayment: false }, payment: false, refund: false, planted: null };
  if (c < 15) return { group: "free-cancelled", db: { status: "CANCELLED", paymentStatus: "NOT_REQUIRED", ageMs: 7 * DAY, recordsPayment: false }, payment: false, refund: false, planted: null };
  if (c < 20) return { group: "paid-cancelled", db: { status: "CANCELLED", paymentStatus: "REFUNDED", ageMs: 7 * DAY, recordsPayment: true }, payment: true, refund: true, planted: null };
  if (c < 60) return { group: "free-active", db: confirmedFree, payment: false, refund: false, planted: null };
  return { group: "paid-active", db: { status: "CONFIRMED", paymentStatus: "PAID", ageMs: 7 * DAY, recordsPayment: true }, payment: true, refund: false, planted: null };
}

interface Run {
  wallS: number;
  peakRssMb: number;
  rssSource: string;
  counts: Record<DisagreementKind, number>;
  planted: number;
  exact: boolean;
  mismatch: string;
  seedS: number;
  requests: { calendly: number; stripe: number };
  walls: number[];
  passMs: ReconcileReport["stats"]["passMs"];
}

async function runSize(n: number, admin: pg.Client): Promise<Run> {
  const dbName = `bookflow_bench_reconcile_${process.pid}_${n}`;
  await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
  await admin.query(`CREATE DATABASE "${dbName}"`);
  const url = `${SERVER}/${dbName}`;
  const db: Database = await openDatabase({ databaseUrl: url, poolSize: 4 });
  const calendly = await startCalendlyEmulator({
    token: CALENDLY_TOKEN,
    eventTypes: sessionTypes.map((s) => ({ uri: s.calendlyEventTypeUri, name: s.title, slug: s.slug, duration: s.durationMinutes, active: true })),
  });
  const stripe = await startStripeEmulator({
    secretKey: STRIPE_KEY,
    prices: sessionTypes.filter((s) => s.stripePriceId).map((s) => ({ id: s.stripePriceId!, unit_amount: s.priceCents, currency: s.currency, active: true })),
  });
  try {
    const seedStarted = performance.now();
    await applyMigrations(db);
    await seed(db.prisma);
    const st = await db.sql.query<{ id: string; builderId: string; uri: string }>(`SELECT id, "builderId", "calendlyEventTypeUri" AS uri FROM "SessionType"`);
    const typeRow = (uri: string) => st.find((r) => r.uri === uri)!;

    // Calendly: four runs of events (one per group), interleaved in time: group g starts at base + g·15 s, one a minute.
    const now = Date.now();
    const base = Math.ceil((now + DAY) / DAY) * DAY;
    const cats = Array.from({ length: n }, (_, i) => category(i));
    const groupSize = Object.fromEntries(GROUPS.map((g) => [g, cats.filter((c) => c.group === g).length])) as Record<Group, number>;
    const seeded = {} as Record<Group, BookResult[]>;
    GROUPS.forEach((g, gi) => {
      seeded[g] = calendly.addScheduledEvents(groupSize[g], {
        eventTypeUri: g.startsWith("free") ? FREE.calendlyEventTypeUri : PAID.calendlyEventTypeUri,
        firstStart: new Date(base + gi * 15_000),
        intervalMinutes: 1,
        cancelEvery: g.endsWith("cancelled") ? 1 : 0,
        email: (k) => `${g}-${k}@bench.example.com`,
      });
    });
    const until = new Date(base + Math.max(...Object.values(groupSize)) * MINUTE + DAY);

    // The bookings, and what each planted disagreement is keyed by.
    const next: Record<Group, number> = { "free-active": 0, "free-cancelled": 0, "paid-active": 0, "paid-cancelled": 0 };
    const expected: Record<DisagreementKind, Set<string>> = Object.fromEntries(DISAGREEMENT_KINDS.map((k) => [k, new Set<string>()])) as never;
    const rows: { id: string; c: Category; ev: BookResult; start: number; group: Group; k: number }[] = [];
    for (const c of cats) {
      const k = next[c.group]++;
      const ev = seeded[c.group][k]!;
      const row = { id: randomUUID(), c, ev, start: base + GROUPS.indexOf(c.group) * 15_000 + k * MINUTE, group: c.group, k };
      rows.push(row);
      if (c.planted) expected[c.planted].add(c.planted === "missing_in_db" ? ev.inviteeUri : row.id);
    }

    // Stripe: the payments (metadata as the app sets it), then the refunds.
    const payers = rows.filter((r) => r.c.payment);
    const nowS = Math.floor(now / 1000);
    const { paymentIntentIds } = stripe.seedPayments(payers.length, {
      amount: PAID.priceCents,
      currency: PAID.currency,
      createdFrom: nowS - payers.length - 3600,
      spacingSeconds: 1,
      metadata: (k) => ({ booking_id: payers[k]!.id, calendly_invitee_uri: payers[k]!.ev.inviteeUri }),
    });
    const piOf = new Map(payers.map((r, k) => [r.id, paymentIntentIds[k]!]));
    stripe.seedRefunds(payers.filter((r) => r.c.refund).map((r) => piOf.get(r.id)!), { created: nowS - 60 });

    // The database: multi-row INSERTs from arrays (unnest), 5,000 rows a statement.
    const inDb = rows.filter((r) => r.c.db);
    for (let from = 0; from < inDb.length; from += 5000) {
      const chunk = inDb.slice(from, from + 5000);
      const col = <T>(f: (r: (typeof chunk)[number]) => T) => chunk.map(f);
      const iso = (ms: number) => new Date(ms).toISOString();
      await db.sql.query(
        `INSERT INTO "Booking" (id, "sessionTypeId", "builderId", "inviteeEmail", "inviteeName", "startTime", "endTime", "calendlyEventUri", "calendlyInviteeUri",
           "stripePaymentIntentId", status, "paymentStatus", "amountCents", currency, "createdAt", "updatedAt")
         SELECT u.id, u.st, u.builder, u.email, 'Bench Invitee', u.start, u.start + interval '30 minutes', u.event, u.invitee, u.pi,
                u.status::"BookingStatus", u.pay::"PaymentStatus", u.amount, 'usd', u.created, u.created
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamp[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::int[], $12::timestamp[])
             AS u(id, st, builder, email, start, event, invitee, pi, status, pay, amount, created)`,
        [
          col((r) => r.id),
          col((r) => typeRow(r.group.startsWith("free") ? FREE.calendlyEventTypeUri : PAID.calendlyEventTypeUri).id),
          col((r) => typeRow(r.group.startsWith("free") ? FREE.calendlyEventTypeUri : PAID.calendlyEventTypeUri).builderId),
          col((r) => `${r.group}-${r.k}@bench.example.com`),
          col((r) => iso(r.start)),
          col((r) => r.ev.eventUri),
          col((r) => r.ev.inviteeUri),
          col((r) => (r.c.db!.recordsPayment ? piOf.get(r.id)! : null)),
          col((r) => r.c.db!.status),
          col((r) => r.c.db!.paymentStatus),
          col((r) => (r.group.startsWith("free") ? 0 : PAID.priceCents)),
          col((r) => iso(now - r.c.db!.ageMs)),
        ],
      );
    }
    await db.sql.query(`ANALYZE "Booking"`);
    const seedS = (performance.now() - seedStarted) / 1000;

    // Reconcile, as a process of its own.
    const calendlyBefore = calendly.requestLog.length;
    const stripeBefore = stripe.requestLog.length;
    const bin = join(packageRoot(), "bin", "bookflow.js");
    const args = ["--", bin, "bookings", "reconcile", "--since", new Date(base).toISOString(), "--until", until.toISOString(), "--json"];
    const timeBin = existsSync("/usr/bin/time") ? "/usr/bin/time" : null;
    const env = {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      CI: "1",
      NO_COLOR: "1",
      DATABASE_URL: url,
      CALENDLY_API_TOKEN: CALENDLY_TOKEN,
      CALENDLY_API_BASE: calendly.url,
      STRIPE_SECRET_KEY: STRIPE_KEY,
      STRIPE_API_BASE: stripe.url,
    };
    // Reconcile only reads: the same world is reconciled RUNS times; the median wall time and the highest peak RSS count
    // (a shared 2-core machine's figures move by 20-40 % from one run to the next).
    const walls: number[] = [];
    let peakRssMb = 0;
    let rssSource = "";
    let report: ReconcileReport | undefined;
    for (let i = 0; i < RUNS; i++) {
      const started = performance.now();
      const child = await run(timeBin ?? process.execPath, timeBin ? ["-v", process.execPath, ...args] : args, env);
      walls.push((performance.now() - started) / 1000);
      if (child.code !== 0 && child.code !== 1) throw new Error(`reconcile exited ${child.code}: ${child.stderr.slice(-2000)}`);
      report = JSON.parse(child.stdout) as ReconcileReport;
      const timeRss = /Maximum resident set size \(kbytes\): (\d+)/.exec(child.stderr);
      peakRssMb = Math.max(peakRssMb, timeRss ? Math.round(Number(timeRss[1]) / 1024) : report.stats.peakRssMb);
      rssSource = timeRss ? "/usr/bin/time -v" : "process.resourceUsage().maxRSS";
    }
    walls.sort((a, b) => a - b);
    const wallS = walls[Math.floor(walls.length / 2)]!;
    report = report!;

    // All planted found, nothing else.
    const problems: string[] = [];
    for (const kind of DISAGREEMENT_KINDS) {
      const got = new Set(report.disagreements.filter((d) => d.kind === kind).map((d) => (kind === "missing_in_db" ? d.calendlyInviteeUri! : d.bookingId!)));
      const missed = [...expected[kind]].filter((x) => !got.has(x)).length;
      const extra = [...got].filter((x) => !expected[kind].has(x)).length;
      if (missed || extra) problems.push(`${kind}: ${missed} missed, ${extra} extra`);
    }
    return {
      wallS,
      walls,
      passMs: report.stats.passMs,
      peakRssMb,
      rssSource,
      counts: report.counts,
      planted: DISAGREEMENT_KINDS.reduce((sum, k) => sum + expected[k].size, 0),
      exact: problems.length === 0,
      mismatch: problems.join("; "),
      seedS,
      requests: { calendly: (calendly.requestLog.length - calendlyBefore) / RUNS, stripe: (stripe.requestLog.length - stripeBefore) / RUNS },
    };
  } finally {
    await calendly.close();
    await stripe.close();
    await db.close();
    await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
  }
}

function run(cmd: string, args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") }));
  });
}

export async function benchReconcile(options: { sizes?: number[] } = {}): Promise<Record<string, number | string>> {
  const sizes = options.sizes ?? (process.env.BOOKFLOW_BENCH_RECONCILE_SIZES ?? "100000,200000").split(",").map((s) => Number(s.trim()));
  if (sizes.some((s) => !Number.isInteger(s) || s < 100 || s % 100 !== 0)) throw new Error("reconcile bench sizes must be whole multiples of 100");
  const admin = new pg.Client({ connectionString: `${SERVER}/postgres` });
  await admin.connect();
  const figures: Record<string, number | string> = {};
  const runs: Run[] = [];
  try {
    for (const n of sizes) {
      const r = await runSize(n, admin);
      runs.push(r);
      const label = n >= 1000 ? `${n / 1000}k` : String(n);
      figures[`${label}: wall s (median of ${r.walls.length})`] = Number(r.wallS.toFixed(2));
      figures[`${label}: wall s, every run`] = r.walls.map((w) => w.toFixed(2)).join(" / ");
      figures[`${label}: passes ms (calendly, stripe payments, refunds, stuck)`] = `${r.passMs.calendly}, ${r.passMs.stripePayments}, ${r.passMs.stripeRefunds}, ${r.passMs.stuck}`;
      figures[`${label}: peak RSS MB`] = r.peakRssMb;
      figures[`${label}: found`] = DISAGREEMENT_KINDS.map((k) => `${k} ${r.counts[k]}`).join(", ");
      figures[`${label}: planted all found, nothing else`] = r.exact ? `yes (${r.planted})` : `NO: ${r.mismatch}`;
      figures[`${label}: requests (calendly / stripe)`] = `${r.requests.calendly} / ${r.requests.stripe}`;
      figures[`${label}: seeding s (not measured)`] = Number(r.seedS.toFixed(1));
    }
    if (runs.length >= 2) figures[`time ratio ${sizes[1]! / 1000}k / ${sizes[0]! / 1000}k`] = Number((runs[1]!.wallS / runs[0]!.wallS).toFixed(2));
    figures["peak RSS measured with"] = runs[0]?.rssSource ?? "";
    figures.target = "all planted found and nothing else; peak RSS < 300 MB; 200k <= 2.2x the time of 100k";
    return figures;
  } finally {
    await admin.end();
  }
}
