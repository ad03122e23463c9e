/**
 * The webhook intake's public entry (see src/core/intake/: parsing, pure
 * planners, SQL statements, orchestrator). Kept because much of the tree
 * imports it.
 */
import type { WebhookProviderId } from "../providers/webhook-providers.js";

export * from "./intake/index.js";

/** @deprecated The provider union is `WebhookProviderId` (src/providers/webhook-providers.ts); kept for existing importers. */
export type WebhookSource = WebhookProviderId;
