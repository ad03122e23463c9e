import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StatsReport } from "../../src/ops/stats-report.js";
import { statsReportSchema } from "../../src/ops/stats-report.js";
import type { BookingStatus, EmailKind, EmailStatus, PaymentStatus, WebhookOutcome, WebhookProvider } from "../../src/generated/prisma/enums.js";
import { runCli } from "../support/cli.js";
import { modulesLoaded } from "../support/imports.js";
import { createTestDatabase, type TestDatabase } from "../support/db.js";

/**
 * `bookflow stats` as a process on a real PostgreSQL database with planted
 * bookings, emails and webhook events: every figure equals what this test
 * computes from the rows it planted (by the definitions of docs/stats.md),
 * rows just outside the window and scenario-run rows are left out, a day with
 * nothing planted is a row of zeros, and bad flags exit 2 with a fix.
 */
const SINCE = "2030-03-01T00:00:00.000Z";
const UNTIL = "2030-03-06T12:00:00.000Z";
const EMPTY_DAY = "2030-03-03";
const DAYS = ["2030-03-01", "2030-03-02", "2030-03-03", "2030-03-04", "2030-03-05", "2030-03-06"];
const HOUR = 3_600_000;

const RECORDED: PaymentStatus[] = ["PAID", "REFUND_PENDING", "PARTIALLY_REFUNDED", "REFUNDED", "DISPUTED"];

interface Planted {
  id: string;
  sessionTypeId: string;
  builderId: string;
  status: BookingStatus;
  paymentStatus: PaymentStatus;
  checkout: boolean;
  refundedCents: number;
  disputeId: string | null;
  createdAt: Date;
  runTag: string | null;
}

/** The valid (status, paymentStatus) pairs of src/core/status-rules.ts, with what else a row of each carries. */
const FREE_STATES: [BookingStatus, PaymentStatus][] = [["CONFIRMED", "NOT_REQUIRED"], ["CONFIRMED", "NOT_REQUIRED"], ["CANCELLED", "NOT_REQUIRED"]];
const PAID_STATES: { s: BookingStatus; p: PaymentStatus; checkout: boolean; refunded?: boolean; dispute?: boolean }[] = [
  { s: "PENDING", p: "UNPAID", checkout: false },
  { s: "PENDING", p: "UNPAID", checkout: true },
  { s: "PENDING", p: "PROCESSING", checkout: true },
  { s: "CONFIRMED", p: "PAID", checkout: true },
  { s: "CONFIRMED", p: "PAID", checkout: true },
  { s: "CONFIRMED", p: "PAID", checkout: true, dispute: true },
  { s: "CONFIRMED", p: "PARTIALLY_REFUNDED", checkout: true, refunded: true },
  { s: "CONFIRMED", p: "REFUNDED", checkout: true, refunded: true },
  { s: "CONFIRMED", p: "DISPUTED", checkout: true, dispute: true },
  { s: "CANCELLED", p: "UNPAID", checkout: true },
  { s: "CANCELLED", p: "UNPAID", checkout: false },
  { s: "CANCELLED", p: "PROCESSING", checkout: true },
  { s: "CANCELLED", p: "PAID", checkout: false },
  { s: "CANCELLED", p: "REFUND_PENDING", checkout: true },
  { s: "CANCELLED", p: "REFUNDED", checkout: true, refunded: true },
  { s: "CANCELLED", p: "DISPUTED", checkout: true, dispute: true },
];

/** A small deterministic generator, so a failure can be replayed. */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

/** PostgreSQL's percentile_cont: linear interpolation between the closest ranks. */
function percentileCont(sorted: number[], p: number): number {
  const pos = p * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

const rate = (n: number, d: number) => ({ numerator: n, denominator: d, rate: d === 0 ? null : n / d });
const dayOf = (d: Date) => d.toISOString().slice(0, 10);

describe("bookflow stats", () => {
  let t: TestDatabase;
  const bookings: Planted[] = [];
  const emails: { kind: EmailKind; status: EmailStatus; createdAt: Date; bookingId: string | null }[] = [];
  const events: { provider: WebhookProvider; type: string; outcome: WebhookOutcome; receivedAt: Date; processedAt: Date | null }[] = [];
  let types: { id: string; slug: string; title: string; builderId: string; priceCents: number; builder: { slug: string; displayName: string } }[] = [];

  beforeAll(async () => {
    t = await createTestDatabase({ seed: true });
    types = await t.db.prisma.sessionType.findMany({ include: { builder: true }, orderBy: { id: "asc" } });
    const rnd = lcg(18);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const inWindow = () => {
      const day = pick([0, 1, 3, 4, 5]);
      const ms = day === 5 ? rnd() * 12 * HOUR : rnd() * 24 * HOUR;
      return new Date(Date.parse(SINCE) + day * 24 * HOUR + Math.floor(ms));
    };
    const plant = (createdAt: Date, runTag: string | null = null) => {
      // Unequal weights, so the popularity order is not a tie.
      const st = types[[0, 0, 0, 0, 1, 1, 1, 2, 2, 3][Math.floor(rnd() * 10)]!]!;
      const id = randomUUID();
      if (st.priceCents === 0) {
        const [s, p] = pick(FREE_STATES);
        bookings.push({ id, sessionTypeId: st.id, builderId: st.builderId, status: s, paymentStatus: p, checkout: false, refundedCents: 0, disputeId: null, createdAt, runTag });
      } else {
        const x = pick(PAID_STATES);
        bookings.push({ id, sessionTypeId: st.id, builderId: st.builderId, status: x.s, paymentStatus: x.p, checkout: x.checkout, refundedCents: x.refunded ? 500 : 0, disputeId: x.dispute ? `dp_FAKE_${id.slice(0, 8)}` : null, createdAt, runTag });
      }
    };
    for (let i = 0; i < 300; i++) plant(inWindow());
    // Just outside the window (until is exclusive), and a scenario run's own bookings inside it.
    plant(new Date(Date.parse(SINCE) - 1));
    plant(new Date(UNTIL));
    plant(new Date(Date.parse(UNTIL) + HOUR));
    for (let i = 0; i < 12; i++) plant(inWindow(), "scenario:run-FAKE");
    await t.db.prisma.booking.createMany({
      data: bookings.map((b, i) => ({
        id: b.id,
        sessionTypeId: b.sessionTypeId,
        builderId: b.builderId,
        inviteeEmail: `invitee${i}@example.com`,
        startTime: new Date("2030-04-01T09:00:00Z"),
        endTime: new Date("2030-04-01T10:00:00Z"),
        status: b.status,
        paymentStatus: b.paymentStatus,
        stripeCheckoutSessionId: b.checkout ? `cs_test_FAKE_${b.id}` : null,
        refundedCents: b.refundedCents,
        stripeDisputeId: b.disputeId,
        disputeStatus: b.disputeId ? "needs_response" : null,
        runTag: b.runTag,
        createdAt: b.createdAt,
      })),
    });

    const tagged = bookings.filter((b) => b.runTag).map((b) => b.id);
    for (let i = 0; i < 150; i++) {
      const createdAt = i < 3 ? new Date(Date.parse(UNTIL) + i) : inWindow();
      const bookingId = i % 10 === 0 ? tagged[i % tagged.length]! : null;
      emails.push({ kind: pick(["CONFIRMATION", "CONFIRMATION", "RECEIPT", "CANCELLATION", "RESCHEDULED"] as const), status: pick(["SENT", "SENT", "SENT", "FAILED", "QUEUED"] as const), createdAt, bookingId });
    }
    await t.db.prisma.emailMessage.createMany({
      data: emails.map((e, i) => ({ kind: e.kind, status: e.status, createdAt: e.createdAt, bookingId: e.bookingId, dedupeKey: `k${i}`, to: `to${i}@example.com`, subject: "Your booking" })),
    });

    const kinds: [WebhookProvider, string][] = [["CALENDLY", "invitee.created"], ["CALENDLY", "invitee.canceled"], ["STRIPE", "checkout.session.completed"], ["STRIPE", "charge.refunded"]];
    for (let i = 0; i < 200; i++) {
      const [provider, type] = pick(kinds);
      const receivedAt = i === 0 ? new Date(Date.parse(SINCE) - 5) : inWindow();
      const outcome = pick(["PROCESSED", "PROCESSED", "PROCESSED", "PROCESSED", "DUPLICATE", "IGNORED", "FAILED", "HELD", "DEFERRED"] as const);
      const processedAt = ["FAILED", "HELD", "DEFERRED"].includes(outcome) ? null : new Date(receivedAt.getTime() + Math.floor(rnd() * rnd() * 4000));
      events.push({ provider, type, outcome, receivedAt, processedAt });
    }
    await t.db.prisma.webhookEvent.createMany({
      data: events.map((e, i) => ({ provider: e.provider, providerEventId: `evt_FAKE_${i}`, type: e.type, payload: {}, outcome: e.outcome, receivedAt: e.receivedAt, processedAt: e.processedAt })),
    });
  });
  afterAll(() => t?.drop());

  async function stats(args: string[]) {
    return runCli(["stats", ...args], { env: { DATABASE_URL: t.url } });
  }

  it("prints, as --json, the figures computed from the planted rows", async () => {
    const r = await stats(["--since", "2030-03-01", "--until", UNTIL, "--top", "3", "--json"]);
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    const report: StatsReport = statsReportSchema.parse(JSON.parse(r.stdout));
    const win = (d: Date) => d >= new Date(SINCE) && d < new Date(UNTIL);

    const ours = bookings.filter((b) => win(b.createdAt) && !b.runTag);
    const count = (f: (b: Planted) => boolean, among = ours) => among.filter(f).length;
    const recorded = (b: Planted) => RECORDED.includes(b.paymentStatus);
    const everConfirmed = (b: Planted) => b.status === "CONFIRMED" || (b.status === "CANCELLED" && (b.paymentStatus === "NOT_REQUIRED" || recorded(b)));
    const paid = ours.filter((b) => b.paymentStatus !== "NOT_REQUIRED");
    const failed = count((b) => b.status === "CANCELLED" && b.paymentStatus === "UNPAID" && b.checkout);
    const nRecorded = count(recorded);
    expect(ours.length).toBeGreaterThan(250);

    expect(report.window).toEqual({ since: SINCE, until: UNTIL, timeZone: "UTC" });
    expect(report.bookings).toEqual({
      created: ours.length,
      free: ours.length - paid.length,
      paid: paid.length,
      pending: count((b) => b.status === "PENDING"),
      confirmedNow: count((b) => b.status === "CONFIRMED"),
      cancelled: count((b) => b.status === "CANCELLED"),
    });
    expect(report.conversion).toEqual({
      booked: rate(count(everConfirmed), ours.length),
      checkout: rate(count(recorded, paid), count((b) => b.checkout || recorded(b), paid)),
    });
    expect(report.payments).toEqual({
      success: rate(nRecorded, nRecorded + failed),
      awaiting: count((b) => b.paymentStatus === "PROCESSING" || (b.status === "PENDING" && b.paymentStatus === "UNPAID")),
      refund: rate(count((b) => recorded(b) && b.refundedCents > 0), nRecorded),
      dispute: rate(count((b) => recorded(b) && b.disputeId !== null), nRecorded),
    });
    for (const figure of [report.conversion.booked, report.conversion.checkout, report.payments.success, report.payments.refund, report.payments.dispute]) {
      expect(figure.rate).toBeGreaterThan(0);
      expect(figure.rate).toBeLessThan(1);
    }

    // Emails: every kind, its own rows only (not a scenario run's, not after --until).
    const ourEmails = emails.filter((e) => win(e.createdAt) && (e.bookingId === null || !bookings.find((b) => b.id === e.bookingId)!.runTag));
    const emailFigures = (rows: typeof emails) => {
      const sent = rows.filter((e) => e.status === "SENT").length;
      const failedEmails = rows.filter((e) => e.status === "FAILED").length;
      return { total: rows.length, sent, failed: failedEmails, queued: rows.filter((e) => e.status === "QUEUED").length, deliveryRate: sent + failedEmails ? sent / (sent + failedEmails) : null };
    };
    expect(report.emails.source).toBe("bookflow");
    expect(report.emails.byKind).toEqual((["CONFIRMATION", "RECEIPT", "CANCELLATION", "RESCHEDULED", "ROLLBACK_NOTICE"] as const).map((kind) => ({ kind, ...emailFigures(ourEmails.filter((e) => e.kind === kind)) })));
    expect(report.emails.all).toEqual(emailFigures(ourEmails));

    // Popularity: most booked first, --top 3 of the 4 session types.
    const byType = types.map((st) => ({ id: st.id, n: count((b) => b.sessionTypeId === st.id), c: count((b) => b.sessionTypeId === st.id && everConfirmed(b)) })).sort((a, b) => b.n - a.n || (a.id < b.id ? -1 : 1));
    expect(report.sessionTypes.map((s) => [s.id, s.bookings, s.confirmed, s.share])).toEqual(byType.slice(0, 3).map((x) => [x.id, x.n, x.c, x.n / ours.length]));
    expect(report.sessionTypes[0]).toMatchObject({ slug: types.find((s) => s.id === byType[0]!.id)!.slug, builderSlug: types.find((s) => s.id === byType[0]!.id)!.builder.slug });
    const builderIds = [...new Set(types.map((s) => s.builderId))];
    const byBuilder = builderIds.map((id) => ({ id, n: count((b) => b.builderId === id) })).sort((a, b) => b.n - a.n || (a.id < b.id ? -1 : 1));
    expect(report.builders.map((s) => [s.id, s.bookings, s.name])).toEqual(byBuilder.map((x) => [x.id, x.n, types.find((s) => s.builderId === x.id)!.builder.displayName]));

    // Webhooks: per provider and type, percentiles of processedAt - receivedAt.
    const ourEvents = events.filter((e) => win(e.receivedAt));
    const groups = [...new Set(ourEvents.map((e) => `${e.provider} ${e.type}`))].sort();
    expect(report.webhooks.map((w) => `${w.provider} ${w.type}`)).toEqual(groups);
    for (const w of report.webhooks) {
      const rows = ourEvents.filter((e) => e.provider === w.provider && e.type === w.type);
      const times = rows.filter((e) => e.processedAt).map((e) => e.processedAt!.getTime() - e.receivedAt.getTime()).sort((a, b) => a - b);
      expect(w).toMatchObject({ received: rows.length, processed: times.length, failed: rows.filter((e) => e.outcome === "FAILED").length, held: rows.filter((e) => e.outcome === "HELD" || e.outcome === "DEFERRED").length });
      expect(times.length).toBeGreaterThan(3);
      expect(w.p50Ms).toBeCloseTo(percentileCont(times, 0.5), 6);
      expect(w.p95Ms).toBeCloseTo(percentileCont(times, 0.95), 6);
      expect(w.p99Ms).toBeCloseTo(percentileCont(times, 0.99), 6);
      expect(w.maxMs).toBeCloseTo(times.at(-1)!, 6);
    }

    // Daily: every day the window touches, the empty one as zeros.
    expect(report.daily.map((d) => d.day)).toEqual(DAYS);
    for (const d of report.daily) {
      const on = ours.filter((b) => dayOf(b.createdAt) === d.day);
      const mails = ourEmails.filter((e) => dayOf(e.createdAt) === d.day);
      expect(d).toEqual({
        day: d.day,
        bookings: on.length,
        confirmed: on.filter(everConfirmed).length,
        paid: on.filter(recorded).length,
        cancelled: on.filter((b) => b.status === "CANCELLED").length,
        emailsSent: mails.filter((e) => e.status === "SENT").length,
        emailsFailed: mails.filter((e) => e.status === "FAILED").length,
        webhooksReceived: ourEvents.filter((e) => dayOf(e.receivedAt) === d.day).length,
      });
    }
    expect(report.daily.find((d) => d.day === EMPTY_DAY)).toEqual({ day: EMPTY_DAY, bookings: 0, confirmed: 0, paid: 0, cancelled: 0, emailsSent: 0, emailsFailed: 0, webhooksReceived: 0 });
  });

  it("prints the same figures as a table, rates beside their n/d", async () => {
    const json = statsReportSchema.parse(JSON.parse((await stats(["--since", SINCE, "--until", UNTIL, "--json"])).stdout));
    const r = await stats(["--since", SINCE, "--until", UNTIL]);
    expect(r.exitCode).toBe(0);
    const success = json.payments.success;
    expect(r.stdout).toContain(`Payment success       ${`${(success.rate! * 100).toFixed(1)}%`.padStart(6)}  (${success.numerator}/${success.denominator})`);
    expect(r.stdout).toContain(`Bookings: ${json.bookings.created} created`);
    expect(r.stdout).toContain("SendGrid's own stats: not shown. SENDGRID_API_KEY is not set");
    expect(r.stdout).toMatch(new RegExp(`${EMPTY_DAY}\\s+0\\s+0\\s+0\\s+0\\s+0\\s+0\\s+0\\n`));
    expect(r.stdout).toMatch(/stripe\s+checkout\.session\.completed\s+\d+/);
  });

  it.each([
    [["--since", "yesterday"], /--since "yesterday" is not a date/, /--since 7d/],
    [["--since", "2030-02-30"], /no such day/, /ISO date/],
    [["--until", "7 days"], /--until "7 days" is not a date/, /--until 7d/],
    [["--since", "2030-03-05", "--until", "2030-03-01"], /is not before --until/, /earlier than --until/],
    [["--since", "2020-01-01", "--until", "2030-01-01"], /touches 3654 days; stats covers at most 1000/, /shorter window/],
    [["--top", "0"], /top: must be 1 to 1000/, /stats --help/],
    [["--top", "many"], /top: must be a number/, /stats --help/],
    [["--format", "pdf"], /format: must be one of text, json, html, not "pdf"/, /stats --help/],
    [["--json", "--format", "html"], /--json and --format html ask for two outputs/, /Keep one/],
    [["--output", "stats.txt"], /--output writes the --format output/, /--format html/],
  ])("refuses %j with exit 2 and a fix", async (args, message, fix) => {
    const r = await stats(args);
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(fix);
  });

  it("--help defines every figure and loads no Prisma, driver, zod or SendGrid SDK", async () => {
    const { result: r, loaded } = await modulesLoaded(["stats", "--help"]);
    expect(r.exitCode).toBe(0);
    for (const figure of ["Booking conversion", "Checkout conversion", "Payment success", "Refund rate", "Dispute rate", "Email delivery", "Popularity", "Webhook processing", "Daily series", "UTC", "Exit codes"]) expect(r.stdout).toContain(figure);
    expect(loaded.filter((u) => ["@prisma/", "/generated/prisma/", "/pg/", "/zod/", "@electric-sql/", "@sendgrid/"].some((h) => u.includes(h)))).toEqual([]);
  });

  it("says to migrate a database without bookflow's tables", async () => {
    const bare = await createTestDatabase({ migrated: false });
    try {
      const r = await runCli(["stats"], { env: { DATABASE_URL: bare.url } });
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toMatch(/Cannot compute stats: the database did not answer as expected \(relation "Booking" does not exist\)/);
      expect(r.stderr).toMatch(/bookflow db migrate/);
    } finally {
      await bare.drop();
    }
  });

  it("says what to do when the database cannot be reached", async () => {
    const r = await runCli(["stats"], { env: { DATABASE_URL: "postgresql://postgres@127.0.0.1:1/nowhere" } });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/Cannot connect to the database server at 127\.0\.0\.1:1/);
  });
});
