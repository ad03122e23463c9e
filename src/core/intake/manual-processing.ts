/**
 * Manual-processing mode (AppSetting manualProcessing = true): the intake
 * records events HELD and applies nothing; releasing applies them later, in
 * the order they were received. The rare paths, through Prisma.
 */
import type { PrismaClient } from "../../generated/prisma/client.js";
import type { IntakeResult, WebhookIntake } from "./types.js";

export const MANUAL_PROCESSING_KEY = "manualProcessing";

/** Turns manual-processing mode on or off (AppSetting manualProcessing), with an audit entry. */
export async function setManualProcessing(prisma: PrismaClient, on: boolean, actor: string, reason?: string): Promise<{ previous: boolean }> {
  return prisma.$transaction(async (tx) => {
    const before = await tx.appSetting.findUnique({ where: { key: MANUAL_PROCESSING_KEY } });
    await tx.appSetting.upsert({ where: { key: MANUAL_PROCESSING_KEY }, create: { key: MANUAL_PROCESSING_KEY, value: on }, update: { value: on } });
    await tx.auditLog.create({
      data: {
        actor,
        action: on ? "webhooks.manual_processing.on" : "webhooks.manual_processing.off",
        target: `setting:${MANUAL_PROCESSING_KEY}`,
        reason: reason ?? null,
        before: { value: before?.value ?? false },
        after: { value: on },
      },
    });
    return { previous: before?.value === true };
  });
}

export async function isManualProcessing(prisma: PrismaClient): Promise<boolean> {
  const row = await prisma.appSetting.findUnique({ where: { key: MANUAL_PROCESSING_KEY } });
  return row?.value === true;
}

/** Applies every HELD event, oldest first (in batches of `batchSize`); returns what happened to each. */
export async function releaseHeldEvents(intake: WebhookIntake, options: { batchSize?: number } = {}): Promise<{ released: number; results: IntakeResult[] }> {
  const results: IntakeResult[] = [];
  for (;;) {
    const batch = await intake.releaseHeld({ limit: options.batchSize ?? 500 });
    results.push(...batch);
    if (batch.length === 0) break;
  }
  return { released: results.length, results };
}
