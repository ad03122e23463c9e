/**
 * The webhook providers, in one place: every "calendly or stripe" decision in
 * bookflow reads this registry instead of spelling the union, the variable
 * names, the header or the database value itself.
 *
 * Importing it is cheap: signing and verifying load the Stripe SDK only when
 * called (CLI start-up must not load it).
 */
import { DEFAULT_CALENDLY_EVENTS, DEFAULT_STRIPE_EVENTS } from "../config/webhook-events.js";
import { UsageError } from "../errors.js";
import { CALENDLY_SIGNATURE_HEADER, signCalendlyPayload, verifyCalendlySignature } from "./calendly-signature.js";
import type { SignatureCheck } from "./signature.js";
import { STRIPE_SIGNATURE_HEADER, signStripePayload, verifyStripeSignature } from "./stripe-signature.js";

import { WEBHOOK_PROVIDER_IDS, type WebhookProviderId } from "../config/webhook-provider-ids.js";

export { WEBHOOK_PROVIDER_IDS, type WebhookProviderId };

/** The value of Prisma's `WebhookProvider` enum for a provider. */
export type WebhookProviderDbValue = "CALENDLY" | "STRIPE";

export interface WebhookProviderEntry {
  id: WebhookProviderId;
  /** How a person reads the name: "Calendly", "Stripe". */
  label: string;
  /** The environment variables of the webhook URL the provider delivers to, and of its signing secret. */
  env: { url: string; secret: string };
  /** The signature header as Node exposes it (lower case). */
  signatureHeader: string;
  /** Prisma's `WebhookProvider` enum value, as stored in `WebhookEvent.provider`. */
  dbValue: WebhookProviderDbValue;
  /** The events bookflow expects to receive when the config file names none. */
  defaultEvents: readonly string[];
  /** The signature header value for a body, made as the provider makes it. */
  sign(rawBody: string, secret: string, timestampSeconds?: number): Promise<string>;
  /** Checks a delivery's signature as the app does. */
  verify(rawBody: string | Buffer, header: string | undefined | null, secret: string, options?: { toleranceSeconds?: number; now?: () => number }): Promise<SignatureCheck>;
}

export const WEBHOOK_PROVIDERS: Readonly<Record<WebhookProviderId, WebhookProviderEntry>> = {
  calendly: {
    id: "calendly",
    label: "Calendly",
    env: { url: "CALENDLY_WEBHOOK_URL", secret: "CALENDLY_WEBHOOK_SIGNING_KEY" },
    signatureHeader: CALENDLY_SIGNATURE_HEADER,
    dbValue: "CALENDLY",
    defaultEvents: DEFAULT_CALENDLY_EVENTS,
    sign: async (rawBody, secret, timestampSeconds) => signCalendlyPayload(rawBody, secret, timestampSeconds),
    verify: async (rawBody, header, secret, options) => verifyCalendlySignature(rawBody, header, secret, options),
  },
  stripe: {
    id: "stripe",
    label: "Stripe",
    env: { url: "STRIPE_WEBHOOK_URL", secret: "STRIPE_WEBHOOK_SECRET" },
    signatureHeader: STRIPE_SIGNATURE_HEADER,
    dbValue: "STRIPE",
    defaultEvents: DEFAULT_STRIPE_EVENTS,
    sign: (rawBody, secret, timestampSeconds) => signStripePayload(rawBody, secret, timestampSeconds),
    verify: (rawBody, header, secret, options) => verifyStripeSignature(rawBody, header, secret, options),
  },
};

/** The registry entry of a provider. */
export function webhookProvider(id: WebhookProviderId): WebhookProviderEntry {
  return WEBHOOK_PROVIDERS[id];
}

/** Every entry, in registry order. */
export function webhookProviders(): WebhookProviderEntry[] {
  return WEBHOOK_PROVIDER_IDS.map((id) => WEBHOOK_PROVIDERS[id]);
}

export function isWebhookProviderId(value: unknown): value is WebhookProviderId {
  return typeof value === "string" && (WEBHOOK_PROVIDER_IDS as readonly string[]).includes(value);
}

/** The entry whose database value this is (`WebhookEvent.provider`). */
export function webhookProviderForDbValue(value: WebhookProviderDbValue): WebhookProviderEntry {
  return webhookProviders().find((p) => p.dbValue === value)!;
}

/**
 * A provider named on the command line (`calendly`, `stripe`), or a
 * UsageError naming the argument and saying what to use instead. Commands
 * pass their own message and hint (each says what that command does with the
 * provider); the default names the providers that exist.
 */
export function parseWebhookProviderId(text: string, options: { message?: string; hint?: string; code?: string } = {}): WebhookProviderId {
  if (isWebhookProviderId(text)) return text;
  throw new UsageError(options.message ?? `Unknown provider "${text}".`, options.hint ?? `Use one of: ${WEBHOOK_PROVIDER_IDS.join(", ")}.`, options.code ?? "BAD_PROVIDER");
}
