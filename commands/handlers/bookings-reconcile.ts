import { z } from "zod";
import { confirmPlanHeld, isInteractive, type PlanView } from "../support/confirm.js";
import { createProgressLine, type ProgressOptions } from "../support/progress.js";
import { formatFixSummary, formatRepair, formatReport, reconcileProgressView } from "../support/reconcile-view.js";
import type { Context } from "../../src/context.js";
import { resolveActor } from "../../src/config/actor.js";
import { describeIssues } from "../../src/config/validation.js";
import { describeRepair, reconcileExitCode } from "../../src/core/reconcile.js";
import { scanReconcile, type FixReport, type ReconcileSettings } from "../../src/ops/bookings-reconcile.js";
import type { Sleep } from "../../src/providers/stripe-retry.js";
import { UsageError } from "../../src/errors.js";
import { parseDateFlag as parseWhen, parseDurationFlag } from "../support/flags.js";

/**
 * `bookflow bookings reconcile --since <date> [--until <date>] [--fix]`:
 * parse the flags, scan (src/ops/bookings-reconcile.ts), print the report
 * (commands/support/reconcile-view.ts); `--fix` applies the safe repairs
 * behind the confirmation gate.
 *
 * Exit codes: 0 the sources agree, or --fix repaired every disagreement;
 * 1 disagreements remain (also with --dry-run), or a provider failed;
 * 2 bad input or configuration, or --fix needed a confirmation without a terminal and without --yes.
 */

export interface BookingsReconcileDeps {
  ctx: Context;
  /** Whether a person can answer the confirmation (default: stdin and stdout are terminals and CI is unset). */
  interactive?: boolean;
  ask?: (question: string) => Promise<boolean>;
  /** How provider back-off waits are slept (tests record the Retry-After waits instead). */
  sleep?: Sleep;
  /** The progress line's stream and pace (default: stderr, 100 ms; silent unless a terminal, without --json, outside CI). */
  progress?: Pick<ProgressOptions, "stream" | "minIntervalMs" | "now">;
}

const optionsSchema = z.object({
  since: z.string().optional(),
  until: z.string().optional(),
  stuckAfter: z.string().default("30m"),
  stripeLookback: z.string().default("90d"),
  pageSize: z.union([z.string(), z.number()]).default(100),
  fix: z.boolean().default(false),
  dryRun: z.boolean().default(false),
  yes: z.boolean().default(false),
  json: z.boolean().default(false),
  actor: z.string().optional(),
});

export type BookingsReconcileOptions = z.input<typeof optionsSchema>;

export const DEFAULT_STUCK_AFTER = "30m";
export const DEFAULT_STRIPE_LOOKBACK = "90d";
export const MAX_PAGE_SIZE = 100;

const DAY_MS = 86_400_000;

/** --since / --until: `YYYY-MM-DD` (midnight UTC), or a date and time with its zone; a time without a zone is refused rather than guessed. */
export function parseDateFlag(text: string, flag: string): Date {
  return parseWhen(text, flag, { zoneless: "refuse" });
}

export type { ReconcileReport } from "../../src/ops/bookings-reconcile.js";

/** Checks every flag (UsageError, exit 2) before anything is read. */
export function readSettings(raw: BookingsReconcileOptions, env: Record<string, string | undefined>): ReconcileSettings {
  const parsed = optionsSchema.safeParse(raw);
  if (!parsed.success) {
    throw new UsageError(`Invalid options for bookings reconcile:\n  - ${describeIssues(parsed.error.issues).join("\n  - ")}`, "See `bookflow bookings reconcile --help`.", "BAD_OPTION");
  }
  const o = parsed.data;
  if (o.since === undefined || !o.since.trim()) {
    throw new UsageError("bookings reconcile needs --since: the start of the window (bookings starting from then).", "Add --since 2026-03-01 (and --until for an end; without it, every later booking).", "BAD_OPTION");
  }
  const since = parseDateFlag(o.since, "--since");
  const until = o.until === undefined ? null : parseDateFlag(o.until, "--until");
  if (until && until.getTime() <= since.getTime()) {
    throw new UsageError(
      `--until ${until.toISOString()} is not after --since ${since.toISOString()}: the window is empty.`,
      "Give an --until later than --since (the window is [since, until)), or leave --until out for no end.",
      "BAD_WINDOW",
    );
  }
  const pageSize = typeof o.pageSize === "number" ? o.pageSize : /^\s*\d+\s*$/.test(o.pageSize) ? Number(o.pageSize) : NaN;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
    throw new UsageError(`--page-size ${JSON.stringify(String(o.pageSize))} is not a whole number from 1 to ${MAX_PAGE_SIZE}.`, `Give --page-size 1…${MAX_PAGE_SIZE} (Calendly and Stripe list at most ${MAX_PAGE_SIZE} per page).`, "BAD_OPTION");
  }
  const stuckAfterMs = parseDurationFlag(o.stuckAfter, "--stuck-after", { minMs: 1000, maxMs: 365 * DAY_MS, hint: "Give a number and a unit: s, m, h or d (e.g. --stuck-after 30m)." });
  const stripeLookbackMs = parseDurationFlag(o.stripeLookback, "--stripe-lookback", { minMs: 0, maxMs: 3 * 365 * DAY_MS, hint: "Give a number and a unit: s, m, h or d (e.g. --stripe-lookback 90d)." });
  const conflict = (a: string, b: string, why: string) => new UsageError(`${a} and ${b} cannot be used together: ${why}.`, "Drop one of them.", "CONFLICTING_OPTIONS");
  if (o.yes && o.dryRun) throw conflict("--yes", "--dry-run", "--dry-run changes nothing, --yes applies");
  if (!o.fix && (o.yes || o.dryRun)) {
    throw new UsageError(`${o.yes ? "--yes" : "--dry-run"} only applies with --fix: without --fix reconcile changes nothing.`, `Add --fix to repair (\`--fix --${o.yes ? "yes" : "dry-run"}\`), or drop ${o.yes ? "--yes" : "--dry-run"}.`, "CONFLICTING_OPTIONS");
  }
  // The operator is checked before anything is read: an unusable identity fails at once.
  const actor = o.fix ? resolveActor(o.actor, env) : o.actor !== undefined ? resolveActor(o.actor, env) : null;
  return { window: { since, until }, stuckAfterMs, stripeLookbackMs, pageSize, fix: o.fix, dryRun: o.dryRun, yes: o.yes, json: o.json, actor };
}

export async function bookingsReconcile(rawOptions: BookingsReconcileOptions, deps: BookingsReconcileDeps): Promise<number> {
  const { ctx } = deps;
  try {
    const settings = readSettings(rawOptions, ctx.env);
    const line = createProgressLine({ stream: process.stderr, ...deps.progress, env: ctx.env, machineOutput: settings.json });
    const scan = await scanReconcile(ctx, settings, { ...(deps.sleep ? { sleep: deps.sleep } : {}), ...(line.enabled ? { onProgress: reconcileProgressView(line) } : {}) }).finally(() => line.finish());
    const { disagreements, plan } = scan;
    if (!settings.fix) {
      const r = scan.report(null);
      ctx.out(settings.json ? `${JSON.stringify(r, null, 2)}\n` : formatReport(r));
      return r.exitCode;
    }

    // --fix: the report, then the confirmation gate over the repairs.
    if (!settings.json) ctx.out(formatReport(scan.report(null)));
    const planned: FixReport = { decision: plan.length === 0 ? "nothing-to-do" : settings.dryRun ? "dry-run" : "pending", planned: plan.length, repaired: 0, unchanged: 0, failed: 0, results: [] };
    const view: PlanView = {
      title: `Repairs (--fix): ${plan.length} of ${disagreements.length} disagreement(s)${disagreements.length > plan.length ? `; ${disagreements.length - plan.length} reported only` : ""}`,
      steps: plan.map(describeRepair),
      json: scan.report(planned),
    };
    // With --json the gate's output is held back so that stdout carries one JSON document; a person at a terminal
    // sees the plan before answering, though.
    const interactive = deps.interactive ?? isInteractive(ctx.env);
    const { decision, held } = await confirmPlanHeld(view, { yes: settings.yes, dryRun: settings.dryRun, json: settings.json }, {
      out: ctx.out,
      err: ctx.err,
      interactive,
      hold: !!settings.json && !interactive,
      ...(deps.ask ? { ask: deps.ask } : {}),
    });
    if (decision !== "apply") {
      // --dry-run, or nothing --fix may repair: the plan (or the report, as JSON) was the output.
      for (const t of held) ctx.out(t);
      return reconcileExitCode(disagreements.length, null);
    }
    const fix = await scan.apply(settings.actor!, settings.json ? undefined : (r) => ctx.out(formatRepair(r)));
    const final = scan.report(fix);
    ctx.out(settings.json ? `${JSON.stringify(final, null, 2)}\n` : formatFixSummary(final));
    return final.exitCode;
  } finally {
    await ctx.close();
  }
}
