import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWebhookIntake } from "../../src/core/webhook-intake.js";
import { calendlyEventFromApi, checkoutCompletedFromApi } from "../../src/core/provider-truth.js";
import type { CalendlyInvitee, CalendlyScheduledEvent } from "../../src/providers/calendly/schemas.js";
import { createTestDatabase, type TestDatabase } from "../support/db.js";

/** Provider truth (API objects) re-applied through the intake: same effect as the webhook, once. */
describe("provider truth as intake events", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase({ seed: true });
  });
  afterAll(() => t?.drop());

  const eventUri = "https://api.calendly.com/scheduled_events/11111111-2222-4333-8444-555555555555";
  const event: CalendlyScheduledEvent = {
    uri: eventUri,
    name: "Build session",
    status: "active",
    start_time: "2026-12-01T10:00:00.000000Z",
    end_time: "2026-12-01T11:00:00.000000Z",
    event_type: "https://api.calendly.com/event_types/ada-build-session",
    invitees_counter: { total: 1, active: 1, limit: 1 },
    created_at: "2026-11-25T09:00:00.000000Z",
    updated_at: "2026-11-25T09:00:00.000000Z",
    event_memberships: [{ user: "https://api.calendly.com/users/HOST" }],
  };
  const invitee: CalendlyInvitee = {
    uri: `${eventUri}/invitees/66666666-7777-4888-8999-000000000000`,
    email: "truth@example.com",
    name: "Truth Teller",
    status: "active",
    event: eventUri,
    created_at: "2026-11-25T09:00:00.000000Z",
    updated_at: "2026-11-25T09:00:00.000000Z",
  };

  it("creates the booking from the Calendly API's invitee, then pays it from the Checkout session, each once", async () => {
    const intake = createWebhookIntake({ prisma: t.db.prisma, sql: t.db.sql });
    const created = await intake.receive("calendly", calendlyEventFromApi("invitee.created", invitee, event));
    expect(created.outcome).toBe("processed");
    expect((await intake.receive("calendly", calendlyEventFromApi("invitee.created", invitee, event))).outcome).toBe("duplicate");
    const booking = await t.db.prisma.booking.findFirstOrThrow({ where: { calendlyInviteeUri: invitee.uri } });
    expect(booking).toMatchObject({ status: "PENDING", paymentStatus: "UNPAID" });

    const session = { id: "cs_test_truth1", payment_status: "paid", amount_total: 9900, currency: "usd", metadata: { booking_id: booking.id }, payment_intent: { id: "pi_test_truth1" } };
    const paid = await intake.receive("stripe", checkoutCompletedFromApi(session));
    expect(paid.outcome).toBe("processed");
    expect((await intake.receive("stripe", checkoutCompletedFromApi(session))).outcome).toBe("duplicate");
    expect(await t.db.prisma.booking.findUniqueOrThrow({ where: { id: booking.id } })).toMatchObject({ status: "CONFIRMED", paymentStatus: "PAID", stripePaymentIntentId: "pi_test_truth1" });

    const canceled = await intake.receive("calendly", calendlyEventFromApi("invitee.canceled", { ...invitee, status: "canceled" }, { ...event, status: "canceled" }));
    expect(canceled.outcome).toBe("processed");
    expect(await t.db.prisma.booking.findUniqueOrThrow({ where: { id: booking.id } })).toMatchObject({ status: "CANCELLED" });
  });
});
