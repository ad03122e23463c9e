/**
 * Parsing: a verified webhook body → a typed, validated event (zod, in
 * webhook-payloads.ts), or the issues that make it invalid. One parser per
 * provider (parse-calendly.ts, parse-stripe.ts); no I/O.
 */
import type { WebhookProviderId } from "../../providers/webhook-providers.js";
import type { ParseResult } from "./events.js";
import { parseCalendly } from "./parse-calendly.js";
import { parseStripe } from "./parse-stripe.js";

export { RUN_TAG_PATTERN } from "./parse-calendly.js";

const PARSERS: Readonly<Record<WebhookProviderId, (body: unknown) => ParseResult>> = { calendly: parseCalendly, stripe: parseStripe };

/** `body`: the parsed JSON of a delivery whose signature was verified. Never throws for a bad payload. */
export function parseWebhook(provider: WebhookProviderId, body: unknown): ParseResult {
  return PARSERS[provider](body);
}
