/**
 * Calendly webhook signatures: header `Calendly-Webhook-Signature:
 * t=<unix seconds>,v1=<hex>`, where v1 is HMAC-SHA256 keyed with the
 * subscription's signing key over `<t>.<raw body>`.
 *
 * Verification works on the raw bytes as received (never re-serialised JSON),
 * compares in constant time, and is synchronous: it is on the webhook hot path.
 */
import { createHmac, createSecretKey, timingSafeEqual } from "node:crypto";
import { ConfigError } from "../errors.js";
import { signatureFailure, signatureHeaderShape, timestampProblem, type SignatureCheck } from "./signature.js";

export type { SignatureCheck, SignatureFailure } from "./signature.js";

/** The header name as Node exposes it (lower case). */
export const CALENDLY_SIGNATURE_HEADER = "calendly-webhook-signature";

/** Calendly asks receivers to reject signatures older than about three minutes. */
export const CALENDLY_DEFAULT_TOLERANCE_SECONDS = 180;

export interface CalendlyVerifyOptions {
  /** Largest accepted distance, in seconds, between the signature's timestamp and now (either way). Default 180; 0 disables the check. */
  toleranceSeconds?: number;
  /** Current time in milliseconds (defaults to Date.now). */
  now?: () => number;
}

function hmac(signingKey: string, timestampSeconds: number, rawBody: string | Buffer): Buffer {
  const mac = createHmac("sha256", signingKey);
  mac.update(`${timestampSeconds}.`);
  mac.update(rawBody);
  return mac.digest();
}

function requireKey(signingKey: string): void {
  if (!signingKey) {
    throw new ConfigError(
      "No Calendly webhook signing key was given, so Calendly signatures cannot be made or checked.",
      "Set CALENDLY_WEBHOOK_SIGNING_KEY to the signing key of the Calendly webhook subscription.",
      "CALENDLY_SIGNING_KEY_MISSING",
    );
  }
}

/** The `Calendly-Webhook-Signature` header value for a body, as Calendly would send it. */
export function signCalendlyPayload(rawBody: string, signingKey: string, timestampSeconds?: number): string {
  requireKey(signingKey);
  const t = Math.floor(timestampSeconds ?? Date.now() / 1000);
  return `t=${t},v1=${hmac(signingKey, t, rawBody).toString("hex")}`;
}

/**
 * `signCalendlyPayload` for many bodies with one key: the key is checked and imported once (a load generator signs
 * every request it sends). Same header, same scheme.
 */
export function calendlySigner(signingKey: string): (rawBody: string, timestampSeconds: number) => string {
  requireKey(signingKey);
  const key = createSecretKey(Buffer.from(signingKey, "utf8"));
  return (rawBody, timestampSeconds) => {
    const t = Math.floor(timestampSeconds);
    return `t=${t},v1=${createHmac("sha256", key).update(`${t}.`).update(rawBody).digest("hex")}`;
  };
}

/**
 * Checks a Calendly webhook's signature. The signature is checked before the
 * timestamp, so `stale_timestamp` always means an authentic but late (or
 * replayed) delivery, and a forgery is always `bad_signature`.
 * Several `v1=` entries are accepted; one match is enough.
 */
export function verifyCalendlySignature(
  rawBody: string | Buffer,
  header: string | undefined | null,
  signingKey: string,
  options: CalendlyVerifyOptions = {},
): SignatureCheck {
  requireKey(signingKey);
  const shape = signatureHeaderShape(header, CALENDLY_SIGNATURE_HEADER);
  if (!shape.ok) return shape;
  const { parsed } = shape;
  if (!parsed.signatures.every((s) => /^[0-9a-fA-F]+$/.test(s))) {
    return signatureFailure("malformed_header", "The header's v1= signature is not hexadecimal.");
  }

  const expected = hmac(signingKey, parsed.timestamp, rawBody);
  let matched = false;
  for (const candidate of parsed.signatures) {
    // Odd-length hex would be silently truncated by Buffer.from; such a value can never match.
    const given = candidate.length % 2 === 0 ? Buffer.from(candidate, "hex") : Buffer.alloc(0);
    // timingSafeEqual throws on different lengths; a wrong length is simply not a match.
    if (given.length === expected.length && timingSafeEqual(given, expected)) matched = true;
  }
  if (!matched) {
    return signatureFailure("bad_signature", "The signature does not match the body and signing key.");
  }

  const late = timestampProblem(parsed.timestamp, (options.now ?? Date.now)(), options.toleranceSeconds ?? CALENDLY_DEFAULT_TOLERANCE_SECONDS);
  if (late) return signatureFailure("stale_timestamp", late);
  return { ok: true };
}
