/**
 * Stripe SDK errors as ProviderErrors naming the call, with a hint a person
 * can act on. One place for every command, fact and operation that calls
 * Stripe. Other errors (ours, or not from the SDK) pass through unchanged.
 */
import { ProviderError } from "../errors.js";

interface StripeSdkErrorLike {
  type?: unknown;
  message?: unknown;
  statusCode?: unknown;
  code?: unknown;
}

/** True for the SDK's error classes (`StripeAuthenticationError`, `StripeConnectionError`, …). */
export function isStripeSdkError(err: unknown): err is StripeSdkErrorLike & { type: string } {
  const type = (err as StripeSdkErrorLike | null)?.type;
  return typeof type === "string" && type.startsWith("Stripe");
}

export interface StripeErrorOptions {
  /** What the key needs access to, for the 403 hint ("webhook endpoints", "payment intents and refunds"). */
  access?: string;
}

export function stripeProviderError(err: unknown, endpoint: string, options: StripeErrorOptions = {}): unknown {
  if (err instanceof ProviderError || !isStripeSdkError(err)) return err;
  const status = typeof err.statusCode === "number" ? err.statusCode : undefined;
  const message = typeof err.message === "string" && err.message ? err.message : err.type;
  const access = options.access ?? "this call";
  const hint =
    err.type === "StripeAuthenticationError" || status === 401
      ? "Check STRIPE_SECRET_KEY: Stripe did not accept it."
      : err.type === "StripePermissionError" || status === 403
        ? `The Stripe key lacks permission for ${access}; use the secret key or widen the restricted key.`
        : err.type === "StripeConnectionError"
          ? "Stripe could not be reached; check the network (or STRIPE_API_BASE) and retry."
          : undefined;
  return new ProviderError("stripe", endpoint, message, status, hint);
}
