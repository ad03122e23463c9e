import type { Command } from "commander";
import { registerWebhookBench } from "./webhooks/bench.js";
import { registerWebhookDisableRestore } from "./webhooks/disable-restore.js";
import { registerWebhookInspection } from "./webhooks/inspect.js";

/** `bookflow webhooks …`: status, register, replay, bench, disable, restore. */
export function registerWebhooks(program: Command): void {
  const webhooks = program
    .command("webhooks")
    .description("webhook operations: status, register, replay signed test events, bench, disable and restore (rollback)");
  registerWebhookInspection(webhooks);
  registerWebhookBench(webhooks);
  registerWebhookDisableRestore(webhooks);
}
