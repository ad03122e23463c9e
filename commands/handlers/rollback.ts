import { z } from "zod";
import type { Context } from "../../src/context.js";
import { parseOrThrow } from "../../src/config/validation.js";
import { UserAbort } from "../../src/errors.js";
import { EXIT } from "../../src/engine/exit-codes.js";
import { rollbacksDir, type StepPreview } from "../../src/ops/rollback.js";
import { applyRollback, planRollback } from "../../src/ops/rollback-start.js";
import { describeNoticePreview } from "../../src/ops/rollback-notices.js";
import { applyRollbackDrill, planRollbackDrill } from "../../src/ops/rollback-drill.js";
import { TARGETS } from "../../src/config/verify-env.js";
import { printDrillReport } from "../support/rollback-view.js";
import { applyRollbackUndo, planRollbackUndo } from "../../src/ops/rollback-undo.js";
import { confirmPlan, formatPlan } from "../support/confirm.js";
import { printRollbackOutcome, printUndoOutcome } from "../support/rollback-view.js";
import { defineCommand } from "../support/run.js";

export type { RollbackReport } from "../support/rollback-view.js";

/**
 * `bookflow rollback`: the release checklist's rollback plan as one guided
 * command (use cases: src/ops/rollback-start.ts, src/ops/rollback-undo.ts).
 * The plan is shown; then per step: show, ask (or --yes), do, journal and
 * audit. `--resume <id>` (or running it again) continues one that stopped,
 * `--undo <id>` reverses what can be reversed, `--plan` changes nothing.
 */

const idOption = z.string().trim().min(1, { message: "must name a rollback id (rb-…)" });

const optionsSchema = z
  .object({
    plan: z.boolean().default(false),
    yes: z.boolean().default(false),
    json: z.boolean().default(false),
    csv: z.boolean().default(false),
    resume: idOption.optional(),
    undo: idOption.optional(),
    releaseHeld: z.boolean().default(false),
    useVercelCli: z.boolean().default(false),
    actor: z.string().optional(),
    reason: z.string().trim().max(500, { message: "must be at most 500 characters" }).optional(),
    notify: z.boolean().default(false),
    noticeTemplate: z.string().trim().regex(/^d-[0-9a-f]{32}$/, { message: "must be a SendGrid dynamic template id (d- and 32 hex digits, e.g. d-5f2c1a7e9b3d4c6e8a0b1c2d3e4f5a6b)" }).optional(),
    config: z.string().trim().min(1).optional(),
    drill: z.boolean().default(false),
    target: z.enum(TARGETS, { message: `must be one of ${TARGETS.join(", ")}` }).optional(),
  })
  .superRefine((o, ctx) => {
    if (o.resume && o.undo) ctx.addIssue({ code: "custom", path: ["undo"], message: "cannot be combined with --resume (undo one rollback, or resume it)" });
    if (o.json && o.csv) ctx.addIssue({ code: "custom", path: ["csv"], message: "cannot be combined with --json (the JSON report holds the bookings too)" });
    if (o.releaseHeld && !o.undo) ctx.addIssue({ code: "custom", path: ["releaseHeld"], message: "only applies with --undo <id>" });
    if (o.notify && o.undo) ctx.addIssue({ code: "custom", path: ["notify"], message: "cannot be combined with --undo (notices are step 4 of a rollback; an undo sends none)" });
    if (o.noticeTemplate && !o.notify) ctx.addIssue({ code: "custom", path: ["noticeTemplate"], message: "only applies with --notify" });
    if (o.drill && (o.resume || o.undo)) ctx.addIssue({ code: "custom", path: ["drill"], message: "cannot be combined with --resume or --undo (a drill is a new rollback and its undo, in one run)" });
    if (o.drill && o.notify) ctx.addIssue({ code: "custom", path: ["drill"], message: "cannot be combined with --notify (a drill emails nobody)" });
    if (o.drill && o.csv) ctx.addIssue({ code: "custom", path: ["drill"], message: "cannot be combined with --csv (use --json for the drill's report)" });
    if (o.target && !o.drill) ctx.addIssue({ code: "custom", path: ["target"], message: "only applies with --drill" });
  });

export type RollbackOptions = z.input<typeof optionsSchema>;
type Options = z.infer<typeof optionsSchema>;

export const rollback = defineCommand({
  command: "rollback",
  parse: (raw) => parseOrThrow(optionsSchema, raw, "options for rollback", "See `bookflow rollback --help`."),
  run: (opts, ctx) => (opts.drill ? drill(opts, ctx) : opts.undo ? undo(opts.undo, opts, ctx) : rollForward(opts, ctx)),
});

/** What a person reads goes to stderr when stdout carries --json or --csv. */
const humanOut = (opts: Options, ctx: Context) => (opts.json || opts.csv ? ctx.err : ctx.out);

async function ask(ctx: Context, question: string): Promise<boolean> {
  if (ctx.ask) return ctx.ask(question);
  const { confirm } = await import("@inquirer/prompts");
  return confirm({ message: question, default: false });
}

/** --plan prints and stops; without --yes and without a terminal the plan is printed as JSON and the run aborts (exit 2). */
async function gate(opts: Options, ctx: Context, view: StepPreview, human: (t: string) => void): Promise<"plan-only" | "go"> {
  if (opts.plan) {
    await confirmPlan(view, { dryRun: true, json: opts.json }, { out: opts.json ? ctx.out : human, err: ctx.err, interactive: false });
    return "plan-only";
  }
  if (!opts.yes && !ctx.interactive && view.steps.length > 0) await confirmPlan(view, { json: opts.json }, { out: ctx.out, err: ctx.err, interactive: false });
  return "go";
}

async function rollForward(opts: Options, ctx: Context): Promise<number> {
  const human = humanOut(opts, ctx);
  const actor = ctx.actor(opts.actor);
  const plan = await planRollback(ctx, { resume: opts.resume, useVercelCli: opts.useVercelCli, actor, reason: opts.reason, notify: opts.notify, noticeTemplate: opts.noticeTemplate, config: opts.config });
  /** What a person reads under the plan: the notice (with --notify) and whom to call. */
  const afterPlan = () => {
    if (plan.notice) human(`${describeNoticePreview(plan.notice).join("\n")}\n`);
    human(`Emergency contacts:\n${(plan.contacts ?? []).join("\n")}\n`);
  };
  if (plan.continuing) human(`${plan.continuing}\n`);
  if (plan.complete) {
    human(`Rollback ${plan.journal.id} is complete; nothing left to do. Undo it with \`bookflow rollback --undo ${plan.journal.id}\`.\n`);
    printRollbackOutcome(ctx, opts, plan.journal, null, plan.complete.bookings, human);
    return EXIT.OK;
  }
  if ((await gate(opts, ctx, plan.view, human)) === "plan-only") {
    if (!opts.json) {
      afterPlan();
      human(`Plan only: nothing was changed${plan.notice ? " and no notice was sent" : ""}.\n`);
    }
    return EXIT.OK;
  }
  const result = await applyRollback(ctx, plan, {
    actor,
    onStart: () => {
      human(formatPlan(plan.view));
      afterPlan();
    },
    confirmStep: async (step) => {
      human(formatPlan(step));
      return opts.yes ? true : ask(ctx, "Do this step?");
    },
    progress: (line) => human(`  ${line}\n`),
    show: (step) => human(`${step.title}\n`),
    redact: (text) => ctx.redactor.redact(text),
  });
  const { journal } = result;
  const done = journal.steps.filter((s) => s.status === "done").map((s) => s.name);
  if (result.declined) {
    throw new UserAbort(
      `Stopped before step "${result.declined}" (answered no). Done so far: ${done.length ? done.join(", ") : "nothing"}.`,
      `Resume with \`bookflow rollback --resume ${journal.id}\`, or reverse what was done with \`bookflow rollback --undo ${journal.id}\`.`,
    );
  }
  printRollbackOutcome(ctx, opts, journal, result.failed, result.bookings, human);
  if (!result.failed) return EXIT.OK;
  ctx.err(
    `bookflow: rollback ${journal.id} stopped at step "${result.failed.step}": ${result.failed.message}\n` +
      `  steps done: ${done.length ? done.join(", ") : "none"}; the journal is ${rollbacksDir(plan.dataDir)}/${journal.id}.json\n` +
      `  fix: resume with \`bookflow rollback --resume ${journal.id}\` (or run \`bookflow rollback\` again), or reverse it with \`bookflow rollback --undo ${journal.id}\`.\n`,
  );
  return EXIT.FAILED;
}

async function undo(id: string, opts: Options, ctx: Context): Promise<number> {
  const human = humanOut(opts, ctx);
  const actor = ctx.actor(opts.actor);
  const plan = await planRollbackUndo(ctx, { id, releaseHeld: opts.releaseHeld });
  if ((await gate(opts, ctx, plan.view, human)) === "plan-only") {
    if (!opts.json) {
      for (const n of plan.irreversible) human(`  cannot be undone: ${n}\n`);
      human("Plan only: nothing was changed.\n");
    }
    return EXIT.OK;
  }
  const result = await applyRollbackUndo(ctx, plan, {
    actor,
    releaseHeld: opts.releaseHeld,
    onStart: () => human(formatPlan(plan.view)),
    confirmStep: async (step) => {
      human(formatPlan(step));
      return opts.yes ? true : ask(ctx, "Do this step?");
    },
    progress: (line) => human(`  ${line}\n`),
    redact: (text) => ctx.redactor.redact(text),
    askRelease: ctx.interactive && !opts.yes ? (n) => ask(ctx, `Release the ${n} held webhook event${n === 1 ? "" : "s"} now (applied oldest first)?`) : undefined,
  });
  const j = result.journal;
  if (result.declined) throw new UserAbort(`Undo of ${j.id} stopped before "${result.declined}" (answered no).`, `Run \`bookflow rollback --undo ${j.id}\` again to continue it.`);
  printUndoOutcome(ctx, opts, result, human);
  if (!result.failed) return EXIT.OK;
  ctx.err(
    `bookflow: undo of ${j.id} stopped at "${result.failed.step}": ${result.failed.message}\n` +
      `  fix: ${(result.failed.error as { hint?: string }).hint ?? "fix the cause"}; then run \`bookflow rollback --undo ${j.id}\` again (it continues).\n`,
  );
  return EXIT.FAILED;
}

/** --drill: the plan (gated like any rollback: --plan, --yes, or asked once), then the rollback and its undo, and the report of both. */
async function drill(opts: Options, ctx: Context): Promise<number> {
  const human = humanOut(opts, ctx);
  const actor = ctx.actor(opts.actor);
  const planned = await planRollbackDrill(ctx, { actor, reason: opts.reason, target: opts.target, config: opts.config, useVercelCli: opts.useVercelCli });
  if ((await gate(opts, ctx, planned.view, human)) === "plan-only") {
    if (!opts.json) human("Plan only: nothing was changed.\n");
    return EXIT.OK;
  }
  human(formatPlan(planned.view));
  if (!opts.yes && !(await ask(ctx, "Run the drill (the rollback, then its undo)?"))) throw new UserAbort("Drill cancelled: nothing was changed.");
  const report = await applyRollbackDrill(ctx, planned, { actor, reason: opts.reason }, {
    progress: (line) => human(`  ${line}\n`),
    show: (title) => human(`${title}\n`),
    redact: (text) => ctx.redactor.redact(text),
  });
  printDrillReport(ctx, opts, report, human);
  return report.ok ? EXIT.OK : EXIT.FAILED;
}
