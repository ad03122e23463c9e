import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  bookingForPayment,
  calendlyEventNeedsInvitees,
  classifyCalendlyEvent,
  classifyDispute,
  classifyExpiredCheckout,
  classifyPayment,
  classifyRefund,
  classifyStuck,
  finalizeFindings,
  Findings,
  planRepairs,
  reconcileExitCode,
  type BookingRecord,
  type CalendlyEventRecord,
  type Disagreement,
  type ReconcileWindow,
} from "../../src/core/reconcile.js";
import { calendlyOwner, pendingBookingPages } from "../../src/ops/reconcile-sources.js";
import { retryAfterMs, stripePages, stripePaymentIntentItemSchema, withStripeRetry } from "../../src/providers/stripe-retry.js";
import type { CalendlyClient } from "../../src/providers/calendly/client.js";
import { ProviderError } from "../../src/errors.js";
import { createTestDatabase, type TestDatabase } from "../support/db.js";

const T0 = new Date("2030-03-01T00:00:00Z");
const WINDOW: ReconcileWindow = { since: T0, until: new Date("2030-04-01T00:00:00Z") };
const NOW = new Date("2030-02-20T12:00:00Z");
const EVENT = "https://api.calendly.com/scheduled_events/e1";
const INVITEE = `${EVENT}/invitees/i1`;

function booking(over: Partial<BookingRecord> = {}): BookingRecord {
  return {
    id: "b1",
    status: "CONFIRMED",
    paymentStatus: "NOT_REQUIRED",
    startTime: new Date("2030-03-10T10:00:00Z"),
    createdAt: new Date("2030-02-01T00:00:00Z"),
    amountCents: 0,
    currency: "usd",
    inviteeEmail: "a@example.com",
    calendlyEventUri: EVENT,
    calendlyInviteeUri: INVITEE,
    stripeCheckoutSessionId: null,
    refundedCents: 0,
    cancelledBy: null,
    stripePaymentIntentId: null,
    ...over,
  };
}
const paidBooking = (over: Partial<BookingRecord> = {}) => booking({ status: "CONFIRMED", paymentStatus: "PAID", amountCents: 9900, stripePaymentIntentId: "pi_1", ...over });

function event(over: Partial<CalendlyEventRecord> = {}): CalendlyEventRecord {
  return { uri: EVENT, status: "active", start_time: "2030-03-10T10:00:00.000000Z", event_type: "https://api.calendly.com/event_types/t", invitees_counter: { total: 1, active: 1 }, ...over };
}

const kinds = (ds: Disagreement[]) => ds.map((d) => d.kind);

describe("reconcile: Calendly against the database", () => {
  it.each([
    ["an active event with its booking", event(), [booking()], false],
    ["an active event without a booking (who is missing?)", event(), [], true],
    ["a cancelled event without a booking (nothing to create)", event({ status: "canceled", invitees_counter: { total: 1, active: 0 } }), [], false],
    ["a group event with fewer bookings than invitees", event({ invitees_counter: { total: 3, active: 3 } }), [booking()], true],
    ["a group event where one invitee cancelled", event({ invitees_counter: { total: 2, active: 1 } }), [booking(), booking({ id: "b2", calendlyInviteeUri: `${EVENT}/invitees/i2` })], true],
    ["a group event, all booked and active", event({ invitees_counter: { total: 2, active: 2 } }), [booking(), booking({ id: "b2", calendlyInviteeUri: `${EVENT}/invitees/i2` })], false],
    ["a cancelled event whose booking stands (a cancellation, or a reschedule: the invitee says)", event({ status: "canceled", invitees_counter: { total: 1, active: 0 } }), [booking()], true],
    ["a cancelled event whose booking is cancelled too", event({ status: "canceled", invitees_counter: { total: 1, active: 0 } }), [booking({ status: "CANCELLED" })], false],
  ] as const)("invitees are read for %s: %s", (_name, e, bookings, needs) => {
    expect(calendlyEventNeedsInvitees(e, bookings)).toBe(needs);
  });

  it.each([
    ["active event, confirmed booking", event(), [booking()], null, []],
    ["cancelled event, confirmed booking", event({ status: "canceled" }), [booking()], null, ["cancelled_not_recorded"]],
    ["cancelled event, pending booking", event({ status: "canceled" }), [booking({ status: "PENDING", paymentStatus: "UNPAID" })], null, ["cancelled_not_recorded"]],
    ["cancelled event, cancelled booking", event({ status: "canceled" }), [booking({ status: "CANCELLED" })], null, []],
    ["active invitee, no booking", event(), [], [{ uri: INVITEE, email: "a@example.com", status: "active" as const }], ["missing_in_db"]],
    ["group: one cancelled invitee still active here", event({ invitees_counter: { total: 2, active: 1 } }), [booking(), booking({ id: "b2", calendlyInviteeUri: `${EVENT}/invitees/i2` })],
      [{ uri: INVITEE, email: "a@example.com", status: "active" as const }, { uri: `${EVENT}/invitees/i2`, email: "b@example.com", status: "canceled" as const }], ["cancelled_not_recorded"]],
  ] as const)("%s → %j", (_name, e, bookings, invitees, expected) => {
    expect(kinds(classifyCalendlyEvent(e, bookings, invitees).disagreements)).toEqual(expected);
  });

  it("a missing booking is reported with the Calendly invitee, email and start time", () => {
    const [d] = classifyCalendlyEvent(event(), [], [{ uri: INVITEE, email: "a@example.com", status: "active" }]).disagreements;
    expect(d).toMatchObject({ kind: "missing_in_db", bookingId: null, calendlyEventUri: EVENT, calendlyInviteeUri: INVITEE, inviteeEmail: "a@example.com", startTime: "2030-03-10T10:00:00.000Z", database: null });
  });

  it("a cancelled invitee that never had a booking is counted, not reported", () => {
    const v = classifyCalendlyEvent(event({ invitees_counter: { total: 2, active: 1 } }), [booking()], [
      { uri: INVITEE, email: "a@example.com", status: "active" },
      { uri: `${EVENT}/invitees/gone`, email: "c@example.com", status: "canceled" },
    ]);
    expect(v.disagreements).toEqual([]);
    expect(v.cancelledWithoutBooking).toBe(1);
  });
});

describe("reconcile: Stripe against the database", () => {
  const pi = (over: Record<string, unknown> = {}) => ({ id: "pi_1", status: "succeeded", amount: 9900, amount_received: 9900, currency: "usd", metadata: { booking_id: "b1" }, ...over });
  const unpaid = booking({ status: "PENDING", paymentStatus: "UNPAID", amountCents: 9900 });

  it("finds the booking by metadata booking_id, else calendly_invitee_uri, else the recorded payment intent", () => {
    const others = [booking({ id: "x", calendlyInviteeUri: "other", stripePaymentIntentId: "pi_x" })];
    expect(bookingForPayment(pi(), [...others, booking()])?.id).toBe("b1");
    expect(bookingForPayment(pi({ metadata: { calendly_invitee_uri: INVITEE } }), [...others, booking()])?.id).toBe("b1");
    expect(bookingForPayment(pi({ id: "pi_x", metadata: {} }), [...others, booking()])?.id).toBe("x");
    expect(bookingForPayment(pi({ metadata: {} }), others)).toBeNull();
  });

  it.each([
    ["succeeded, booking UNPAID", pi(), unpaid, "disagreement"],
    ["succeeded, booking PAID", pi(), paidBooking(), "agrees"],
    ["succeeded, booking REFUNDED", pi(), paidBooking({ status: "CANCELLED", paymentStatus: "REFUNDED" }), "agrees"],
    ["not succeeded", pi({ status: "requires_payment_method" }), unpaid, "not_paid"],
    ["no booking", pi(), null, "unmatched"],
    ["booking outside the window", pi(), booking({ ...unpaid, startTime: new Date("2030-05-01T00:00:00Z") }), "outside_window"],
    ["booking starting exactly at --until (exclusive)", pi(), booking({ ...unpaid, startTime: WINDOW.until! }), "outside_window"],
  ] as const)("payment: %s → %s", (_name, p, b, verdict) => {
    expect(classifyPayment(p, b, WINDOW).kind).toBe(verdict);
  });

  it.each([
    ["succeeded, booking CANCELLED/PAID", { status: "succeeded" }, paidBooking({ status: "CANCELLED" }), "disagreement"],
    ["succeeded, booking REFUNDED", { status: "succeeded" }, paidBooking({ status: "CANCELLED", paymentStatus: "REFUNDED" }), "agrees"],
    ["pending refund", { status: "pending" }, paidBooking({ status: "CANCELLED" }), "not_paid"],
    ["no booking", { status: "succeeded" }, null, "unmatched"],
  ] as const)("refund: %s → %s", (_name, over, b, verdict) => {
    expect(classifyRefund({ id: "re_1", amount: 9900, currency: "usd", payment_intent: "pi_1", ...over }, b, WINDOW).kind).toBe(verdict);
  });
});

describe("reconcile: stuck bookings", () => {
  const pending = (createdAt: string, over: Partial<BookingRecord> = {}) => booking({ status: "PENDING", paymentStatus: "UNPAID", amountCents: 9900, createdAt: new Date(createdAt), ...over });
  const THIRTY_MIN = 30 * 60_000;
  it.each([
    ["PENDING/UNPAID for 31 min", pending("2030-02-20T11:29:00Z"), true],
    ["PENDING/UNPAID for exactly 30 min", pending("2030-02-20T11:30:00Z"), true],
    ["PENDING/UNPAID for 29 min", pending("2030-02-20T11:31:00Z"), false],
    ["CONFIRMED/PAID, old", paidBooking({ createdAt: new Date("2030-01-01T00:00:00Z") }), false],
    ["PENDING/UNPAID, old, starting outside the window", pending("2030-01-01T00:00:00Z", { startTime: new Date("2030-02-28T00:00:00Z") }), false],
  ] as const)("%s → stuck: %s", (_name, b, stuck) => {
    expect(classifyStuck(b, NOW, THIRTY_MIN, WINDOW)?.kind ?? null).toBe(stuck ? "stuck_pending" : null);
  });
});

describe("reconcile: findings, fixability and the repair plan", () => {
  const refund = (b: BookingRecord, id: string, amount: number) => {
    const v = classifyRefund({ id, amount, currency: "usd", status: "succeeded", payment_intent: "pi_1" }, b, WINDOW);
    if (v.kind !== "disagreement") throw new Error("expected a disagreement");
    return v.disagreement;
  };

  it("merges two partial refunds of one booking into one full refund, which is fixable", () => {
    const b = paidBooking({ status: "CANCELLED" });
    const f = new Findings();
    f.add(refund(b, "re_1", 4900));
    f.add(refund(b, "re_2", 5000));
    f.add(refund(b, "re_2", 5000)); // the same refund seen twice
    const { disagreements } = finalizeFindings(f.values());
    expect(disagreements).toHaveLength(1);
    expect(disagreements[0]).toMatchObject({ stripeRefundIds: ["re_1", "re_2"], refundedCents: 9900, fixable: true });
    expect(disagreements[0]).not.toHaveProperty("amountCents");
  });

  it.each([
    ["a partial refund (recorded PARTIALLY_REFUNDED)", [paidBooking({ status: "CANCELLED" })], 5000, [], true, null],
    ["a refund of a booking that still stands (CONFIRMED/PAID: a dashboard refund)", [paidBooking()], 9900, [], true, null],
    ["a refund of a booking that never took the payment", [paidBooking({ status: "PENDING", paymentStatus: "UNPAID" })], 9900, [], false, /took the payment/],
    ["… unless Calendly cancelled it too (cancelled_not_recorded first)", [paidBooking()], 9900, ["cancelled"], true, null],
    ["a refund of a cancelled booking whose payment was not recorded either", [paidBooking({ status: "CANCELLED", paymentStatus: "UNPAID" })], 9900, ["paid"], true, null],
  ] as const)("refunded_not_recorded is fixable for %s: %s", (_name, [b], amount, alsoKinds, fixable, reason) => {
    const all: Disagreement[] = [refund(b!, "re_1", amount)];
    if (alsoKinds.includes("cancelled" as never)) all.push(...classifyCalendlyEvent(event({ status: "canceled" }), [b!], null).disagreements);
    if (alsoKinds.includes("paid" as never)) {
      const v = classifyPayment({ id: "pi_1", status: "succeeded", amount: 9900, currency: "usd", metadata: { booking_id: b!.id } }, b!, WINDOW);
      if (v.kind === "disagreement") all.push(v.disagreement);
    }
    const d = finalizeFindings(all).disagreements.find((x) => x.kind === "refunded_not_recorded")!;
    expect(d.fixable).toBe(fixable);
    if (reason) expect(d.notFixableReason).toMatch(reason);
  });

  it("a refund the booking already records (charge.refunded applied) is no disagreement; a larger one is", () => {
    const b = paidBooking({ paymentStatus: "PARTIALLY_REFUNDED", refundedCents: 3000 });
    expect(finalizeFindings([refund(b, "re_1", 3000)]).disagreements).toEqual([]);
    const f = new Findings();
    f.add(refund(b, "re_1", 3000));
    f.add(refund(b, "re_2", 6900));
    const more = finalizeFindings(f.values()).disagreements;
    expect(more).toMatchObject([{ kind: "refunded_not_recorded", refundedCents: 9900, fixable: true }]);
    expect(more[0]!.suggestedAction).toMatch(/as REFUNDED/);
  });

  it("a rescheduled invitee whose booking did not move: reschedule_not_recorded (not a cancellation), fixable", () => {
    const moved = `https://api.calendly.com/scheduled_events/e2/invitees/i2`;
    const v = classifyCalendlyEvent(event({ status: "canceled", invitees_counter: { total: 1, active: 0 } }), [paidBooking()], [{ uri: INVITEE, email: "a@example.com", status: "canceled", rescheduled: true, new_invitee: moved }]);
    expect(v.disagreements).toMatchObject([{ kind: "reschedule_not_recorded", bookingId: "b1", newInviteeUri: moved }]);
    expect(finalizeFindings(v.disagreements).disagreements[0]).toMatchObject({ fixable: true });
    // Its new invitee, active on a new event with no booking, is not reported missing as well.
    const newEvent = classifyCalendlyEvent(event({ uri: "https://api.calendly.com/scheduled_events/e2" }), [], [{ uri: moved, email: "a@example.com", status: "active" }]).disagreements;
    expect(kinds(newEvent)).toEqual(["missing_in_db"]);
    expect(kinds(finalizeFindings([...v.disagreements, ...newEvent]).disagreements)).toEqual(["reschedule_not_recorded"]);
  });

  it("a cancelled booking whose Calendly event is still active: slot_not_released, fixable only when bookflow cancelled it for an unpaid Checkout", () => {
    const unpaid = classifyCalendlyEvent(event(), [booking({ status: "CANCELLED", paymentStatus: "UNPAID", cancelledBy: "bookflow (unpaid)" })], null).disagreements;
    expect(finalizeFindings(unpaid).disagreements).toMatchObject([{ kind: "slot_not_released", fixable: true }]);
    const byHand = classifyCalendlyEvent(event(), [booking({ status: "CANCELLED", cancelledBy: "ops@example.com" })], null).disagreements;
    expect(finalizeFindings(byHand).disagreements).toMatchObject([{ kind: "slot_not_released", fixable: false, notFixableReason: expect.stringMatching(/person's call/) }]);
  });

  it("an open dispute on a booking not DISPUTED: dispute_open; a closed one, or one already recorded, is not", () => {
    const b = paidBooking();
    const open = classifyDispute({ id: "dp_1", status: "needs_response", amount: 9900, currency: "usd", payment_intent: "pi_1" }, b, WINDOW);
    expect(open).toMatchObject({ kind: "disagreement", disagreement: { kind: "dispute_open", stripeDisputeId: "dp_1", stripePaymentIntentId: "pi_1" } });
    expect(classifyDispute({ id: "dp_1", status: "won", amount: 9900, currency: "usd", payment_intent: "pi_1" }, b, WINDOW).kind).toBe("not_paid");
    expect(classifyDispute({ id: "dp_1", status: "under_review", amount: 9900, currency: "usd", payment_intent: "pi_1" }, { ...b, paymentStatus: "DISPUTED" }, WINDOW).kind).toBe("agrees");
    expect(classifyDispute({ id: "dp_1", status: "under_review", amount: 9900, currency: "usd", payment_intent: "pi_9" }, null, WINDOW).kind).toBe("unmatched");
  });

  it("a stuck booking whose Checkout session expired: checkout_expired, fixable; an open session leaves it stuck_pending", () => {
    const b = booking({ status: "PENDING", paymentStatus: "UNPAID", amountCents: 9900, stripeCheckoutSessionId: "cs_1" });
    const d = classifyExpiredCheckout(b, { id: "cs_1", status: "expired", payment_status: "unpaid" }, WINDOW);
    expect(d).toMatchObject({ kind: "checkout_expired", stripeCheckoutSessionId: "cs_1" });
    expect(finalizeFindings([d!]).disagreements[0]).toMatchObject({ fixable: true });
    expect(classifyExpiredCheckout(b, { id: "cs_1", status: "open", payment_status: "unpaid" }, WINDOW)).toBeNull();
    expect(classifyExpiredCheckout({ ...b, status: "CANCELLED" }, { id: "cs_1", status: "expired", payment_status: "unpaid" }, WINDOW)).toBeNull();
  });

  it.each(["PAID", "REFUND_PENDING", "PARTIALLY_REFUNDED", "REFUNDED", "DISPUTED"] as const)("a succeeded payment agrees with a booking whose payment is %s", (paymentStatus) => {
    const v = classifyPayment({ id: "pi_1", status: "succeeded", amount: 9900, currency: "usd", metadata: { booking_id: "b1" } }, paidBooking({ paymentStatus }), WINDOW);
    expect(v.kind).toBe("agrees");
  });

  it("a payment for a free booking is reported, not fixable", () => {
    const v = classifyPayment({ id: "pi_9", status: "succeeded", amount: 500, currency: "usd", metadata: { booking_id: "b1" } }, booking(), WINDOW);
    if (v.kind !== "disagreement") throw new Error("expected a disagreement");
    const [d] = finalizeFindings([v.disagreement]).disagreements;
    expect(d).toMatchObject({ kind: "paid_not_recorded", fixable: false });
  });

  it("drops stuck_pending where another disagreement explains the booking; stuck_pending alone is reported only", () => {
    const b = booking({ status: "PENDING", paymentStatus: "UNPAID", amountCents: 9900, createdAt: new Date("2030-01-01T00:00:00Z") });
    const stuck = classifyStuck(b, NOW, 60_000, WINDOW)!;
    const paid = classifyPayment({ id: "pi_1", status: "succeeded", amount: 9900, currency: "usd", metadata: { booking_id: "b1" } }, b, WINDOW);
    if (paid.kind !== "disagreement") throw new Error("expected a disagreement");
    expect(finalizeFindings([stuck, paid.disagreement]).counts).toMatchObject({ paid_not_recorded: 1, stuck_pending: 0 });
    const alone = finalizeFindings([stuck]).disagreements[0]!;
    expect(alone).toMatchObject({ kind: "stuck_pending", fixable: false });
  });

  it("orders the repairs so the status rules hold (create, pay, cancel, refund) and leaves out what it cannot fix", () => {
    const b = paidBooking({ status: "CANCELLED", paymentStatus: "UNPAID" });
    const all: Disagreement[] = [
      refund(b, "re_1", 9900),
      ...classifyCalendlyEvent(event({ uri: `${EVENT}x` }), [], [{ uri: `${EVENT}x/invitees/n`, email: "n@example.com", status: "active" }]).disagreements,
      classifyStuck(booking({ id: "s", status: "PENDING", paymentStatus: "UNPAID", createdAt: new Date("2030-01-01T00:00:00Z") }), NOW, 60_000, WINDOW)!,
    ];
    const paid = classifyPayment({ id: "pi_1", status: "succeeded", amount: 9900, currency: "usd", metadata: { booking_id: b.id } }, b, WINDOW);
    if (paid.kind === "disagreement") all.push(paid.disagreement);
    const { disagreements } = finalizeFindings(all);
    expect(kinds(planRepairs(disagreements))).toEqual(["missing_in_db", "paid_not_recorded", "refunded_not_recorded"]);
  });

  it.each([
    [0, null, 0],
    [3, null, 1],
    [3, 2, 1],
    [3, 3, 0],
  ] as const)("exit code with %s found and %s repaired: %s", (found, repaired, code) => {
    expect(reconcileExitCode(found, repaired)).toBe(code);
  });
});

describe("reconcile: whose Calendly events are listed", () => {
  const client = (orgAnswer: "ok" | 403 | 500): Pick<CalendlyClient, "getCurrentUser" | "listScheduledEvents"> => ({
    getCurrentUser: async () => ({ uri: "https://api.calendly.com/users/me", current_organization: "https://api.calendly.com/organizations/o" }) as never,
    listScheduledEvents: (params) =>
      (async function* () {
        if (params.organization && orgAnswer !== "ok") throw new ProviderError("calendly", "GET /scheduled_events", "no", orgAnswer);
        yield* [];
      })(),
  });
  it("the organization's when the token may list them", async () => {
    expect(await calendlyOwner(client("ok"))).toEqual({ scope: "organization", params: { organization: "https://api.calendly.com/organizations/o" } });
  });
  it("the user's when the organization answers 403 (a token without admin rights)", async () => {
    expect(await calendlyOwner(client(403))).toEqual({ scope: "user", params: { user: "https://api.calendly.com/users/me" } });
  });
  it("other failures are not hidden", async () => {
    await expect(calendlyOwner(client(500))).rejects.toMatchObject({ status: 500 });
  });
});

describe("reconcile: Stripe paging and rate limits", () => {
  const recorder = () => {
    const waits: number[] = [];
    return { waits, sleep: async (ms: number) => void waits.push(ms) };
  };

  it("reads Retry-After as seconds or an HTTP date", () => {
    expect(retryAfterMs({ "retry-after": "3" })).toBe(3000);
    expect(retryAfterMs({ "retry-after": new Date(10_000).toUTCString() }, 4000)).toBe(6000);
    expect(retryAfterMs({})).toBeUndefined();
  });

  it("waits for Retry-After on a 429 the SDK throws, and on one it returns (a body without a Stripe error), then succeeds", async () => {
    const { waits, sleep } = recorder();
    const answers: (() => unknown)[] = [
      () => {
        throw Object.assign(new Error("Too many requests"), { type: "StripeRateLimitError", statusCode: 429, headers: { "retry-after": "2" } });
      },
      () => Object.defineProperty({ title: "Too Many Requests" }, "lastResponse", { value: { statusCode: 429, headers: { "retry-after": "5" } } }),
      () => ({ data: [], has_more: false }),
    ];
    const retried: number[] = [];
    const r = await withStripeRetry("GET /v1/refunds", async () => answers.shift()!(), { sleep, onRetry: (ms) => retried.push(ms) });
    expect(r).toEqual({ data: [], has_more: false });
    expect(waits).toEqual([2000, 5000]);
    expect(retried).toEqual([2000, 5000]);
  });

  it("backs off exponentially without Retry-After, and gives up after its budget with a ProviderError naming the endpoint", async () => {
    const { waits, sleep } = recorder();
    const err = await withStripeRetry("GET /v1/payment_intents", async () => {
      throw Object.assign(new Error("rate"), { type: "StripeRateLimitError", statusCode: 429, headers: {} });
    }, { sleep, maxRetries: 3 }).catch((e: unknown) => e);
    expect(waits).toEqual([1000, 2000, 4000]);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ provider: "stripe", endpoint: "GET /v1/payment_intents", status: 429 });
  });

  it("refuses a Retry-After longer than a minute at once", async () => {
    const { waits, sleep } = recorder();
    const err = await withStripeRetry("GET /v1/refunds", async () => {
      throw Object.assign(new Error("rate"), { type: "StripeRateLimitError", statusCode: 429, headers: { "retry-after": "3600" } });
    }, { sleep }).catch((e: unknown) => e);
    expect(waits).toEqual([]);
    expect((err as ProviderError).message).toMatch(/3600 s/);
  });

  it("turns other Stripe errors into a ProviderError with a hint", async () => {
    const err = await withStripeRetry("GET /v1/refunds", async () => {
      throw Object.assign(new Error("Invalid API Key provided"), { type: "StripeAuthenticationError", statusCode: 401 });
    }, recorder()).catch((e: unknown) => e);
    expect(err).toMatchObject({ provider: "stripe", status: 401 });
    expect((err as ProviderError).hint).toMatch(/STRIPE_SECRET_KEY/);
  });

  it("follows starting_after page by page, and rejects a page that is not a list", async () => {
    const all = Array.from({ length: 5 }, (_, i) => ({ id: `pi_${i}`, status: "succeeded", amount: 100, currency: "usd", metadata: {}, created: 1000 - i }));
    const seen: unknown[] = [];
    const pages: string[][] = [];
    for await (const page of stripePages("GET /v1/payment_intents", async (params) => {
      seen.push(params);
      const from = params.starting_after ? all.findIndex((p) => p.id === params.starting_after) + 1 : 0;
      return { object: "list", data: all.slice(from, from + params.limit), has_more: from + params.limit < all.length };
    }, stripePaymentIntentItemSchema, { pageSize: 2, createdFrom: 900, sleep: async () => {} })) pages.push(page.map((p) => p.id));
    expect(pages).toEqual([["pi_0", "pi_1"], ["pi_2", "pi_3"], ["pi_4"]]);
    expect(seen[0]).toEqual({ limit: 2, created: { gte: 900 } });
    expect(seen[1]).toEqual({ limit: 2, created: { gte: 900 }, starting_after: "pi_1" });

    const bad = stripePages("GET /v1/payment_intents", async () => ({ data: [{ id: 42 }], has_more: false }), stripePaymentIntentItemSchema, { pageSize: 2, createdFrom: 0, sleep: async () => {} });
    await expect(bad.next()).rejects.toMatchObject({ provider: "stripe", endpoint: "GET /v1/payment_intents" });
  });
});

describe("reconcile on the database: keyset pages and recording a refund", () => {
  let t: TestDatabase;
  let stId: string;
  let builderId: string;

  beforeAll(async () => {
    t = await createTestDatabase({ seed: true });
    const [st] = await t.db.sql.query<{ id: string; builderId: string }>(`SELECT id, "builderId" FROM "SessionType" WHERE "priceCents" > 0 LIMIT 1`);
    stId = st!.id;
    builderId = st!.builderId;
  });
  afterAll(() => t?.drop());

  async function insert(over: { status: string; paymentStatus: string; start: string; created?: string; id?: string }): Promise<string> {
    const id = over.id ?? randomUUID();
    const at = over.created ?? "2030-01-01T00:00:00Z";
    await t.db.sql.query(
      `INSERT INTO "Booking" (id, "sessionTypeId", "builderId", "inviteeEmail", "startTime", "endTime", status, "paymentStatus", "amountCents", currency, "calendlyInviteeUri", "createdAt", "updatedAt")
       VALUES ($1, $2, $3, 'k@example.com', $4::timestamp, $4::timestamp + interval '1 hour', $5::"BookingStatus", $6::"PaymentStatus", 9900, 'usd', $7, $8::timestamp, $8::timestamp)`,
      [id, stId, builderId, over.start, over.status, over.paymentStatus, `https://api.calendly.com/scheduled_events/${id}/invitees/x`, at],
    );
    return id;
  }

  it("pages the window's old PENDING/UNPAID bookings in (startTime, id) order, ties included, nothing twice", async () => {
    const same = "2030-03-05T10:00:00Z";
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await insert({ status: "PENDING", paymentStatus: "UNPAID", start: same }));
    ids.push(await insert({ status: "PENDING", paymentStatus: "UNPAID", start: "2030-03-06T10:00:00Z" }));
    await insert({ status: "PENDING", paymentStatus: "UNPAID", start: "2030-03-07T10:00:00Z", created: "2030-02-20T11:59:00Z" }); // too recent
    await insert({ status: "CONFIRMED", paymentStatus: "PAID", start: same }); // not pending
    await insert({ status: "PENDING", paymentStatus: "UNPAID", start: "2030-04-02T10:00:00Z" }); // after the window
    const pages: string[][] = [];
    for await (const page of pendingBookingPages(t.db.sql, WINDOW, new Date("2030-02-20T11:30:00Z"), 2)) pages.push(page.map((b) => b.id));
    expect(pages.map((p) => p.length)).toEqual([2, 2, 2]);
    const tie = ids.slice(0, 5).sort();
    expect(pages.flat()).toEqual([...tie, ids[5]]);
  });

});
