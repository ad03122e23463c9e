import { UsageError } from "../../src/errors.js";
import { WEBHOOK_PROVIDER_IDS, isWebhookProviderId, type WebhookProviderId } from "../../src/providers/webhook-providers.js";

/** `[calendly|stripe|all]` as given on the command line: every provider when absent or `all`. */
export function selectProviders(arg: string | undefined, command: string): WebhookProviderId[] {
  if (arg === undefined || arg === "" || arg === "all") return [...WEBHOOK_PROVIDER_IDS];
  const p = arg.trim().toLowerCase();
  if (isWebhookProviderId(p)) return [p];
  throw new UsageError(`Unknown provider "${arg}".`, `Use \`bookflow webhooks ${command} ${WEBHOOK_PROVIDER_IDS[0]}\`, \`… ${WEBHOOK_PROVIDER_IDS[1]}\`, or name none for both.`, "BAD_PROVIDER");
}
