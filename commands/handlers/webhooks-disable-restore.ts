import { resolve } from "node:path";
import { z } from "zod";
import type { Context } from "../../src/context.js";
import { confirmPlan, isInteractive, type ConfirmDecision, type PlanView } from "../support/confirm.js";
import { resolveActor } from "../../src/config/actor.js";
import { readDatabaseEnv } from "../../src/config/app-env.js";
import { parseOrThrow } from "../../src/config/validation.js";
import { describeDisableAction, describeRestoreAction, planDisable, planRestore, type DisableAction, type RestorePlan, type WebhookUrls } from "../../src/core/webhook-snapshots.js";
import type { Database } from "../../src/db/client.js";
import { EXIT } from "../../src/engine/exit-codes.js";
import { expectedRegistration, type WebhookProviderName } from "../../src/providers/webhook-registrations.js";
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
  type WebhookProviders,
} from "../../src/ops/webhook-switch.js";
import { withDatabase } from "../support/database.js";
import { selectProviders } from "./webhooks-status.js";

/**
 * `bookflow webhooks disable [calendly|stripe|all]` and `bookflow webhooks restore`:
 * the rollback action for webhooks. Plans come from src/core/webhook-snapshots.ts
 * (pure); src/ops/webhook-switch.ts writes the snapshot and applies them; this
 * handler validates the options, shows the plan through the confirmation gate
 * and reports. Exit 0 done (or nothing to do), 1 a provider call failed half
 * way (run again to finish) or restore is blocked, 2 bad usage/configuration
 * or no confirmation.
 */

export interface DisableRestoreDeps {
  ctx: Context;
  /** Where BOOKFLOW_DATA_DIR (default .bookflow) and --snapshot are resolved (default process.cwd()). */
  cwd?: string;
  interactive?: boolean;
  ask?: (question: string) => Promise<boolean>;
}

const actorOption = z.string().optional();
const reasonOption = z.string().trim().max(500, { message: "must be at most 500 characters" }).optional();

const disableOptionsSchema = z.object({
  provider: z.string().optional(),
  yes: z.boolean().default(false),
  dryRun: z.boolean().default(false),
  json: z.boolean().default(false),
  actor: actorOption,
  reason: reasonOption,
});
export type WebhooksDisableOptions = z.input<typeof disableOptionsSchema>;

const restoreOptionsSchema = disableOptionsSchema.extend({
  snapshot: z.string().trim().min(1, { message: "must name a snapshot file" }).optional(),
  showSecret: z.boolean().default(false),
});
export type WebhooksRestoreOptions = z.input<typeof restoreOptionsSchema>;

export interface DisableReport {
  decision: ConfirmDecision;
  providers: WebhookProviderName[];
  snapshot: string | null;
  resumed: string | null;
  actions: DisableAction[];
  done: DisableAction[];
  failed: { action: string; message: string } | null;
  notes: string[];
}

export interface RestoreReport {
  decision: ConfirmDecision;
  snapshot: string;
  actions: RestorePlan["actions"];
  skipped: RestorePlan["skipped"];
  blocked: RestorePlan["blocked"];
  done: RestoredAction[];
  failed: { action: string; message: string } | null;
  notes: string[];
}

// ---------------------------------------------------------------- shared with `bookflow rollback`

/** BOOKFLOW_DATA_DIR (default .bookflow), resolved against cwd. */
export function dataDirOf(env: Record<string, string | undefined>, cwd: string): string {
  return resolve(cwd, readDatabaseEnv(env).BOOKFLOW_DATA_DIR);
}

/** CALENDLY_WEBHOOK_URL / STRIPE_WEBHOOK_URL for the providers (ConfigError naming the variable when unset). */
export function webhookUrlsFrom(env: Record<string, string | undefined>, providers: readonly WebhookProviderName[]): WebhookUrls {
  const urls: WebhookUrls = {};
  for (const p of providers) urls[p] = expectedRegistration(p, env, []).url;
  return urls;
}

export async function connectWebhookProviders(env: Record<string, string | undefined>, providers: readonly WebhookProviderName[]): Promise<WebhookProviders> {
  const { calendlyFromEnv, stripeFromEnv } = await import("../../src/providers/from-env.js");
  const out: WebhookProviders = {};
  if (providers.includes("calendly")) out.calendly = { client: await calendlyFromEnv(env) };
  if (providers.includes("stripe")) out.stripe = await stripeFromEnv(env);
  return out;
}

/** The database for the audit log, checked before anything changes (an unreachable one is a ConfigError, exit 2). */
export async function auditDatabase(ctx: Context, purpose: string): Promise<Database> {
  return withDatabase(purpose, async () => {
    const db = await ctx.db();
    await db.prisma.auditLog.count({ where: { id: "00000000-0000-0000-0000-000000000000" } });
    return db;
  });
}

// ---------------------------------------------------------------- disable

export async function webhooksDisable(rawOptions: WebhooksDisableOptions, deps: DisableRestoreDeps): Promise<number> {
  const { ctx } = deps;
  try {
    const opts = parseOrThrow(disableOptionsSchema, rawOptions, "options for webhooks disable", "See `bookflow webhooks disable --help`.");
    const requested = selectProviders(opts.provider, "disable");
    const cwd = deps.cwd ?? process.cwd();
    const dir = snapshotsDir(dataDirOf(ctx.env, cwd));
    const actor = resolveActor(opts.actor, ctx.env);

    const existing = findUnfinishedSnapshot(dir);
    const providers = [...new Set([...(existing?.snapshot.providers ?? []), ...requested])];
    const urls = webhookUrlsFrom(ctx.env, providers);
    const clients = await connectWebhookProviders(ctx.env, providers);
    const current = await readCurrentRegistrations(providers, clients);
    const plan = planDisable({ providers, urls, current, resume: existing?.snapshot ?? null });
    const notes = [...plan.notes];
    if (existing) notes.unshift(`Continuing the unfinished disable of ${existing.path} (a run that stopped half way).`);
    if (plan.actions.some((a) => a.kind === "delete-calendly") && !ctx.env.CALENDLY_WEBHOOK_SIGNING_KEY?.trim())
      notes.push("CALENDLY_WEBHOOK_SIGNING_KEY is not set: `bookflow webhooks restore` will need it to re-create the Calendly subscriptions with the key the app verifies.");

    const view: PlanView = {
      title: `Disable webhooks (${providers.join(", ")}); the definitions are saved first in ${existing ? existing.path : `${dir}/<timestamp>.json`}`,
      steps: plan.actions.map(describeDisableAction),
      json: { command: "webhooks disable", providers, snapshotDir: dir, resumes: existing?.path ?? null, actions: plan.actions, notes },
    };
    const decision = await confirmPlan(view, { yes: opts.yes, dryRun: opts.dryRun, json: opts.json }, { out: ctx.out, err: ctx.err, interactive: deps.interactive ?? isInteractive(ctx.env), ...(deps.ask ? { ask: deps.ask } : {}) });
    const report: DisableReport = { decision, providers, snapshot: existing?.path ?? null, resumed: existing?.path ?? null, actions: plan.actions, done: [], failed: null, notes };

    if (decision === "dry-run" || (decision === "nothing-to-do" && !existing)) {
      if (!opts.json) {
        for (const n of notes) ctx.out(`  note: ${n}\n`);
        ctx.out(decision === "dry-run" ? "Dry run: nothing was changed.\n" : "Nothing to disable.\n");
      }
      return EXIT.OK;
    }

    const db = await auditDatabase(ctx, "record the audit log of webhooks disable");
    const outcome = await applyDisable(
      plan,
      { dir, urls, existing, calendlySigningKey: ctx.env.CALENDLY_WEBHOOK_SIGNING_KEY },
      { providers: clients, prisma: db.prisma, actor, clock: ctx.clock, reason: opts.reason, progress: opts.json ? undefined : (line) => ctx.out(`  ${line}\n`) },
    );
    report.snapshot = outcome.snapshot.path;
    report.done = outcome.done;
    report.failed = outcome.failed && { action: outcome.failed.action, message: outcome.failed.message };

    // With --json, confirmPlan has already printed the plan unless it applied under --yes: one JSON document on stdout.
    if (opts.json) {
      if (decision === "apply" && opts.yes) ctx.out(`${JSON.stringify(report, null, 2)}\n`);
    } else {
      for (const n of notes) ctx.out(`  note: ${n}\n`);
      ctx.out(`Snapshot: ${outcome.snapshot.path}\n`);
      if (!outcome.failed) ctx.out(`Disabled: ${outcome.done.length} change${outcome.done.length === 1 ? "" : "s"}. Undo with \`bookflow webhooks restore\`.\n`);
    }
    if (outcome.failed) {
      ctx.err(
        `bookflow: stopped: ${outcome.failed.action} failed: ${outcome.failed.message}\n` +
          `  done before it: ${outcome.done.length} of ${plan.actions.length}; the snapshot ${outcome.snapshot.path} keeps every definition.\n` +
          "  fix: run the same command again to finish (it continues this snapshot), or `bookflow webhooks restore` to put back what was disabled.\n",
      );
      return EXIT.FAILED;
    }
    return EXIT.OK;
  } finally {
    await ctx.close();
  }
}

// ---------------------------------------------------------------- restore

export async function webhooksRestore(rawOptions: WebhooksRestoreOptions, deps: DisableRestoreDeps): Promise<number> {
  const { ctx } = deps;
  try {
    const opts = parseOrThrow(restoreOptionsSchema, rawOptions, "options for webhooks restore", "See `bookflow webhooks restore --help`.");
    const requested = selectProviders(opts.provider, "restore");
    const cwd = deps.cwd ?? process.cwd();
    const dir = snapshotsDir(dataDirOf(ctx.env, cwd));
    const actor = resolveActor(opts.actor, ctx.env);
    const ref = resolveSnapshot(opts.snapshot, dir, cwd);

    const providers = requested.filter((p) => ref.snapshot.providers.includes(p));
    const clients = await connectWebhookProviders(ctx.env, providers);
    const current = await readCurrentRegistrations(providers, clients);
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

    const view: PlanView = {
      title: `Restore webhooks from ${ref.path} (taken ${ref.snapshot.createdAt} by ${ref.snapshot.actor}${ref.snapshot.status === "disabling" ? "; that disable did not finish" : ""})`,
      steps: plan.actions.map(describeRestoreAction),
      json: { command: "webhooks restore", snapshot: ref.path, actions: plan.actions, skipped: plan.skipped, blocked: plan.blocked, notes },
    };
    const decision = await confirmPlan(view, { yes: opts.yes, dryRun: opts.dryRun, json: opts.json }, { out: ctx.out, err: ctx.err, interactive: deps.interactive ?? isInteractive(ctx.env), ...(deps.ask ? { ask: deps.ask } : {}) });
    const report: RestoreReport = { decision, snapshot: ref.path, actions: plan.actions, skipped: plan.skipped, blocked: plan.blocked, done: [], failed: null, notes };

    if (decision === "apply") {
      const db = await auditDatabase(ctx, "record the audit log of webhooks restore");
      const outcome = await applyRestore(plan, ref, {
        providers: clients,
        prisma: db.prisma,
        actor,
        clock: ctx.clock,
        reason: opts.reason,
        progress: opts.json ? undefined : (line) => ctx.out(`  ${line}\n`),
        calendlySigningKey: key,
        showSecret: opts.showSecret,
      });
      report.done = outcome.done;
      report.failed = outcome.failed && { action: outcome.failed.action, message: outcome.failed.message };
    } else if (decision === "nothing-to-do" && plan.blocked.length === 0 && ref.snapshot.status !== "restored" && plan.providers.length === ref.snapshot.providers.length) {
      // Everything is back already (by an earlier run, or by hand): the snapshot is done with.
      writeSnapshotFile(ref.path, { ...ref.snapshot, status: "restored", restoredAt: ctx.clock.now().toISOString() });
    }

    if (opts.json) {
      if (decision === "apply" && opts.yes) ctx.out(`${JSON.stringify(report, null, 2)}\n`);
    } else {
      for (const s of plan.skipped) ctx.out(`  unchanged: ${s.provider} ${s.id}: ${s.reason}\n`);
      for (const n of notes) ctx.out(`  note: ${n}\n`);
      for (const d of report.done) if (d.signingSecret !== undefined) ctx.out(`  new signing secret of ${d.id}: ${d.signingSecret} -> set STRIPE_WEBHOOK_SECRET to it${opts.showSecret ? "" : " (shown masked; --show-secret prints it in full)"}\n`);
      if (decision === "dry-run") ctx.out("Dry run: nothing was changed.\n");
      else if (decision === "apply" && !report.failed) ctx.out(`Restored: ${report.done.length} change${report.done.length === 1 ? "" : "s"}.\n`);
    }
    if (report.failed) {
      ctx.err(
        `bookflow: stopped: ${report.failed.action} failed: ${report.failed.message}\n` +
          `  done before it: ${report.done.length} of ${plan.actions.length}.\n  fix: run the same command again: it re-creates or re-enables only what is still missing.\n`,
      );
      return EXIT.FAILED;
    }
    if (plan.blocked.length) {
      ctx.err(`bookflow: restore could not put back everything:\n${plan.blocked.map((b) => `  - ${b.provider} ${b.id}: ${b.reason}\n`).join("")}`);
      return EXIT.FAILED;
    }
    return EXIT.OK;
  } finally {
    await ctx.close();
  }
}
