import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "../../src/db/client.js";
import { startSandbox, type SandboxWorld } from "../../src/sandbox/world.js";
import { runCli, tempDir } from "../support/cli.js";
import { createTestDatabase, type TestDatabase } from "../support/db.js";

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, "127.0.0.1");
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("error", () => resolve(false));
  });
}

async function waitFor<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await read();
  while (!ok(last)) {
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(last)} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
    last = await read();
  }
  return last;
}

describe("the sandbox world on PostgreSQL", () => {
  let t: TestDatabase;
  let world: SandboxWorld;
  let db: Database;
  beforeAll(async () => {
    t = await createTestDatabase({ migrated: false });
    world = await startSandbox({ databaseUrl: t.url });
    db = await openDatabase({ databaseUrl: world.env.DATABASE_URL!, poolSize: 2 });
  });
  afterAll(async () => {
    await db?.close();
    await world?.stop();
    await t?.drop();
  });

  it("prints an environment that names every emulator and the app", () => {
    for (const key of ["CALENDLY_API_BASE", "STRIPE_API_BASE", "SENDGRID_API_BASE", "VERCEL_API_BASE", "BOOKFLOW_DNS_SERVER", "NEXT_PUBLIC_BASE_URL", "CALENDLY_WEBHOOK_URL", "STRIPE_WEBHOOK_URL", "STRIPE_WEBHOOK_SECRET", "DATABASE_URL"]) {
      expect(world.env[key], key).toBeTruthy();
    }
    expect(world.env.STRIPE_WEBHOOK_SECRET).toMatch(/^whsec_/);
    expect(world.env.STRIPE_WEBHOOK_URL).toBe(`${world.app.url}/api/webhooks/stripe`);
  });

  it("books a free session through Calendly: signed webhook, CONFIRMED booking, confirmation email through SendGrid", async () => {
    const { inviteeUri } = await world.calendly.book({
      eventTypeUri: "https://api.calendly.com/event_types/ada-intro-call",
      email: "free.flow@example.com",
      name: "Free Flow",
      startTime: new Date(Date.now() + 3 * 86_400_000),
    });
    const booking = await waitFor("booking", () => db.prisma.booking.findFirst({ where: { calendlyInviteeUri: inviteeUri } }), (b) => b?.status === "CONFIRMED");
    expect(booking!.paymentStatus).toBe("NOT_REQUIRED");
    const inbox = await waitFor("inbox", async () => world.sendgrid.inbox({ to: "free.flow@example.com" }), (m) => m.length > 0);
    expect(inbox).toHaveLength(1);
  });

  it("takes a paid booking through Stripe Checkout to CONFIRMED/PAID, with both Stripe events delivered and recorded", async () => {
    const { inviteeUri } = await world.calendly.book({
      eventTypeUri: "https://api.calendly.com/event_types/grace-code-review",
      email: "returning.customer@example.com",
      name: "Returning Customer",
      startTime: new Date(Date.now() + 5 * 86_400_000),
    });
    const pending = await waitFor("checkout", () => db.prisma.booking.findFirst({ where: { calendlyInviteeUri: inviteeUri } }), (b) => !!b?.stripeCheckoutSessionId);
    expect([pending!.status, pending!.paymentStatus]).toEqual(["PENDING", "UNPAID"]);
    await world.stripe.completeCheckout(pending!.stripeCheckoutSessionId!);
    await world.stripe.idle();
    const paid = await waitFor("payment", () => db.prisma.booking.findUnique({ where: { id: pending!.id } }), (b) => b?.paymentStatus === "PAID");
    expect(paid!.status).toBe("CONFIRMED");
    expect(paid!.userId).not.toBeNull();
    const deliveries = world.stripe.deliveries().filter((d) => d.status === 200);
    expect(deliveries.length).toBeGreaterThanOrEqual(2);
    const events = await db.prisma.webhookEvent.findMany({ where: { provider: "STRIPE", bookingId: pending!.id } });
    expect(events.map((e) => e.type).sort()).toEqual(["checkout.session.completed", "payment_intent.succeeded"]);
  });

  it("a no-show marked in Calendly reaches the booking, and its removal clears it", async () => {
    const { inviteeUri } = await world.calendly.book({
      eventTypeUri: "https://api.calendly.com/event_types/ada-intro-call",
      email: "no.show@example.com",
      name: "No Show",
      startTime: new Date(Date.now() + 4 * 86_400_000),
    });
    const booked = await waitFor("booking", () => db.prisma.booking.findFirst({ where: { calendlyInviteeUri: inviteeUri } }), (b) => b?.status === "CONFIRMED");
    await world.calendly.markNoShow(inviteeUri);
    await world.calendly.idle();
    const marked = await waitFor("no-show", () => db.prisma.booking.findUnique({ where: { id: booked!.id } }), (b) => b?.noShowAt !== null);
    expect(marked!.noShowAt).toBeInstanceOf(Date);
    await world.calendly.unmarkNoShow(inviteeUri);
    await world.calendly.idle();
    await waitFor("no-show removed", () => db.prisma.booking.findUnique({ where: { id: booked!.id } }), (b) => b?.noShowAt === null);
    const types = (await db.prisma.webhookEvent.findMany({ where: { provider: "CALENDLY", bookingId: booked!.id }, orderBy: { receivedAt: "asc" } })).map((e) => [e.type, e.outcome]);
    expect(types).toEqual([["invitee.created", "PROCESSED"], ["invitee_no_show.created", "PROCESSED"], ["invitee_no_show.deleted", "PROCESSED"]]);
  });
});

describe("fault injection", () => {
  it("applies --faults to the named emulator only", { timeout: 60_000 }, async () => {
    const t = await createTestDatabase({ migrated: false });
    const world = await startSandbox({ databaseUrl: t.url, faults: { sendgrid: { rate5xx: 1 }, vercel: { rate429: 1, retryAfterSeconds: 7 } } });
    try {
      const sg = await fetch(`${world.sendgrid.url}/v3/scopes`, { headers: { authorization: `Bearer ${world.env.SENDGRID_API_KEY}` } });
      expect(sg.status).toBeGreaterThanOrEqual(500);
      const vc = await fetch(`${world.vercel.url}/v10/projects/${world.env.VERCEL_PROJECT_ID}/env`, { headers: { authorization: `Bearer ${world.env.VERCEL_TOKEN}` } });
      expect(vc.status).toBe(429);
      expect(vc.headers.get("retry-after")).toBe("7");
      const health = await fetch(`${world.app.url}/api/health`);
      expect(health.status).toBe(200);
    } finally {
      await world.stop();
      await t.drop();
    }
  });
});

describe("the sandbox world on embedded PGlite", () => {
  it("starts, serves every piece, and stops leaving no port open", { timeout: 90_000 }, async () => {
    const dir = tempDir("bookflow-sandbox-");
    const world = await startSandbox({ dataDir: `${dir}/pglite` });
    const ports = [world.app.server, world.calendly.server, world.stripe.server, world.sendgrid.server, world.vercel.server].map((s) => (s.address() as { port: number }).port);
    ports.push(Number(new URL(world.env.DATABASE_URL!).port));
    const health = await fetch(`${world.app.url}/api/health`);
    expect(((await health.json()) as { database: { up: boolean } }).database.up).toBe(true);
    for (const p of ports) expect(await portOpen(p)).toBe(true);
    await world.stop();
    for (const p of ports) expect(await portOpen(p), `port ${p}`).toBe(false);
  });

  it("`sandbox run -- <command>` runs it against the world and exits with its code", { timeout: 120_000 }, async () => {
    const cwd = tempDir("bookflow-sandbox-run-");
    const ok = await runCli(["sandbox", "run", "--", "db", "status", "--json"], { cwd, timeout: 90_000 });
    expect(ok.exitCode).toBe(0);
    expect(JSON.parse(ok.stdout).upToDate).toBe(true);
    const bad = await runCli(["sandbox", "run", "--", "db", "frobnicate"], { cwd, timeout: 90_000 });
    expect(bad.exitCode).toBe(2);
  });

  it("refuses bad --faults and a missing command with exit 2, before starting anything", async () => {
    const faults = await runCli(["sandbox", "run", "--faults", "stripe:429=2", "--", "db", "status"]);
    expect(faults.exitCode).toBe(2);
    expect(faults.stderr).toContain("--faults");
    const none = await runCli(["sandbox", "run"]);
    expect(none.exitCode).toBe(2);
  });
});
