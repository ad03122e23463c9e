import type { Context } from "../../src/context.js";
import { UserAbort } from "../../src/errors.js";

export { isInteractive } from "../../src/context.js";

/**
 * The one confirmation gate for write and destructive commands (DESIGN.md:
 * plan, then apply). The plan is always shown first. Then:
 *   --dry-run        nothing is done; the plan was the output (exit 0)
 *   --yes            apply without asking (CI, scripts)
 *   a terminal       ask; "no" aborts with nothing changed (exit 2)
 *   anything else    print the plan as JSON on stdout and abort (exit 2):
 *                    a script learns what would happen and that it needs --yes
 */
export interface PlanView {
  /** One line: what the command is about to do. */
  title: string;
  /** One line per action, in order. */
  steps: string[];
  /** The machine-readable plan (printed as JSON without a terminal, or with --json). */
  json: unknown;
}

export interface ConfirmOptions {
  yes?: boolean | undefined;
  dryRun?: boolean | undefined;
  /** Print the plan as JSON instead of lines (the command's --json). */
  json?: boolean | undefined;
}

export interface ConfirmIo {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Whether a person can answer: stdin and stdout are terminals and CI is not set. */
  interactive: boolean;
  /** Asks a yes/no question (default: @inquirer/prompts `confirm`, loaded only when needed). */
  ask?: (question: string) => Promise<boolean>;
}

export type ConfirmDecision = "apply" | "dry-run" | "nothing-to-do";

export function formatPlan(plan: PlanView): string {
  if (plan.steps.length === 0) return `${plan.title}\n  nothing to do\n`;
  return `${plan.title}\n${plan.steps.map((s, i) => `  ${i + 1}. ${s}`).join("\n")}\n`;
}

export async function confirmPlan(plan: PlanView, options: ConfirmOptions, io: ConfirmIo): Promise<ConfirmDecision> {
  const show = () => io.out(options.json ? `${JSON.stringify(plan.json, null, 2)}\n` : formatPlan(plan));
  if (plan.steps.length === 0) {
    show();
    return "nothing-to-do";
  }
  if (options.dryRun) {
    show();
    return "dry-run";
  }
  if (options.yes) {
    if (!options.json) show();
    return "apply";
  }
  if (io.interactive) {
    show();
    const ask = io.ask ?? defaultAsk;
    if (await ask("Apply these changes?")) return "apply";
    throw new UserAbort("Cancelled: nothing was changed.");
  }
  io.out(`${JSON.stringify(plan.json, null, 2)}\n`);
  throw new UserAbort(
    "This changes things and needs a confirmation, but there is no terminal to ask on (the plan is printed above as JSON).",
    "Re-run with --yes to apply it, or with --dry-run to only see the plan.",
  );
}

async function defaultAsk(question: string): Promise<boolean> {
  const { confirm } = await import("@inquirer/prompts");
  return confirm({ message: question, default: false });
}

/**
 * The gate for a command whose `--json` output is one JSON document of its
 * own: with `hold`, what the gate would print is held back and returned, so
 * the caller decides whether it is part of the output. When the gate aborts
 * (no terminal and no --yes, or "no"), the held plan is printed before the
 * error, so a script still learns what would have happened.
 */
export async function confirmPlanHeld(plan: PlanView, options: ConfirmOptions, io: ConfirmIo & { hold: boolean }): Promise<{ decision: ConfirmDecision; held: string[] }> {
  const held: string[] = [];
  try {
    const decision = await confirmPlan(plan, options, { ...io, out: io.hold ? (t) => held.push(t) : io.out });
    return { decision, held };
  } catch (err) {
    if (err instanceof UserAbort) for (const t of held) io.out(t);
    throw err;
  }
}

/**
 * The gate for a command run: the context says whether a person can answer
 * (and how to ask), so use cases and commands never decide that themselves.
 * `hold`: see `confirmPlanHeld`.
 */
export function confirmInContext(ctx: Context, plan: PlanView, options: ConfirmOptions, hold = false): Promise<{ decision: ConfirmDecision; held: string[] }> {
  return confirmPlanHeld(plan, options, { out: ctx.out, err: ctx.err, interactive: ctx.interactive, ...(ctx.ask ? { ask: ctx.ask } : {}), hold });
}
