/**
 * `bookflow rollback --drill`: the rollback plan, tested. On the sandbox or on
 * staging only, it performs a whole rollback (journaled and audited as any) and
 * at once its undo (held events released), and reports both: each step's
 * outcome and time, the production deployment before, after the rollback and
 * after the undo, whether the webhooks are registered as before, and whether
 * manual processing is off again. The report is written to
 * <data dir>/drills/<rollback id>.json: the record that "Rollback plan is
 * tested" for the release's final verification.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Context } from "../context.js";
import type { Target } from "../config/verify-env.js";
import { recordAudit } from "../core/audit.js";
import { planRestore } from "../core/webhook-snapshots.js";
import type { RollbackJournal } from "../core/rollback-plan.js";
import { UsageError } from "../errors.js";
import { auditDatabase } from "./database.js";
import { readSnapshotFile, readCurrentRegistrations } from "./webhook-switch.js";
import type { StepPreview } from "./rollback.js";
import { applyRollback, planRollback, type RollbackPlan } from "./rollback-start.js";
import { applyRollbackUndo, planRollbackUndo } from "./rollback-undo.js";
import { resolveTarget } from "./target.js";
import { connectWebhookProviders, dataDirOf } from "./webhook-targets.js";

type DrillContext = Pick<Context, "env" | "cwd" | "clients" | "clock" | "db">;

export interface DrillInput {
  actor: string;
  reason?: string | undefined;
  target?: Target | undefined;
  config?: string | undefined;
  useVercelCli: boolean;
}

export interface DrillStep {
  name: string;
  status: string;
  ms: number | null;
  error: string | null;
}

export interface DrillReport {
  format: "bookflow.rollback-drill";
  version: 1;
  drill: string;
  target: Target;
  startedAt: string;
  finishedAt: string;
  /** Everything as expected: rolled back to the previous deployment, undone to the one before, webhooks and processing as they were. */
  ok: boolean;
  rollback: { status: string; ms: number; steps: DrillStep[]; failed: string | null };
  undo: { status: string; ms: number; steps: DrillStep[]; failed: string | null } | null;
  production: { before: string | null; expectedAfterRollback: string; afterRollback: string | null; afterUndo: string | null };
  webhooksRestored: boolean | null;
  manualProcessingOff: boolean | null;
  heldReleased: number;
  problems: string[];
  reportPath: string;
}

export function drillsDir(dataDir: string): string {
  return join(dataDir, "drills");
}

/** A drill runs only where it cannot hurt: the sandbox or staging, with test-mode Stripe keys. Exit 2 otherwise. */
export function assertDrillAllowed(target: Target, env: Record<string, string | undefined>): void {
  if (target === "production")
    throw new UsageError("--drill performs a real rollback and its undo: it runs only on the sandbox or staging, and the target is production.", "Run it against staging (--target staging with staging's --env-file) or in the sandbox (`bookflow sandbox run -- rollback --drill`).", "DRILL_REFUSED");
  if (env.STRIPE_SECRET_KEY?.trim().startsWith("sk_live_") || env.STRIPE_SECRET_KEY?.trim().startsWith("rk_live_"))
    throw new UsageError(`--drill refuses a live Stripe key (STRIPE_SECRET_KEY is live, target ${target}): this environment is production's.`, "Use staging's environment (test-mode keys), or the sandbox.", "DRILL_REFUSED");
}

const stepsOf = (steps: RollbackJournal["steps"] | NonNullable<RollbackJournal["undo"]>["steps"]): DrillStep[] =>
  steps.map((s) => ({ name: s.name, status: s.status, ms: s.startedAt && s.finishedAt ? Date.parse(s.finishedAt) - Date.parse(s.startedAt) : null, error: s.error }));

export interface DrillHooks {
  progress: (line: string) => void;
  show?: ((title: string) => void) | undefined;
  redact?: ((text: string) => string) | undefined;
}

export interface DrillPlan {
  target: Target;
  /** The production deployment before the drill. */
  before: string | null;
  /** The rollback the drill performs (then undoes). */
  plan: RollbackPlan;
  view: StepPreview;
}

/** Refuses production (and live keys) before reading anything else, then plans the rollback the drill performs. */
export async function planRollbackDrill(ctx: DrillContext, input: DrillInput): Promise<DrillPlan> {
  const target = resolveTarget(input.target, input.config, ctx.env, ctx.cwd);
  assertDrillAllowed(target, ctx.env);
  const vercel = await ctx.clients.vercel();
  const before = (await vercel.client.currentProduction(vercel.projectId))?.uid ?? null;
  const plan = await planRollback(ctx, { useVercelCli: input.useVercelCli, actor: input.actor, reason: `drill${input.reason ? `: ${input.reason}` : ""}`, config: input.config });
  if (plan.continuing)
    throw new UsageError(`Rollback ${plan.journal.id} is unfinished: a drill never continues a real rollback.`, `Finish it (\`bookflow rollback --resume ${plan.journal.id}\`) or undo it (\`--undo ${plan.journal.id}\`) first.`, "DRILL_REFUSED");
  const view: StepPreview = {
    title: `Rollback drill on ${target}: rollback ${plan.journal.id}, then its undo at once (held webhook events released)`,
    steps: [...plan.view.steps, "Undo all of it: promote back, restore the webhooks, manual processing off, release the held events"],
    json: { drill: true, target, ...(plan.view.json as Record<string, unknown>) },
  };
  return { target, before, plan, view };
}

export async function applyRollbackDrill(ctx: DrillContext, drill: DrillPlan, input: Pick<DrillInput, "actor" | "reason">, hooks: DrillHooks): Promise<DrillReport> {
  const { plan, target, before } = drill;
  const startedAt = ctx.clock.now();
  const vercel = await ctx.clients.vercel();
  const id = plan.journal.id;
  const problems: string[] = [];
  const steps = { confirmStep: async (view: { title: string }) => (hooks.show?.(view.title), true), progress: hooks.progress, redact: hooks.redact };

  const t0 = Date.now();
  const rolled = await applyRollback(ctx, plan, { actor: input.actor, ...steps, show: (view) => hooks.show?.(view.title) });
  const rollbackMs = Date.now() - t0;
  const afterRollback = (await vercel.client.currentProduction(vercel.projectId))?.uid ?? null;
  if (rolled.failed) problems.push(`rollback step ${rolled.failed.step} failed: ${rolled.failed.message}`);
  if (afterRollback !== plan.journal.previous.uid) problems.push(`after the rollback production is ${afterRollback ?? "nothing"}, not the previous deployment ${plan.journal.previous.uid}`);

  // The undo runs whatever happened: a drill leaves the world as it found it.
  const t1 = Date.now();
  let undo: DrillReport["undo"] = null;
  let heldReleased = 0;
  let journal = rolled.journal;
  try {
    const undoPlan = await planRollbackUndo(ctx, { id, releaseHeld: true });
    const undone = await applyRollbackUndo(ctx, undoPlan, { actor: input.actor, releaseHeld: true, ...steps });
    journal = undone.journal;
    heldReleased = Number(journal.undo?.steps.find((s) => s.name === "release-held")?.detail.released ?? 0);
    undo = { status: journal.status, ms: Date.now() - t1, steps: stepsOf(journal.undo?.steps ?? []), failed: undone.failed ? `${undone.failed.step}: ${undone.failed.message}` : null };
    if (undone.failed) problems.push(`undo step ${undone.failed.step} failed: ${undone.failed.message}`);
  } catch (err) {
    problems.push(`the undo could not run: ${hooks.redact ? hooks.redact((err as Error).message) : (err as Error).message}`);
  }
  const afterUndo = (await vercel.client.currentProduction(vercel.projectId))?.uid ?? null;
  if (afterUndo !== before) problems.push(`after the undo production is ${afterUndo ?? "nothing"}, not ${before ?? "nothing"} as before the drill`);

  const db = await auditDatabase(ctx, "audit the drill");
  const { isManualProcessing } = await import("../core/webhook-intake.js");
  const manualProcessingOff = !(await isManualProcessing(db.prisma));
  if (!manualProcessingOff) problems.push("manual processing is still on after the undo");
  let webhooksRestored: boolean | null = null;
  const snapshot = journal.steps.find((s) => s.name === "disable-webhooks")?.detail.snapshot;
  if (typeof snapshot === "string") {
    try {
      const saved = readSnapshotFile(snapshot);
      const current = await readCurrentRegistrations(saved.providers, await connectWebhookProviders(ctx, saved.providers));
      const left = planRestore(saved, current, saved.providers);
      webhooksRestored = left.actions.length === 0 && left.blocked.length === 0;
      if (!webhooksRestored) problems.push(`the webhooks are not as before: ${left.actions.length + left.blocked.length} registration(s) still differ from snapshot ${snapshot}`);
    } catch (err) {
      problems.push(`the webhooks could not be compared with snapshot ${snapshot}: ${(err as Error).message}`);
    }
  }

  const dir = drillsDir(dataDirOf(ctx));
  const reportPath = join(dir, `${id}.json`);
  const report: DrillReport = {
    format: "bookflow.rollback-drill",
    version: 1,
    drill: id,
    target,
    startedAt: startedAt.toISOString(),
    finishedAt: ctx.clock.now().toISOString(),
    ok: problems.length === 0,
    rollback: { status: rolled.journal.status, ms: rollbackMs, steps: stepsOf(rolled.journal.steps), failed: rolled.failed ? `${rolled.failed.step}: ${rolled.failed.message}` : null },
    undo,
    production: { before, expectedAfterRollback: plan.journal.previous.uid, afterRollback, afterUndo },
    webhooksRestored,
    manualProcessingOff,
    heldReleased,
    problems,
    reportPath,
  };
  mkdirSync(dir, { recursive: true });
  writeFileSync(reportPath, `${JSON.stringify(report, null, 2)}\n`, { mode: 0o600 });
  await recordAudit(db.prisma, { actor: input.actor, action: report.ok ? "rollback.drill" : "rollback.drill.failed", target: `rollback:${id}`, reason: input.reason ?? null, after: { ok: report.ok, target, production: report.production, webhooksRestored, manualProcessingOff, problems, report: reportPath } });
  return report;
}
