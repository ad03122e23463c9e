import type { Command } from "commander";

/** `bookflow webhooks disable, restore`. */
export function registerWebhookDisableRestore(webhooks: Command): void {
  void webhooks;
}
