import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bookingsList, type BookingsListOptions } from "../../commands/handlers/bookings-list.js";
import type { BookingsListReport } from "../../src/ops/bookings-list.js";
import { createContext } from "../../src/context.js";
import type { BookingStatus, PaymentStatus } from "../../src/generated/prisma/enums.js";
import { runCli } from "../support/cli.js";
import { createTestDatabase, type TestDatabase } from "../support/db.js";
import { expectUsageFailure } from "../support/errors.js";

/**
 * `bookflow bookings list` on a seeded database with bookings written
 * directly: every filter, the stuck threshold, keyset pages without gaps or
 * repeats (including bookings that start at the same time), and bad input.
 */
describe("bookflow bookings list", () => {
  let t: TestDatabase;
  const ids: Record<string, string> = {};
  const sameStart: string[] = [];

  beforeAll(async () => {
    t = await createTestDatabase({ seed: true });
    const st = async (builder: string, slug: string) => t.db.prisma.sessionType.findFirstOrThrow({ where: { slug, builder: { slug: builder } } });
    const adaFree = await st("ada-lovelace", "intro-call");
    const adaPaid = await st("ada-lovelace", "build-session");
    const graceFree = await st("grace-hopper", "intro-call");
    const gracePaid = await st("grace-hopper", "code-review");
    const now = Date.now();
    const make = async (key: string, s: { id: string; builderId: string; priceCents: number }, start: string, status: BookingStatus, paymentStatus: PaymentStatus, email: string, createdAgoMs = 86_400_000) => {
      const id = randomUUID();
      const startTime = new Date(start);
      await t.db.prisma.booking.create({
        data: { id, sessionTypeId: s.id, builderId: s.builderId, inviteeEmail: email, startTime, endTime: new Date(startTime.getTime() + 1_800_000), status, paymentStatus, amountCents: s.priceCents, createdAt: new Date(now - createdAgoMs) },
      });
      ids[key] = id;
      return id;
    };
    await make("b1", adaFree, "2030-03-01T09:00:00Z", "CONFIRMED", "NOT_REQUIRED", "a@example.com");
    await make("b2", adaPaid, "2030-03-01T10:00:00Z", "CONFIRMED", "PAID", "B@example.com");
    await make("b3", graceFree, "2030-03-02T09:00:00Z", "CANCELLED", "NOT_REQUIRED", "a@example.com");
    await make("b4", gracePaid, "2030-03-02T10:00:00Z", "PENDING", "UNPAID", "c@example.com", 2 * 3_600_000);
    await make("b5", gracePaid, "2030-03-03T10:00:00Z", "PENDING", "UNPAID", "d@example.com", 10 * 60_000);
    await make("b6", adaPaid, "2030-03-31T23:30:00Z", "CANCELLED", "REFUNDED", "e@example.com");
    await make("b7", adaPaid, "2030-04-01T00:00:00Z", "CANCELLED", "PAID", "f@example.com");
    for (let i = 0; i < 6; i++) sameStart.push(await make(`tie${i}`, adaFree, "2030-05-01T09:00:00Z", "CONFIRMED", "NOT_REQUIRED", `tie${i}@example.com`));
  });
  afterAll(() => t?.drop());

  async function list(options: BookingsListOptions): Promise<BookingsListReport> {
    let out = "";
    const ctx = createContext({ env: { DATABASE_URL: t.url } as NodeJS.ProcessEnv, out: (x) => (out += x), err: () => {} });
    expect(await bookingsList({ ...options, json: true }, { ctx })).toBe(0);
    return JSON.parse(out) as BookingsListReport;
  }
  const keys = (r: BookingsListReport) => r.items.map((b) => Object.entries(ids).find(([, id]) => id === b.id)?.[0]);

  it("pages through everything by start time with a keyset cursor: no gaps, no repeats, ties broken by id", async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await list({ limit: 4, ...(cursor ? { cursor } : {}) });
      seen.push(...page.items.map((b) => b.id));
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor);
    expect(pages).toBe(4);
    expect(seen).toHaveLength(13);
    expect(new Set(seen).size).toBe(13);
    expect(seen.slice(0, 7)).toEqual(["b1", "b2", "b3", "b4", "b5", "b6", "b7"].map((k) => ids[k]));
    expect(seen.slice(7)).toEqual([...sameStart].sort());
  });

  it.each([
    ["--status confirmed", { status: ["confirmed"] }, ["b1", "b2", "tie0", "tie1", "tie2", "tie3", "tie4", "tie5"]],
    ["--payment-status paid,refunded", { paymentStatus: ["paid,REFUNDED"] }, ["b2", "b6", "b7"]],
    ["--status cancelled --payment-status not_required", { status: ["CANCELLED"], paymentStatus: ["not-required"] }, ["b3"]],
    ["--builder grace-hopper", { builder: "grace-hopper" }, ["b3", "b4", "b5"]],
    ["--builder ada-lovelace --session-type build-session", { builder: "ada-lovelace", sessionType: "build-session" }, ["b2", "b6", "b7"]],
    ["--session-type code-review", { sessionType: "code-review" }, ["b4", "b5"]],
    ["--email A@EXAMPLE.COM (any case)", { email: "A@EXAMPLE.COM" }, ["b1", "b3"]],
    ["--email % is an address, not a pattern: nothing matches", { email: "%" }, []],
    ["--email _@example.com matches no one-letter address", { email: "_@example.com" }, []],
    ["--from 2030-03-02 --to 2030-03-31 (a bare --to date includes that day)", { from: "2030-03-02", to: "2030-03-31" }, ["b3", "b4", "b5", "b6"]],
    ["--to 2030-03-31T23:00:00Z", { from: "2030-03-02T09:30:00Z", to: "2030-03-31T23:00:00Z" }, ["b4", "b5"]],
    ["--stuck (default 30m)", { stuck: true }, ["b4"]],
    ["--stuck-after 5m", { stuckAfter: "5m" }, ["b4", "b5"]],
  ] as [string, BookingsListOptions, string[]][])("%s", async (_name, options, expected) => {
    // In list order (start time, then id: the order of the six ties is their ids').
    const everything = keys(await list({ limit: 100 }));
    expect(keys(await list({ ...options, limit: 100 }))).toEqual(everything.filter((k) => expected.includes(k!)));
    expect(expected.every((k) => everything.includes(k))).toBe(true);
  });

  it("--stuck also lists what needs someone after the payment: a refund that failed, a refund pending too long, a booking marked for review; each with why", async () => {
    const st = await t.db.prisma.sessionType.findFirstOrThrow({ where: { slug: "build-session", builder: { slug: "ada-lovelace" } } });
    const extra: Record<string, string> = {};
    const make = async (key: string, data: Partial<{ status: BookingStatus; paymentStatus: PaymentStatus; reviewReason: string; updatedAt: Date }>) => {
      const id = randomUUID();
      await t.db.prisma.booking.create({
        data: { id, sessionTypeId: st.id, builderId: st.builderId, inviteeEmail: `${key}@example.com`, startTime: new Date("2030-06-01T10:00:00Z"), endTime: new Date("2030-06-01T11:00:00Z"), amountCents: st.priceCents, status: "CANCELLED", paymentStatus: "PAID", ...data },
      });
      extra[key] = id;
    };
    await make("refundFailed", {});
    await t.db.prisma.auditLog.create({ data: { actor: "webhook:calendly", action: "booking.refund_failed", target: extra.refundFailed!, reason: "card_declined" } });
    await make("refundPending", { paymentStatus: "REFUND_PENDING" });
    await t.db.prisma.$executeRawUnsafe(`UPDATE "Booking" SET "updatedAt" = now() - interval '2 hours' WHERE id = $1`, extra.refundPending);
    await make("refundPendingJustNow", { paymentStatus: "REFUND_PENDING" });
    await make("review", { status: "CONFIRMED", reviewReason: "rescheduled into another session type priced 0 usd" });
    try {
      const r = await list({ stuck: true, limit: 100 });
      const reasons = Object.fromEntries(r.items.map((b) => [Object.entries({ ...ids, ...extra }).find(([, id]) => id === b.id)?.[0], b.stuckReason]));
      expect(Object.keys(reasons).sort()).toEqual(["b4", "refundFailed", "refundPending", "review"]);
      expect(reasons.refundFailed).toMatch(/^refund failed/);
      expect(reasons.refundPending).toMatch(/^refund pending in Stripe since/);
      expect(reasons.review).toBe("needs review: rescheduled into another session type priced 0 usd");
      expect(reasons.b4).toMatch(/^unpaid since/);
    } finally {
      await t.db.prisma.auditLog.deleteMany({ where: { target: { in: Object.values(extra) } } });
      await t.db.prisma.booking.deleteMany({ where: { id: { in: Object.values(extra) } } });
    }
  });

  it("reports the filter it applied (with the stuck threshold) in --json", async () => {
    const r = await list({ stuck: true });
    expect(r.filter).toMatchObject({ stuck: true, stuckAfterMs: 1_800_000, limit: 50 });
    expect(r).toMatchObject({ count: 1, nextCursor: null });
  });

  const bad: [string, BookingsListOptions, string, RegExp][] = [
    ["a date that does not exist", { from: "2030-02-30" }, "BAD_DATE", /--from "2030-02-30" is not a date/],
    ["words for a date", { to: "next week" }, "BAD_DATE", /--to "next week" is not a date/],
    ["--from after --to", { from: "2030-04-01", to: "2030-03-01" }, "BAD_DATE", /is not before --to/],
    ["an unknown status", { status: ["done"] }, "BAD_OPTION", /--status "done" is not one of PENDING, CONFIRMED, CANCELLED/],
    ["an unknown builder", { builder: "nobody" }, "NOT_FOUND", /No builder has the slug "nobody"/],
    ["an unknown session type", { sessionType: "massage" }, "NOT_FOUND", /No session type has the slug "massage"/],
    ["a cursor bookflow did not print", { cursor: "not-a-cursor" }, "BAD_CURSOR", /is not a cursor bookflow printed/],
    ["--stuck with another status", { stuck: true, status: ["confirmed"] }, "CONFLICTING_OPTIONS", /--stuck picks its own states/],
    ["--limit 0", { limit: 0 }, "BAD_OPTION", /limit: must be 1 to 500/],
    ["--stuck-after without a unit", { stuckAfter: "soon" }, "BAD_OPTION", /--stuck-after "soon" is not a duration/],
  ];
  it.each(bad)("bad input, %s: what is wrong and how to fix it, exit 2", async (_name, options, code, message) => {
    const ctx = createContext({ env: { DATABASE_URL: t.url } as NodeJS.ProcessEnv, out: () => {}, err: () => {} });
    await expectUsageFailure(bookingsList(options, { ctx }), { code, message });
  });

  it("on the command line: a table, --json pages, and a malformed date → exit 2 (CLI)", async () => {
    const table = await runCli(["bookings", "list", "--builder", "grace-hopper"], { env: { DATABASE_URL: t.url } });
    expect(table.exitCode, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^ID\s+START\s+STATUS\s+PAYMENT/);
    expect(table.stdout).toContain("grace-hopper/code-review");
    expect(table.stdout).toContain("3 bookings.");

    const first = await runCli(["bookings", "list", "--status", "confirmed", "--limit", "5", "--json"], { env: { DATABASE_URL: t.url } });
    const page1 = JSON.parse(first.stdout) as BookingsListReport;
    expect(page1.count).toBe(5);
    const second = await runCli(["bookings", "list", "--status", "confirmed", "--limit", "5", "--json", "--cursor", page1.nextCursor!], { env: { DATABASE_URL: t.url } });
    const page2 = JSON.parse(second.stdout) as BookingsListReport;
    expect(page2).toMatchObject({ count: 3, nextCursor: null });

    const bad = await runCli(["bookings", "list", "--from", "2030-13-01"], { env: { DATABASE_URL: t.url } });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('--from "2030-13-01" is not a date');
    expect(bad.stderr).toContain("fix:");
  });
});
