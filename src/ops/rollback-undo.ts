import type { Context } from "../context.js";
import { irreversible, planUndo, type RollbackJournal } from "../core/rollback-plan.js";
import { auditDatabase } from "./database.js";
import { acquireRollbackLock, checkUndoPrerequisites, countHeld, readJournal, requireVercelCli, rollbacksDir, runUndo, type StepPreview, type UndoResult } from "./rollback.js";
import { assertSameProject } from "./rollback-start.js";
import { connectWebhookProviders, dataDirOf, webhookUrlsFrom } from "./webhook-targets.js";

/**
 * `rollback --undo <id>` as a use case: `planRollbackUndo` checks that the
 * undo can run here (same Vercel project, the signing key a restore needs, the
 * vercel CLI when the rollback used it) and lists what it reverses and what it
 * cannot; `applyRollbackUndo` reverses it step by step under the lock.
 */

type UndoContext = Pick<Context, "env" | "cwd" | "clients" | "clock" | "db">;

export interface UndoInput {
  id: string;
  releaseHeld: boolean;
}

export interface RollbackUndoPlan {
  journal: RollbackJournal;
  dataDir: string;
  /** HELD webhook events now. */
  held: number;
  /** What no undo can reverse. */
  irreversible: string[];
  view: StepPreview;
}

export async function planRollbackUndo(ctx: UndoContext, input: UndoInput): Promise<RollbackUndoPlan> {
  const dataDir = dataDirOf(ctx);
  const journal = readJournal(rollbacksDir(dataDir), input.id);
  checkUndoPrerequisites(journal, ctx.env);
  if (journal.useVercelCli) requireVercelCli(ctx.env);
  assertSameProject(journal, (await ctx.clients.vercel()).projectId);
  webhookUrlsFrom(ctx.env, journal.providers);
  await connectWebhookProviders(ctx, journal.providers);
  const db = await auditDatabase(ctx, "journal the undo in the audit log");

  const items = planUndo(journal, { releaseHeld: input.releaseHeld });
  const doneAlready = new Set((journal.undo?.steps ?? []).filter((s) => s.status === "done").map((s) => s.name));
  const held = await countHeld(db);
  const notes = irreversible(journal);
  const view: StepPreview = {
    title: `Undo rollback ${journal.id} (started ${journal.createdAt} by ${journal.actor}; ${journal.status})`,
    steps: items.filter((i) => i.applies && !doneAlready.has(i.name)).map((i) => (i.name === "release-held" ? `${i.description} (${held} held now)` : i.description)),
    json: {
      undo: journal.id,
      status: journal.status,
      steps: items.map((i) => ({ name: i.name, applies: i.applies, done: doneAlready.has(i.name), description: i.description })),
      heldNow: held,
      irreversible: notes,
    },
  };
  return { journal, dataDir, held, irreversible: notes, view };
}

export interface ApplyUndoOptions {
  actor: string;
  releaseHeld: boolean;
  /** Asks whether to release N held events; undefined: do not ask. */
  askRelease?: ((held: number) => Promise<boolean>) | undefined;
  /** Called once the lock is held, before the first step. */
  onStart?: (() => void) | undefined;
  confirmStep: (step: StepPreview) => Promise<boolean>;
  progress: (line: string) => void;
  redact?: ((text: string) => string) | undefined;
}

export async function applyRollbackUndo(ctx: UndoContext, plan: RollbackUndoPlan, options: ApplyUndoOptions): Promise<UndoResult> {
  const { journal } = plan;
  const release = acquireRollbackLock(rollbacksDir(plan.dataDir), { actor: options.actor, rollbackId: journal.id, now: ctx.clock.now() });
  try {
    options.onStart?.();
    return await runUndo(journal, {
      env: ctx.env,
      dataDir: plan.dataDir,
      actor: options.actor,
      clock: ctx.clock,
      db: await auditDatabase(ctx, "journal the undo in the audit log"),
      vercel: await ctx.clients.vercel(),
      webhooks: await connectWebhookProviders(ctx, journal.providers),
      urls: webhookUrlsFrom(ctx.env, journal.providers),
      confirmStep: options.confirmStep,
      progress: options.progress,
      redact: options.redact,
      releaseHeld: options.releaseHeld,
      askRelease: options.askRelease,
    });
  } finally {
    release();
  }
}
