import { describe, expect, it } from "vitest";
import {
  assessRegistrations,
  describeAction,
  planRegistration,
  stripeFailingDeliveries,
  type Expectation,
  type ProviderAssessment,
  type RegistrationLike,
} from "../../src/core/webhook-expectations.js";

/** Marks and register plans, decided from registrations alone (no I/O). */

const URL = "https://app.example.com/api/webhooks/stripe";
const CAL_URL = "https://app.example.com/api/webhooks/calendly";
const STRIPE: Expectation = { provider: "stripe", url: URL, events: ["checkout.session.completed", "payment_intent.succeeded"] };
const CALENDLY: Expectation = { provider: "calendly", url: CAL_URL, events: ["invitee.created", "invitee.canceled"] };

let n = 0;
function stripe(over: Partial<RegistrationLike> = {}): RegistrationLike {
  n++;
  return { provider: "stripe", id: `we_${n}`, url: URL, events: [...STRIPE.events], state: "enabled", createdAt: `2026-01-${String(10 + n).padStart(2, "0")}T00:00:00Z`, ...over };
}
function calendly(over: Partial<RegistrationLike> = {}): RegistrationLike {
  n++;
  return { provider: "calendly", id: `https://api.calendly.com/webhook_subscriptions/${n}`, url: CAL_URL, events: [...CALENDLY.events], state: "active", scope: "organization", createdAt: `2026-01-${String(10 + n).padStart(2, "0")}T00:00:00Z`, ...over };
}

const codes = (a: ProviderAssessment) => a.registrations.map((r) => [r.registration.id, r.role, r.marks.map((m) => `${m.code}:${m.severity}`)]);

describe("assessRegistrations: marks", () => {
  it("one complete, enabled registration on the expected URL is ok", () => {
    const r = stripe();
    const a = assessRegistrations(STRIPE, [r]);
    expect(a).toMatchObject({ ok: true, errors: 0, warnings: 0, missing: null });
    expect(codes(a)).toEqual([[r.id, "primary", ["ok:ok"]]]);
  });

  it("ignores a trailing slash and the host's case when matching the URL; Stripe's * receives every event", () => {
    const a = assessRegistrations(STRIPE, [stripe({ url: "https://APP.example.com/api/webhooks/stripe/", events: ["*"] })]);
    expect(a.ok).toBe(true);
  });

  it("marks missing events on the primary (error)", () => {
    const r = stripe({ events: ["checkout.session.completed", "charge.refunded"] });
    const a = assessRegistrations(STRIPE, [r]);
    expect(a.ok).toBe(false);
    expect(a.registrations[0]!.marks).toEqual([expect.objectContaining({ code: "missing-events", severity: "error", events: ["payment_intent.succeeded"] })]);
  });

  it("marks a disabled primary (error), and both marks when it also lacks events", () => {
    const a = assessRegistrations(CALENDLY, [calendly({ state: "disabled", events: ["invitee.created"] })]);
    expect(codes(a)[0]![2]).toEqual(["missing-events:error", "disabled:error"]);
    expect(a.errors).toBe(2);
  });

  it("prefers an enabled, complete registration as primary; the other on the same URL is a duplicate (error when enabled)", () => {
    const older = stripe({ events: ["checkout.session.completed"] });
    const complete = stripe();
    const a = assessRegistrations(STRIPE, [older, complete]);
    expect(codes(a)).toEqual([
      [complete.id, "primary", ["ok:ok"]],
      [older.id, "duplicate", ["duplicate:error"]],
    ]);
    expect(a.registrations[1]!.marks[0]!.duplicateOf).toBe(complete.id);
    expect(a.ok).toBe(false);
  });

  it("a disabled duplicate is only a warning", () => {
    const primary = calendly();
    const dup = calendly({ scope: "user", state: "disabled" });
    const a = assessRegistrations(CALENDLY, [dup, primary]);
    expect(codes(a)).toEqual([
      [primary.id, "primary", ["ok:ok"]],
      [dup.id, "duplicate", ["duplicate:warning"]],
    ]);
    expect(a).toMatchObject({ ok: true, warnings: 1 });
  });

  it("a registration on another URL is a warning while the expected URL is served", () => {
    const other = stripe({ url: "https://staging.example.com/api/webhooks/stripe" });
    const a = assessRegistrations(STRIPE, [stripe(), other]);
    expect(codes(a)[1]).toEqual([other.id, "other-url", ["wrong-url:warning"]]);
    expect(a.ok).toBe(true);
  });

  it("nothing on the expected URL: missing, and a registration elsewhere carrying the events is a wrong-url error", () => {
    const typo = stripe({ url: "https://app.example.com/api/webhook/stripe" });
    const unrelated = stripe({ url: "https://crm.example.com/hooks", events: ["customer.created"] });
    const a = assessRegistrations(STRIPE, [typo, unrelated]);
    expect(a.missing).toEqual({ url: URL, events: STRIPE.events });
    expect(codes(a)).toEqual([
      [typo.id, "other-url", ["wrong-url:error"]],
      [unrelated.id, "other-url", ["wrong-url:warning"]],
    ]);
    expect(a.registrations[0]!.marks[0]!.expectedUrl).toBe(URL);
    expect(a).toMatchObject({ ok: false, errors: 2, warnings: 1 });
  });

  it("no registrations at all: missing", () => {
    expect(assessRegistrations(CALENDLY, [])).toMatchObject({ ok: false, errors: 1, missing: { url: CAL_URL }, registrations: [] });
  });
});

describe("assessRegistrations: the provider's own delivery signal", () => {
  it("Calendly retrying deliveries to the primary: a deliveries-failing error with the retry start, instead of ok", () => {
    const r = calendly();
    const a = assessRegistrations(CALENDLY, [r], { [r.id]: { since: "2026-12-01T10:00:00.000000Z" } });
    expect(a).toMatchObject({ ok: false, errors: 1 });
    expect(a.registrations[0]!.marks).toEqual([expect.objectContaining({ code: "deliveries-failing", severity: "error", since: "2026-12-01T10:00:00.000000Z", message: expect.stringMatching(/CALENDLY_WEBHOOK_SIGNING_KEY/) })]);
  });

  it("Stripe: counts and since on the primary; a registration on another URL gets a warning; a disabled one none", () => {
    const primary = stripe();
    const other = stripe({ url: "https://other.example.com/hooks" });
    const off = stripe({ url: "https://off.example.com/hooks", state: "disabled" });
    const failing = { since: "2026-12-01T10:00:00.000Z", count: 3 };
    const a = assessRegistrations(STRIPE, [primary, other, off], { [primary.id]: failing, [other.id]: failing, [off.id]: failing });
    expect(codes(a)).toEqual([
      [primary.id, "primary", ["deliveries-failing:error"]],
      [other.id, "other-url", ["wrong-url:warning", "deliveries-failing:warning"]],
      [off.id, "other-url", ["wrong-url:warning"]],
    ]);
    expect(a.registrations[0]!.marks[0]).toMatchObject({ count: 3, message: expect.stringMatching(/^3 events it receives still undelivered, the oldest since 2026-12-01T10:00:00\.000Z: check that STRIPE_WEBHOOK_SECRET/) });
  });

  it("stripeFailingDeliveries: events it receives older than the grace, the oldest first", () => {
    const now = 1_800_000_000;
    const events = [
      { id: "evt_new", type: "checkout.session.completed", created: now - 60 },
      { id: "evt_old", type: "payment_intent.succeeded", created: now - 3600 },
      { id: "evt_other", type: "customer.created", created: now - 7200 },
    ];
    expect(stripeFailingDeliveries(stripe(), events, now, 10)).toEqual({ since: new Date((now - 3600) * 1000).toISOString(), count: 1 });
    expect(stripeFailingDeliveries(stripe(), events, now, 0)).toMatchObject({ count: 2 });
    expect(stripeFailingDeliveries(stripe({ events: ["*"] }), events, now, 0)).toEqual({ since: new Date((now - 7200) * 1000).toISOString(), count: 3 });
    expect(stripeFailingDeliveries(stripe(), events, now, 120)).toBeNull();
    expect(stripeFailingDeliveries(stripe({ state: "disabled" }), events, now, 0)).toBeNull();
  });
});

describe("planRegistration: what register does", () => {
  const options = { replace: false, calendlyScope: "organization" as const };

  it("creates what is missing (Calendly in the chosen scope)", () => {
    expect(planRegistration(assessRegistrations(STRIPE, []), options)).toEqual({ actions: [{ kind: "create", provider: "stripe", url: URL, events: STRIPE.events }], notes: [] });
    expect(planRegistration(assessRegistrations(CALENDLY, []), { ...options, calendlyScope: "user" }).actions).toEqual([
      { kind: "create", provider: "calendly", url: CAL_URL, events: CALENDLY.events, scope: "user" },
    ]);
  });

  it("plans nothing when everything is in place (idempotence)", () => {
    expect(planRegistration(assessRegistrations(STRIPE, [stripe()]), options)).toEqual({ actions: [], notes: [] });
    expect(planRegistration(assessRegistrations(CALENDLY, [calendly()]), options)).toEqual({ actions: [], notes: [] });
  });

  it("Stripe: updates an incomplete endpoint in place, keeping the events it had", () => {
    const r = stripe({ events: ["charge.refunded", "checkout.session.completed"] });
    const plan = planRegistration(assessRegistrations(STRIPE, [r]), options);
    expect(plan.actions).toEqual([{ kind: "update-events", provider: "stripe", id: r.id, url: URL, from: r.events, to: ["charge.refunded", "checkout.session.completed", "payment_intent.succeeded"] }]);
    expect(describeAction(plan.actions[0]!)).toContain("adds payment_intent.succeeded");
  });

  it("Stripe: a disabled endpoint is not re-enabled (blocking note pointing at restore)", () => {
    const r = stripe({ state: "disabled" });
    const plan = planRegistration(assessRegistrations(STRIPE, [r]), options);
    expect(plan.actions).toEqual([]);
    expect(plan.notes).toEqual([expect.objectContaining({ id: r.id, blocking: true, message: expect.stringContaining("webhooks restore") })]);
  });

  it("Calendly: an incomplete subscription is refused without --replace, replaced with it (keeping its scope)", () => {
    const r = calendly({ scope: "user", events: ["invitee.created"] });
    const refused = planRegistration(assessRegistrations(CALENDLY, [r]), options);
    expect(refused.actions).toEqual([]);
    expect(refused.notes).toEqual([expect.objectContaining({ blocking: true, message: expect.stringContaining("--replace") })]);
    const replaced = planRegistration(assessRegistrations(CALENDLY, [r]), { ...options, replace: true });
    expect(replaced).toEqual({
      actions: [{ kind: "replace", provider: "calendly", id: r.id, url: CAL_URL, from: ["invitee.created"], to: ["invitee.created", "invitee.canceled"], scope: "user", because: "missing-events" }],
      notes: [],
    });
  });

  it("Calendly: a disabled subscription is replaced only with --replace", () => {
    const r = calendly({ state: "disabled" });
    expect(planRegistration(assessRegistrations(CALENDLY, [r]), { ...options, replace: true }).actions).toEqual([expect.objectContaining({ kind: "replace", because: "disabled" })]);
  });

  it("duplicates and registrations elsewhere are left alone, with a note (not blocking)", () => {
    const primary = stripe();
    const dup = stripe();
    const typo = stripe({ url: "https://app.example.com/api/webhook/stripe" });
    const withDup = planRegistration(assessRegistrations(STRIPE, [dup, primary]), options);
    expect(withDup.actions).toEqual([]);
    expect(withDup.notes).toEqual([expect.objectContaining({ id: dup.id, blocking: false })]);
    const withTypo = planRegistration(assessRegistrations(STRIPE, [typo]), options);
    expect(withTypo.actions.map((a) => a.kind)).toEqual(["create"]);
    expect(withTypo.notes).toEqual([expect.objectContaining({ id: typo.id, blocking: false })]);
  });
});
