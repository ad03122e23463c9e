import { z } from "zod";
import { mask } from "../../src/config/redact.js";
import { parseOrThrow } from "../../src/config/validation.js";
import { describeAction, type RegisterAction, type RegisterNote } from "../../src/core/webhook-expectations.js";
import { EXIT } from "../../src/engine/exit-codes.js";
import { applyRegister, planRegister, type AppliedAction } from "../../src/ops/webhooks-register.js";
import { confirmInContext, type ConfirmDecision, type PlanView } from "../support/confirm.js";
import { defineCommand } from "../support/run.js";
import { selectProviders } from "../support/webhook-provider-arg.js";

/**
 * `bookflow webhooks register [calendly|stripe]`: the plan of
 * src/ops/webhooks-register.ts through the confirmation gate, applied, with a
 * new Stripe signing secret printed once (masked unless --show-secret).
 */

const registerOptionsSchema = z.object({
  provider: z.string().optional(),
  dryRun: z.boolean().default(false),
  yes: z.boolean().default(false),
  json: z.boolean().default(false),
  showSecret: z.boolean().default(false),
  replace: z.boolean().default(false),
  actor: z.string().optional(),
  config: z.string().min(1, { message: "must name a file" }).optional(),
});

export type WebhooksRegisterOptions = z.input<typeof registerOptionsSchema>;

export interface RegisterReport {
  decision: ConfirmDecision;
  actions: RegisterAction[];
  notes: RegisterNote[];
  applied: AppliedAction[];
  /** No blocking note: everything register was asked to take care of is in place. */
  ok: boolean;
}

export const webhooksRegister = defineCommand({
  command: "webhooks register",
  parse: (raw) => {
    const opts = parseOrThrow(registerOptionsSchema, raw, "options for webhooks register", "See `bookflow webhooks register --help`.");
    return { ...opts, providers: selectProviders(opts.provider, "register") };
  },
  run: async (opts, ctx) => {
    const plan = await planRegister(ctx, { providers: opts.providers, replace: opts.replace, config: opts.config });
    const actor = ctx.actor(opts.actor);
    const view: PlanView = { title: `Register webhooks (${plan.providers.join(", ")})`, steps: plan.actions.map(describeAction), json: { actions: plan.actions, notes: plan.notes } };
    // With --json, one JSON document on stdout: the gate's own output is kept only when it aborts.
    const { decision } = await confirmInContext(ctx, view, { yes: opts.yes, dryRun: opts.dryRun, json: opts.json }, opts.json);
    if (!opts.json) for (const n of plan.notes) ctx.out(`${n.blocking ? "needs attention" : "note"} (${n.provider}): ${n.message}\n`);

    const shown = (a: AppliedAction): AppliedAction => (a.signingSecret && !opts.showSecret ? { ...a, signingSecret: mask(a.signingSecret) } : a);
    const outcome =
      decision === "apply"
        ? await applyRegister(ctx, plan, { actor, onApplied: (a) => (opts.json ? undefined : ctx.out(describeApplied(shown(a), opts.showSecret, a.signingSecret))) })
        : { applied: [], failure: undefined };
    const applied = outcome.applied.map(shown);
    const report: RegisterReport = { decision, actions: plan.actions, notes: plan.notes, applied, ok: !outcome.failure && !plan.notes.some((n) => n.blocking) };
    if (opts.json) ctx.out(`${JSON.stringify(report, null, 2)}\n`);
    if (outcome.failure) {
      if (!opts.json && applied.length) ctx.err(`Stopped after ${applied.length} of ${plan.actions.length} changes; run register again to finish (it only does what is still missing).\n`);
      throw outcome.failure;
    }
    if (decision === "dry-run" && !opts.json) ctx.out("Dry run: nothing was changed.\n");
    return report.ok ? EXIT.OK : EXIT.FAILED;
  },
});

function describeApplied(a: AppliedAction, showSecret: boolean, secret: string | undefined): string {
  const lines: string[] = [];
  switch (a.action.kind) {
    case "create":
      lines.push(a.action.provider === "calendly" ? `created Calendly subscription ${a.id} (${a.scope} scope), signed with CALENDLY_WEBHOOK_SIGNING_KEY` : `created Stripe webhook endpoint ${a.id}`);
      break;
    case "update-events":
      lines.push(`updated Stripe webhook endpoint ${a.id}: now receives ${a.action.to.join(", ")}`);
      break;
    case "replace":
      lines.push(`replaced Calendly subscription ${a.deleted} with ${a.id} (${a.scope} scope)`);
      break;
  }
  if (secret) {
    lines.push(
      `  signing secret: ${showSecret ? secret : mask(secret)}${showSecret ? "" : "  (masked: pass --show-secret to print it; Stripe returns it only now, later only the dashboard can reveal it)"}`,
      `  set STRIPE_WEBHOOK_SECRET to it in the app's environment, or the app rejects every delivery to this endpoint`,
    );
  }
  return `${lines.join("\n")}\n`;
}
