import type { Command } from "commander";

/** `bookflow webhooks bench`. */
export function registerWebhookBench(webhooks: Command): void {
  void webhooks;
}
