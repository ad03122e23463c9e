import { describe, expect, it } from "vitest";
import { runCrashHarness } from "../../bench/crash.js";

/**
 * The crash test (the harness is bench/crash.ts; `npm run bench -- crash` prints its figures): `bookflow serve`
 * on a PostgreSQL of its own, fed signed paid bookings, payments and cancellations with duplicates, while it
 * `kill -9`s the app three times at random points of the traffic and stops PostgreSQL with
 * `pg_ctl stop -m immediate` twice; every event is delivered again until acknowledged, as Calendly and Stripe do.
 * At the end every booking is exactly right, every owed refund was made exactly once at Stripe and recorded, every
 * email was sent with at most one duplicate per crash or outage per instance (the one in flight), and every
 * acknowledged event is recorded. Once alone on a direct URL, once as two instances behind PgBouncer in
 * transaction mode.
 */
describe.each([
  { instances: 1, pooled: false, seed: 20261203 },
  { instances: 2, pooled: true, seed: 20261204 },
])("kill -9 and database crashes under signed traffic ($instances instance(s), PgBouncer: $pooled)", (config) => {
  it("ends with every booking right, every owed refund made once, every email sent with at most one duplicate per crash", { timeout: 300_000 }, async () => {
    const f = await runCrashHarness(config);
    console.log(`crash test (${config.instances} instance(s)${config.pooled ? ", PgBouncer transaction mode" : ""}): ${JSON.stringify({ ...f, problems: undefined })}`);
    expect(f.problems).toEqual([]);
    expect({ kills: f.kills, outages: f.outages }).toEqual({ kills: 3, outages: 2 });
    expect(f.refundsOwed).toBeGreaterThan(10);
    expect({ wrongBookings: f.wrongBookings, refundsLost: f.refundsLost, refundsDoubled: f.refundsDoubled, refundsWrongAmount: f.refundsWrongAmount, emailsMissing: f.emailsMissing, unrecordedEvents: f.unrecordedEvents, failedEffects: f.failedEffects }).toEqual({
      wrongBookings: 0,
      refundsLost: 0,
      refundsDoubled: 0,
      refundsWrongAmount: 0,
      emailsMissing: 0,
      unrecordedEvents: 0,
      failedEffects: 0,
    });
    expect(f.duplicateEmails).toBeLessThanOrEqual((f.kills + f.outages) * config.instances);
  });
});
