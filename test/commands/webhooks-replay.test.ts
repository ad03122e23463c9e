import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { webhooksReplay, type WebhooksReplayOptions } from "../../commands/handlers/webhooks-replay.js";
import type { ReplayReport } from "../../src/ops/webhooks-replay.js";
import { WEBHOOK_PROVIDER_IDS } from "../../src/providers/webhook-providers.js";
import { createContext } from "../../src/context.js";
import { openDatabase, type Database } from "../../src/db/client.js";
import { verifyCalendlySignature } from "../../src/providers/calendly-signature.js";
import { calendlyInviteeCreated } from "../../src/providers/webhook-events.js";
import { runCli, tempDir } from "../support/cli.js";
import { startTestSandbox, type TestSandbox } from "../support/sandbox.js";

/**
 * `bookflow webhooks replay` against the sandbox's reference app: each of the
 * four event types is accepted (2xx) and changes the booking as expected;
 * unsigned and wrongly signed events are rejected (4xx); what replay sends is
 * signed exactly as the providers sign (checked with the Stripe SDK's
 * constructEvent on the captured request); bad input exits 2.
 */

const PAID_EVENT_TYPE = "https://api.calendly.com/event_types/ada-build-session";

describe("bookflow webhooks replay", () => {
  let s: TestSandbox;
  let db: Database;
  let capture: { server: Server; url: string; requests: { headers: Record<string, string | string[] | undefined>; body: string }[] };
  let day = 10;

  beforeAll(async () => {
    s = await startTestSandbox();
    db = await openDatabase({ databaseUrl: s.world.env.DATABASE_URL!, poolSize: 2 });
    const requests: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        requests.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
        res.writeHead(202, { "content-type": "application/json" }).end('{"captured":true}');
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    capture = { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, requests };
  });
  afterAll(async () => {
    await new Promise((r) => capture?.server.close(r));
    await db?.close();
    await s?.stop();
  });

  async function replay(options: Partial<WebhooksReplayOptions> & { provider: string; eventType: string }, env: Record<string, string | undefined> = {}): Promise<{ code: number; report: ReplayReport; err: string }> {
    let out = "";
    let err = "";
    const ctx = createContext({ env: { ...s.world.env, ...env } as NodeJS.ProcessEnv, out: (t) => (out += t), err: (t) => (err += t), cwd: tempDir() });
    const code = await webhooksReplay({ ...options, json: true }, { ctx });
    return { code, report: JSON.parse(out) as ReplayReport, err };
  }

  /** A paid booking made as an invitee would (Calendly books, the app records it PENDING/UNPAID and opens a Checkout session). */
  async function paidBooking() {
    const start = new Date(Date.now() + day++ * 86_400_000);
    start.setUTCHours(10, 0, 0, 0);
    const { inviteeUri } = await s.world.calendly.book({ eventTypeUri: PAID_EVENT_TYPE, email: `paid.${day}@example.com`, name: "Paid Person", startTime: start.toISOString() });
    await s.world.calendly.idle();
    const b = await db.prisma.booking.findUniqueOrThrow({ where: { calendlyInviteeUri: inviteeUri } });
    expect(b).toMatchObject({ status: "PENDING", paymentStatus: "UNPAID" });
    return b;
  }

  let freeBookingId: string;

  it("calendly invitee.created (fixture): 200, and the booking exists (CLI, --verify-db, --json)", async () => {
    const r = await runCli(["webhooks", "replay", "calendly", "invitee.created", "--verify-db", "--json"], { env: s.world.env });
    expect(r.exitCode, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as ReplayReport;
    expect(report).toMatchObject({ provider: "calendly", eventType: "invitee.created", signature: "signed", ok: true, expect: { expected: "2xx", met: true } });
    expect(report.response.status).toBe(200);
    expect(report.response.latencyMs).toBeGreaterThan(0);
    expect(report.response.body).toMatchObject({ outcome: "processed" });
    expect(report.source.detail).toContain("database");
    expect(report.verifyDb).toMatchObject({ outcome: "reflected", before: null, after: { status: "CONFIRMED", paymentStatus: "NOT_REQUIRED" } });
    const inviteeUri = report.eventId!.replace(/^invitee\.created:/, "");
    const booking = await db.prisma.booking.findUniqueOrThrow({ where: { calendlyInviteeUri: inviteeUri } });
    expect(booking.status).toBe("CONFIRMED");
    freeBookingId = booking.id;
  });

  it("calendly invitee.canceled --booking: the booking becomes CANCELLED, and the change is reported", async () => {
    const { code, report } = await replay({ provider: "calendly", eventType: "invitee.canceled", booking: freeBookingId, verifyDb: true });
    expect(code).toBe(0);
    expect(report.source).toEqual({ kind: "booking", detail: freeBookingId });
    expect(report.verifyDb).toMatchObject({ outcome: "reflected", changed: { status: ["CONFIRMED", "CANCELLED"] } });
    expect((await db.prisma.booking.findUniqueOrThrow({ where: { id: freeBookingId } })).status).toBe("CANCELLED");
  });

  it("stripe checkout.session.completed --booking on a paid booking: PAID and CONFIRMED", async () => {
    const b = await paidBooking();
    const { code, report } = await replay({ provider: "stripe", eventType: "checkout.session.completed", booking: b.id, verifyDb: "15s" });
    expect(code).toBe(0);
    expect(report.response.body).toMatchObject({ outcome: "processed", bookingId: b.id });
    expect(report.verifyDb).toMatchObject({ outcome: "reflected", timeoutMs: 15_000, changed: { status: ["PENDING", "CONFIRMED"], paymentStatus: ["UNPAID", "PAID"] } });
    const after = await db.prisma.booking.findUniqueOrThrow({ where: { id: b.id } });
    expect(after).toMatchObject({ status: "CONFIRMED", paymentStatus: "PAID", stripeCheckoutSessionId: b.stripeCheckoutSessionId });
  });

  it("stripe payment_intent.succeeded --booking on a paid booking: PAID", async () => {
    const b = await paidBooking();
    const { code, report } = await replay({ provider: "stripe", eventType: "payment_intent.succeeded", booking: b.id, verifyDb: true });
    expect(code).toBe(0);
    expect(report.verifyDb).toMatchObject({ outcome: "reflected", after: { paymentStatus: "PAID" } });
    expect((await db.prisma.booking.findUniqueOrThrow({ where: { id: b.id } })).paymentStatus).toBe("PAID");
  });

  it("unsigned and wrongly signed events are rejected with 4xx; --expect 4xx turns that into exit 0", async () => {
    const cli = await runCli(["webhooks", "replay", "stripe", "payment_intent.succeeded", "--unsigned", "--expect", "4xx"], { env: s.world.env });
    expect(cli.exitCode, cli.stderr).toBe(0);
    expect(cli.stdout).toMatch(/answer: 401 in [\d.]+ ms/);
    expect(cli.stdout).toContain("expect 4xx: met");

    for (const provider of WEBHOOK_PROVIDER_IDS) {
      const eventType = provider === "calendly" ? "invitee.created" : "checkout.session.completed";
      for (const flag of [{ unsigned: true }, { badSignature: true }]) {
        const asserted = await replay({ provider, eventType, ...flag, expect: "4xx" });
        expect(asserted.code).toBe(0);
        expect(asserted.report.response.status).toBe(401);
        expect(asserted.report.response.body).toMatchObject({ error: "invalid_signature", reason: flag.unsigned ? "missing_header" : "bad_signature" });
        const plain = await replay({ provider, eventType, ...flag });
        expect(plain.code).toBe(1);
        expect(plain.report.expect).toEqual({ expected: "2xx", met: false });
      }
    }
    // An exact code works too, and a mismatch fails.
    expect((await replay({ provider: "stripe", eventType: "payment_intent.succeeded", unsigned: true, expect: "401" })).code).toBe(0);
    expect((await replay({ provider: "stripe", eventType: "payment_intent.succeeded", unsigned: true, expect: "400" })).code).toBe(1);
  });

  it("signs Stripe events so the Stripe SDK's constructEvent accepts them, and Calendly's as Calendly does (captured on the wire)", async () => {
    capture.requests.length = 0;
    const b = await paidBooking();
    const sent = await replay({ provider: "stripe", eventType: "checkout.session.completed", booking: b.id, url: capture.url, expect: "202" });
    expect(sent.code).toBe(0);
    const [req] = capture.requests;
    const header = req!.headers["stripe-signature"] as string;
    const event = Stripe.webhooks.constructEvent(req!.body, header, s.world.env.STRIPE_WEBHOOK_SECRET!);
    expect(event).toMatchObject({ id: sent.report.eventId, type: "checkout.session.completed", data: { object: { metadata: { booking_id: b.id }, amount_total: b.amountCents, id: b.stripeCheckoutSessionId } } });
    expect(() => Stripe.webhooks.constructEvent(req!.body, header, "whsec_notTheSecret0000000000000000")).toThrow();

    await replay({ provider: "stripe", eventType: "payment_intent.succeeded", url: capture.url, badSignature: true, expect: "2xx" });
    const bad = capture.requests[1]!;
    expect(() => Stripe.webhooks.constructEvent(bad.body, bad.headers["stripe-signature"] as string, s.world.env.STRIPE_WEBHOOK_SECRET!)).toThrow(/signature/i);

    await replay({ provider: "calendly", eventType: "invitee.canceled", booking: b.id, url: capture.url, expect: "2xx" });
    const cal = capture.requests[2]!;
    expect(verifyCalendlySignature(cal.body, cal.headers["calendly-webhook-signature"] as string, s.world.env.CALENDLY_WEBHOOK_SIGNING_KEY!)).toEqual({ ok: true });
    expect(JSON.parse(cal.body)).toMatchObject({ event: "invitee.canceled", payload: { uri: b.calendlyInviteeUri, email: b.inviteeEmail } });

    await replay({ provider: "calendly", eventType: "invitee.created", url: capture.url, unsigned: true, expect: "2xx" });
    expect(capture.requests[3]!.headers["calendly-webhook-signature"]).toBeUndefined();
  });

  it("--event: replays a real Stripe event fetched from the API (a duplicate for the app, already reflected)", async () => {
    const b = await paidBooking();
    await s.world.stripe.completeCheckout(b.stripeCheckoutSessionId!);
    await s.world.stripe.idle();
    const evt = s.world.stripe.events().find((e) => e.type === "checkout.session.completed" && (e.data.object as { id: string }).id === b.stripeCheckoutSessionId)!;
    const { code, report } = await replay({ provider: "stripe", eventType: "checkout.session.completed", event: evt.id, verifyDb: true });
    expect(code).toBe(0);
    expect(report).toMatchObject({ eventId: evt.id, source: { kind: "event", detail: evt.id } });
    expect(report.response.body).toMatchObject({ outcome: "duplicate" });
    expect(report.verifyDb).toMatchObject({ outcome: "reflected", changed: {}, eventOutcome: "PROCESSED" });

    await expect(replay({ provider: "stripe", eventType: "payment_intent.succeeded", event: evt.id })).rejects.toMatchObject({ code: "BAD_EVENT_TYPE" });
    await expect(replay({ provider: "stripe", eventType: "checkout.session.completed", event: "evt_doesnotexist000" })).rejects.toMatchObject({ code: "EVENT_NOT_FOUND" });
  });

  it("--payload: sends a file's body as it is, signed", async () => {
    const dir = tempDir();
    const file = join(dir, "created.json");
    writeFileSync(file, JSON.stringify(calendlyInviteeCreated({ eventTypeUri: "https://api.calendly.com/event_types/grace-intro-call", email: "payload@example.com" }), null, 2));
    const { code, report } = await replay({ provider: "calendly", eventType: "invitee.created", payload: file, verifyDb: true });
    expect(code).toBe(0);
    expect(report.source).toEqual({ kind: "payload", detail: file });
    expect(report.verifyDb).toMatchObject({ outcome: "reflected" });
    expect(await db.prisma.booking.count({ where: { inviteeEmail: "payload@example.com" } })).toBe(1);
  });

  it("--verify-db gives up after its bound, showing the last state seen (a payment for a free booking changes nothing)", async () => {
    const { code, report } = await replay({ provider: "stripe", eventType: "payment_intent.succeeded", booking: freeBookingId, verifyDb: "400ms" });
    expect(code).toBe(1);
    expect(report.response.status).toBe(200);
    expect(report.verifyDb).toMatchObject({ outcome: "timeout", timeoutMs: 400, after: { id: freeBookingId, paymentStatus: "NOT_REQUIRED" }, eventOutcome: "PROCESSED" });
    const cli = await runCli(["webhooks", "replay", "stripe", "payment_intent.succeeded", "--booking", freeBookingId, "--verify-db", "300ms"], { env: s.world.env });
    expect(cli.exitCode).toBe(1);
    expect(cli.stdout).toMatch(/did not reflect the event within 300 ms; last seen: CANCELLED\/NOT_REQUIRED/);
  });

  describe("bad input exits 2 with what is wrong and how to fix it", () => {
    it.each([
      ["unknown provider", { provider: "paypal", eventType: "invitee.created" }, "BAD_PROVIDER"],
      ["unknown event type", { provider: "stripe", eventType: "charge.refunded" }, "BAD_EVENT_TYPE"],
      ["event type of the other provider", { provider: "calendly", eventType: "payment_intent.succeeded" }, "BAD_EVENT_TYPE"],
      ["missing payload file", { provider: "calendly", eventType: "invitee.created", payload: "/nonexistent/event.json" }, "PAYLOAD_UNREADABLE"],
      ["unknown booking id", { provider: "stripe", eventType: "payment_intent.succeeded", booking: "no-such-booking" }, "BOOKING_NOT_FOUND"],
      ["--unsigned with --bad-signature", { provider: "stripe", eventType: "payment_intent.succeeded", unsigned: true, badSignature: true }, "CONFLICTING_OPTIONS"],
      ["--booking with --payload", { provider: "stripe", eventType: "payment_intent.succeeded", booking: "x", payload: "y.json" }, "CONFLICTING_OPTIONS"],
      ["--event for calendly", { provider: "calendly", eventType: "invitee.created", event: "evt_123" }, "CONFLICTING_OPTIONS"],
      ["--verify-db with --unsigned", { provider: "calendly", eventType: "invitee.created", unsigned: true, verifyDb: true }, "CONFLICTING_OPTIONS"],
      ["--verify-db for an event about no booking", { provider: "stripe", eventType: "checkout.session.completed", verifyDb: true }, "BAD_OPTION"],
      ["a bad --expect", { provider: "stripe", eventType: "checkout.session.completed", expect: "ok" }, "BAD_OPTION"],
      ["a bad --verify-db bound", { provider: "stripe", eventType: "checkout.session.completed", verifyDb: "soon" }, "BAD_OPTION"],
      ["a bad --url", { provider: "stripe", eventType: "checkout.session.completed", url: "ftp://x" }, "BAD_OPTION"],
    ] as const)("%s", async (_name, options, code) => {
      const err = await replay(options).catch((e: unknown) => e);
      expect(err).toMatchObject({ code, name: expect.stringMatching(/UsageError|ConfigError/) });
      expect((err as { hint?: string }).hint).toBeTruthy();
    });

    it("invalid JSON, or a body of the wrong shape or type, in --payload", async () => {
      const dir = tempDir();
      writeFileSync(join(dir, "broken.json"), '{"event": "invitee.created",');
      writeFileSync(join(dir, "shape.json"), JSON.stringify({ event: "invitee.created", payload: { uri: "x" } }));
      writeFileSync(join(dir, "stripe.json"), JSON.stringify({ id: "evt_1", type: "payment_intent.succeeded", created: 1, livemode: false, data: { object: { id: "pi_1", amount: 1, currency: "usd", status: "succeeded" } } }));
      await expect(replay({ provider: "calendly", eventType: "invitee.created", payload: join(dir, "broken.json") })).rejects.toMatchObject({ code: "PAYLOAD_INVALID", message: expect.stringContaining("not valid JSON") });
      await expect(replay({ provider: "calendly", eventType: "invitee.created", payload: join(dir, "shape.json") })).rejects.toMatchObject({ code: "PAYLOAD_INVALID", message: expect.stringContaining("payload.email") });
      await expect(replay({ provider: "stripe", eventType: "checkout.session.completed", payload: join(dir, "stripe.json") })).rejects.toMatchObject({ code: "BAD_EVENT_TYPE" });
    });

    it("a missing signing secret is a configuration error (unless --unsigned)", async () => {
      await expect(replay({ provider: "stripe", eventType: "payment_intent.succeeded" }, { STRIPE_WEBHOOK_SECRET: "" })).rejects.toMatchObject({ code: "ENV_MISSING", message: expect.stringContaining("STRIPE_WEBHOOK_SECRET") });
      expect((await replay({ provider: "stripe", eventType: "payment_intent.succeeded", unsigned: true, expect: "4xx" }, { STRIPE_WEBHOOK_SECRET: "" })).code).toBe(0);
    });

    it("a database that cannot be reached is a configuration error (exit 2); an endpoint that cannot be reached fails (exit 1)", async () => {
      await expect(replay({ provider: "stripe", eventType: "payment_intent.succeeded", booking: "x" }, { DATABASE_URL: "postgresql://u:FAKEpw@127.0.0.1:9/db" })).rejects.toMatchObject({
        code: "DATABASE_UNAVAILABLE",
        name: "ConfigError",
      });
      await expect(replay({ provider: "stripe", eventType: "payment_intent.succeeded", url: "http://127.0.0.1:9/api/webhooks/stripe" })).rejects.toMatchObject({
        name: "ProviderError",
        message: expect.stringContaining("ECONNREFUSED"),
      });
    });

    it("the CLI prints the reason and the fix on stderr, exit 2", async () => {
      const unknown = await runCli(["webhooks", "replay", "calendly", "invitee.rescheduled"], { env: s.world.env });
      expect(unknown.exitCode).toBe(2);
      expect(unknown.stderr).toContain('Unknown event type "invitee.rescheduled"');
      expect(unknown.stderr).toMatch(/fix: Valid event types: invitee\.created, invitee\.canceled/);
      const conflict = await runCli(["webhooks", "replay", "stripe", "payment_intent.succeeded", "--unsigned", "--bad-signature"], { env: s.world.env });
      expect(conflict.exitCode).toBe(2);
      expect(conflict.stderr).toContain("--unsigned and --bad-signature cannot be used together");
      const missing = await runCli(["webhooks", "replay", "calendly", "invitee.created", "--payload", "nope.json"], { env: s.world.env });
      expect(missing.exitCode).toBe(2);
      expect(missing.stderr).toMatch(/Cannot read --payload file .*nope\.json: no such file/);
    });
  });
});
