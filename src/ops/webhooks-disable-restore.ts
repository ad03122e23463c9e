import type { Context } from "../context.js";
import { planDisable, planRestore, type DisableAction, type DisablePlan, type RestorePlan, type WebhookUrls } from "../core/webhook-snapshots.js";
import type { WebhookProviderId } from "../providers/webhook-providers.js";
import { auditDatabase } from "./database.js";
import { connectWebhookProviders, dataDirOf, webhookUrlsFrom } from "./webhook-targets.js";
import {
  applyDisable,
  applyRestore,
  findUnfinishedSnapshot,
  keyFingerprint,
  missingSigningKey,
  readCurrentRegistrations,
  resolveSnapshot,
  snapshotsDir,
  writeSnapshotFile,
  type RestoredAction,
  type SnapshotRef,
  type StepFailure,
} from "./webhook-switch.js";

/**
 * `webhooks disable` and `webhooks restore` as use cases (the rollback action
 * for webhooks): each plans from the current state (src/core/webhook-snapshots.ts)
 * and applies through src/ops/webhook-switch.ts, which writes the snapshot
 * first and one audit entry per action. A run that stopped half way, run
 * again, does only what is left.
 */

export interface DisableInput {
  providers: readonly WebhookProviderId[];
}

export interface WebhooksDisablePlan {
  /** The providers acted on: those asked for, and those of an unfinished snapshot this run continues. */
  providers: WebhookProviderId[];
  snapshotDir: string;
  /** The unfinished disable this plan continues. */
  existing: SnapshotRef | null;
  urls: WebhookUrls;
  plan: DisablePlan;
  notes: string[];
}

export async function planWebhooksDisable(ctx: Pick<Context, "env" | "cwd" | "clients">, input: DisableInput): Promise<WebhooksDisablePlan> {
  const dir = snapshotsDir(dataDirOf(ctx));
  const existing = findUnfinishedSnapshot(dir);
  const providers = [...new Set([...(existing?.snapshot.providers ?? []), ...input.providers])];
  const urls = webhookUrlsFrom(ctx.env, providers);
  const current = await readCurrentRegistrations(providers, await connectWebhookProviders(ctx, providers));
  const plan = planDisable({ providers, urls, current, resume: existing?.snapshot ?? null });
  const notes = [...plan.notes];
  if (existing) notes.unshift(`Continuing the unfinished disable of ${existing.path} (a run that stopped half way).`);
  if (plan.actions.some((a) => a.kind === "delete-calendly") && !ctx.env.CALENDLY_WEBHOOK_SIGNING_KEY?.trim())
    notes.push("CALENDLY_WEBHOOK_SIGNING_KEY is not set: `bookflow webhooks restore` will need it to re-create the Calendly subscriptions with the key the app verifies.");
  return { providers, snapshotDir: dir, existing, urls, plan, notes };
}

export interface ApplyOptions {
  actor: string;
  /** Why, for the audit log. */
  reason?: string | undefined;
  /** One line per action done. */
  progress?: ((line: string) => void) | undefined;
}

export interface WebhooksDisableOutcome {
  snapshot: SnapshotRef;
  done: DisableAction[];
  failed: StepFailure | null;
}

export async function applyWebhooksDisable(ctx: Pick<Context, "env" | "clients" | "clock" | "db">, p: WebhooksDisablePlan, options: ApplyOptions): Promise<WebhooksDisableOutcome> {
  const db = await auditDatabase(ctx, "record the audit log of webhooks disable");
  return applyDisable(
    p.plan,
    { dir: p.snapshotDir, urls: p.urls, existing: p.existing, calendlySigningKey: ctx.env.CALENDLY_WEBHOOK_SIGNING_KEY },
    { providers: await connectWebhookProviders(ctx, p.providers), prisma: db.prisma, actor: options.actor, clock: ctx.clock, reason: options.reason, progress: options.progress },
  );
}

export interface RestoreInput {
  providers: readonly WebhookProviderId[];
  /** --snapshot: a file or id (default: the newest snapshot). */
  snapshot?: string | undefined;
}

export interface WebhooksRestorePlan {
  ref: SnapshotRef;
  /** The providers asked for that the snapshot holds. */
  providers: WebhookProviderId[];
  plan: RestorePlan;
  notes: string[];
}

export async function planWebhooksRestore(ctx: Pick<Context, "env" | "cwd" | "clients">, input: RestoreInput): Promise<WebhooksRestorePlan> {
  const ref = resolveSnapshot(input.snapshot, snapshotsDir(dataDirOf(ctx)), ctx.cwd);
  const providers = input.providers.filter((p) => ref.snapshot.providers.includes(p));
  const current = await readCurrentRegistrations(providers, await connectWebhookProviders(ctx, providers));
  const plan = planRestore(ref.snapshot, current, providers);
  const notes = [...plan.notes];
  const key = ctx.env.CALENDLY_WEBHOOK_SIGNING_KEY;
  if (plan.actions.some((a) => a.kind === "create-calendly")) {
    if (!key?.trim()) throw missingSigningKey();
    const fp = ref.snapshot.calendlySigningKeyFingerprint;
    if (fp && fp !== keyFingerprint(key))
      notes.push("CALENDLY_WEBHOOK_SIGNING_KEY differs from the one configured when the snapshot was taken: the re-created subscriptions sign with the current key; make sure the app verifies with it.");
    notes.push("Calendly never shows a subscription's signing key: the re-created subscriptions use CALENDLY_WEBHOOK_SIGNING_KEY.");
  }
  return { ref, providers, plan, notes };
}

export interface WebhooksRestoreOutcome {
  done: RestoredAction[];
  failed: StepFailure | null;
}

export async function applyWebhooksRestore(ctx: Pick<Context, "env" | "clients" | "clock" | "db">, p: WebhooksRestorePlan, options: ApplyOptions & { showSecret: boolean }): Promise<WebhooksRestoreOutcome> {
  const db = await auditDatabase(ctx, "record the audit log of webhooks restore");
  return applyRestore(p.plan, p.ref, {
    providers: await connectWebhookProviders(ctx, p.providers),
    prisma: db.prisma,
    actor: options.actor,
    clock: ctx.clock,
    reason: options.reason,
    progress: options.progress,
    calendlySigningKey: ctx.env.CALENDLY_WEBHOOK_SIGNING_KEY,
    showSecret: options.showSecret,
  });
}

/**
 * A restore with nothing to do whose snapshot is fully back (by an earlier
 * run, or by hand): the snapshot is marked restored. Returns whether it was.
 */
export function settleRestoredSnapshot(ctx: Pick<Context, "clock">, p: WebhooksRestorePlan): boolean {
  const { ref, plan } = p;
  if (plan.actions.length > 0 || plan.blocked.length > 0 || ref.snapshot.status === "restored" || plan.providers.length !== ref.snapshot.providers.length) return false;
  writeSnapshotFile(ref.path, { ...ref.snapshot, status: "restored", restoredAt: ctx.clock.now().toISOString() });
  return true;
}
