import { z } from "zod";
import { resolveActor } from "../../src/config/actor.js";
import { cancelPlanSkips, cancelPlanSteps, REFUND_MODES, type CancelOutcome, type CancelPlan, type RefundMode } from "../../src/core/cancellation.js";
import { formatState } from "../../src/core/status-rules.js";
import { EXIT } from "../../src/engine/exit-codes.js";
import { ProviderError, UsageError } from "../../src/errors.js";
import { isInteractive, type PlanView } from "../support/confirm.js";
import { parseOptions, single } from "../support/flags.js";
import { planBookingCancel } from "../../src/ops/bookings-cancel.js";
import { checkConfirmFlags, gate, shortTime, type BookingsDeps } from "../support/bookings-view.js";

/**
 * `bookflow bookings cancel <booking> --reason "…"`: cancels the Calendly
 * event, sets the booking CANCELLED, refunds per --refund (full | none |
 * policy), sends the cancellation email, audits each step
 * (src/core/cancellation.ts). Reads Calendly and Stripe first, so the plan
 * shows what is already done; confirmation through the one gate.
 *
 * Exit codes: 0 done (or nothing left to do, or --dry-run); 1 a provider call
 * failed part way (the output says what was done and what was not; running
 * the same command again completes the rest); 2 bad usage, no such booking,
 * or a confirmation was needed without a terminal.
 */

const cancelOptionsSchema = z.object({
  booking: z.string(),
  reason: z.string().optional(),
  refund: z.union([z.string(), z.array(z.string())]).optional(),
  dryRun: z.boolean().default(false),
  yes: z.boolean().default(false),
  json: z.boolean().default(false),
  actor: z.string().optional(),
});

export type BookingsCancelOptions = z.input<typeof cancelOptionsSchema>;

export interface CancelReport {
  decision: "apply" | "dry-run" | "nothing-to-do";
  plan: CancelPlan;
  outcome: CancelOutcome | null;
}

export const MAX_REASON_LENGTH = 500;

export function parseRefundMode(values: string | readonly string[] | undefined): RefundMode {
  const mode = single(values, "--refund") ?? "policy";
  if (!(REFUND_MODES as readonly string[]).includes(mode)) {
    throw new UsageError(`--refund ${JSON.stringify(mode)} is not one of ${REFUND_MODES.join(", ")}.`, "--refund full refunds everything paid, none refunds nothing, policy (the default) follows the refund window (BOOKFLOW_REFUND_WINDOW_HOURS).", "BAD_OPTION");
  }
  return mode as RefundMode;
}

export function parseReason(reason: string | undefined): string {
  const r = reason?.trim();
  if (!r) {
    throw new UsageError(
      reason === undefined ? "--reason is required: it goes into the audit log and the booking." : "--reason is empty.",
      'Say why the booking is cancelled: --reason "customer asked by email".',
      "REASON_REQUIRED",
    );
  }
  if (r.length > MAX_REASON_LENGTH || /[\u0000-\u0008\u000b-\u001f\u007f]/.test(r)) {
    throw new UsageError(`--reason is ${r.length > MAX_REASON_LENGTH ? `longer than ${MAX_REASON_LENGTH} characters` : "not plain text (control characters)"}.`, "Give a short sentence.", "BAD_OPTION");
  }
  return r;
}

export async function bookingsCancel(rawOptions: BookingsCancelOptions, deps: BookingsDeps): Promise<number> {
  const { ctx } = deps;
  try {
    const opts = parseOptions(cancelOptionsSchema, rawOptions, "bookings cancel");
    checkConfirmFlags(opts, `bookings cancel <booking> --reason "…"`);
    const reason = parseReason(opts.reason);
    const refundMode = parseRefundMode(opts.refund);
    const actor = resolveActor(opts.actor, ctx.env);
    let prepared;
    try {
      prepared = await planBookingCancel(ctx, { booking: opts.booking, reason, refund: refundMode, actor });
    } catch (err) {
      // Reading the booking's state failed: say that nothing was changed.
      if (err instanceof ProviderError) ctx.err(`Could not read the booking's state from ${err.provider}; nothing was changed.\n`);
      throw err;
    }
    const { booking: b, plan } = prepared;

    const skips = cancelPlanSkips(plan);
    const view: PlanView = {
      title: `Cancel booking ${b.id} (${b.inviteeEmail}, ${shortTime(b.startTime)}, ${formatState(plan.before)}) — refund: ${refundMode}`,
      steps: cancelPlanSteps(plan),
      json: plan,
    };
    // Shown with the plan when the plan is shown as text (not when the gate prints it as JSON for a script).
    const textPlan = !opts.json && (opts.yes || opts.dryRun || (deps.interactive ?? isInteractive(ctx.env)));
    if (textPlan && skips.length) ctx.out(`Already done or left alone:\n${skips.map((s) => `  - ${s}`).join("\n")}\n`);
    const decision = await gate(view, opts, deps);
    if (decision !== "apply") {
      if (opts.json) ctx.out(`${JSON.stringify({ decision, plan, outcome: null } satisfies CancelReport, null, 2)}\n`);
      else if (decision === "dry-run") ctx.out("Dry run: nothing was changed.\n");
      else ctx.out(`Nothing left to do: booking ${b.id} is ${formatState(plan.before)} and every step is done.\n`);
      return EXIT.OK;
    }

    const outcome = await prepared.apply();

    if (opts.json) ctx.out(`${JSON.stringify({ decision, plan, outcome } satisfies CancelReport, null, 2)}\n`);
    else {
      for (const s of outcome.steps) ctx.out(`${s.status.padEnd(8)} ${s.step}: ${s.detail}\n`);
      ctx.out(`Booking ${b.id} is now ${outcome.after ? formatState(outcome.after) : "(unknown)"}.\n`);
    }
    if (!outcome.complete) {
      const done = outcome.steps.filter((s) => s.status === "done").map((s) => s.step);
      const notDone = outcome.steps.filter((s) => s.status === "failed" || s.status === "not-done").map((s) => `${s.step}${s.status === "failed" ? ` (failed: ${s.detail})` : ""}`);
      ctx.err(
        `bookflow: the cancellation is incomplete. Done: ${done.length ? done.join(", ") : "nothing"}. Not done: ${notDone.join("; ")}.\n` +
          `  fix: run the same command again once the cause is fixed; it skips what is done (no second refund, no second email).\n`,
      );
      return EXIT.FAILED;
    }
    return EXIT.OK;
  } finally {
    await ctx.close();
  }
}
