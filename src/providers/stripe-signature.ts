/**
 * Stripe webhook signatures, made and checked by the Stripe SDK itself
 * (`webhooks.generateTestHeaderString`, `webhooks.constructEvent`). Our own
 * parsing only classifies failures: missing header, malformed header, stale
 * timestamp, bad signature.
 *
 * The SDK is imported lazily (CLI start-up must not load it) and its
 * `webhooks` object is cached, so after the first call verifying costs one
 * HMAC and no module loading: this is on the webhook hot path.
 */
import type Stripe from "stripe";
import { ConfigError } from "../errors.js";
import { signatureFailure, signatureHeaderShape, type SignatureCheck } from "./signature.js";

export type { SignatureCheck, SignatureFailure } from "./signature.js";

/** The header name as Node exposes it (lower case). */
export const STRIPE_SIGNATURE_HEADER = "stripe-signature";

/** Stripe's default tolerance (the SDK's `webhooks.DEFAULT_TOLERANCE`). */
export const STRIPE_DEFAULT_TOLERANCE_SECONDS = 300;

export interface StripeVerifyOptions {
  /** Largest accepted age, in seconds, of the signature's timestamp. Default 300; 0 disables the check (as in the SDK). */
  toleranceSeconds?: number;
  /** Current time in milliseconds (defaults to Date.now); handed to the SDK as `receivedAt`. */
  now?: () => number;
}

export type StripeSignatureCheck = SignatureCheck & { event?: unknown };

let webhooksPromise: Promise<Stripe.Webhooks> | undefined;
let webhooksLoaded: Stripe.Webhooks | undefined;

/** The SDK's static `Stripe.webhooks` object, loaded once. Call at server start to take the import off the first request. */
export function loadStripeWebhooks(): Promise<Stripe.Webhooks> {
  webhooksPromise ??= import("stripe").then((mod) => {
    webhooksLoaded = mod.default.webhooks;
    return webhooksLoaded;
  });
  return webhooksPromise;
}

function requireSecret(secret: string): void {
  if (!secret || secret.trim() === "") {
    throw new ConfigError(
      "No Stripe webhook signing secret was given, so Stripe signatures cannot be made or checked.",
      "Set STRIPE_WEBHOOK_SECRET to the endpoint's whsec_… signing secret.",
      "STRIPE_WEBHOOK_SECRET_MISSING",
    );
  }
}

/** The `Stripe-Signature` header value for a body, computed by the SDK as Stripe would send it. */
export async function signStripePayload(rawBody: string, secret: string, timestampSeconds?: number): Promise<string> {
  requireSecret(secret);
  const webhooks = webhooksLoaded ?? (await loadStripeWebhooks());
  return webhooks.generateTestHeaderString({
    payload: rawBody,
    secret,
    timestamp: Math.floor(timestampSeconds ?? Date.now() / 1000),
  });
}

function isSignatureVerificationError(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { type?: unknown }).type === "StripeSignatureVerificationError";
}

/**
 * Checks a Stripe webhook's signature with the SDK. On success `event` is the
 * parsed event (absent when the authentic body is not JSON). As in the SDK, the
 * signature is checked before the timestamp: `stale_timestamp` means an
 * authentic but late (or replayed) delivery; a forgery is `bad_signature`.
 * Timestamps in the future are accepted, as the SDK accepts them.
 */
export async function verifyStripeSignature(
  rawBody: string | Buffer,
  header: string | undefined | null,
  secret: string,
  options: StripeVerifyOptions = {},
): Promise<StripeSignatureCheck> {
  requireSecret(secret);
  const shape = signatureHeaderShape(header, STRIPE_SIGNATURE_HEADER);
  if (!shape.ok) return shape;
  const { parsed, header: value } = shape;

  const webhooks = webhooksLoaded ?? (await loadStripeWebhooks());
  const tolerance = options.toleranceSeconds ?? STRIPE_DEFAULT_TOLERANCE_SECONDS;
  const receivedAt = (options.now ?? Date.now)();
  try {
    const event: unknown = webhooks.constructEvent(rawBody, value, secret, tolerance, undefined, receivedAt);
    return { ok: true, event };
  } catch (err) {
    if (!isSignatureVerificationError(err)) {
      // The signature held (the SDK verifies before parsing) but the body is not a JSON event.
      if (err instanceof SyntaxError) return { ok: true };
      throw err;
    }
  }
  // The SDK rejected it. Tell a late authentic delivery from a forgery: if the
  // timestamp is out of tolerance, ask the SDK again with the age check off.
  const age = Math.floor(receivedAt / 1000) - parsed.timestamp;
  if (tolerance > 0 && age > tolerance) {
    const signatureHolds = (() => {
      try {
        return webhooks.signature?.verifyHeader(rawBody, value, secret, 0) === true;
      } catch {
        return false;
      }
    })();
    if (signatureHolds) {
      return signatureFailure("stale_timestamp", `The signature is ${age} s old; at most ${tolerance} s is accepted.`);
    }
  }
  return signatureFailure("bad_signature", "No v1 signature in the header matches the body and signing secret.");
}
