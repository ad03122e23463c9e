import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWebhookIntake, setManualProcessing, releaseHeldEvents } from "../../src/core/webhook-intake.js";
import { openDatabase, type Database } from "../../src/db/client.js";
import { applyMigrations } from "../../src/db/migrations.js";
import { seed } from "../../src/db/seed.js";
import { sqlErrorCode, toSqlTimestamp, UNIQUE_VIOLATION, type SqlClient } from "../../src/db/sql.js";
import { createTestDatabase, type TestDatabase } from "../support/db.js";
import {
  calendlyInviteeCanceled,
  calendlyInviteeCreated,
  newInviteeUri,
  stripeCheckoutCompleted,
  stripePaymentIntentSucceeded,
} from "../support/webhook-fixtures.js";

const FREE = "https://api.calendly.com/event_types/ada-intro-call";
const PAID = "https://api.calendly.com/event_types/ada-build-session"; // 9900 usd

/** The SqlClient contract, the same for PostgreSQL (pg.Pool) and PGlite. */
function sqlClientContract(name: string, open: () => Promise<{ db: Database; done(): Promise<void> }>) {
  describe(name, () => {
    let db: Database;
    let done: () => Promise<void>;
    let sql: SqlClient;
    beforeAll(async () => {
      ({ db, done } = await open());
      sql = db.sql;
    }, 120_000);
    afterAll(async () => {
      await done?.();
    });

    it("runs parameterised statements and returns plain rows", async () => {
      const rows = await sql.query<{ n: number; s: string; nothing: null }>(`SELECT $1::int + 1 AS n, $2::text AS s, NULL AS nothing`, [41, "x"]);
      expect(rows).toEqual([{ n: 42, s: "x", nothing: null }]);
      // The same text again (prepared once per connection by the pg implementation).
      expect(await sql.query<{ n: number }>(`SELECT $1::int + 1 AS n, $2::text AS s, NULL AS nothing`, [1, "y"])).toEqual([{ n: 2, s: "y", nothing: null }]);
    });

    it("reads timestamp columns (UTC, without time zone) as the instant written", async () => {
      const at = new Date("2030-03-01T10:00:00.123Z");
      const [row] = await sql.query<{ t: Date }>(`SELECT $1::timestamp(3) AS t`, [toSqlTimestamp(at)]);
      expect(row!.t).toBeInstanceOf(Date);
      expect(row!.t.toISOString()).toBe(at.toISOString());
    });

    it("commits a transaction that resolves and rolls back one that throws", async () => {
      const key = `sql-test-${name}-${Date.now()}`;
      await sql.transaction(async (tx) => {
        await tx.query(`INSERT INTO "AppSetting" (key, value, "updatedAt") VALUES ($1, $2::jsonb, $3::timestamp)`, [key, "1", toSqlTimestamp(new Date())]);
      });
      await expect(
        sql.transaction(async (tx) => {
          await tx.query(`UPDATE "AppSetting" SET value = '2'::jsonb WHERE key = $1`, [key]);
          throw new Error("changed my mind");
        }),
      ).rejects.toThrow("changed my mind");
      expect(await sql.query(`SELECT value FROM "AppSetting" WHERE key = $1`, [key])).toEqual([{ value: 1 }]);
    });

    it("rejects with the SQLSTATE of the failure (unique violation), and stays usable", async () => {
      const key = `sql-dup-${name}-${Date.now()}`;
      const insert = `INSERT INTO "AppSetting" (key, value, "updatedAt") VALUES ($1, 'true'::jsonb, now())`;
      await sql.query(insert, [key]);
      const err = await sql.query(insert, [key]).catch((e: unknown) => e);
      expect(sqlErrorCode(err)).toBe(UNIQUE_VIOLATION);
      const inTx = await sql.transaction((tx) => tx.query(insert, [key])).catch((e: unknown) => e);
      expect(sqlErrorCode(inTx)).toBe(UNIQUE_VIOLATION);
      expect(await sql.query(`SELECT count(*)::int AS n FROM "AppSetting" WHERE key = $1`, [key])).toEqual([{ n: 1 }]);
    });

    it("runs webhook events through the intake: creation, payment, out-of-order payment, cancellation, duplicates, held events", async () => {
      const intake = createWebhookIntake({ prisma: db.prisma, sql });
      const prisma = db.prisma;

      // Free booking, then its cancellation.
      const free = newInviteeUri();
      const created = await intake.receive("calendly", calendlyInviteeCreated({ eventTypeUri: FREE, inviteeUri: free, startTime: "2030-03-01T10:00:00.000Z" }));
      expect(created.outcome).toBe("processed");
      expect((await intake.receive("calendly", calendlyInviteeCreated({ eventTypeUri: FREE, inviteeUri: free }))).outcome).toBe("duplicate");
      const cancelled = await intake.receive(
        "calendly",
        calendlyInviteeCanceled({ eventTypeUri: FREE, inviteeUri: free, reason: "Double booked", canceledBy: "Ada", cancelerType: "host", canceledAt: "2029-12-01T09:00:00.000Z" }),
      );
      expect(cancelled).toMatchObject({ outcome: "processed", bookingId: created.bookingId });
      const fb = await prisma.booking.findUniqueOrThrow({ where: { id: created.bookingId! } });
      expect(fb).toMatchObject({ status: "CANCELLED", paymentStatus: "NOT_REQUIRED", cancelledBy: "Ada (host)" });
      expect(fb.startTime.toISOString()).toBe("2030-03-01T10:00:00.000Z");
      expect(fb.cancelledAt?.toISOString()).toBe("2029-12-01T09:00:00.000Z");

      // Paid booking whose payment arrives first (deferred, then applied on creation).
      const paid = newInviteeUri();
      const early = await intake.receive("stripe", stripePaymentIntentSucceeded({ calendlyInviteeUri: paid, amountCents: 9900, paymentIntentId: "pi_sql_early" }));
      expect(early.outcome).toBe("deferred");
      const late = await intake.receive("calendly", calendlyInviteeCreated({ eventTypeUri: PAID, inviteeUri: paid }));
      expect(late.outcome).toBe("processed");
      expect(late.checkoutNeeded).toBeUndefined();
      const pb = await prisma.booking.findUniqueOrThrow({ where: { id: late.bookingId! } });
      expect(pb).toMatchObject({ status: "CONFIRMED", paymentStatus: "PAID", stripePaymentIntentId: "pi_sql_early" });
      expect((await prisma.emailMessage.findMany({ where: { bookingId: pb.id } })).map((e) => e.kind).sort()).toEqual(["CONFIRMATION", "RECEIPT"]);
      expect(await prisma.webhookEvent.count({ where: { correlationKey: paid, outcome: "DEFERRED" } })).toBe(0);

      // Paid booking, then its payment; the same payment again is a duplicate.
      const inOrder = newInviteeUri();
      const b = await intake.receive("calendly", calendlyInviteeCreated({ eventTypeUri: PAID, inviteeUri: inOrder }));
      expect(b.checkoutNeeded).toEqual({ bookingId: b.bookingId });
      const payment = stripeCheckoutCompleted({ bookingId: b.bookingId!, calendlyInviteeUri: inOrder, amountCents: 9900, paymentIntentId: "pi_sql_in_order" });
      expect((await intake.receive("stripe", payment)).outcome).toBe("processed");
      expect((await intake.receive("stripe", payment)).outcome).toBe("duplicate");
      expect(await prisma.booking.findUniqueOrThrow({ where: { id: b.bookingId! } })).toMatchObject({ status: "CONFIRMED", paymentStatus: "PAID" });
      expect((await prisma.auditLog.findMany({ where: { target: b.bookingId! } })).map((a) => a.action).sort()).toEqual(["booking.created", "booking.paid"]);

      // Manual processing: held, then released.
      await setManualProcessing(prisma, true, "test");
      const heldUri = newInviteeUri();
      expect((await intake.receive("calendly", calendlyInviteeCreated({ eventTypeUri: FREE, inviteeUri: heldUri }))).outcome).toBe("held");
      await setManualProcessing(prisma, false, "test");
      const released = await releaseHeldEvents(intake);
      expect(released.results.map((r) => r.outcome)).toEqual(["processed"]);
      expect(await prisma.booking.count({ where: { calendlyInviteeUri: heldUri, status: "CONFIRMED" } })).toBe(1);
    });
  });
}

sqlClientContract("PGlite", async () => {
  const db = await openDatabase({ dataDir: "memory://" });
  await applyMigrations(db);
  await seed(db.prisma);
  return { db, done: () => db.close() };
});

let t: TestDatabase | undefined;
sqlClientContract("PostgreSQL (pg.Pool)", async () => {
  t = await createTestDatabase({ seed: true, poolSize: 4 });
  return { db: t.db, done: () => t!.drop() };
});

it("opens no PostgreSQL connection for the SQL client until it is used", async () => {
  const db = await openDatabase({ databaseUrl: "postgresql://postgres@127.0.0.1:1/never" });
  // Port 1: any connection attempt would fail; closing an unused client must not try.
  await db.close();
});

it("runs concurrent parameterised queries on PGlite served over the wire (one shared session) from several connections", async () => {
  const { PGlite } = await import("@electric-sql/pglite");
  const { servePGlite } = await import("../../src/sandbox/pglite-server.js");
  const { createPgSqlClient } = await import("../../src/db/sql.js");
  const pglite = await PGlite.create("memory://");
  const served = await servePGlite(pglite);
  const sql = createPgSqlClient({ connectionString: served.url, max: 4 });
  try {
    // Many connections preparing the same statement: a named statement would "already exist" on the shared session.
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => sql.query<{ n: number }>("SELECT $1::int + 1 AS n", [i])));
    expect(results.map((r) => r[0]!.n)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  } finally {
    await sql.close();
    await served.stop();
    await pglite.close();
  }
});
