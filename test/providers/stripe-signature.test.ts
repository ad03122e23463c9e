import { createHmac } from "node:crypto";
import Stripe from "stripe";
import { describe, expect, it } from "vitest";
import {
  STRIPE_SIGNATURE_HEADER,
  signStripePayload,
  verifyStripeSignature,
} from "../../src/providers/stripe-signature.js";
import type { SignatureFailure } from "../../src/providers/signature.js";

const SECRET = "whsec_test_secret_for_bookflow_tests";
const NOW_S = 1_750_000_000;
const now = (): number => NOW_S * 1000;
const EVENT = {
  id: "evt_1TEST",
  object: "event",
  type: "checkout.session.completed",
  created: NOW_S,
  livemode: false,
  data: { object: { id: "cs_test_1", object: "checkout.session", metadata: { booking_id: "bk_1", note: "Zoë" } } },
};
const BODY = JSON.stringify(EVENT, null, 2);

describe("signStripePayload", () => {
  it("is accepted by the Stripe SDK's own constructEvent", async () => {
    const header = await signStripePayload(BODY, SECRET);
    const stripe = new Stripe("sk_test_123");
    const event = stripe.webhooks.constructEvent(BODY, header, SECRET);
    expect(event.id).toBe("evt_1TEST");
    expect(event.type).toBe("checkout.session.completed");
  });

  it("uses the given timestamp and the documented HMAC-SHA256 over `t.body`", async () => {
    const header = await signStripePayload(BODY, SECRET, NOW_S);
    const expected = createHmac("sha256", SECRET).update(`${NOW_S}.${BODY}`).digest("hex");
    expect(header).toBe(`t=${NOW_S},v1=${expected}`);
    // The SDK agrees when told the delivery arrived at that time.
    expect(() => Stripe.webhooks.constructEvent(BODY, header, SECRET, 300, undefined, NOW_S * 1000)).not.toThrow();
  });

  it("refuses to sign without a secret, with a configuration error", async () => {
    await expect(signStripePayload(BODY, "")).rejects.toMatchObject({ code: "STRIPE_WEBHOOK_SECRET_MISSING" });
  });
});

describe("verifyStripeSignature", () => {
  it("exports the lower-case header name Node uses", () => {
    expect(STRIPE_SIGNATURE_HEADER).toBe("stripe-signature");
  });

  it("accepts what signStripePayload produced and returns the parsed event", async () => {
    const header = await signStripePayload(BODY, SECRET, NOW_S);
    const result = await verifyStripeSignature(BODY, header, SECRET, { now });
    expect(result.ok).toBe(true);
    expect(result.event).toEqual(EVENT);
  });

  it("accepts the raw bytes as a Buffer", async () => {
    const header = await signStripePayload(BODY, SECRET, NOW_S);
    const result = await verifyStripeSignature(Buffer.from(BODY, "utf8"), header, SECRET, { now });
    expect(result).toMatchObject({ ok: true, event: { id: "evt_1TEST" } });
  });

  it("accepts a header with several v1 entries when one is right (secret rotation)", async () => {
    const good = (await signStripePayload(BODY, SECRET, NOW_S)).split("v1=")[1] ?? "";
    const other = (await signStripePayload(BODY, "whsec_old_secret", NOW_S)).split("v1=")[1] ?? "";
    const header = `t=${NOW_S},v1=${other},v1=${good},v0=${"0".repeat(64)}`;
    const result = await verifyStripeSignature(BODY, header, SECRET, { now });
    expect(result.ok).toBe(true);
  });

  it("uses the real clock when none is given", async () => {
    const fresh = await signStripePayload(BODY, SECRET);
    expect((await verifyStripeSignature(BODY, fresh, SECRET)).ok).toBe(true);
    const old = await signStripePayload(BODY, SECRET, NOW_S);
    expect(await verifyStripeSignature(BODY, old, SECRET)).toMatchObject({ ok: false, reason: "stale_timestamp" });
  });

  it("honours a custom tolerance", async () => {
    const header = await signStripePayload(BODY, SECRET, NOW_S - 600);
    expect((await verifyStripeSignature(BODY, header, SECRET, { now })).ok).toBe(false);
    expect((await verifyStripeSignature(BODY, header, SECRET, { now, toleranceSeconds: 900 })).ok).toBe(true);
  });

  it("reports an authentic body that is not JSON as a valid signature without an event", async () => {
    const header = await signStripePayload("not json", SECRET, NOW_S);
    const result = await verifyStripeSignature("not json", header, SECRET, { now });
    expect(result).toEqual({ ok: true });
  });

  it("treats an empty secret as a configuration error, not as an invalid request", async () => {
    const header = await signStripePayload(BODY, SECRET, NOW_S);
    await expect(verifyStripeSignature(BODY, header, "", { now })).rejects.toMatchObject({ name: "ConfigError" });
  });

  describe("failures, each with its own reason", () => {
    const oneByteChanged = BODY.replace("bk_1", "bk_2");
    type Case = { name: string; body?: string | Buffer; header: () => Promise<string | undefined | null>; secret?: string; reason: SignatureFailure };
    const sign = (body: string, secret: string, t: number) => () => signStripePayload(body, secret, t);
    const cases: Case[] = [
      { name: "no header", header: async () => undefined, reason: "missing_header" },
      { name: "null header", header: async () => null, reason: "missing_header" },
      { name: "empty header", header: async () => "", reason: "missing_header" },
      { name: "header without t=", header: async () => `v1=${"a".repeat(64)}`, reason: "malformed_header" },
      { name: "header without v1=", header: async () => `t=${NOW_S}`, reason: "malformed_header" },
      { name: "header with only v0=", header: async () => `t=${NOW_S},v0=${"a".repeat(64)}`, reason: "malformed_header" },
      { name: "non-numeric timestamp", header: async () => `t=now,v1=${"a".repeat(64)}`, reason: "malformed_header" },
      { name: "a bare signature", header: async () => "a".repeat(64), reason: "malformed_header" },
      { name: "timestamp older than 300 s", header: sign(BODY, SECRET, NOW_S - 301), reason: "stale_timestamp" },
      { name: "timestamp a day old", header: sign(BODY, SECRET, NOW_S - 86_400), reason: "stale_timestamp" },
      { name: "signed with another secret", header: sign(BODY, "whsec_another", NOW_S), reason: "bad_signature" },
      { name: "verified with another secret", header: sign(BODY, SECRET, NOW_S), secret: "whsec_another", reason: "bad_signature" },
      { name: "body changed by one byte", body: oneByteChanged, header: sign(BODY, SECRET, NOW_S), reason: "bad_signature" },
      { name: "body bytes changed by one byte", body: Buffer.from(oneByteChanged), header: sign(BODY, SECRET, NOW_S), reason: "bad_signature" },
      { name: "re-serialised JSON body", body: JSON.stringify(EVENT), header: sign(BODY, SECRET, NOW_S), reason: "bad_signature" },
      { name: "stale and forged", header: sign(BODY, "whsec_another", NOW_S - 3600), reason: "bad_signature" },
      { name: "timestamp changed after signing", header: async () => (await signStripePayload(BODY, SECRET, NOW_S)).replace(`t=${NOW_S}`, `t=${NOW_S + 1}`), reason: "bad_signature" },
    ];

    it.each(cases)("rejects $name as $reason", async ({ body, header, secret, reason }) => {
      const result = await verifyStripeSignature(body ?? BODY, await header(), secret ?? SECRET, { now });
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.reason).toBe(reason);
      expect(result.message.length).toBeGreaterThan(0);
      expect(result.message).not.toContain(SECRET);
      expect(result.event).toBeUndefined();
    });

    it("agrees with the SDK: everything rejected here, the SDK also rejects", async () => {
      for (const c of cases) {
        const h = await c.header();
        if (!h) continue;
        expect(() => Stripe.webhooks.constructEvent(c.body ?? BODY, h, c.secret ?? SECRET, 300, undefined, NOW_S * 1000), c.name).toThrow();
      }
    });
  });
});
