import type { Command } from "commander";

/** `bookflow webhooks status, register, replay`. */
export function registerWebhookInspection(webhooks: Command): void {
  void webhooks;
}
