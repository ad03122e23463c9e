/**
 * The names of the webhook providers, with nothing attached: the tuple and
 * the union that every layer may import (src/core included). The registry
 * (src/providers/webhook-providers.ts) re-exports them next to what each
 * provider is.
 */

/** The providers that deliver signed webhooks to the app, in the order bookflow lists them. */
export const WEBHOOK_PROVIDER_IDS = ["calendly", "stripe"] as const;

/** "calendly" | "stripe": the one name of this union in bookflow. */
export type WebhookProviderId = (typeof WEBHOOK_PROVIDER_IDS)[number];
