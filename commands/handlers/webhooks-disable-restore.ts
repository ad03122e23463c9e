import { z } from "zod";
import { parseOrThrow } from "../../src/config/validation.js";
import { describeDisableAction, describeRestoreAction, type DisableAction, type RestorePlan } from "../../src/core/webhook-snapshots.js";
import { EXIT } from "../../src/engine/exit-codes.js";
import type { WebhookProviderId } from "../../src/providers/webhook-providers.js";
import type { RestoredAction } from "../../src/ops/webhook-switch.js";
import { applyWebhooksDisable, applyWebhooksRestore, planWebhooksDisable, planWebhooksRestore, settleRestoredSnapshot } from "../../src/ops/webhooks-disable-restore.js";
import { confirmInContext, type ConfirmDecision } from "../support/confirm.js";
import { defineCommand } from "../support/run.js";
import { selectProviders } from "../support/webhook-provider-arg.js";

/**
 * `bookflow webhooks disable [calendly|stripe|all]` and `bookflow webhooks restore`
 * (use cases in src/ops/webhooks-disable-restore.ts): options, the plan through
 * the confirmation gate, the report. Exit 0 done (or nothing to do), 1 a
 * provider call failed half way (run again to finish) or restore is blocked,
 * 2 bad usage/configuration or no confirmation.
 */

const disableOptionsSchema = z.object({
  provider: z.string().optional(),
  yes: z.boolean().default(false),
  dryRun: z.boolean().default(false),
  json: z.boolean().default(false),
  actor: z.string().optional(),
  reason: z.string().trim().max(500, { message: "must be at most 500 characters" }).optional(),
});
export type WebhooksDisableOptions = z.input<typeof disableOptionsSchema>;

const restoreOptionsSchema = disableOptionsSchema.extend({
  snapshot: z.string().trim().min(1, { message: "must name a snapshot file" }).optional(),
  showSecret: z.boolean().default(false),
});
export type WebhooksRestoreOptions = z.input<typeof restoreOptionsSchema>;

export interface DisableReport {
  decision: ConfirmDecision;
  providers: WebhookProviderId[];
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

const plural = (n: number) => `${n} change${n === 1 ? "" : "s"}`;

export const webhooksDisable = defineCommand({
  command: "webhooks disable",
  parse: (raw) => {
    const opts = parseOrThrow(disableOptionsSchema, raw, "options for webhooks disable", "See `bookflow webhooks disable --help`.");
    return { ...opts, providers: selectProviders(opts.provider, "disable") };
  },
  run: async (opts, ctx) => {
    const actor = ctx.actor(opts.actor);
    const p = await planWebhooksDisable(ctx, { providers: opts.providers });
    const { existing, notes } = p;
    const view = {
      title: `Disable webhooks (${p.providers.join(", ")}); the definitions are saved first in ${existing ? existing.path : `${p.snapshotDir}/<timestamp>.json`}`,
      steps: p.plan.actions.map(describeDisableAction),
      json: { command: "webhooks disable", providers: p.providers, snapshotDir: p.snapshotDir, resumes: existing?.path ?? null, actions: p.plan.actions, notes },
    };
    const { decision } = await confirmInContext(ctx, view, { yes: opts.yes, dryRun: opts.dryRun, json: opts.json });
    if (decision === "dry-run" || (decision === "nothing-to-do" && !existing)) {
      if (!opts.json) {
        for (const n of notes) ctx.out(`  note: ${n}\n`);
        ctx.out(decision === "dry-run" ? "Dry run: nothing was changed.\n" : "Nothing to disable.\n");
      }
      return EXIT.OK;
    }
    const outcome = await applyWebhooksDisable(ctx, p, { actor, reason: opts.reason, progress: opts.json ? undefined : (line) => ctx.out(`  ${line}\n`) });
    const failed = outcome.failed && { action: outcome.failed.action, message: outcome.failed.message };
    const report: DisableReport = { decision, providers: p.providers, snapshot: outcome.snapshot.path, resumed: existing?.path ?? null, actions: p.plan.actions, done: outcome.done, failed, notes };
    // With --json, the gate has already printed the plan unless it applied under --yes: one JSON document on stdout.
    if (opts.json) {
      if (decision === "apply" && opts.yes) ctx.out(`${JSON.stringify(report, null, 2)}\n`);
    } else {
      for (const n of notes) ctx.out(`  note: ${n}\n`);
      ctx.out(`Snapshot: ${outcome.snapshot.path}\n`);
      if (!failed) ctx.out(`Disabled: ${plural(outcome.done.length)}. Undo with \`bookflow webhooks restore\`.\n`);
    }
    if (!failed) return EXIT.OK;
    ctx.err(
      `bookflow: stopped: ${failed.action} failed: ${failed.message}\n` +
        `  done before it: ${outcome.done.length} of ${p.plan.actions.length}; the snapshot ${outcome.snapshot.path} keeps every definition.\n` +
        "  fix: run the same command again to finish (it continues this snapshot), or `bookflow webhooks restore` to put back what was disabled.\n",
    );
    return EXIT.FAILED;
  },
});

export const webhooksRestore = defineCommand({
  command: "webhooks restore",
  parse: (raw) => {
    const opts = parseOrThrow(restoreOptionsSchema, raw, "options for webhooks restore", "See `bookflow webhooks restore --help`.");
    return { ...opts, providers: selectProviders(opts.provider, "restore") };
  },
  run: async (opts, ctx) => {
    const actor = ctx.actor(opts.actor);
    const p = await planWebhooksRestore(ctx, { providers: opts.providers, snapshot: opts.snapshot });
    const { ref, plan, notes } = p;
    const view = {
      title: `Restore webhooks from ${ref.path} (taken ${ref.snapshot.createdAt} by ${ref.snapshot.actor}${ref.snapshot.status === "disabling" ? "; that disable did not finish" : ""})`,
      steps: plan.actions.map(describeRestoreAction),
      json: { command: "webhooks restore", snapshot: ref.path, actions: plan.actions, skipped: plan.skipped, blocked: plan.blocked, notes },
    };
    const { decision } = await confirmInContext(ctx, view, { yes: opts.yes, dryRun: opts.dryRun, json: opts.json });
    const report: RestoreReport = { decision, snapshot: ref.path, actions: plan.actions, skipped: plan.skipped, blocked: plan.blocked, done: [], failed: null, notes };
    if (decision === "apply") {
      const outcome = await applyWebhooksRestore(ctx, p, { actor, reason: opts.reason, showSecret: opts.showSecret, progress: opts.json ? undefined : (line) => ctx.out(`  ${line}\n`) });
      report.done = outcome.done;
      report.failed = outcome.failed && { action: outcome.failed.action, message: outcome.failed.message };
    } else if (decision === "nothing-to-do") settleRestoredSnapshot(ctx, p);

    if (opts.json) {
      if (decision === "apply" && opts.yes) ctx.out(`${JSON.stringify(report, null, 2)}\n`);
    } else {
      for (const s of plan.skipped) ctx.out(`  unchanged: ${s.provider} ${s.id}: ${s.reason}\n`);
      for (const n of notes) ctx.out(`  note: ${n}\n`);
      for (const d of report.done) if (d.signingSecret !== undefined) ctx.out(`  new signing secret of ${d.id}: ${d.signingSecret} -> set STRIPE_WEBHOOK_SECRET to it${opts.showSecret ? "" : " (shown masked; --show-secret prints it in full)"}\n`);
      if (decision === "dry-run") ctx.out("Dry run: nothing was changed.\n");
      else if (decision === "apply" && !report.failed) ctx.out(`Restored: ${plural(report.done.length)}.\n`);
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
  },
});
