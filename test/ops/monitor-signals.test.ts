import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readSignals, LATENCY_BUCKETS } from "../../src/ops/monitor-signals.js";
import { createTestDatabase, type TestDatabase } from "../support/db.js";

/**
 * The monitor's database signals on the real PostgreSQL: rows planted at known
 * ages, each aggregate equal to what the test counts from what it planted.
 */
const NOW = Date.parse("2030-06-01T12:00:00Z");
const minutesAgo = (m: number) => new Date(NOW - m * 60_000);

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase({ seed: true });
  const p = t.db.prisma;
  const type = await p.sessionType.findFirstOrThrow({ where: { priceCents: { gt: 0 } } });
  let n = 0;
  const booking = (status: "PENDING" | "CONFIRMED" | "CANCELLED", paymentStatus: "NOT_REQUIRED" | "UNPAID" | "PAID" | "REFUNDED", ageMin: number, checkout: boolean) =>
    p.booking.create({
      data: {
        sessionTypeId: type.id,
        builderId: type.builderId,
        inviteeEmail: `signals-${++n}@example.com`,
        startTime: new Date(NOW + 86_400_000),
        endTime: new Date(NOW + 90_000_000),
        status,
        paymentStatus,
        createdAt: minutesAgo(ageMin),
        ...(checkout ? { stripeCheckoutSessionId: `cs_test_FAKE_signals_${n}` } : {}),
      },
    });
  // Stuck: PENDING 40 min (x2), UNPAID and CONFIRMED 45 min; not stuck: PENDING 10 min, UNPAID but CANCELLED 50 min.
  await booking("PENDING", "NOT_REQUIRED", 40, false);
  await booking("PENDING", "UNPAID", 40, true);
  await booking("CONFIRMED", "UNPAID", 45, true);
  await booking("PENDING", "NOT_REQUIRED", 10, false);
  await booking("CANCELLED", "UNPAID", 50, true);
  // In the last hour, besides the above: confirmed and paid (x2), refunded; outside the window: confirmed, 2 h old.
  await booking("CONFIRMED", "PAID", 20, true);
  await booking("CONFIRMED", "PAID", 5, true);
  await booking("CONFIRMED", "REFUNDED", 30, true);
  await booking("CONFIRMED", "PAID", 120, true);

  const email = (status: "QUEUED" | "SENT" | "FAILED", ageMin: number) =>
    p.emailMessage.create({ data: { kind: "CONFIRMATION", to: `mail-${++n}@example.com`, subject: "s", status, createdAt: minutesAgo(ageMin) } });
  await email("FAILED", 30);
  await email("FAILED", 90); // outside the window
  await email("QUEUED", 20); // held
  await email("QUEUED", 5); // not yet held
  await email("SENT", 20);

  const event = (provider: "CALENDLY" | "STRIPE", outcome: "PROCESSED" | "FAILED" | "HELD", receivedMinAgo: number, latencyMs: number | null) =>
    p.webhookEvent.create({
      data: {
        provider,
        providerEventId: `evt_FAKE_signals_${++n}`,
        type: "x",
        payload: {},
        outcome,
        receivedAt: minutesAgo(receivedMinAgo),
        processedAt: latencyMs === null ? null : new Date(NOW - receivedMinAgo * 60_000 + latencyMs),
      },
    });
  await event("STRIPE", "FAILED", 10, 30);
  await event("STRIPE", "FAILED", 70, 30); // outside the window
  await event("CALENDLY", "HELD", 200, null); // held, whatever its age
  await event("STRIPE", "PROCESSED", 3, 40); // 0.04 s
  await event("STRIPE", "PROCESSED", 3, 700); // 0.7 s
  await event("CALENDLY", "PROCESSED", 2, 3000); // 3 s
  await event("STRIPE", "PROCESSED", 100, 20); // processed before the latency read starts
});
afterAll(async () => t?.drop());

describe("monitor signals", () => {
  it("each aggregate counts what was planted", async () => {
    const s = await readSignals(t.db.sql, NOW, NOW - 30 * 60_000);
    expect(s.stuckBookings).toEqual({ pending: 2, unpaid: 2 });
    expect(s.emails).toEqual({ failed: 1, held: 1 });
    expect(s.webhookEvents).toEqual([
      { provider: "calendly", failed: 0, held: 1 },
      { provider: "stripe", failed: 1, held: 0 },
    ]);
    // Created in the last hour: the 5 stuck-or-not bookings (10 to 50 min) and 3 more; confirmed: 1 + 3.
    expect(s.conversion).toEqual({ created: 8, confirmed: 4 });
    // With a checkout in the last hour: 3 (UNPAID x3 incl. cancelled) + 3; paid: 2 PAID + 1 REFUNDED.
    expect(s.payments).toEqual({ checkouts: 6, paid: 3 });
    const stripe = s.latency.find((l) => l.provider === "stripe")!;
    const cumulative = (values: number[]) => LATENCY_BUCKETS.map((b) => values.filter((v) => v <= b).length);
    // The FAILED stripe event 10 min ago, processed after 30 ms, is in the read too.
    expect(stripe).toEqual({ provider: "stripe", buckets: cumulative([0.03, 0.04, 0.7]), count: 3, sumSeconds: expect.closeTo(0.77, 6) as number });
    expect(s.latency.find((l) => l.provider === "calendly")).toEqual({ provider: "calendly", buckets: cumulative([3]), count: 1, sumSeconds: 3 });
  });

  it("the next latency read counts only what was processed since the previous one", async () => {
    const s = await readSignals(t.db.sql, NOW, NOW);
    expect(s.latency.map((l) => l.count)).toEqual([0, 0]);
  });
});
