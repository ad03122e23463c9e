import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  CALENDLY_SIGNATURE_HEADER,
  calendlySigner,
  signCalendlyPayload,
  verifyCalendlySignature,
} from "../../src/providers/calendly-signature.js";
import type { SignatureFailure } from "../../src/providers/signature.js";

const KEY = "calendly-signing-key-for-tests";
const NOW_S = 1_750_000_000;
const now = (): number => NOW_S * 1000;
const BODY = JSON.stringify({
  event: "invitee.created",
  created_at: "2025-06-15T15:06:40.000000Z",
  payload: { uri: "https://api.calendly.com/scheduled_events/EV1/invitees/INV1", email: "ana@example.com", name: "Ana Ñúñez" },
});

function hexHmac(key: string, content: string): string {
  return createHmac("sha256", key).update(content).digest("hex");
}

describe("signCalendlyPayload", () => {
  it("produces t=<seconds>,v1=<HMAC-SHA256 of `t.body`> as Calendly documents it", () => {
    const header = signCalendlyPayload(BODY, KEY, NOW_S);
    expect(header).toBe(`t=${NOW_S},v1=${hexHmac(KEY, `${NOW_S}.${BODY}`)}`);
  });

  it("defaults the timestamp to the current second", () => {
    const before = Math.floor(Date.now() / 1000);
    const header = signCalendlyPayload(BODY, KEY);
    const t = Number(/^t=(\d+),/.exec(header)?.[1]);
    expect(t).toBeGreaterThanOrEqual(before);
    expect(t).toBeLessThanOrEqual(before + 1);
  });

  it("refuses to sign without a key, with a configuration error", () => {
    expect(() => signCalendlyPayload(BODY, "")).toThrowError(expect.objectContaining({ code: "CALENDLY_SIGNING_KEY_MISSING" }));
  });
});

describe("calendlySigner", () => {
  it("signs many bodies with one key exactly as signCalendlyPayload does, and the signatures verify", () => {
    const sign = calendlySigner(KEY);
    for (const [body, t] of [[BODY, NOW_S], [`${BODY} `, NOW_S + 1]] as const) {
      expect(sign(body, t)).toBe(signCalendlyPayload(body, KEY, t));
      expect(verifyCalendlySignature(body, sign(body, t), KEY, { now: () => t * 1000 })).toEqual({ ok: true });
    }
    expect(verifyCalendlySignature(BODY, sign(BODY, NOW_S), "another-key", { now })).toMatchObject({ ok: false, reason: "bad_signature" });
  });

  it("refuses to be made without a key", () => {
    expect(() => calendlySigner("")).toThrowError(expect.objectContaining({ code: "CALENDLY_SIGNING_KEY_MISSING" }));
  });
});

describe("verifyCalendlySignature", () => {
  const signed = signCalendlyPayload(BODY, KEY, NOW_S);
  const validV1 = signed.split("v1=")[1] ?? "";

  it("exports the lower-case header name Node uses", () => {
    expect(CALENDLY_SIGNATURE_HEADER).toBe("calendly-webhook-signature");
  });

  it("accepts a payload it signed", () => {
    expect(verifyCalendlySignature(BODY, signed, KEY, { now })).toEqual({ ok: true });
  });

  it("accepts the raw bytes as a Buffer, including multi-byte UTF-8", () => {
    expect(verifyCalendlySignature(Buffer.from(BODY, "utf8"), signed, KEY, { now })).toEqual({ ok: true });
  });

  it("accepts a timestamp just inside the tolerance, both ways", () => {
    const old = signCalendlyPayload(BODY, KEY, NOW_S - 180);
    const ahead = signCalendlyPayload(BODY, KEY, NOW_S + 180);
    expect(verifyCalendlySignature(BODY, old, KEY, { now }).ok).toBe(true);
    expect(verifyCalendlySignature(BODY, ahead, KEY, { now }).ok).toBe(true);
  });

  it("accepts spaces around the parts and several v1 entries when one matches", () => {
    const header = `t=${NOW_S}, v1=${"0".repeat(64)}, v1=${validV1}`;
    expect(verifyCalendlySignature(BODY, header, KEY, { now })).toEqual({ ok: true });
  });

  it("ignores unknown schemes next to a valid v1", () => {
    expect(verifyCalendlySignature(BODY, `t=${NOW_S},v0=abc,v1=${validV1}`, KEY, { now })).toEqual({ ok: true });
  });

  it("honours a custom tolerance", () => {
    const header = signCalendlyPayload(BODY, KEY, NOW_S - 600);
    expect(verifyCalendlySignature(BODY, header, KEY, { now }).ok).toBe(false);
    expect(verifyCalendlySignature(BODY, header, KEY, { now, toleranceSeconds: 900 }).ok).toBe(true);
  });

  const oneByteChanged = BODY.replace("invitee.created", "invitee.createe");
  const failures: Array<{ name: string; body?: string | Buffer; header: string | undefined | null; key?: string; reason: SignatureFailure }> = [
    { name: "no header", header: undefined, reason: "missing_header" },
    { name: "null header", header: null, reason: "missing_header" },
    { name: "empty header", header: "", reason: "missing_header" },
    { name: "blank header", header: "   ", reason: "missing_header" },
    { name: "header without t=", header: `v1=${validV1}`, reason: "malformed_header" },
    { name: "header without v1=", header: `t=${NOW_S}`, reason: "malformed_header" },
    { name: "header with an empty v1=", header: `t=${NOW_S},v1=`, reason: "malformed_header" },
    { name: "non-numeric timestamp", header: `t=yesterday,v1=${validV1}`, reason: "malformed_header" },
    { name: "timestamp in milliseconds with a fraction", header: `t=${NOW_S}.5,v1=${validV1}`, reason: "malformed_header" },
    { name: "two timestamps", header: `t=${NOW_S},t=${NOW_S},v1=${validV1}`, reason: "malformed_header" },
    { name: "non-hex signature", header: `t=${NOW_S},v1=not-hex-at-all`, reason: "malformed_header" },
    { name: "just the signature", header: validV1, reason: "malformed_header" },
    { name: "a Stripe-style header with only v0", header: `t=${NOW_S},v0=${validV1}`, reason: "malformed_header" },
    { name: "timestamp older than the tolerance", header: signCalendlyPayload(BODY, KEY, NOW_S - 181), reason: "stale_timestamp" },
    { name: "timestamp a day old", header: signCalendlyPayload(BODY, KEY, NOW_S - 86_400), reason: "stale_timestamp" },
    { name: "timestamp in the future beyond the tolerance", header: signCalendlyPayload(BODY, KEY, NOW_S + 181), reason: "stale_timestamp" },
    { name: "signed with another key", header: signCalendlyPayload(BODY, "another-signing-key", NOW_S), reason: "bad_signature" },
    { name: "body changed by one byte", body: oneByteChanged, header: signed, reason: "bad_signature" },
    { name: "body bytes changed by one byte", body: Buffer.from(oneByteChanged), header: signed, reason: "bad_signature" },
    { name: "body with a trailing newline", body: `${BODY}\n`, header: signed, reason: "bad_signature" },
    { name: "verified with another key", header: signed, key: "another-signing-key", reason: "bad_signature" },
    { name: "timestamp changed after signing", header: signed.replace(`t=${NOW_S}`, `t=${NOW_S - 1}`), reason: "bad_signature" },
    { name: "truncated signature (length mismatch)", header: `t=${NOW_S},v1=${validV1.slice(0, 32)}`, reason: "bad_signature" },
    { name: "odd-length signature", header: `t=${NOW_S},v1=${validV1.slice(0, 63)}`, reason: "bad_signature" },
    { name: "over-long signature", header: `t=${NOW_S},v1=${validV1}00`, reason: "bad_signature" },
    { name: "stale and forged", header: signCalendlyPayload(BODY, "another-signing-key", NOW_S - 3600), reason: "bad_signature" },
  ];

  it.each(failures)("rejects $name as $reason", ({ body, header, key, reason }) => {
    const result = verifyCalendlySignature(body ?? BODY, header, key ?? KEY, { now });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toBe(reason);
    expect(result.message.length).toBeGreaterThan(0);
    // A message never echoes the signing key.
    expect(result.message).not.toContain(KEY);
  });

  it("checks with the real clock when no clock is given", () => {
    const fresh = signCalendlyPayload(BODY, KEY);
    expect(verifyCalendlySignature(BODY, fresh, KEY).ok).toBe(true);
    const result = verifyCalendlySignature(BODY, signCalendlyPayload(BODY, KEY, NOW_S), KEY);
    expect(result).toMatchObject({ ok: false, reason: "stale_timestamp" });
  });

  it("treats an empty signing key as a configuration error, not as an invalid request", () => {
    expect(() => verifyCalendlySignature(BODY, signed, "", { now })).toThrowError(expect.objectContaining({ name: "ConfigError" }));
  });
});
