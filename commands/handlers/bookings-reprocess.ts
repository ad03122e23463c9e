import { z } from "zod";
import { resolveActor } from "../../src/config/actor.js";
import type { ReprocessOutcome, ReprocessPlan } from "../../src/core/reprocess.js";
import { formatState } from "../../src/core/status-rules.js";
import { EXIT } from "../../src/engine/exit-codes.js";
import { ProviderError } from "../../src/errors.js";
import { isInteractive, type PlanView } from "../support/confirm.js";
import { parseOptions } from "../support/flags.js";
import { planBookingReprocess } from "../../src/ops/bookings-reprocess.js";
import { checkConfirmFlags, gate, type BookingsDeps } from "../support/bookings-view.js";

/**
 * `bookflow bookings reprocess <booking>`: reads the booking's truth from
 * Calendly (scheduled event + invitee) and Stripe (Checkout session, payment
 * intent, refunds), plans what would change (pure: src/core/reprocess.ts),
 * prints it, confirms (TTY asks, --yes, --dry-run; else the plan as JSON and
 * exit 2), applies it through the webhook intake, sends the emails it queued,
 * and writes a `booking.reprocess` audit entry. A second run finds nothing.
 *
 * Exit codes: 0 applied (or nothing to do, or --dry-run); 1 a provider could
 * not be read (nothing changed) or a change did not apply; 2 bad usage, no
 * such booking, or a confirmation was needed without a terminal.
 */

const reprocessOptionsSchema = z.object({
  booking: z.string(),
  dryRun: z.boolean().default(false),
  yes: z.boolean().default(false),
  json: z.boolean().default(false),
  actor: z.string().optional(),
});

export type BookingsReprocessOptions = z.input<typeof reprocessOptionsSchema>;

export interface ReprocessReport {
  decision: "apply" | "dry-run" | "nothing-to-do";
  plan: PlanJson;
  outcome: ReprocessOutcome | null;
  /** The booking's emails after the run (kind → status). */
  emails?: Record<string, string>;
}

type PlanJson = Omit<ReprocessPlan, "changes"> & { changes: Record<string, unknown>[] };

export function planJson(plan: ReprocessPlan): PlanJson {
  // The webhook bodies stay out: they are the providers' objects, long and already summarised.
  return { ...plan, changes: plan.changes.map((c) => (c.kind === "apply-event" ? { kind: c.kind, provider: c.provider, eventType: c.eventType, providerEventId: c.providerEventId, from: c.from, to: c.to, summary: c.summary } : { ...c })) };
}

export async function bookingsReprocess(rawOptions: BookingsReprocessOptions, deps: BookingsDeps): Promise<number> {
  const { ctx } = deps;
  try {
    const opts = parseOptions(reprocessOptionsSchema, rawOptions, "bookings reprocess");
    checkConfirmFlags(opts, "bookings reprocess <booking>");
    const actor = resolveActor(opts.actor, ctx.env);
    let prepared;
    try {
      prepared = await planBookingReprocess(ctx, { booking: opts.booking, actor });
    } catch (err) {
      // Reading the booking's truth failed: say that nothing was changed.
      if (err instanceof ProviderError) ctx.err(`Could not read the booking's truth from ${err.provider}; nothing was changed.\n`);
      throw err;
    }
    const { booking: b, plan } = prepared;

    const view: PlanView = {
      title: `Reprocess booking ${b.id} (${formatState(plan.before)}${plan.changes.length ? ` → ${formatState(plan.after)}` : ""})`,
      steps: plan.changes.map((c) => c.summary),
      json: planJson(plan),
    };
    // Notes go with the plan when it is shown as text (not when the gate prints it as JSON for a script).
    const textPlan = !opts.json && (opts.yes || opts.dryRun || (deps.interactive ?? isInteractive(ctx.env)));
    if (textPlan) for (const n of plan.notes) ctx.out(`${n.level === "attention" ? "needs attention" : "note"}: ${n.message}\n`);
    const decision = await gate(view, opts, deps);
    if (decision !== "apply") {
      if (opts.json) ctx.out(`${JSON.stringify({ decision, plan: planJson(plan), outcome: null } satisfies ReprocessReport, null, 2)}\n`);
      else if (decision === "dry-run") ctx.out("Dry run: nothing was changed.\n");
      else if (plan.notes.some((n) => n.level === "attention")) ctx.out("Nothing reprocess can change; the disagreements above need a person.\n");
      else ctx.out("The database agrees with Calendly and Stripe: nothing to change.\n");
      return EXIT.OK;
    }

    const { outcome, emails } = await prepared.apply();

    if (opts.json) {
      ctx.out(`${JSON.stringify({ decision, plan: planJson(plan), outcome, emails } satisfies ReprocessReport, null, 2)}\n`);
    } else {
      for (const o of outcome.outcomes) ctx.out(`${o.status === "done" ? "done" : o.status === "failed" ? "FAILED" : "not applied"}: ${o.change}\n    ${o.detail}\n`);
      ctx.out(`Booking ${b.id} is now ${outcome.after ? formatState(outcome.after) : "(gone)"}${Object.keys(emails).length ? `; emails: ${Object.entries(emails).map(([k, v]) => `${k} ${v}`).join(", ")}` : ""}.\n`);
    }
    if (!outcome.complete) {
      ctx.err(
        `bookflow: reprocess did not complete: the booking is ${outcome.after ? formatState(outcome.after) : "gone"}, expected ${formatState(plan.after)}.\n  fix: see the lines above; run \`bookflow bookings reprocess ${b.id}\` again once the cause is fixed (it only does what is still missing).\n`,
      );
      return EXIT.FAILED;
    }
    return EXIT.OK;
  } finally {
    await ctx.close();
  }
}
