/**
 * The webhook providers' values the intake needs, typed against the provider
 * registry (src/providers/webhook-providers.ts) but without importing it: core
 * reads no values from src/providers. A provider added to the registry fails
 * to compile here until it gets its database value.
 */
import type { WebhookProviderDbValue, WebhookProviderId } from "../../providers/webhook-providers.js";

/** Prisma's `WebhookProvider` enum value of each provider (the registry's `dbValue`). */
export const PROVIDER_DB_VALUE = { calendly: "CALENDLY", stripe: "STRIPE" } as const satisfies Record<WebhookProviderId, WebhookProviderDbValue>;

const BY_DB_VALUE = Object.fromEntries(Object.entries(PROVIDER_DB_VALUE).map(([id, value]) => [value, id])) as Record<WebhookProviderDbValue, WebhookProviderId>;

/** The provider whose database value this is (`WebhookEvent.provider`). */
export function providerOfDbValue(value: WebhookProviderDbValue): WebhookProviderId {
  return BY_DB_VALUE[value];
}
