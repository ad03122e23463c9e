import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNotifier, renderEmail } from "../../src/core/notifications.js";
import type { Mailer, OutgoingEmail } from "../../src/core/ports.js";
import { createWebhookIntake } from "../../src/core/webhook-intake.js";
import type { PrismaClient } from "../../src/generated/prisma/client.js";
import { CaptureMailer } from "../../src/providers/capture-mailer.js";
import { createTestDatabase, type TestDatabase } from "../support/db.js";
import { calendlyInviteeCreated, newInviteeUri, stripeCheckoutCompleted } from "../support/webhook-fixtures.js";

const FREE = "https://api.calendly.com/event_types/ada-intro-call";
const PAID = "https://api.calendly.com/event_types/grace-code-review"; // 14900 usd

let t: TestDatabase;
let prisma: PrismaClient;

beforeAll(async () => {
  t = await createTestDatabase({ seed: true, poolSize: 10 });
  prisma = t.db.prisma;
});
afterAll(async () => {
  await t?.drop();
});

/** Books through the intake; returns the booking id. */
async function book(kind: "free" | "paid", email = `n.${Math.random().toString(36).slice(2)}@example.com`): Promise<string> {
  const intake = createWebhookIntake({ prisma, sql: t.db.sql });
  const uri = newInviteeUri();
  const r = await intake.receive("calendly", calendlyInviteeCreated({ eventTypeUri: kind === "free" ? FREE : PAID, inviteeUri: uri, email, name: "Nia Notified", startTime: "2030-05-06T14:00:00.000Z" }));
  if (kind === "paid") await intake.receive("stripe", stripeCheckoutCompleted({ bookingId: r.bookingId!, calendlyInviteeUri: uri, amountCents: 14900 }));
  return r.bookingId!;
}

/** A mailer that takes a while, so two dispatchers overlap. */
class SlowMailer implements Mailer {
  sent: OutgoingEmail[] = [];
  async send(email: OutgoingEmail) {
    await new Promise((r) => setTimeout(r, 20));
    this.sent.push(email);
    return { providerMessageId: `slow-${this.sent.length}` };
  }
}

describe("renderEmail", () => {
  const ctx = {
    bookingId: "bk_1",
    inviteeName: "Nia <script>",
    inviteeEmail: "nia@example.com",
    sessionTitle: "Paid code review",
    builderName: "Grace Hopper",
    startTime: new Date("2030-05-06T14:00:00Z"),
    endTime: new Date("2030-05-06T14:45:00Z"),
    amountCents: 14900,
    currency: "usd",
    cancellationReason: "Conflict",
  };

  it.each([
    ["CONFIRMATION", ["Paid code review", "Grace Hopper", "14:00"]],
    ["RECEIPT", ["$149.00", "Paid code review"]],
    ["CANCELLATION", ["cancelled", "Conflict"]],
  ] as const)("renders %s with the booking's details", (kind, parts) => {
    const e = renderEmail({ ...ctx, kind });
    for (const p of parts) expect(e.text).toContain(p);
    expect(e.subject.length).toBeGreaterThan(0);
    expect(e.text).toContain("bk_1");
    expect(e.html).not.toContain("<script>");
    expect(e.dynamicData).toMatchObject({ kind, bookingId: "bk_1", subject: e.subject });
  });
});

describe("dispatchPending", () => {
  it("sends queued emails once, marks them SENT with the provider id, and a second dispatch sends nothing", async () => {
    const id = await book("paid", "paid.person@example.com");
    const mailer = new CaptureMailer();
    const notifier = createNotifier({ prisma, mailer });
    expect(await notifier.dispatchPending({ bookingIds: [id] })).toEqual({ sent: 2, failed: 0 });
    const rows = await prisma.emailMessage.findMany({ where: { bookingId: id }, orderBy: { kind: "asc" } });
    expect(rows.map((r) => [r.kind, r.status, r.attempts, r.error])).toEqual([
      ["CONFIRMATION", "SENT", 1, null],
      ["RECEIPT", "SENT", 1, null],
    ]);
    expect(rows.every((r) => r.providerMessageId?.startsWith("capture-") && r.sentAt instanceof Date)).toBe(true);
    expect(mailer.sentTo("paid.person@example.com").map((m) => m.idempotencyKey).sort()).toEqual([`${id}:CONFIRMATION`, `${id}:RECEIPT`]);
    const receipt = mailer.messages.find((m) => m.idempotencyKey.endsWith(":RECEIPT"))!;
    expect(receipt.text).toContain("$149.00");
    expect(receipt.tags).toMatchObject({ bookingId: id, kind: "RECEIPT" });
    expect(rows.find((r) => r.kind === "RECEIPT")!.subject).toBe(receipt.subject);
    expect(await notifier.dispatchPending({ bookingIds: [id] })).toEqual({ sent: 0, failed: 0 });
    expect(mailer.messages).toHaveLength(2);
  });

  it("only touches the bookings asked for", async () => {
    const a = await book("free");
    const b = await book("free");
    const mailer = new CaptureMailer();
    await createNotifier({ prisma, mailer }).dispatchPending({ bookingIds: [a] });
    expect(mailer.messages.map((m) => m.tags?.bookingId)).toEqual([a]);
    expect((await prisma.emailMessage.findFirstOrThrow({ where: { bookingId: b } })).status).toBe("QUEUED");
  });

  it("never sends an email twice when two dispatchers run at the same time", async () => {
    const ids = [];
    for (let i = 0; i < 12; i++) ids.push(await book("free"));
    const mailer = new SlowMailer();
    const one = createNotifier({ prisma, mailer });
    const two = createNotifier({ prisma, mailer });
    const [r1, r2] = await Promise.all([one.dispatchPending({ bookingIds: ids }), two.dispatchPending({ bookingIds: ids })]);
    expect(r1.sent + r2.sent).toBe(12);
    expect(r1.failed + r2.failed).toBe(0);
    const keys = mailer.sent.map((m) => m.idempotencyKey);
    expect(new Set(keys).size).toBe(12);
    expect(await prisma.emailMessage.count({ where: { bookingId: { in: ids }, status: "SENT", attempts: 1 } })).toBe(12);
  });

  it("marks a failed send FAILED with the error, retries it on a later dispatch, and gives up after 5 attempts", async () => {
    const id = await book("free");
    const mailer = new CaptureMailer().failNext(1);
    const notifier = createNotifier({ prisma, mailer });
    expect(await notifier.dispatchPending({ bookingIds: [id] })).toEqual({ sent: 0, failed: 1 });
    let row = await prisma.emailMessage.findFirstOrThrow({ where: { bookingId: id } });
    expect([row.status, row.attempts]).toEqual(["FAILED", 1]);
    expect(row.error).toContain("simulated mail provider failure");
    expect(await notifier.dispatchPending({ bookingIds: [id] })).toEqual({ sent: 1, failed: 0 });
    row = await prisma.emailMessage.findFirstOrThrow({ where: { bookingId: id } });
    expect([row.status, row.attempts, row.error]).toEqual(["SENT", 2, null]);

    const doomed = await book("free");
    const down = new CaptureMailer().failAll(true);
    const n2 = createNotifier({ prisma, mailer: down });
    for (let i = 0; i < 7; i++) await n2.dispatchPending({ bookingIds: [doomed] });
    expect(down.attempts).toBe(5);
    row = await prisma.emailMessage.findFirstOrThrow({ where: { bookingId: doomed } });
    expect([row.status, row.attempts]).toEqual(["FAILED", 5]);
  });

  it("reclaims an email whose sender died mid-send once its lease runs out", async () => {
    const id = await book("free");
    const now = { t: Date.now() };
    const clock = { now: () => new Date(now.t) };
    const hanging: Mailer = { send: () => new Promise(() => {}) };
    void createNotifier({ prisma, mailer: hanging, clock, leaseMs: 60_000 }).dispatchPending({ bookingIds: [id] });
    await expect.poll(async () => (await prisma.emailMessage.findFirstOrThrow({ where: { bookingId: id } })).attempts).toBe(1);
    const mailer = new CaptureMailer();
    const other = createNotifier({ prisma, mailer, clock, leaseMs: 60_000 });
    expect((await other.dispatchPending({ bookingIds: [id] })).sent).toBe(0);
    now.t += 61_000;
    expect((await other.dispatchPending({ bookingIds: [id] })).sent).toBe(1);
    expect(mailer.messages).toHaveLength(1);
  });

  it("marks each email SENT before the next is sent: a crash mid-dispatch can repeat only the one in flight", async () => {
    const ids = [await book("free"), await book("free"), await book("free"), await book("free")];
    const sentBefore: number[] = [];
    const mailer: Mailer = {
      async send() {
        // What a crash right now would leave: every email sent so far already marked.
        sentBefore.push(await prisma.emailMessage.count({ where: { bookingId: { in: ids }, status: "SENT" } }));
        return { providerMessageId: `m-${sentBefore.length}` };
      },
    };
    await createNotifier({ prisma, sql: t.db.sql, mailer }).dispatchPending({ bookingIds: ids });
    expect(sentBefore).toEqual([0, 1, 2, 3]);
  });

  it("stores a provider error with the credential it echoed masked", async () => {
    const id = await book("free");
    const key = "SG.FAKEabcdefghijkl.qrstuvwxyz0123456789FAKE";
    const mailer: Mailer = { send: async () => Promise.reject(new Error(`401 Unauthorized: the API key ${key} is invalid (Authorization: Bearer ${key})`)) };
    await createNotifier({ prisma, sql: t.db.sql, mailer }).dispatchPending({ bookingIds: [id] });
    const row = await prisma.emailMessage.findFirstOrThrow({ where: { bookingId: id } });
    expect(row.status).toBe("FAILED");
    expect(row.error).toContain("401 Unauthorized");
    expect(row.error).not.toContain("FAKEabcdefghijkl");
  });

  it("passes the dynamic template id and data when one is configured", async () => {
    const id = await book("free");
    const mailer = new CaptureMailer();
    await createNotifier({ prisma, mailer, templateId: "d-0123456789abcdef" }).dispatchPending({ bookingIds: [id] });
    expect(mailer.messages[0]).toMatchObject({ templateId: "d-0123456789abcdef", dynamicData: { kind: "CONFIRMATION", bookingId: id, builderName: "Ada Lovelace" } });
  });
});
