import { createHash } from "node:crypto";
import { createApp, type AppLimits, type AppLogEntry, type RunningApp } from "../../src/app/server.js";
import type { TrustedProxy } from "../../src/config/app-env.js";
import { createNotifier } from "../../src/core/notifications.js";
import type { CheckoutRequest, PaymentsGateway, SchedulingGateway } from "../../src/core/ports.js";
import { createWebhookIntake } from "../../src/core/webhook-intake.js";
import type { Database } from "../../src/db/client.js";
import { CaptureMailer } from "../../src/providers/capture-mailer.js";

export const TEST_CALENDLY_KEY = "calendly_signing_key_FAKE_for_tests";
export const TEST_STRIPE_SECRET = "whsec_FAKE_test_secret_for_bookflow";

/** The checkout session id RecordingPayments gives a booking, derived from its Calendly invitee URI (or id). */
export function checkoutIdFor(key: string): string {
  return `cs_test_${createHash("sha1").update(key).digest("hex").slice(0, 20)}`;
}

/** Records checkout sessions and refunds (the payments port; Stripe itself is the sandbox's job). */
export class RecordingPayments implements PaymentsGateway {
  checkouts: CheckoutRequest[] = [];
  refunds: { paymentIntentId: string; amountCents?: number | undefined; idempotencyKey: string }[] = [];
  failCheckout = false;
  async createCheckoutSession(req: CheckoutRequest) {
    if (this.failCheckout) throw new Error("stripe unavailable (test)");
    this.checkouts.push(req);
    return { id: checkoutIdFor(req.calendlyInviteeUri ?? req.bookingId), url: `https://checkout.example.test/${req.bookingId}` };
  }
  async refund(req: { paymentIntentId: string; amountCents?: number | undefined; idempotencyKey: string }) {
    this.refunds.push(req);
    return { id: `re_test_${this.refunds.length}`, status: "succeeded" };
  }
}

/** Records the Calendly events the app cancels (slots released). */
export class RecordingScheduling implements SchedulingGateway {
  cancelled: { eventUri: string; reason: string }[] = [];
  async cancelEvent(eventUri: string, reason: string) {
    const alreadyCanceled = this.cancelled.some((c) => c.eventUri === eventUri);
    this.cancelled.push({ eventUri, reason });
    return { alreadyCanceled };
  }
}

export interface TestApp extends RunningApp {
  mailer: CaptureMailer;
  payments: RecordingPayments;
  scheduling: RecordingScheduling;
  logs: AppLogEntry[];
}

/** The reference app on `db` (a test database's `t.db`: Prisma for the routes, its SQL client for the webhook intake). */
export async function startTestApp(db: Pick<Database, "prisma" | "sql">, options: { rateLimitPerMinute?: number; emailSweepMs?: number; limits?: Partial<AppLimits>; trustedProxies?: readonly TrustedProxy[] } = {}): Promise<TestApp> {
  const { prisma, sql } = db;
  const mailer = new CaptureMailer();
  const payments = new RecordingPayments();
  const scheduling = new RecordingScheduling();
  const logs: AppLogEntry[] = [];
  const intake = createWebhookIntake({ prisma, sql, payments, scheduling });
  const notifier = createNotifier({ prisma, mailer });
  const app = createApp({
    prisma,
    intake,
    notifier,
    payments,
    calendlySigningKey: TEST_CALENDLY_KEY,
    stripeWebhookSecret: TEST_STRIPE_SECRET,
    baseUrl: "https://app.example.test",
    version: "test",
    commit: "abc123",
    rateLimitPerMinute: options.rateLimitPerMinute ?? 100_000,
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.trustedProxies ? { trustedProxies: options.trustedProxies } : {}),
    log: (e) => logs.push(e),
    emailSweepMs: options.emailSweepMs ?? 0,
  });
  const running = await app.listen(0, "127.0.0.1");
  return Object.assign(running, { mailer, payments, scheduling, logs });
}
