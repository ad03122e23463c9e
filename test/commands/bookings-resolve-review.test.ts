import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listAudit } from "../../src/core/audit.js";
import { runCli } from "../support/cli.js";
import { createTestDatabase, type TestDatabase } from "../support/db.js";

/**
 * `bookflow bookings resolve-review`: an operator closes the review a
 * reschedule into another price left on a booking. Run as a process (the
 * built CLI), on a real PostgreSQL.
 */

let t: TestDatabase;
const REVIEW = "rescheduled into another session type priced 0 usd (the booking's is 9900 usd); an operator decides whether to charge or refund the difference";

beforeAll(async () => {
  t = await createTestDatabase({ seed: true });
});
afterAll(async () => t?.drop());

async function booking(reviewReason: string | null): Promise<string> {
  const st = await t.db.prisma.sessionType.findFirstOrThrow({ where: { slug: "build-session", builder: { slug: "ada-lovelace" } } });
  const id = randomUUID();
  await t.db.prisma.booking.create({
    data: { id, sessionTypeId: st.id, builderId: st.builderId, inviteeEmail: `review.${id.slice(0, 8)}@example.com`, startTime: new Date("2030-06-01T10:00:00Z"), endTime: new Date("2030-06-01T11:00:00Z"), status: "CONFIRMED", paymentStatus: "PAID", amountCents: 9900, reviewReason },
  });
  return id;
}
const env = () => ({ DATABASE_URL: t.url, BOOKFLOW_ACTOR: "ops@example.com" });

describe("bookflow bookings resolve-review", () => {
  it("--dry-run shows what would be cleared and changes nothing; --yes clears it with one audit entry naming the operator and the decision", async () => {
    const id = await booking(REVIEW);
    const dry = await runCli(["bookings", "resolve-review", id, "--reason", "charged the difference in Stripe", "--dry-run"], { env: env() });
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`clear "${REVIEW}" (decided: charged the difference in Stripe), audited as ops@example.com`);
    expect(dry.stdout).toContain("Dry run: nothing was changed.");
    expect((await t.db.prisma.booking.findUniqueOrThrow({ where: { id } })).reviewReason).toBe(REVIEW);

    const r = await runCli(["bookings", "resolve-review", id, "--reason", "charged the difference in Stripe", "--yes", "--json"], { env: env() });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ bookingId: id, cleared: true, reviewReason: REVIEW, actor: "ops@example.com" });
    expect((await t.db.prisma.booking.findUniqueOrThrow({ where: { id } })).reviewReason).toBeNull();
    expect(await listAudit(t.db.prisma, { target: id })).toMatchObject([{ actor: "ops@example.com", action: "booking.review_resolved", reason: "charged the difference in Stripe", before: { reviewReason: REVIEW }, after: { reviewReason: null } }]);

    // Run again: nothing to review, nothing written.
    const again = await runCli(["bookings", "resolve-review", id, "--reason", "charged the difference in Stripe", "--yes"], { env: env() });
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain(`Booking ${id} has nothing to review.`);
    expect(await listAudit(t.db.prisma, { target: id })).toHaveLength(1);
  });

  it("without a terminal and without --yes prints the plan as JSON, exits 2 and changes nothing", async () => {
    const id = await booking(REVIEW);
    const r = await runCli(["bookings", "resolve-review", id, "--reason", "goodwill"], { env: env() });
    expect(r.exitCode).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ command: "bookings resolve-review", bookingId: id, reviewReason: REVIEW });
    expect((await t.db.prisma.booking.findUniqueOrThrow({ where: { id } })).reviewReason).toBe(REVIEW);
  });

  it.each([
    ["no --reason", (id: string) => ["bookings", "resolve-review", id, "--yes"], /--reason/],
    ["a blank --reason", (id: string) => ["bookings", "resolve-review", id, "--reason", "  ", "--yes"], /reason.*is required: say what was decided/],
    ["--dry-run with --yes", (id: string) => ["bookings", "resolve-review", id, "--reason", "goodwill", "--yes", "--dry-run"], /--dry-run.*--yes|--yes.*--dry-run/],
    ["no such booking", () => ["bookings", "resolve-review", "4b0c6c34-0000-4000-8000-000000000000", "--reason", "goodwill", "--yes"], /No booking matches/],
  ] as const)("refuses %s with exit 2, saying what is wrong", async (_name, args, message) => {
    const id = await booking(REVIEW);
    const r = await runCli([...args(id)], { env: env() });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(message);
    expect((await t.db.prisma.booking.findUniqueOrThrow({ where: { id } })).reviewReason).toBe(REVIEW);
  });
});
