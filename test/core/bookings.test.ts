import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { attachCheckoutSession, findBooking, identifierKind } from "../../src/core/bookings.js";
import { createWebhookIntake } from "../../src/core/webhook-intake.js";
import type { PrismaClient } from "../../src/generated/prisma/client.js";
import { createTestDatabase, type TestDatabase } from "../support/db.js";
import { calendlyInviteeCreated, newInviteeUri, scheduledEventUriOf, stripeCheckoutCompleted } from "../support/webhook-fixtures.js";

let t: TestDatabase;
let prisma: PrismaClient;
let paidId: string;
const uri = newInviteeUri();

beforeAll(async () => {
  t = await createTestDatabase({ seed: true });
  prisma = t.db.prisma;
  const intake = createWebhookIntake({ prisma, sql: t.db.sql });
  const r = await intake.receive("calendly", calendlyInviteeCreated({ eventTypeUri: "https://api.calendly.com/event_types/ada-build-session", inviteeUri: uri, email: "Finder.Person@Example.com" }));
  paidId = r.bookingId!;
  await intake.receive("calendly", calendlyInviteeCreated({ eventTypeUri: "https://api.calendly.com/event_types/ada-intro-call", email: "finder.person@example.com" }));
  await intake.receive("stripe", stripeCheckoutCompleted({ bookingId: paidId, amountCents: 9900, sessionId: "cs_test_finder", paymentIntentId: "pi_test_finder" }));
});
afterAll(async () => {
  await t?.drop();
});

describe("findBooking", () => {
  it.each([
    ["its id", () => paidId, 1],
    ["its Calendly invitee URI", () => uri, 1],
    ["its Calendly scheduled event URI", () => scheduledEventUriOf(uri), 1],
    ["its Checkout session id", () => "cs_test_finder", 1],
    ["its payment intent id", () => "pi_test_finder", 1],
    ["the invitee email, in any case", () => "FINDER.person@example.com", 2],
    ["an email whose _ would match the . of another person's (LIKE is not applied)", () => "finder_person@example.com", 0],
    ["an email of % (LIKE is not applied)", () => "%@example.com", 0],
    ["an unknown id", () => "no-such-booking", 0],
    ["an empty query", () => "  ", 0],
  ])("finds bookings by %s", async (_name, query, count) => {
    const found = await findBooking(prisma, query());
    expect(found).toHaveLength(count);
    if (count === 1) expect(found[0]!.id).toBe(paidId);
  });

  it("classifies identifiers", () => {
    expect(["https://api.calendly.com/x", "cs_1", "pi_1", "a@b.c", "uuid"].map(identifierKind)).toEqual(["uri", "checkout-session", "payment-intent", "email", "id"]);
  });
});

describe("attachCheckoutSession", () => {
  it("fills an empty slot once and keeps the first session", async () => {
    const intake = createWebhookIntake({ prisma, sql: t.db.sql });
    const r = await intake.receive("calendly", calendlyInviteeCreated({ eventTypeUri: "https://api.calendly.com/event_types/grace-code-review" }));
    const id = r.bookingId!;
    expect(await attachCheckoutSession(prisma, id, "cs_test_a")).toEqual({ attached: true });
    expect(await attachCheckoutSession(prisma, id, "cs_test_a")).toEqual({ attached: true });
    expect(await attachCheckoutSession(prisma, id, "cs_test_b")).toEqual({ attached: false, reason: "already_attached", existingSessionId: "cs_test_a" });
    expect(await attachCheckoutSession(prisma, "missing", "cs_test_c")).toEqual({ attached: false, reason: "not_found", existingSessionId: null });
    expect((await prisma.booking.findUniqueOrThrow({ where: { id } })).stripeCheckoutSessionId).toBe("cs_test_a");
  });
});
