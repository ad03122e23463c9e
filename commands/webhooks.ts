import type { Command } from "commander";
import { registerWebhookBench } from "./webhooks/bench.js";
import { registerWebhookDisableRestore } from "./webhooks/disable-restore.js";
import { registerWebhookRegister } from "./webhooks/register.js";
import { registerWebhookReplay } from "./webhooks/replay.js";
import { registerWebhookStatus } from "./webhooks/status.js";

/** `bookflow webhooks …`: status, register, replay, bench, disable, restore. */
export function registerWebhooks(program: Command): void {
  const webhooks = program
    .command("webhooks")
    .description("webhook operations: status, register, replay signed test events, bench, disable and restore (rollback)");
  registerWebhookStatus(webhooks);
  registerWebhookRegister(webhooks);
  registerWebhookReplay(webhooks);
  registerWebhookBench(webhooks);
  registerWebhookDisableRestore(webhooks);
}
