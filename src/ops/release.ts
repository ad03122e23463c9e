import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Context } from "../context.js";
import { loadBookflowConfig } from "../config/bookflow-config.js";
import { describeIssues } from "../config/validation.js";
import type { Target } from "../config/verify-env.js";
import { recordAudit } from "../core/audit.js";
import {
  candidateProblem,
  chooseCandidate,
  continueOrRefuse,
  deploymentKey,
  describeReleaseStep,
  finalStatus,
  isUnfinished,
  newReleaseId,
  newReleaseJournal,
  previewOriginOf,
  RELEASE_ID_PATTERN,
  RELEASE_STEPS,
  releaseJournalSchema,
  remainingReleaseSteps,
  rollbackNeeded,
  STAGED_CHECKS,
  STAGED_SKIPPED,
  stagedEnv,
  withReleaseStep,
  type ReleaseJournal,
  type ReleaseStepName,
} from "../core/release-plan.js";
import { deploymentRef } from "../core/rollback-plan.js";
import type { Database } from "../db/client.js";
import type { RunReport } from "../engine/report.js";
import { BookflowError, ConfigError, ProviderError, UsageError } from "../errors.js";
import type { VercelClient, VercelDeployment } from "../providers/vercel/client.js";
import { formatContacts } from "./contacts.js";
import { auditDatabase } from "./database.js";
import { jsonNamesNewestFirst, writeJsonAtomically } from "./json-files.js";
import { acquireRollbackLock, listRollbackIds, requireVercelCli, rollbacksDir, runVercelCli, unusedJournalId, type StepPreview } from "./rollback.js";
import { messageOf as messageOfError } from "./webhook-switch.js";
import { applyRollback, planRollback } from "./rollback-start.js";
import { DEFAULT_RETRY_INTERVAL_MS, verify, type VerifyViews } from "./verify.js";
import type { ScenarioRunInput } from "./scenarios-run.js";
import { dataDirOf } from "./webhook-targets.js";

/**
 * `bookflow release` as a use case: `planRelease` finds the candidate on
 * Vercel (or the release to continue) and lays out the steps; `applyRelease`
 * runs the steps left (src/core/release-plan.ts says what each means), each
 * journaled under <data dir>/releases/<id>.json and audited; `planReleaseUndo`
 * / `applyReleaseUndo` promote back what was production before. The steps
 * call the verify engine in-process and, when production fails, the rollback
 * use case (src/ops/rollback-start.ts).
 */

type ReleaseContext = Context;

export interface ReleaseInput {
  deployment?: string | undefined;
  commit?: string | undefined;
  resume?: string | undefined;
  useVercelCli: boolean;
  autoRollback: boolean;
  /** Scenario names for step 1 (empty: all); undefined: no scenarios. */
  scenarios?: readonly string[] | undefined;
  /** The scenario options (driver, step timeout) when scenarios run. */
  scenarioOptions?: Omit<ScenarioRunInput, "names"> | undefined;
  previewUrl?: string | undefined;
  retryTimeoutMs?: number | undefined;
  retryIntervalMs?: number | undefined;
  /** Production verification's --only / --skip. */
  only: readonly string[];
  skip: readonly string[];
  timeoutMs: number;
  concurrency: number;
  actor: string;
  reason?: string | undefined;
}

export interface ReleasePlan {
  journal: ReleaseJournal;
  dataDir: string;
  /** Why an existing journal is continued; null for a new release. */
  continuing: string | null;
  /** Nothing left to do. */
  complete: boolean;
  view: StepPreview;
  contacts: string[];
}

export function releasesDir(dataDir: string): string {
  return join(dataDir, "releases");
}

// ---------------------------------------------------------------- journal files

export function listReleaseIds(dir: string): string[] {
  return jsonNamesNewestFirst(dir).filter((id) => RELEASE_ID_PATTERN.test(id));
}

export function readReleaseJournal(dir: string, id: string): ReleaseJournal {
  const known = () => {
    const ids = listReleaseIds(dir).slice(0, 5);
    return ids.length ? `Known releases, newest first: ${ids.join(", ")}.` : `There is no release journal in ${dir} (BOOKFLOW_DATA_DIR moves it).`;
  };
  if (!RELEASE_ID_PATTERN.test(id)) throw new ConfigError(`"${id}" is not a release id (they look like rel-20250601-123005-3fa9).`, known(), "UNKNOWN_RELEASE");
  const path = join(dir, `${id}.json`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new ConfigError(`Unknown release ${id}: there is no journal ${path}.`, known(), "UNKNOWN_RELEASE");
    throw new ConfigError(`The journal of release ${id} (${path}) is not JSON.`, "Restore it from a backup, or check production by hand (docs/release.md).", "RELEASE_JOURNAL_INVALID");
  }
  const parsed = releaseJournalSchema.safeParse(json);
  if (!parsed.success || parsed.data.id !== id)
    throw new ConfigError(
      `The journal of release ${id} (${path}) is not valid${parsed.success ? ` (it belongs to ${parsed.data.id})` : `:\n  - ${describeIssues(parsed.error.issues).slice(0, 8).join("\n  - ")}`}`,
      "Restore it from a backup, or check production by hand (docs/release.md).",
      "RELEASE_JOURNAL_INVALID",
    );
  return parsed.data;
}

export function writeReleaseJournal(dir: string, journal: ReleaseJournal): void {
  const checked = releaseJournalSchema.parse(journal);
  const path = join(dir, `${journal.id}.json`);
  try {
    writeJsonAtomically(path, checked);
  } catch (err) {
    throw new ConfigError(`Cannot write the release journal ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, "Check BOOKFLOW_DATA_DIR (default .bookflow) and its permissions.", "RELEASE_JOURNAL_UNWRITABLE");
  }
}

function findUnfinishedRelease(dir: string): ReleaseJournal | null {
  for (const id of listReleaseIds(dir)) {
    try {
      const j = readReleaseJournal(dir, id);
      if (isUnfinished(j)) return j;
    } catch {
      // a damaged journal is reported when named (--resume), not here
    }
  }
  return null;
}

/** One release (or undo) at a time from a data directory: the rollback's lock file, in releases/. */
function lockReleases(dataDir: string, actor: string, id: string, now: Date): () => void {
  try {
    return acquireRollbackLock(releasesDir(dataDir), { actor, rollbackId: id, now });
  } catch (err) {
    if (err instanceof UsageError && err.code === "ROLLBACK_LOCKED") throw new UsageError(err.message.replace(/^Another rollback/, "Another release"), err.hint, "RELEASE_LOCKED");
    throw err;
  }
}

// ---------------------------------------------------------------- plan

async function findDeployment(vercel: { client: VercelClient; projectId: string }, given: string): Promise<VercelDeployment> {
  const key = deploymentKey(given);
  const list = await vercel.client.listDeployments({ projectId: vercel.projectId, limit: 100 });
  const found = list.find((d) => (key.kind === "id" ? d.uid === key.value : d.url?.toLowerCase() === key.value));
  if (!found)
    throw new UsageError(
      `No deployment ${given} among the ${list.length} newest deployments of Vercel project ${vercel.projectId}.`,
      "Give a deployment id (dpl_…) or URL from `vercel ls`, or --commit <sha> to release the newest READY preview of a commit.",
      "UNKNOWN_DEPLOYMENT",
    );
  return found;
}

async function startNew(ctx: ReleaseContext, input: ReleaseInput, dir: string): Promise<ReleaseJournal> {
  const vercel = await ctx.clients.vercel();
  const production = await vercel.client.currentProduction(vercel.projectId);
  let candidate: VercelDeployment;
  if (input.deployment) candidate = await findDeployment(vercel, input.deployment);
  else {
    const previews = await vercel.client.listDeployments({ projectId: vercel.projectId, target: "preview", limit: 100 });
    const chosen = chooseCandidate(previews, input.commit!);
    if (!chosen) {
      const building = previews.filter((d) => d.commitSha?.toLowerCase().startsWith(input.commit!.toLowerCase()));
      throw new UsageError(
        `No READY preview deployment of commit ${input.commit} in Vercel project ${vercel.projectId}${building.length ? ` (there ${building.length === 1 ? "is one" : `are ${building.length}`}: ${building.map((d) => `${d.uid} ${d.state ?? "?"}`).join(", ")})` : ""}.`,
        building.length ? "Wait for its build to finish, then run the release again." : "Push the commit (Vercel builds a preview of it), or check the sha; `vercel ls` lists the deployments.",
        "NO_CANDIDATE",
      );
    }
    candidate = chosen;
  }
  const problem = candidateProblem(candidate, { commit: input.commit, productionUid: production?.uid ?? null });
  if (problem) throw new UsageError(problem.message, problem.hint, problem.code);
  if (!production)
    throw new ConfigError(`Vercel project ${vercel.projectId} has no production deployment: a release needs one to fall back to.`, "Deploy the first production build with `vercel --prod`, then release the next ones.", "NO_PRODUCTION_DEPLOYMENT");
  if (!candidate.url && !input.previewUrl) throw new UsageError(`Deployment ${candidate.uid} has no URL yet.`, "Wait for Vercel to assign one, or give --preview-url.", "DEPLOYMENT_NOT_READY");
  const id = unusedJournalId(newReleaseId, ctx.clock.now(), listReleaseIds(dir));
  return newReleaseJournal({
    id,
    at: ctx.clock.now(),
    actor: input.actor,
    reason: input.reason ?? null,
    projectId: vercel.projectId,
    useVercelCli: input.useVercelCli,
    autoRollback: input.autoRollback,
    candidate: deploymentRef(candidate),
    previous: deploymentRef(production),
    settings: {
      previewOrigin: input.previewUrl ? new URL(input.previewUrl).origin : previewOriginOf(candidate.url!),
      scenarios: input.scenarios ? [...input.scenarios] : null,
      retryTimeoutMs: input.retryTimeoutMs ?? 0,
      retryIntervalMs: input.retryIntervalMs ?? DEFAULT_RETRY_INTERVAL_MS,
    },
  });
}

export async function planRelease(ctx: ReleaseContext, input: ReleaseInput): Promise<ReleasePlan> {
  const dataDir = dataDirOf(ctx);
  const dir = releasesDir(dataDir);
  const contacts = formatContacts(loadBookflowConfig(undefined, ctx.cwd).config.contacts ?? []);
  let journal: ReleaseJournal;
  let continuing: string | null = null;
  if (input.resume) {
    journal = readReleaseJournal(dir, input.resume);
    if (journal.status === "undone") throw new UsageError(`Release ${journal.id} was undone: it cannot be resumed.`, "Start a new release of the candidate.", "RELEASE_UNDONE");
    continuing = `Resuming release ${journal.id} of ${journal.candidate.uid} (started ${journal.createdAt} by ${journal.actor}).`;
  } else {
    const unfinished = findUnfinishedRelease(dir);
    if (unfinished) {
      const decision = continueOrRefuse(unfinished, input);
      if (!decision.continue) throw new UsageError(decision.message, decision.hint, "RELEASE_UNFINISHED");
      journal = unfinished;
      continuing = `Release ${journal.id} of ${journal.candidate.uid} (started ${journal.createdAt} by ${journal.actor}) did not finish: continuing it (use --undo ${journal.id} to reverse it instead).`;
    } else {
      if (!input.deployment && !input.commit) throw new UsageError("Nothing to release: give --deployment <id|url> or --commit <sha>.", "E.g. `bookflow release --commit $GITHUB_SHA --yes`; `bookflow release --help` shows the steps.", "NO_CANDIDATE");
      journal = await startNew(ctx, input, dir);
    }
  }
  const vercel = await ctx.clients.vercel();
  if (journal.projectId !== vercel.projectId)
    throw new ConfigError(`Release ${journal.id} is for Vercel project ${journal.projectId}, but VERCEL_PROJECT_ID is ${vercel.projectId}.`, "Use the environment the release was started with (--env-file).", "RELEASE_PROJECT_MISMATCH");
  if (journal.useVercelCli) requireVercelCli(ctx.env);
  await auditDatabase(ctx, "journal the release in the audit log");
  const complete = remainingReleaseSteps(journal).length === 0;
  return { journal, dataDir, continuing, complete, view: planView(journal, !continuing), contacts };
}

function planView(journal: ReleaseJournal, isNew: boolean): StepPreview {
  const remaining = new Set(remainingReleaseSteps(journal));
  return {
    title: `${isNew ? "Release" : "Rest of release"} ${journal.id}: ${journal.candidate.uid} to production of Vercel project ${journal.projectId}`,
    steps: RELEASE_STEPS.map((name) => `${remaining.has(name) ? "" : "(done) "}${describeReleaseStep(journal, name)}`),
    json: {
      release: journal.id,
      new: isNew,
      status: journal.status,
      projectId: journal.projectId,
      candidate: journal.candidate,
      previous: journal.previous,
      autoRollback: journal.autoRollback,
      steps: journal.steps.map((s) => ({ name: s.name, status: s.status, description: describeReleaseStep(journal, s.name) })),
      undo: `bookflow release --undo ${journal.id}`,
    },
  };
}

// ---------------------------------------------------------------- apply

export interface ReleaseResult {
  journal: ReleaseJournal;
  /** The step that threw (journaled as failed; resume continues there). */
  failed: { step: ReleaseStepName; message: string; error: unknown } | null;
  staged: RunReport | null;
  production: RunReport | null;
  /** Production after the release (read at the end), when it could be read. */
  productionNow: string | null;
}

export interface ApplyReleaseOptions {
  actor: string;
  onStart?: (() => void) | undefined;
  progress: (line: string) => void;
  views?: VerifyViews | undefined;
  redact?: ((text: string) => string) | undefined;
  input: Pick<ReleaseInput, "only" | "skip" | "timeoutMs" | "concurrency" | "scenarioOptions">;
  /** Runs `vercel …` (default: the real CLI on PATH). */
  vercelCli?: ((args: string[], env: Record<string, string | undefined>) => Promise<void>) | undefined;
}

/** What a verify run's summary looks like in the journal: counts and the checks that did not pass (messages redacted). */
function summaryOf(report: RunReport, redact: (t: string) => string): Record<string, unknown> {
  return {
    outcome: report.outcome === "passed" ? "pass" : "fail",
    summary: report.summary,
    failing: report.results.filter((r) => r.status === "fail" || r.status === "error").slice(0, 20).map((r) => ({ id: r.id, status: r.status, message: redact(r.message).slice(0, 300) })),
  };
}

function targetsOf(ctx: ReleaseContext): { staged: Target; production: Target } {
  const sandbox = ctx.env.BOOKFLOW_TARGET?.trim() === "sandbox";
  return sandbox ? { staged: "sandbox", production: "sandbox" } : { staged: "staging", production: "production" };
}

export async function applyRelease(ctx: ReleaseContext, plan: ReleasePlan, options: ApplyReleaseOptions): Promise<ReleaseResult> {
  const dir = releasesDir(plan.dataDir);
  const release = lockReleases(plan.dataDir, options.actor, plan.journal.id, ctx.clock.now());
  const redact = options.redact ?? ((t: string) => t);
  const db = await auditDatabase(ctx, "journal the release in the audit log");
  const vercel = await ctx.clients.vercel();
  const target = `release:${plan.journal.id}`;
  let journal: ReleaseJournal = { ...plan.journal, status: "in-progress" };
  let staged: RunReport | null = null;
  let production: RunReport | null = null;
  const audit = (action: string, after: unknown, before?: unknown) => recordAudit(db.prisma, { actor: options.actor, action, target, reason: journal.reason, before, after });
  try {
    const fresh = plan.journal.steps.every((s) => s.status === "pending");
    writeReleaseJournal(dir, journal);
    if (fresh) await audit("release.started", { candidate: journal.candidate, previous: journal.previous, autoRollback: journal.autoRollback });
    options.onStart?.();
    for (const name of remainingReleaseSteps(journal)) {
      const startedAt = ctx.clock.now().toISOString();
      try {
        journal = withReleaseStep(journal, name, { status: "running", startedAt, error: null });
        writeReleaseJournal(dir, journal);
        const ran = await runStep(ctx, journal, name, { ...options, redact, db, vercel, dataDir: plan.dataDir });
        if (ran.report && name === "verify-staged") staged = ran.report;
        if (ran.report && name === "verify-production") production = ran.report;
        journal = withReleaseStep(journal, name, { status: ran.skipped ? "skipped" : "done", finishedAt: ctx.clock.now().toISOString(), detail: ran.detail });
        if (ran.rollbackId) journal = { ...journal, rollbackId: ran.rollbackId };
        writeReleaseJournal(dir, journal);
        await audit(`release.step.${name}`, ran.detail);
        // A staged failure ends the release with nothing changed: the steps after it are not run.
        if (name === "verify-staged" && ran.detail.outcome === "fail") {
          for (const later of ["promote", "verify-production", "rollback"] as const) journal = withReleaseStep(journal, later, { status: "skipped", detail: { reason: "the candidate failed verification as staged" } });
          break;
        }
      } catch (err) {
        const message = redact(messageOfError(err)).slice(0, 2000);
        journal = { ...withReleaseStep(journal, name, { status: "failed", finishedAt: ctx.clock.now().toISOString(), error: message }), status: "failed" };
        writeReleaseJournal(dir, journal);
        await audit(`release.step.${name}.failed`, { error: message }).catch(() => undefined);
        return { journal, failed: { step: name, message, error: err }, staged, production, productionNow: await productionNow(vercel) };
      }
    }
    journal = { ...journal, status: finalStatus(journal) };
    writeReleaseJournal(dir, journal);
    await audit(`release.${journal.status}`, { steps: journal.steps.map((s) => ({ name: s.name, status: s.status })), rollbackId: journal.rollbackId });
    return { journal, failed: null, staged, production, productionNow: await productionNow(vercel) };
  } finally {
    release();
  }
}

async function productionNow(vercel: { client: VercelClient; projectId: string }): Promise<string | null> {
  try {
    return (await vercel.client.currentProduction(vercel.projectId))?.uid ?? null;
  } catch {
    return null;
  }
}

interface StepDeps extends ApplyReleaseOptions {
  redact: (t: string) => string;
  db: Pick<Database, "prisma">;
  vercel: { client: VercelClient; projectId: string };
  dataDir: string;
}

interface StepRun {
  detail: Record<string, unknown>;
  skipped?: boolean;
  report?: RunReport;
  rollbackId?: string;
}

async function runStep(ctx: ReleaseContext, journal: ReleaseJournal, name: ReleaseStepName, deps: StepDeps): Promise<StepRun> {
  const targets = targetsOf(ctx);
  const common = { concurrency: deps.input.concurrency, timeoutMs: deps.input.timeoutMs, strict: false, sendTestEvents: false, includeLoad: false };
  switch (name) {
    case "verify-staged": {
      const origin = journal.settings.previewOrigin;
      deps.progress(`Verifying ${journal.candidate.uid} as staged at ${origin}`);
      const stagedCtx: Context = { ...ctx, env: stagedEnv(ctx.env, origin) };
      const scenarios = journal.settings.scenarios === null ? undefined : { names: journal.settings.scenarios, ...defaultScenarioOptions(), ...deps.input.scenarioOptions };
      const { report } = await verify(stagedCtx, { ...common, only: [...STAGED_CHECKS], skip: [...STAGED_SKIPPED], target: targets.staged, scenarios }, deps.views ?? {});
      deps.progress(`As staged: ${report.outcome} (${report.summary.pass} passed, ${report.summary.fail} failed, ${report.summary.error} errors)`);
      return { detail: { origin, target: targets.staged, ...summaryOf(report, deps.redact) }, report };
    }
    case "promote": {
      const current = await deps.vercel.client.currentProduction(journal.projectId);
      if (current?.uid === journal.candidate.uid) return { detail: { alreadyLive: true, live: journal.candidate.uid } };
      if (current?.uid !== journal.previous.uid)
        throw new BookflowError(
          "RELEASE_CONFLICT",
          `Production is now ${current?.uid ?? "nothing"}, neither the deployment that was live when the release started (${journal.previous.uid}) nor the candidate (${journal.candidate.uid}): someone changed it since.`,
          `Check what is live in Vercel; undo this release (--undo ${journal.id}) and start a new one if still needed.`,
        );
      if (journal.useVercelCli) {
        await (deps.vercelCli ?? runVercelCli)(["promote", journal.candidate.uid, "--yes"], ctx.env);
        const live = await deps.vercel.client.currentProduction(journal.projectId);
        if (live?.uid !== journal.candidate.uid) throw new ProviderError("vercel", "vercel promote", `the CLI finished but production is ${live?.uid ?? "nothing"}, not ${journal.candidate.uid}`, undefined, `Check \`vercel ls\`, then resume with \`bookflow release --resume ${journal.id}\`.`);
      } else await deps.vercel.client.promote(journal.projectId, journal.candidate.uid);
      deps.progress(`Vercel: ${journal.candidate.uid} now serves production (was ${journal.previous.uid})`);
      return { detail: { from: journal.previous.uid, to: journal.candidate.uid, via: journal.useVercelCli ? "vercel-cli" : "api" } };
    }
    case "verify-production": {
      deps.progress(`Verifying production${journal.candidate.commitSha ? ` (expecting commit ${journal.candidate.commitSha.slice(0, 12)})` : ""}`);
      const { report } = await verify(
        ctx,
        {
          ...common,
          only: [...deps.input.only],
          skip: [...deps.input.skip],
          target: targets.production,
          expectCommit: journal.candidate.commitSha ?? undefined,
          retryTimeoutMs: journal.settings.retryTimeoutMs || undefined,
          retryIntervalMs: journal.settings.retryIntervalMs,
        },
        deps.views ?? {},
      );
      deps.progress(`Production: ${report.outcome} (${report.summary.pass} passed, ${report.summary.fail} failed, ${report.summary.error} errors)`);
      return { detail: { target: targets.production, ...summaryOf(report, deps.redact) }, report };
    }
    case "rollback": {
      if (!rollbackNeeded(journal)) return { detail: { reason: "production passed verification" }, skipped: true };
      if (!journal.autoRollback) return { detail: { reason: "--no-auto-rollback: production failed verification and was left as is" }, skipped: true };
      const known = journal.rollbackId && listRollbackIds(rollbacksDir(deps.dataDir)).includes(journal.rollbackId) ? journal.rollbackId : undefined;
      deps.progress(known ? `Continuing rollback ${known}` : "Production failed verification: rolling back");
      const rbPlan = await planRollback(ctx, { resume: known, useVercelCli: journal.useVercelCli, actor: deps.actor, reason: `release ${journal.id}: production failed verification` });
      if (rbPlan.complete) return { detail: { rollbackId: rbPlan.journal.id, status: rbPlan.journal.status }, rollbackId: rbPlan.journal.id };
      const result = await applyRollback(ctx, rbPlan, { actor: deps.actor, confirmStep: async () => true, progress: (l) => deps.progress(l), redact: deps.redact });
      if (result.failed) throw Object.assign(new BookflowError("ROLLBACK_FAILED", `The rollback ${result.journal.id} stopped at step "${result.failed.step}": ${result.failed.message}`, `Finish it with \`bookflow rollback --resume ${result.journal.id}\` (or \`bookflow release --resume ${journal.id}\`).`), { rollbackId: result.journal.id });
      return { detail: { rollbackId: result.journal.id, status: result.journal.status, live: result.journal.previous.uid }, rollbackId: result.journal.id };
    }
  }
}

function defaultScenarioOptions(): Omit<ScenarioRunInput, "names"> {
  return { driver: "auto", allowProduction: false, stepTimeoutMs: 15_000, emailDomain: "example.com" };
}

// ---------------------------------------------------------------- undo

export interface ReleaseUndoPlan {
  journal: ReleaseJournal;
  dataDir: string;
  /** What production is now. */
  live: string | null;
  view: StepPreview;
}

export async function planReleaseUndo(ctx: ReleaseContext, id: string): Promise<ReleaseUndoPlan> {
  const dataDir = dataDirOf(ctx);
  const journal = readReleaseJournal(releasesDir(dataDir), id);
  const vercel = await ctx.clients.vercel();
  if (journal.projectId !== vercel.projectId)
    throw new ConfigError(`Release ${journal.id} is for Vercel project ${journal.projectId}, but VERCEL_PROJECT_ID is ${vercel.projectId}.`, "Use the environment the release was started with (--env-file).", "RELEASE_PROJECT_MISMATCH");
  if (journal.useVercelCli) requireVercelCli(ctx.env);
  await auditDatabase(ctx, "journal the undo in the audit log");
  const live = (await vercel.client.currentProduction(vercel.projectId))?.uid ?? null;
  if (live !== journal.candidate.uid && live !== journal.previous.uid)
    throw new BookflowError(
      "RELEASE_CONFLICT",
      `Production is now ${live ?? "nothing"}, neither the candidate of release ${journal.id} (${journal.candidate.uid}) nor what was live before it (${journal.previous.uid}): bookflow will not promote over it.`,
      "Promote the deployment you want by hand (vercel promote <id>).",
    );
  const steps = live === journal.candidate.uid ? [`Vercel: production ${journal.candidate.uid} -> ${journal.previous.uid} (promote${journal.useVercelCli ? " with `vercel promote`" : ""})`] : [];
  return {
    journal,
    dataDir,
    live,
    view: {
      title: `Undo release ${journal.id} (${journal.status}; ${journal.previous.uid} was production before it${live === journal.previous.uid ? ", and is again" : ""})`,
      steps,
      json: { undo: journal.id, status: journal.status, live, previous: journal.previous, candidate: journal.candidate, steps, rollbackId: journal.rollbackId },
    },
  };
}

export async function applyReleaseUndo(ctx: ReleaseContext, plan: ReleaseUndoPlan, options: Pick<ApplyReleaseOptions, "actor" | "progress" | "vercelCli">): Promise<ReleaseJournal> {
  const dir = releasesDir(plan.dataDir);
  const release = lockReleases(plan.dataDir, options.actor, plan.journal.id, ctx.clock.now());
  try {
    const { journal } = plan;
    const vercel = await ctx.clients.vercel();
    const db = await auditDatabase(ctx, "journal the undo in the audit log");
    if (plan.live === journal.candidate.uid) {
      if (journal.useVercelCli) await (options.vercelCli ?? runVercelCli)(["promote", journal.previous.uid, "--yes"], ctx.env);
      else await vercel.client.promote(journal.projectId, journal.previous.uid);
      options.progress(`Vercel: ${journal.previous.uid} serves production again (was ${journal.candidate.uid})`);
    }
    const undone: ReleaseJournal = { ...journal, status: "undone", undoneAt: ctx.clock.now().toISOString() };
    writeReleaseJournal(dir, undone);
    await recordAudit(db.prisma, { actor: options.actor, action: "release.undone", target: `release:${journal.id}`, reason: journal.reason, before: { live: plan.live }, after: { live: journal.previous.uid, promoted: plan.live === journal.candidate.uid } });
    return undone;
  } finally {
    release();
  }
}

