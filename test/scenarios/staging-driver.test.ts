import type Stripe from "stripe";
import { describe, expect, it } from "vitest";
import { createStagingDriver, stagingSettings } from "../../src/engine/scenarios/drivers/staging.js";

/**
 * The staging driver's explanation of a wait for a Stripe-delivered event, on
 * its own: what Stripe's `GET /v1/events?type=…` says (pending_webhooks) about
 * the event the step made Stripe send, for each answer Stripe can give.
 */

const env = {
  NEXT_PUBLIC_BASE_URL: "http://127.0.0.1:9",
  CALENDLY_WEBHOOK_SIGNING_KEY: "FAKE-calendly-signing-key",
  STRIPE_SECRET_KEY: "sk_test_FAKE0123456789abcdef",
};

/** An Event as Stripe documents it (https://docs.stripe.com/api/events/object), the fields the driver reads. */
function event(over: { id: string; pending: number; object: Record<string, unknown> }) {
  return { id: over.id, object: "event", type: "checkout.session.expired", created: 1_765_000_000, livemode: false, pending_webhooks: over.pending, data: { object: over.object } };
}

/** A driver whose Stripe expires any session and answers the events list with `list`. */
function driverWith(list: (params: Record<string, unknown>) => Promise<{ data: unknown[] }>) {
  const seen: Record<string, unknown>[] = [];
  const client = {
    checkout: { sessions: { expire: async (id: string) => ({ id, object: "checkout.session", status: "expired" }) } },
    events: {
      list: async (params: Record<string, unknown>) => {
        seen.push(params);
        return list(params);
      },
    },
  } as unknown as Stripe;
  return { driver: createStagingDriver(stagingSettings(env), async () => client), seen };
}

async function notesAfterExpiry(list: (params: Record<string, unknown>) => Promise<{ data: unknown[] }>) {
  const { driver, seen } = driverWith(list);
  const expired = await driver.expireCheckout({ bookingId: "b-1", checkoutSessionId: "cs_test_FAKE1" });
  expect(expired.message).toBe("expired Checkout session cs_test_FAKE1 in Stripe (expired); Stripe delivers checkout.session.expired to the registered endpoint itself");
  expect(expired.limits).toBeUndefined();
  const notes = await driver.deliveryNotes({ bookingId: "b-1", checkoutSessionId: "cs_test_FAKE1", events: ["checkout.session.expired"] });
  return { notes, seen };
}

describe("the staging driver, when Stripe delivers", () => {
  it("an event Stripe could not deliver: says the deliveries did not arrive, with pending_webhooks and what to look at", async () => {
    const { notes, seen } = await notesAfterExpiry(async () => ({ data: [event({ id: "evt_FAKE_pending", pending: 2, object: { id: "cs_test_FAKE1", metadata: { booking_id: "b-1" } } })] }));
    expect(seen[0]).toMatchObject({ type: "checkout.session.expired", limit: 100, created: { gte: expect.any(Number) } });
    expect(notes).toEqual([
      expect.stringMatching(/^Stripe's deliveries did not arrive: checkout\.session\.expired evt_FAKE_pending \(2025-12-06T05:46:40\.000Z\) has pending_webhooks 2, Stripe could not deliver it to 2 endpoint\(s\) \(a signing secret rolled in the dashboard while the app keeps the old STRIPE_WEBHOOK_SECRET, .*`bookflow webhooks status`\)$/),
    ]);
  });

  it("an event Stripe delivered: says so (the app accepted it), so the wait is about what the app did", async () => {
    const { notes } = await notesAfterExpiry(async () => ({ data: [event({ id: "evt_FAKE_done", pending: 0, object: { id: "cs_test_FAKE1" } })] }));
    expect(notes).toEqual([expect.stringMatching(/^Stripe delivered checkout\.session\.expired evt_FAKE_done .* \(pending_webhooks 0\): the app accepted it/)]);
  });

  it("no event about this booking (other bookings' events do not count): says Stripe has none, and asks about the account", async () => {
    const { notes } = await notesAfterExpiry(async () => ({ data: [event({ id: "evt_FAKE_other", pending: 1, object: { id: "cs_test_OTHER", metadata: { booking_id: "b-2" } } })] }));
    expect(notes).toEqual(["Stripe has no checkout.session.expired event for booking b-1 (GET /v1/events?type=checkout.session.expired): is STRIPE_SECRET_KEY the test-mode account of the app's endpoint?"]);
  });

  it("Stripe's events unreadable (an error, or an answer that is not a list of events): says so instead of guessing", async () => {
    const failed = await notesAfterExpiry(async () => {
      throw new Error("connect ECONNREFUSED 127.0.0.1:9");
    });
    expect(failed.notes).toEqual(["Stripe's checkout.session.expired events unreadable: connect ECONNREFUSED 127.0.0.1:9"]);
    const malformed = await notesAfterExpiry(async () => ({ data: [{ id: "evt_FAKE_bad", type: "checkout.session.expired" }] }));
    expect(malformed.notes).toEqual([expect.stringMatching(/^Stripe's checkout\.session\.expired events unreadable: /)]);
  });

  it("asks Stripe only about the events the wait is for, and nothing for objects it did not make Stripe deliver", async () => {
    const { driver, seen } = driverWith(async () => ({ data: [] }));
    await driver.expireCheckout({ bookingId: "b-1", checkoutSessionId: "cs_test_FAKE1" });
    expect(await driver.deliveryNotes({ bookingId: "b-1", events: ["charge.refunded"] })).toEqual([]);
    expect(await driver.deliveryNotes({ bookingId: "b-9", checkoutSessionId: "cs_test_FAKE9" })).toEqual([]);
    expect(seen).toEqual([]);
  });

  it("refuses to refund with a live key, before calling Stripe", async () => {
    const driver = createStagingDriver(stagingSettings({ ...env, STRIPE_SECRET_KEY: "sk_live_FAKE0123456789abcdef" }), async () => {
      throw new Error("Stripe must not be called");
    });
    await expect(driver.refundOutside({ bookingId: "b-1", paymentIntentId: "pi_FAKE", amountCents: 9900, currency: "usd" })).rejects.toThrow(/only in Stripe's test mode; this STRIPE_SECRET_KEY is live/);
  });
});
