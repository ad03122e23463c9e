import type { Context } from "../context.js";
import { choosePrevious, deploymentRef, describeStep, newJournal, newRollbackId, remainingSteps, ROLLBACK_STEPS, stepOf, withStep, type AffectedBooking, type RollbackJournal } from "../core/rollback-plan.js";
import { loadBookflowConfig } from "../config/bookflow-config.js";
import { BookflowError, ConfigError, UsageError } from "../errors.js";
import { formatContacts } from "./contacts.js";
import { checkNoticeTemplate, previewNotices, requireNoticeSender, type NoticePreview } from "./rollback-notices.js";
import { WEBHOOK_PROVIDER_IDS } from "../providers/webhook-providers.js";
import type { VercelClient } from "../providers/vercel/client.js";
import { auditDatabase } from "./database.js";
import {
  acquireRollbackLock,
  affectedBookings,
  findUnfinishedRollback,
  listRollbackIds,
  lookAtRollback,
  readJournal,
  requireVercelCli,
  rollbacksDir,
  runRollback,
  unusedJournalId,
  type RollbackLook,
  type RunResult,
  type StepPreview,
} from "./rollback.js";
import { connectWebhookProviders, dataDirOf, webhookUrlsFrom } from "./webhook-targets.js";

/**
 * `rollback` (new or resumed) as a use case: `planRollback` finds the journal
 * (a new one from what is live on Vercel, the one named by `resume`, or the
 * unfinished one: never a second rollback over an unfinished one) and reads
 * what each step would change now; `applyRollback` runs the remaining steps
 * under the data directory's lock, asking through `confirmStep`.
 */

export interface RollbackInput {
  resume?: string | undefined;
  useVercelCli: boolean;
  actor: string;
  reason?: string | undefined;
  /** Step 4 emails each affected invitee a notice (kept in the journal: a resume goes on sending them). */
  notify?: boolean | undefined;
  /** With notify: the SendGrid dynamic template (default: the config's rollback.noticeTemplateId, else bookflow's text). */
  noticeTemplate?: string | undefined;
  /** The config file (emergency contacts, the notice template); default ./bookflow.config.json when present. */
  config?: string | undefined;
}

export interface RollbackPlan {
  journal: RollbackJournal;
  /** Why an existing journal is continued (resume, or an unfinished one found); null for a new rollback. */
  continuing: string | null;
  dataDir: string;
  /** Nothing left to do: the bookings touched since the bad deployment, read again. */
  complete: { bookings: AffectedBooking[] } | null;
  look: RollbackLook | null;
  /** The plan as printed and as JSON. */
  view: StepPreview;
  /** The config's emergency contacts, one line each (or the line saying none are configured, or why they cannot be read). */
  contacts?: string[];
  /** With notify: how many invitees get the notice and what it says (nothing sent). */
  notice?: NoticePreview | null;
}

/**
 * The config for a rollback: its contacts, and the notice template. A broken config never stops a
 * rollback (the emergency is not the time): its contacts become one line saying why they cannot be
 * shown, unless --notify needs the template from it.
 */
function rollbackConfig(ctx: Pick<Context, "cwd">, input: RollbackInput): { contacts: string[]; templateId: string | undefined } {
  try {
    const { config } = loadBookflowConfig(input.config, ctx.cwd);
    return { contacts: formatContacts(config.contacts), templateId: config.rollback.noticeTemplateId };
  } catch (err) {
    if (!(err instanceof BookflowError)) throw err;
    if (input.notify && !input.noticeTemplate) throw err;
    return { contacts: [`  cannot show them: ${err.message.split("\n")[0]}`], templateId: undefined };
  }
}

type RollbackContext = Pick<Context, "env" | "cwd" | "clients" | "clock" | "db">;

/** A journal belongs to one Vercel project: continuing or undoing it with another environment is refused. */
export function assertSameProject(journal: RollbackJournal, projectId: string): void {
  if (journal.projectId !== projectId)
    throw new ConfigError(`Rollback ${journal.id} is for Vercel project ${journal.projectId}, but VERCEL_PROJECT_ID is ${projectId}.`, "Use the environment the rollback was started with (--env-file).", "ROLLBACK_PROJECT_MISMATCH");
}

export async function planRollback(ctx: RollbackContext, input: RollbackInput): Promise<RollbackPlan> {
  const dataDir = dataDirOf(ctx);
  const dir = rollbacksDir(dataDir);
  const settings = rollbackConfig(ctx, input);
  if (input.noticeTemplate !== undefined && !/^d-[0-9a-f]{32}$/.test(input.noticeTemplate))
    throw new UsageError(`--notice-template ${JSON.stringify(input.noticeTemplate)} is not a SendGrid dynamic template id.`, "Dynamic template ids look like d-5f2c1a7e9b3d4c6e8a0b1c2d3e4f5a6b (SendGrid: Email API > Dynamic Templates).", "NOTICE_TEMPLATE_UNKNOWN");
  if (input.notify) requireNoticeSender(ctx.env);
  const vercel = await ctx.clients.vercel();
  let journal: RollbackJournal;
  let continuing: string | null = null;
  if (input.resume) {
    journal = readJournal(dir, input.resume);
    continuing = `Resuming rollback ${journal.id} (started ${journal.createdAt} by ${journal.actor}).`;
  } else {
    const unfinished = findUnfinishedRollback(dir);
    if (unfinished) {
      journal = unfinished;
      continuing = `Rollback ${journal.id} (started ${journal.createdAt} by ${journal.actor}) did not finish: continuing it instead of starting another (use --undo ${journal.id} to reverse it instead).`;
    } else journal = await startNew(ctx, vercel, input, dir);
  }
  if (journal.status === "undoing" || journal.status === "undo-failed" || journal.status === "undone")
    throw new UsageError(`Rollback ${journal.id} ${journal.status === "undone" ? "was undone" : "is being undone"}: it cannot be resumed.`, journal.status === "undone" ? "Start a new rollback with `bookflow rollback`." : `Finish the undo with \`bookflow rollback --undo ${journal.id}\`.`, "ROLLBACK_UNDONE");
  if (input.useVercelCli && !journal.useVercelCli && continuing)
    throw new UsageError(`Rollback ${journal.id} was started without --use-vercel-cli; it continues the way it started.`, `Leave out --use-vercel-cli, or undo it (--undo ${journal.id}) and start again.`);
  assertSameProject(journal, vercel.projectId);
  if (journal.useVercelCli) requireVercelCli(ctx.env);
  if (input.notify) {
    const templateId = input.noticeTemplate ?? journal.notify?.templateId ?? settings.templateId ?? null;
    journal = { ...journal, notify: { templateId } };
    // A completed rollback asked to notify: step 4 runs again (a read, and the notices once each).
    if (stepOf(journal, "affected-bookings").status === "done" && remainingSteps(journal).length === 0) journal = withStep(journal, "affected-bookings", { status: "pending" });
  }
  if (journal.notify) {
    requireNoticeSender(ctx.env);
    if (journal.notify.templateId) await checkNoticeTemplate(ctx.clients.sendgrid, journal.notify.templateId);
  }

  const urls = webhookUrlsFrom(ctx.env, journal.providers);
  const webhooks = await connectWebhookProviders(ctx, journal.providers);
  const db = await auditDatabase(ctx, "journal the rollback in the audit log");
  if (remainingSteps(journal).length === 0) {
    const bookings = await affectedBookings(db, new Date(journal.since));
    return { journal, continuing, dataDir, complete: { bookings }, look: null, view: planView(journal, null, false, settings.contacts, null), contacts: settings.contacts, notice: null };
  }
  const look = await lookAtRollback(journal, { dataDir, clock: ctx.clock, webhooks, urls, db });
  const notice = journal.notify ? await previewNotices(db, journal.id, await affectedBookings(db, new Date(journal.since)), journal.notify) : null;
  return { journal, continuing, dataDir, complete: null, look, view: planView(journal, look, !continuing, settings.contacts, notice), contacts: settings.contacts, notice };
}

export interface ApplyRollbackOptions {
  actor: string;
  /** Called once the lock is held, before the first step (the plan is shown then). */
  onStart?: (() => void) | undefined;
  confirmStep: (step: StepPreview) => Promise<boolean>;
  progress: (line: string) => void;
  show?: ((step: StepPreview) => void) | undefined;
  redact?: ((text: string) => string) | undefined;
}

export async function applyRollback(ctx: RollbackContext, plan: RollbackPlan, options: ApplyRollbackOptions): Promise<RunResult> {
  const release = acquireRollbackLock(rollbacksDir(plan.dataDir), { actor: options.actor, rollbackId: plan.journal.id, now: ctx.clock.now() });
  try {
    options.onStart?.();
    const { journal } = plan;
    return await runRollback(journal, {
      env: ctx.env,
      dataDir: plan.dataDir,
      actor: options.actor,
      clock: ctx.clock,
      db: await auditDatabase(ctx, "journal the rollback in the audit log"),
      vercel: await ctx.clients.vercel(),
      webhooks: await connectWebhookProviders(ctx, journal.providers),
      urls: webhookUrlsFrom(ctx.env, journal.providers),
      confirmStep: options.confirmStep,
      progress: options.progress,
      show: options.show,
      redact: options.redact,
    });
  } finally {
    release();
  }
}

async function startNew(ctx: Pick<Context, "clock">, vercel: { client: VercelClient; projectId: string }, input: RollbackInput, dir: string): Promise<RollbackJournal> {
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
  const id = unusedJournalId(newRollbackId, ctx.clock.now(), listRollbackIds(dir));
  return newJournal({
    id,
    at: ctx.clock.now(),
    actor: input.actor,
    reason: input.reason ?? null,
    projectId: vercel.projectId,
    useVercelCli: input.useVercelCli,
    providers: [...WEBHOOK_PROVIDER_IDS],
    bad: deploymentRef(current),
    previous: deploymentRef(previous),
  });
}

function planView(journal: RollbackJournal, look: RollbackLook | null, isNew: boolean, contacts: string[] = [], notice: NoticePreview | null = null): StepPreview {
  const remaining = new Set(remainingSteps(journal));
  const extra = look ? { webhookActions: look.webhookActions, manualNow: look.manualNow, bookingsNow: look.bookingsNow } : {};
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
      webhookActions: look?.webhookActions,
      manualProcessingNow: look?.manualNow,
      bookingsNow: look?.bookingsNow,
      notice,
      contacts: contacts.map((c) => c.trim()),
      undo: `bookflow rollback --undo ${journal.id}`,
    },
  };
}
