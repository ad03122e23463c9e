/**
 * CLI support the `bookings list|show|reprocess|cancel` handlers share:
 * their dependencies, the confirmation flags and gate, money and time as printed.
 * (The booking lookup, the refund policy, the Stripe reader and the outbox are
 * in src/ops; option parsing in commands/support/flags.ts.)
 */
import type { Context } from "../../src/context.js";
import { UsageError } from "../../src/errors.js";
import { confirmPlanHeld, isInteractive, type ConfirmDecision, type PlanView } from "./confirm.js";

export interface BookingsDeps {
  ctx: Context;
  /** Whether a person can answer the confirmation (default: stdin/stdout are terminals and CI is not set). */
  interactive?: boolean;
  /** Asks the confirmation question (default @inquirer/prompts). */
  ask?: (question: string) => Promise<boolean>;
}

/** `--dry-run` and `--yes` together: one says "change nothing", the other "change it": refused. */
export function checkConfirmFlags(opts: { dryRun?: boolean | undefined; yes?: boolean | undefined }, command: string): void {
  if (opts.dryRun && opts.yes) {
    throw new UsageError(`--dry-run and --yes contradict each other (one changes nothing, the other applies without asking).`, `Pass --dry-run to see the plan, or --yes to apply it: \`bookflow ${command}\`.`, "CONFLICTING_OPTIONS");
  }
}

/** The gate (commands/support/confirm.ts), with --json keeping stdout one JSON document. */
export async function gate(view: PlanView, opts: { yes?: boolean | undefined; dryRun?: boolean | undefined; json?: boolean | undefined }, deps: BookingsDeps): Promise<ConfirmDecision> {
  const { ctx } = deps;
  const { decision } = await confirmPlanHeld(view, { yes: opts.yes, dryRun: opts.dryRun, json: opts.json }, {
    out: ctx.out,
    err: ctx.err,
    interactive: deps.interactive ?? isInteractive(ctx.env),
    hold: !!opts.json,
    ...(deps.ask ? { ask: deps.ask } : {}),
  });
  return decision;
}

/** "12.50 USD". */
export function money(cents: number, currency: string): string {
  return `${(cents / 100).toFixed(2)} ${currency.toUpperCase()}`;
}

/** "2030-01-31 09:00Z". */
export function shortTime(d: Date): string {
  return d.toISOString().slice(0, 16).replace("T", " ") + "Z";
}
