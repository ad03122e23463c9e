import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stats as statsCommand } from "../../commands/handlers/stats.js";
import { formatStats } from "../../commands/support/stats-view.js";
import { createContext } from "../../src/context.js";
import { openDatabase, type Database } from "../../src/db/client.js";
import { applyMigrations } from "../../src/db/migrations.js";
import { seed } from "../../src/db/seed.js";
import type { BookingStatus, PaymentStatus } from "../../src/generated/prisma/enums.js";
import { computeStats } from "../../src/ops/stats.js";
import { createTestDatabase, type TestDatabase } from "../support/db.js";
import { expectUsageFailure } from "../support/errors.js";

/**
 * The stats use case called directly, on the real PostgreSQL and on the
 * embedded PGlite (the database bookflow uses without DATABASE_URL): an empty
 * window, a window without paid bookings (rates null, printed "n/a", never
 * NaN), days without bookings as zeros, a window that starts and ends inside
 * a day, and the window flags' relative forms.
 */
const NOW = new Date("2030-06-10T15:30:00.000Z");
const clock = { now: () => NOW };

async function plantFree(db: Database, rows: { createdAt: string; status: BookingStatus; paymentStatus?: PaymentStatus }[]): Promise<void> {
  const free = await db.prisma.sessionType.findFirstOrThrow({ where: { priceCents: 0 }, orderBy: { id: "asc" } });
  await db.prisma.booking.createMany({
    data: rows.map((r, i) => ({
      id: randomUUID(),
      sessionTypeId: free.id,
      builderId: free.builderId,
      inviteeEmail: `edge${i}@example.com`,
      startTime: new Date("2030-07-01T09:00:00Z"),
      endTime: new Date("2030-07-01T09:30:00Z"),
      status: r.status,
      paymentStatus: r.paymentStatus ?? "NOT_REQUIRED",
      createdAt: new Date(r.createdAt),
    })),
  });
}

let pg: TestDatabase | undefined;
const databases: [string, () => Promise<Database>, () => Promise<void>][] = [
  ["PostgreSQL", async () => (pg = await createTestDatabase({ seed: true })).db, async () => pg?.drop()],
  [
    "embedded PGlite",
    async () => {
      const db = await openDatabase({ dataDir: "memory://" });
      await applyMigrations(db);
      await seed(db.prisma);
      return db;
    },
    async () => {},
  ],
];

describe.each(databases)("stats on %s", (_name, open, close) => {
  let db: Database;
  const ctx = () => ({ db: async () => db, clock });

  beforeAll(async () => {
    db = await open();
    // Free bookings only, on 2030-06-01 and 2030-06-04; nothing on the days between.
    await plantFree(db, [
      { createdAt: "2030-06-01T08:00:00Z", status: "CONFIRMED" },
      { createdAt: "2030-06-01T23:59:59.999Z", status: "CANCELLED" },
      { createdAt: "2030-06-04T00:00:00Z", status: "CONFIRMED" },
    ]);
  }, 120_000);
  afterAll(async () => {
    await db?.close().catch(() => {});
    await close();
  });

  it("an empty window: zeros, every rate null, every day listed", async () => {
    const r = await computeStats(ctx(), { since: new Date("2031-01-01T00:00:00Z"), until: new Date("2031-01-03T00:00:00Z"), top: 10 });
    expect(r.bookings).toEqual({ created: 0, free: 0, paid: 0, pending: 0, confirmedNow: 0, cancelled: 0 });
    for (const ratio of [r.conversion.booked, r.conversion.checkout, r.payments.success, r.payments.refund, r.payments.dispute]) expect(ratio).toEqual({ numerator: 0, denominator: 0, rate: null });
    expect(r.emails.byKind.map((e) => [e.kind, e.total, e.deliveryRate])).toEqual([["CONFIRMATION", 0, null], ["RECEIPT", 0, null], ["CANCELLATION", 0, null], ["RESCHEDULED", 0, null], ["ROLLBACK_NOTICE", 0, null]]);
    expect(r.sessionTypes).toEqual([]);
    expect(r.builders).toEqual([]);
    expect(r.webhooks).toEqual([]);
    expect(r.daily.map((d) => d.day)).toEqual(["2031-01-01", "2031-01-02"]);
    expect(JSON.stringify(r)).not.toMatch(/NaN/);
    expect(formatStats(r)).not.toMatch(/NaN/);
  });

  it("no paid bookings: payment rates are null and print n/a; the days in between are zeros", async () => {
    const r = await computeStats(ctx(), { since: new Date("2030-06-01T00:00:00Z"), until: new Date("2030-06-05T00:00:00Z"), top: 10 });
    expect(r.bookings).toEqual({ created: 3, free: 3, paid: 0, pending: 0, confirmedNow: 2, cancelled: 1 });
    // The cancelled free booking was confirmed when it was made.
    expect(r.conversion.booked).toEqual({ numerator: 3, denominator: 3, rate: 1 });
    expect(r.conversion.checkout.rate).toBeNull();
    expect(r.payments.success.rate).toBeNull();
    expect(r.payments.refund.rate).toBeNull();
    expect(r.payments.dispute.rate).toBeNull();
    expect(r.sessionTypes).toHaveLength(1);
    expect(r.sessionTypes[0]).toMatchObject({ bookings: 3, confirmed: 3, share: 1 });
    expect(r.daily).toEqual([
      { day: "2030-06-01", bookings: 2, confirmed: 2, paid: 0, cancelled: 1, emailsSent: 0, emailsFailed: 0, webhooksReceived: 0 },
      { day: "2030-06-02", bookings: 0, confirmed: 0, paid: 0, cancelled: 0, emailsSent: 0, emailsFailed: 0, webhooksReceived: 0 },
      { day: "2030-06-03", bookings: 0, confirmed: 0, paid: 0, cancelled: 0, emailsSent: 0, emailsFailed: 0, webhooksReceived: 0 },
      { day: "2030-06-04", bookings: 1, confirmed: 1, paid: 0, cancelled: 0, emailsSent: 0, emailsFailed: 0, webhooksReceived: 0 },
    ]);
    const text = formatStats(r);
    expect(text).toMatch(/Payment success\s+n\/a\s+\(0\/0\)/);
    expect(text).toMatch(/Booking conversion\s+100\.0%\s+\(3\/3\)/);
    expect(text).not.toMatch(/NaN/);
  });

  it("a window inside days: since inclusive, until exclusive, both partial days listed", async () => {
    const r = await computeStats(ctx(), { since: new Date("2030-06-01T08:00:00Z"), until: new Date("2030-06-04T00:00:00Z"), top: 10 });
    expect(r.bookings.created).toBe(2);
    expect(r.daily.map((d) => [d.day, d.bookings])).toEqual([["2030-06-01", 2], ["2030-06-02", 0], ["2030-06-03", 0]]);
    const later = await computeStats(ctx(), { since: new Date("2030-06-01T08:00:00.001Z"), until: new Date("2030-06-04T00:00:00.001Z"), top: 10 });
    expect(later.bookings.created).toBe(2);
    expect(later.daily.map((d) => [d.day, d.bookings])).toEqual([["2030-06-01", 1], ["2030-06-02", 0], ["2030-06-03", 0], ["2030-06-04", 1]]);
  });

  it("--top bounds the popularity lists", async () => {
    const r = await computeStats(ctx(), { since: new Date("2030-06-01T00:00:00Z"), until: new Date("2030-06-05T00:00:00Z"), top: 1 });
    expect(r.builders).toHaveLength(1);
  });

  it("refuses a window that is empty or backwards, or longer than 1000 days", async () => {
    await expectUsageFailure(computeStats(ctx(), { since: NOW, until: NOW, top: 10 }), { code: "BAD_DATE", message: /is not before --until/ });
    await expectUsageFailure(computeStats(ctx(), { since: new Date("2028-01-01T00:00:00Z"), until: new Date("2030-12-31T00:00:00Z"), top: 10 }), { code: "BAD_DATE", message: /at most 1000/ });
  });
});

describe("stats window flags", () => {
  const parse = (raw: Record<string, unknown>) => statsCommand.parse(raw, createContext({ env: {}, clock }));

  it("reads 7d (the default), 24h, 90m and 30s as that long before now, and until as now", async () => {
    expect(await parse({})).toMatchObject({ since: new Date(NOW.getTime() - 7 * 86_400_000), until: NOW, top: 10, format: "text" });
    expect((await parse({ since: "24h" })).since).toEqual(new Date(NOW.getTime() - 86_400_000));
    expect((await parse({ since: "90m", until: "30s" }))).toMatchObject({ since: new Date(NOW.getTime() - 90 * 60_000), until: new Date(NOW.getTime() - 30_000) });
  });

  it("reads ISO dates as UTC; a bare --until date includes that day", async () => {
    expect(await parse({ since: "2030-06-01", until: "2030-06-03" })).toMatchObject({ since: new Date("2030-06-01T00:00:00Z"), until: new Date("2030-06-04T00:00:00Z") });
    expect((await parse({ since: "2030-06-01T09:30" })).since).toEqual(new Date("2030-06-01T09:30:00Z"));
    expect((await parse({ since: "2030-06-01T09:30:00+02:00" })).since).toEqual(new Date("2030-06-01T07:30:00Z"));
  });

  it.each([["last week"], ["7 days ago"], ["2030-13-01"], ["2030-06-01T25:00Z"], ["0d"], [""]])("refuses --since %j with a fix naming both forms", async (since) => {
    const err = await expectUsageFailure(Promise.resolve().then(() => parse({ since })), { code: since === "0d" ? "BAD_OPTION" : "BAD_DATE" });
    expect(err.message).toContain("--since");
  });
});
