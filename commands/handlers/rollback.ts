import { randomBytes } from "node:crypto";
import { z } from "zod";
import type { Context } from "../../src/context.js";
import { confirmPlan, formatPlan, isInteractive, type PlanView } from "../support/confirm.js";
import { resolveActor } from "../../src/config/actor.js";
import { parseOrThrow } from "../../src/config/validation.js";
import {
  bookingsCsv,
  choosePrevious,
  deploymentRef,
  describeStep,
  irreversible,
  newJournal,
  newRollbackId,
  planUndo,
  remainingSteps,
  ROLLBACK_STEPS,
  type AffectedBooking,
  type RollbackJournal,
} from "../../src/core/rollback-plan.js";
import { ConfigError, UsageError, UserAbort } from "../../src/errors.js";
import { EXIT } from "../../src/engine/exit-codes.js";
import type { WebhookProviderName } from "../../src/providers/webhook-registrations.js";
import {
  acquireRollbackLock,
  affectedBookings,
  checkUndoPrerequisites,
  countHeld,
  findUnfinishedRollback,
  listRollbackIds,
  lookAtRollback,
  readJournal,
  requireVercelCli,
  rollbacksDir,
  runRollback,
  runUndo,
  type RollbackDeps,
  type StepPreview,
} from "../../src/ops/rollback.js";
import { auditDatabase, connectWebhookProviders, dataDirOf, webhookUrlsFrom } from "./webhooks-disable-restore.js";

/**
 * `bookflow rollback`: the release checklist's rollback plan as one guided
 * command (steps in src/core/rollback-plan.ts, effects in src/ops/rollback.ts).
 *
 * - new: reads what is live on Vercel, picks the previous READY production
 *   deployment, shows the four steps; then per step: show, ask (or --yes), do,
 *   journal (<data dir>/rollbacks/<id>.json) and audit.
 * - a rollback that stopped (failure, interruption, "no") is continued by
 *   `--resume <id>`, or by running `bookflow rollback` again: it never starts a
 *   second rollback over an unfinished one (that would roll back one deployment too far).
 * - `--undo <id>` reverses what can be reversed and says what cannot.
 * - `--plan` prints the steps and changes nothing.
 */

export interface RollbackHandlerDeps {
  ctx: Context;
  /** Where BOOKFLOW_DATA_DIR (default .bookflow) is resolved (default process.cwd()). */
  cwd?: string;
  interactive?: boolean;
  ask?: (question: string) => Promise<boolean>;
  /** Runs `vercel …` (tests); default the CLI on PATH. */
  vercelCli?: RollbackDeps["vercelCli"];
}

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
  })
  .superRefine((o, ctx) => {
    if (o.resume && o.undo) ctx.addIssue({ code: "custom", path: ["undo"], message: "cannot be combined with --resume (undo one rollback, or resume it)" });
    if (o.json && o.csv) ctx.addIssue({ code: "custom", path: ["csv"], message: "cannot be combined with --json (the JSON report holds the bookings too)" });
    if (o.releaseHeld && !o.undo) ctx.addIssue({ code: "custom", path: ["releaseHeld"], message: "only applies with --undo <id>" });
  });

export type RollbackOptions = z.input<typeof optionsSchema>;

type Options = z.infer<typeof optionsSchema>;

export interface RollbackReport {
  rollback: string;
  status: RollbackJournal["status"];
  projectId: string;
  bad: RollbackJournal["bad"];
  previous: RollbackJournal["previous"];
  since: string;
  steps: { name: string; status: string; error: string | null; detail: Record<string, unknown> }[];
  failed: { step: string; message: string } | null;
  bookings: AffectedBooking[] | null;
  undo: string;
}

export async function rollback(rawOptions: RollbackOptions, deps: RollbackHandlerDeps): Promise<number> {
  const { ctx } = deps;
  let release: (() => void) | undefined;
  try {
    const opts = parseOrThrow(optionsSchema, rawOptions, "options for rollback", "See `bookflow rollback --help`.");
    const cwd = deps.cwd ?? process.cwd();
    const dataDir = dataDirOf(ctx.env, cwd);
    const dir = rollbacksDir(dataDir);
    const actor = resolveActor(opts.actor, ctx.env);
    if (opts.undo) return await undo(readJournal(dir, opts.undo), opts, { ...deps, dataDir, actor });

    let journal: RollbackJournal;
    let continuing: string | null = null;
    const { vercelFromEnv } = await import("../../src/providers/from-env.js");
    const vercel = await vercelFromEnv(ctx.env);
    if (opts.resume) {
      journal = readJournal(dir, opts.resume);
      continuing = `Resuming rollback ${journal.id} (started ${journal.createdAt} by ${journal.actor}).`;
    } else {
      const unfinished = findUnfinishedRollback(dir);
      if (unfinished) {
        journal = unfinished;
        continuing = `Rollback ${journal.id} (started ${journal.createdAt} by ${journal.actor}) did not finish: continuing it instead of starting another (use --undo ${journal.id} to reverse it instead).`;
      } else journal = await startNew(ctx, vercel, opts, actor, dir);
    }
    if (journal.status === "undoing" || journal.status === "undo-failed" || journal.status === "undone")
      throw new UsageError(`Rollback ${journal.id} ${journal.status === "undone" ? "was undone" : "is being undone"}: it cannot be resumed.`, journal.status === "undone" ? "Start a new rollback with `bookflow rollback`." : `Finish the undo with \`bookflow rollback --undo ${journal.id}\`.`, "ROLLBACK_UNDONE");
    if (opts.useVercelCli && !journal.useVercelCli && continuing)
      throw new UsageError(`Rollback ${journal.id} was started without --use-vercel-cli; it continues the way it started.`, `Leave out --use-vercel-cli, or undo it (--undo ${journal.id}) and start again.`);
    if (journal.projectId !== vercel.projectId)
      throw new ConfigError(`Rollback ${journal.id} is for Vercel project ${journal.projectId}, but VERCEL_PROJECT_ID is ${vercel.projectId}.`, "Use the environment the rollback was started with (--env-file).", "ROLLBACK_PROJECT_MISMATCH");
    if (journal.useVercelCli) requireVercelCli(ctx.env);

    const human = opts.json || opts.csv ? ctx.err : ctx.out;
    const urls = webhookUrlsFrom(ctx.env, journal.providers);
    const webhooks = await connectWebhookProviders(ctx.env, journal.providers);
    const db = await auditDatabase(ctx, "journal the rollback in the audit log");

    if (continuing) human(`${continuing}\n`);
    if (remainingSteps(journal).length === 0) {
      // Completed already: print the affected bookings again (a fresh read).
      const bookings = await affectedBookings(db, new Date(journal.since));
      human(`Rollback ${journal.id} is complete; nothing left to do. Undo it with \`bookflow rollback --undo ${journal.id}\`.\n`);
      printOutcome(ctx, opts, journal, null, bookings, human);
      return EXIT.OK;
    }

    const look = await lookAtRollback(journal, { dataDir, clock: ctx.clock, webhooks, urls, db });
    const view = planView(journal, look, !continuing);
    if (opts.plan) {
      await confirmPlan(view, { dryRun: true, json: opts.json }, { out: opts.json ? ctx.out : human, err: ctx.err, interactive: false });
      if (!opts.json) human(`Plan only: nothing was changed.\n`);
      return EXIT.OK;
    }
    const interactive = deps.interactive ?? isInteractive(ctx.env);
    if (!opts.yes && !interactive) await confirmPlan(view, { json: opts.json }, { out: ctx.out, err: ctx.err, interactive: false }); // prints the plan as JSON, throws UserAbort (exit 2)
    release = acquireRollbackLock(dir, { actor, rollbackId: journal.id, now: ctx.clock.now() });
    human(formatPlan(view));

    const ask = deps.ask ?? defaultAsk;
    const confirmStep = async (step: StepPreview): Promise<boolean> => {
      human(formatPlan(step));
      return opts.yes ? true : ask("Do this step?");
    };
    const result = await runRollback(journal, {
      env: ctx.env,
      dataDir,
      actor,
      clock: ctx.clock,
      db,
      vercel,
      webhooks,
      urls,
      confirmStep,
      progress: (line) => human(`  ${line}\n`),
      show: (step) => human(`${step.title}\n`),
      redact: (text) => ctx.redactor.redact(text),
      ...(deps.vercelCli ? { vercelCli: deps.vercelCli } : {}),
    });
    journal = result.journal;
    const done = journal.steps.filter((s) => s.status === "done").map((s) => s.name);
    if (result.declined) {
      throw new UserAbort(
        `Stopped before step "${result.declined}" (answered no). Done so far: ${done.length ? done.join(", ") : "nothing"}.`,
        `Resume with \`bookflow rollback --resume ${journal.id}\`, or reverse what was done with \`bookflow rollback --undo ${journal.id}\`.`,
      );
    }
    printOutcome(ctx, opts, journal, result.failed, result.bookings, human);
    if (result.failed) {
      ctx.err(
        `bookflow: rollback ${journal.id} stopped at step "${result.failed.step}": ${result.failed.message}\n` +
          `  steps done: ${done.length ? done.join(", ") : "none"}; the journal is ${rollbacksDir(dataDir)}/${journal.id}.json\n` +
          `  fix: resume with \`bookflow rollback --resume ${journal.id}\` (or run \`bookflow rollback\` again), or reverse it with \`bookflow rollback --undo ${journal.id}\`.\n`,
      );
      return EXIT.FAILED;
    }
    return EXIT.OK;
  } finally {
    release?.();
    await ctx.close();
  }
}

async function startNew(ctx: Context, vercel: Awaited<ReturnType<typeof import("../../src/providers/from-env.js").vercelFromEnv>>, opts: Options, actor: string, dir: string): Promise<RollbackJournal> {
  const current = await vercel.client.currentProduction(vercel.projectId);
  if (!current)
    throw new ConfigError(`Vercel project ${vercel.projectId} has no production deployment: there is nothing to roll back.`, "Check VERCEL_PROJECT_ID (and VERCEL_TEAM_ID for team projects).", "NO_PRODUCTION_DEPLOYMENT");
  const deployments = await vercel.client.listDeployments({ projectId: vercel.projectId, target: "production", state: "READY", limit: 50 });
  const previous = choosePrevious(current, deployments);
  if (!previous)
    throw new ConfigError(
      `There is no READY production deployment older than the live one (${current.uid}) in Vercel project ${vercel.projectId}: nothing to roll back to.`,
      "Deploy the last good commit instead (vercel --prod), or check the project's deployments.",
      "NO_PREVIOUS_DEPLOYMENT",
    );
  const providers: WebhookProviderName[] = ["calendly", "stripe"];
  const taken = new Set(listRollbackIds(dir));
  let id = newRollbackId(ctx.clock.now(), randomBytes(2).toString("hex"));
  while (taken.has(id)) id = newRollbackId(ctx.clock.now(), randomBytes(2).toString("hex"));
  return newJournal({
    id,
    at: ctx.clock.now(),
    actor,
    reason: opts.reason ?? null,
    projectId: vercel.projectId,
    useVercelCli: opts.useVercelCli,
    providers,
    bad: deploymentRef(current),
    previous: deploymentRef(previous),
  });
}

function planView(journal: RollbackJournal, look: Awaited<ReturnType<typeof lookAtRollback>>, isNew: boolean): PlanView {
  const remaining = new Set(remainingSteps(journal));
  const extra = { webhookActions: look.webhookActions, manualNow: look.manualNow, bookingsNow: look.bookingsNow };
  const lines = ROLLBACK_STEPS.map((name) => `${remaining.has(name) ? "" : "(done) "}${describeStep(journal, name, extra)}`);
  return {
    title: `${isNew ? "Rollback" : "Rest of rollback"} ${journal.id} of Vercel project ${journal.projectId}`,
    steps: lines,
    json: {
      rollback: journal.id,
      new: isNew,
      status: journal.status,
      projectId: journal.projectId,
      bad: journal.bad,
      previous: journal.previous,
      since: journal.since,
      steps: journal.steps.map((s) => ({ name: s.name, status: s.status, description: describeStep(journal, s.name, extra) })),
      webhookActions: look.webhookActions,
      manualProcessingNow: look.manualNow,
      bookingsNow: look.bookingsNow,
      undo: `bookflow rollback --undo ${journal.id}`,
    },
  };
}

function printOutcome(ctx: Context, opts: Options, journal: RollbackJournal, failed: { step: string; message: string } | null, bookings: AffectedBooking[] | null, human: (t: string) => void): void {
  if (opts.json) {
    const report: RollbackReport = {
      rollback: journal.id,
      status: journal.status,
      projectId: journal.projectId,
      bad: journal.bad,
      previous: journal.previous,
      since: journal.since,
      steps: journal.steps.map((s) => ({ name: s.name, status: s.status, error: s.error, detail: s.detail })),
      failed: failed && { step: failed.step, message: failed.message },
      bookings,
      undo: `bookflow rollback --undo ${journal.id}`,
    };
    ctx.out(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  if (opts.csv && bookings) ctx.out(bookingsCsv(bookings));
  if (failed) return;
  human(`Rollback ${journal.id}: ${journal.steps.map((s) => `${s.name} ${s.status}`).join(", ")}.\n`);
  if (bookings && !opts.csv) {
    human(`Bookings updated since ${journal.since}: ${bookings.length}${bookings.length ? " (--csv or --json for the full list)" : ""}\n`);
    for (const b of bookings.slice(0, 20)) human(`  ${b.id}  ${b.inviteeEmail}  ${b.status}/${b.paymentStatus}  starts ${b.startTime}  updated ${b.updatedAt}\n`);
    if (bookings.length > 20) human(`  … and ${bookings.length - 20} more\n`);
  }
  human(`Undo: bookflow rollback --undo ${journal.id}\n`);
}

// ---------------------------------------------------------------- undo

async function undo(journal: RollbackJournal, opts: Options, deps: RollbackHandlerDeps & { dataDir: string; actor: string }): Promise<number> {
  const { ctx } = deps;
  const human = opts.json || opts.csv ? ctx.err : ctx.out;
  checkUndoPrerequisites(journal, ctx.env);
  if (journal.useVercelCli) requireVercelCli(ctx.env);
  const { vercelFromEnv } = await import("../../src/providers/from-env.js");
  const vercel = await vercelFromEnv(ctx.env);
  if (journal.projectId !== vercel.projectId)
    throw new ConfigError(`Rollback ${journal.id} is for Vercel project ${journal.projectId}, but VERCEL_PROJECT_ID is ${vercel.projectId}.`, "Use the environment the rollback was started with (--env-file).", "ROLLBACK_PROJECT_MISMATCH");
  const urls = webhookUrlsFrom(ctx.env, journal.providers);
  const webhooks = await connectWebhookProviders(ctx.env, journal.providers);
  const db = await auditDatabase(ctx, "journal the undo in the audit log");

  const items = planUndo(journal, { releaseHeld: opts.releaseHeld });
  const doneAlready = new Set((journal.undo?.steps ?? []).filter((s) => s.status === "done").map((s) => s.name));
  const held = await countHeld(db);
  const view: PlanView = {
    title: `Undo rollback ${journal.id} (started ${journal.createdAt} by ${journal.actor}; ${journal.status})`,
    steps: items.filter((i) => i.applies && !doneAlready.has(i.name)).map((i) => (i.name === "release-held" ? `${i.description} (${held} held now)` : i.description)),
    json: {
      undo: journal.id,
      status: journal.status,
      steps: items.map((i) => ({ name: i.name, applies: i.applies, done: doneAlready.has(i.name), description: i.description })),
      heldNow: held,
      irreversible: irreversible(journal),
    },
  };
  const notes = irreversible(journal);
  if (opts.plan) {
    await confirmPlan(view, { dryRun: true, json: opts.json }, { out: opts.json ? ctx.out : human, err: ctx.err, interactive: false });
    if (!opts.json) {
      for (const n of notes) human(`  cannot be undone: ${n}\n`);
      human("Plan only: nothing was changed.\n");
    }
    return EXIT.OK;
  }
  const interactive = deps.interactive ?? isInteractive(ctx.env);
  if (!opts.yes && !interactive && view.steps.length > 0) await confirmPlan(view, { json: opts.json }, { out: ctx.out, err: ctx.err, interactive: false });
  const release = acquireRollbackLock(rollbacksDir(deps.dataDir), { actor: deps.actor, rollbackId: journal.id, now: ctx.clock.now() });
  try {
    human(formatPlan(view));

    const ask = deps.ask ?? defaultAsk;
    const result = await runUndo(journal, {
      env: ctx.env,
      dataDir: deps.dataDir,
      actor: deps.actor,
      clock: ctx.clock,
      db,
      vercel,
      webhooks,
      urls,
      confirmStep: async (step) => {
        human(formatPlan(step));
        return opts.yes ? true : ask("Do this step?");
      },
      progress: (line) => human(`  ${line}\n`),
      redact: (text) => ctx.redactor.redact(text),
      releaseHeld: opts.releaseHeld,
      askRelease: interactive && !opts.yes ? (n) => ask(`Release the ${n} held webhook event${n === 1 ? "" : "s"} now (applied oldest first)?`) : undefined,
      ...(deps.vercelCli ? { vercelCli: deps.vercelCli } : {}),
    });
    const j = result.journal;
    if (result.declined) {
      throw new UserAbort(`Undo of ${j.id} stopped before "${result.declined}" (answered no).`, `Run \`bookflow rollback --undo ${j.id}\` again to continue it.`);
    }
    if (opts.json) {
      ctx.out(
        `${JSON.stringify(
          {
            undo: j.id,
            status: j.status,
            steps: j.undo?.steps.map((s) => ({ name: s.name, status: s.status, error: s.error, detail: s.detail })) ?? [],
            failed: result.failed && { step: result.failed.step, message: result.failed.message },
            notReversed: result.notReversed,
            irreversible: result.irreversible,
            heldLeft: result.heldLeft,
          },
          null,
          2,
        )}\n`,
      );
    } else {
      for (const n of result.notReversed) human(`  not reversed: ${n}\n`);
      for (const n of result.irreversible) human(`  cannot be undone: ${n}\n`);
      if (!result.failed) human(`Rollback ${j.id} undone: ${j.undo?.steps.map((s) => `${s.name} ${s.status}`).join(", ")}.\n`);
    }
    if (result.failed) {
      ctx.err(
        `bookflow: undo of ${j.id} stopped at "${result.failed.step}": ${result.failed.message}\n` +
          `  fix: ${(result.failed.error as { hint?: string }).hint ?? "fix the cause"}; then run \`bookflow rollback --undo ${j.id}\` again (it continues).\n`,
      );
      return EXIT.FAILED;
    }
    return EXIT.OK;
  } finally {
    release();
  }
}

async function defaultAsk(question: string): Promise<boolean> {
  const { confirm } = await import("@inquirer/prompts");
  return confirm({ message: question, default: false });
}
