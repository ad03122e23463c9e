import { z } from "zod";
import { EXIT } from "../../src/engine/exit-codes.js";
import { applyResolveReview, planResolveReview } from "../../src/ops/bookings-resolve-review.js";
import { confirmInContext } from "../support/confirm.js";
import { parseOptions } from "../support/flags.js";
import { defineCommand } from "../support/run.js";

/** `bookflow bookings resolve-review <booking> --reason …`: parse, plan, confirm, apply (src/ops/bookings-resolve-review.ts). */

const optionsSchema = z.object({
  booking: z.string(),
  reason: z.string().trim().min(3, { message: "is required: say what was decided (e.g. \"charged the 50.00 difference in Stripe\")" }),
  actor: z.string().optional(),
  yes: z.boolean().default(false),
  dryRun: z.boolean().default(false),
  json: z.boolean().default(false),
});

export type BookingsResolveReviewOptions = z.input<typeof optionsSchema>;

export const bookingsResolveReview = defineCommand({
  command: "bookings resolve-review",
  parse: (raw) => parseOptions(optionsSchema, raw, "bookings resolve-review"),
  async run(opts, ctx) {
    const actor = ctx.actor(opts.actor);
    const plan = await planResolveReview(ctx, { booking: opts.booking });
    const view = {
      title: `Close the review of booking ${plan.bookingId}`,
      steps: plan.reviewReason ? [`clear "${plan.reviewReason}" (decided: ${opts.reason}), audited as ${actor}`] : [],
      json: { command: "bookings resolve-review", bookingId: plan.bookingId, reviewReason: plan.reviewReason, reason: opts.reason, actor },
    };
    const { decision } = await confirmInContext(ctx, view, { yes: opts.yes, dryRun: opts.dryRun, json: opts.json });
    if (decision !== "apply") {
      if (!opts.json) ctx.out(decision === "dry-run" ? "Dry run: nothing was changed.\n" : `Booking ${plan.bookingId} has nothing to review.\n`);
      return EXIT.OK;
    }
    const { cleared } = await applyResolveReview(ctx, plan, { actor, reason: opts.reason });
    if (opts.json) {
      if (opts.yes) ctx.out(`${JSON.stringify({ bookingId: plan.bookingId, cleared, reviewReason: plan.reviewReason, reason: opts.reason, actor }, null, 2)}\n`);
    } else ctx.out(`Review of booking ${plan.bookingId} closed (audited: booking.review_resolved).\n`);
    return EXIT.OK;
  },
});
