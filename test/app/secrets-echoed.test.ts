import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNotifier } from "../../src/core/notifications.js";
import { createWebhookIntake } from "../../src/core/webhook-intake.js";
import { createSendGridMailer } from "../../src/providers/sendgrid-mailer.js";
import { createStripeClient } from "../../src/providers/stripe-client.js";
import { createStripePayments } from "../../src/providers/stripe-payments.js";
import { runCli } from "../support/cli.js";
import { createTestDatabase, type TestDatabase } from "../support/db.js";
import { calendlyInviteeCanceled, calendlyInviteeCreated, newInviteeUri, stripeCheckoutCompleted } from "../support/webhook-fixtures.js";

/**
 * Providers that echo the credential they were sent in their error text (some do; a proxy or a misconfigured
 * gateway will): bookflow must store and print none of it. Stripe and SendGrid stand-ins answer every request with
 * an error quoting the request's Authorization header; a free booking's emails and a paid booking's refund then
 * fail through the real SDKs. Afterwards every row of every table, and the output of the commands that show
 * them, is searched for the keys.
 */

const STRIPE_KEY = "sk_test_51FAKEEchoedSecretKeyABCDEFGHIJ";
const SENDGRID_KEY = "SG.FAKEechoedsecret0123.FAKEEchoedSecretValue0123456789";
/** The keys, and the parts of them a partial echo would carry. */
const SECRETS = [STRIPE_KEY, SENDGRID_KEY, STRIPE_KEY.slice("sk_test_".length), ...SENDGRID_KEY.split(".").slice(1)];

function echoServer(answer: (auth: string) => { status: number; body: unknown }): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      const { status, body } = answer(String(req.headers.authorization ?? ""));
      res.writeHead(status, { "content-type": "application/json", "request-id": "req_echo" });
      res.end(JSON.stringify(body));
    });
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server })));
}

describe("a provider that echoes the credential in its errors", () => {
  let t: TestDatabase;
  let stripe: { url: string; server: Server };
  let sendgrid: { url: string; server: Server };
  let bookingIds: string[] = [];

  beforeAll(async () => {
    t = await createTestDatabase({ seed: true });
    stripe = await echoServer((auth) => ({ status: 400, body: { error: { type: "invalid_request_error", code: "api_key_invalid", message: `Invalid request (you sent ${auth}, key ${auth.replace(/^Bearer /, "")})` } } }));
    sendgrid = await echoServer((auth) => ({ status: 401, body: { errors: [{ message: `The provided authorization grant is invalid, expired, or revoked: ${auth}`, field: null, help: null }] } }));
    const payments = createStripePayments(await createStripeClient({ secretKey: STRIPE_KEY, apiBase: stripe.url, maxNetworkRetries: 0 }));
    const intake = createWebhookIntake({ prisma: t.db.prisma, sql: t.db.sql, payments });
    const mailer = await createSendGridMailer({ apiKey: SENDGRID_KEY, from: "noreply@example.com", baseUrl: sendgrid.url });
    const notifier = createNotifier({ prisma: t.db.prisma, sql: t.db.sql, mailer });

    const free = newInviteeUri();
    const freeBooking = await intake.receive("calendly", calendlyInviteeCreated({ eventTypeUri: "https://api.calendly.com/event_types/ada-intro-call", inviteeUri: free }));
    const paid = newInviteeUri();
    const paidType = "https://api.calendly.com/event_types/grace-code-review";
    const created = await intake.receive("calendly", calendlyInviteeCreated({ eventTypeUri: paidType, inviteeUri: paid }));
    await intake.receive("stripe", stripeCheckoutCompleted({ bookingId: created.bookingId!, calendlyInviteeUri: paid, amountCents: 14900 }));
    const cancelled = await intake.receive("calendly", calendlyInviteeCanceled({ eventTypeUri: paidType, inviteeUri: paid }));
    expect(cancelled.message).toMatch(/Invalid request/);
    await notifier.dispatchPending({});
    bookingIds = [freeBooking.bookingId!, created.bookingId!];
  });
  afterAll(async () => {
    stripe?.server.close();
    sendgrid?.server.close();
    await t?.drop();
  });

  it("the failures are recorded, with the providers' words but not the keys", async () => {
    const email = await t.db.prisma.emailMessage.findFirstOrThrow({ where: { bookingId: bookingIds[0], status: "FAILED" } });
    expect(email.error).toMatch(/authorization grant is invalid/);
    const intent = await t.db.prisma.effectIntent.findFirstOrThrow({ where: { bookingId: bookingIds[1] } });
    expect(intent).toMatchObject({ status: "FAILED", lastError: expect.stringMatching(/Invalid request/) });
    expect(await t.db.prisma.auditLog.count({ where: { target: bookingIds[1], action: "booking.refund_failed" } })).toBe(1);
  });

  it("no table holds a key, in any column", async () => {
    const tables = await t.db.sql.query<{ name: string }>(`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`);
    expect(tables.map((x) => x.name)).toEqual(expect.arrayContaining(["Booking", "WebhookEvent", "EmailMessage", "AuditLog", "EffectIntent"]));
    const found: string[] = [];
    for (const { name } of tables) {
      for (const secret of SECRETS) {
        const [row] = await t.db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${name}" AS r WHERE row_to_json(r)::text LIKE '%' || $1 || '%'`, [secret]);
        if (row!.n) found.push(`${name}: ${row!.n} row(s) hold ${secret.slice(0, 6)}…`);
      }
    }
    expect(found).toEqual([]);
  });

  it("no command that shows the failures prints a key", async () => {
    const env = { DATABASE_URL: t.url, STRIPE_SECRET_KEY: undefined, SENDGRID_API_KEY: undefined };
    const outputs = await Promise.all([
      runCli(["bookings", "show", bookingIds[1]!, "--no-live"], { env }),
      runCli(["bookings", "show", bookingIds[0]!, "--no-live", "--json"], { env }),
      runCli(["bookings", "list", "--stuck", "--json"], { env }),
      runCli(["audit", "list", "--json"], { env }),
    ]);
    for (const r of outputs) expect(r.exitCode, r.stderr).toBe(0);
    expect(outputs[0]!.stdout).toMatch(/Effects \(1, 1 not done\)\n  refund 149\.00 USD: FAILED, decided by webhook:calendly; last error: .*Invalid request/);
    const text = outputs.map((r) => r.stdout + r.stderr).join("\n");
    for (const secret of SECRETS) expect(text).not.toContain(secret);
  });
});
