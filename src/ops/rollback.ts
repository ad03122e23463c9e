/**
 * The side effects of `bookflow rollback` and `bookflow rollback --undo`:
 * the journal files under <data dir>/rollbacks, and each step (look at the
 * state, show what will change, ask, do it, journal and audit it). Every step
 * checks the current state first, so a rollback that stopped (a failure, an
 * interruption, a "no") continues where it was when run again.
 */
import { randomBytes } from "node:crypto";
import { accessSync, constants, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { jsonNamesNewestFirst, writeJsonAtomically } from "./json-files.js";
import { delimiter, join, resolve } from "node:path";
import { z } from "zod";
import { describeIssues } from "../config/validation.js";
import { recordAudit } from "../core/audit.js";
import type { Clock } from "../core/ports.js";
import {
  describeStep,
  irreversible,
  newUndo,
  planUndo,
  remainingSteps,
  ROLLBACK_ID_PATTERN,
  rollbackJournalSchema,
  stepOf,
  withStep,
  withUndoStep,
  type AffectedBooking,
  type RollbackJournal,
  type RollbackStepName,
  type UndoStepName,
} from "../core/rollback-plan.js";
import { describeDisableAction, describeRestoreAction, planDisable, planRestore, type DisablePlan, type RestorePlan } from "../core/webhook-snapshots.js";
import type { Database } from "../db/client.js";
import { BookflowError, ConfigError, ProviderError, UsageError } from "../errors.js";
import type { VercelClient } from "../providers/vercel/client.js";
import type { WebhookUrls } from "../core/webhook-snapshots.js";
import {
  applyDisable,
  applyRestore,
  findUnfinishedSnapshot,
  missingSigningKey,
  newSnapshotPath,
  readCurrentRegistrations,
  readSnapshotFile,
  snapshotsDir,
  messageOf,
  type SnapshotRef,
  type WebhookProviders,
} from "./webhook-switch.js";

type Env = Record<string, string | undefined>;

// ---------------------------------------------------------------- journal files

export function rollbacksDir(dataDir: string): string {
  return join(dataDir, "rollbacks");
}

export function journalPath(dir: string, id: string): string {
  return join(dir, `${id}.json`);
}

/** A new journal id from `make(now, randomHex)` that none of `taken` has (two runs in the same second differ by their random digits). */
export function unusedJournalId(make: (at: Date, randomHex: string) => string, now: Date, taken: readonly string[]): string {
  const used = new Set(taken);
  let id = make(now, randomBytes(2).toString("hex"));
  while (used.has(id)) id = make(now, randomBytes(2).toString("hex"));
  return id;
}

/** Rollback ids in `dir`, newest first (ids sort by their start time). */
export function listRollbackIds(dir: string): string[] {
  return jsonNamesNewestFirst(dir).filter((id) => ROLLBACK_ID_PATTERN.test(id));
}

/** Reads a rollback's journal; an unknown id or a damaged journal is a ConfigError (exit 2) saying what to do. */
export function readJournal(dir: string, id: string): RollbackJournal {
  const known = () => {
    const ids = listRollbackIds(dir).slice(0, 5);
    return ids.length ? `Known rollbacks, newest first: ${ids.join(", ")}.` : `There is no rollback journal in ${dir} (BOOKFLOW_DATA_DIR moves it).`;
  };
  if (!ROLLBACK_ID_PATTERN.test(id)) throw new ConfigError(`"${id}" is not a rollback id (they look like rb-20250601-123005-3fa9).`, known(), "UNKNOWN_ROLLBACK");
  const path = journalPath(dir, id);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new ConfigError(`Unknown rollback ${id}: there is no journal ${path}.`, known(), "UNKNOWN_ROLLBACK");
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ConfigError(`The journal of rollback ${id} (${path}) is not JSON.`, "Restore it from a backup, or undo the steps by hand (see docs/rollback.md).", "ROLLBACK_JOURNAL_INVALID");
  }
  const parsed = rollbackJournalSchema.safeParse(json);
  if (!parsed.success)
    throw new ConfigError(
      `The journal of rollback ${id} (${path}) is not valid:\n  - ${describeIssues(parsed.error.issues).slice(0, 8).join("\n  - ")}`,
      "Restore it from a backup, or undo the steps by hand (see docs/rollback.md).",
      "ROLLBACK_JOURNAL_INVALID",
    );
  if (parsed.data.id !== id) throw new ConfigError(`The journal ${path} belongs to rollback ${parsed.data.id}, not ${id}.`, "Do not rename journal files.", "ROLLBACK_JOURNAL_INVALID");
  return parsed.data;
}

export function writeJournal(dir: string, journal: RollbackJournal): void {
  const checked = rollbackJournalSchema.parse(journal);
  const path = journalPath(dir, journal.id);
  try {
    writeJsonAtomically(path, checked);
  } catch (err) {
    throw new ConfigError(`Cannot write the rollback journal ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, "Check BOOKFLOW_DATA_DIR (default .bookflow) and its permissions.", "ROLLBACK_JOURNAL_UNWRITABLE");
  }
}

/** The most recently started rollback that has not finished (stopped or failed), or whose undo has not finished. */
export function findUnfinishedRollback(dir: string): RollbackJournal | null {
  let newest: RollbackJournal | null = null;
  for (const id of listRollbackIds(dir)) {
    let j: RollbackJournal;
    try {
      j = readJournal(dir, id);
    } catch {
      continue;
    }
    const unfinished = j.status === "in-progress" || j.status === "failed" || j.status === "undoing" || j.status === "undo-failed";
    if (unfinished && (!newest || Date.parse(j.createdAt) > Date.parse(newest.createdAt))) newest = j;
  }
  return newest;
}

// ---------------------------------------------------------------- vercel CLI

/** Full path of an executable found on PATH, or null. */
/**
 * One rollback (or undo) at a time from this data directory: `<dir>/.lock`,
 * created exclusively, holds who runs it. A lock left by a process that is no
 * longer running on this host is stale and taken over. Returns the release.
 */
export function acquireRollbackLock(dir: string, holder: { actor: string; rollbackId: string; now: Date }): () => void {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, ".lock");
  const mine = { pid: process.pid, host: hostname(), actor: holder.actor, rollbackId: holder.rollbackId, since: holder.now.toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, `${JSON.stringify(mine)}\n`, { flag: "wx" });
      return () => rmSync(path, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    let other: { pid?: unknown; host?: unknown; actor?: unknown; rollbackId?: unknown; since?: unknown } = {};
    try {
      other = JSON.parse(readFileSync(path, "utf8")) as typeof other;
    } catch {
      // Unreadable (half written): treated as held, below, unless its writer is gone.
    }
    const sameHost = other.host === hostname();
    if (sameHost && typeof other.pid === "number" && !processAlive(other.pid)) {
      rmSync(path, { force: true });
      continue;
    }
    throw new UsageError(
      `Another rollback is running from ${dir}: ${String(other.rollbackId ?? "unknown")} by ${String(other.actor ?? "unknown")} (pid ${String(other.pid ?? "?")} on ${String(other.host ?? "?")}, since ${String(other.since ?? "?")}).`,
      `Wait for it to finish, or, if that process is gone, delete ${path} and run again.`,
      "ROLLBACK_LOCKED",
    );
  }
  throw new UsageError(`Could not take the rollback lock ${path}.`, `Delete ${path} if no rollback is running, and run again.`, "ROLLBACK_LOCKED");
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

export function findExecutable(name: string, pathVar: string | undefined): string | null {
  for (const dir of (pathVar ?? "").split(delimiter).filter(Boolean)) {
    const candidate = resolve(dir, name);
    try {
      if (!statSync(candidate).isFile()) continue;
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

export function requireVercelCli(env: Env): string {
  const bin = findExecutable("vercel", env.PATH);
  if (!bin)
    throw new ConfigError("--use-vercel-cli: the `vercel` command is not on PATH.", "Install it (npm i -g vercel), or leave out --use-vercel-cli to use the Vercel API.", "VERCEL_CLI_MISSING");
  return bin;
}

/**
 * Runs `vercel <args>`: the token goes in VERCEL_TOKEN (the CLI reads it; never
 * on the command line), the team in --scope. Output is captured, not shown.
 */
export async function runVercelCli(args: string[], env: Env): Promise<void> {
  const bin = requireVercelCli(env);
  const scope = env.VERCEL_TEAM_ID?.trim();
  const fullArgs = [...args, ...(scope ? ["--scope", scope] : [])];
  const { execa } = await import("execa");
  const childEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) childEnv[k] = v;
  const r = await execa(bin, fullArgs, { env: childEnv, extendEnv: false, reject: false, stdin: "ignore", timeout: 300_000, all: true });
  if (r.exitCode !== 0 || r.failed) {
    const tail = String(r.all ?? "").trim().split("\n").slice(-3).join(" | ").slice(0, 400);
    throw new ProviderError("vercel", `vercel ${args.join(" ")}`, `the vercel CLI ${r.timedOut ? "timed out" : `exited ${r.exitCode ?? "abnormally"}`}${tail ? `: ${tail}` : ""}`, undefined, "Run the same vercel command by hand to see why, or leave out --use-vercel-cli.");
  }
}

// ---------------------------------------------------------------- steps

export interface StepPreview {
  title: string;
  /** One line per change; empty when the step has nothing to change. */
  steps: string[];
  json: unknown;
}

export interface RollbackDeps {
  env: Env;
  dataDir: string;
  actor: string;
  clock: Clock;
  db: Pick<Database, "prisma" | "sql">;
  vercel: { client: VercelClient; projectId: string };
  webhooks: WebhookProviders;
  urls: WebhookUrls;
  /** Shows a step that changes something and asks; false stops (nothing of that step done). */
  confirmStep: (view: StepPreview) => Promise<boolean>;
  progress: (line: string) => void;
  /** Shows a step that has nothing to confirm (a read, or nothing left to change). */
  show?: ((view: StepPreview) => void) | undefined;
  /** Masks secrets in error messages before they are journaled or audited (default: as is). */
  redact?: ((text: string) => string) | undefined;
  /** Runs `vercel …` (default: the real CLI on PATH). */
  vercelCli?: (args: string[], env: Env) => Promise<void>;
}

export interface StepFailureReport {
  step: string;
  message: string;
  error: unknown;
}

export interface RunResult {
  journal: RollbackJournal;
  /** The step the operator declined, if any. */
  declined: string | null;
  failed: StepFailureReport | null;
  bookings: AffectedBooking[] | null;
}

/** Bookings updated at or after `since`, oldest change first. */
export async function affectedBookings(db: Pick<Database, "prisma">, since: Date): Promise<AffectedBooking[]> {
  const rows = await db.prisma.booking.findMany({ where: { updatedAt: { gte: since } }, orderBy: [{ updatedAt: "asc" }, { id: "asc" }], include: { sessionType: { select: { title: true } } } });
  return rows.map((b) => ({
    id: b.id,
    inviteeEmail: b.inviteeEmail,
    inviteeName: b.inviteeName,
    status: b.status,
    paymentStatus: b.paymentStatus,
    amountCents: b.amountCents,
    currency: b.currency,
    startTime: b.startTime.toISOString(),
    updatedAt: b.updatedAt.toISOString(),
    sessionType: b.sessionType?.title ?? null,
    calendlyEventUri: b.calendlyEventUri,
  }));
}

/** Where step 2 stands: the snapshot it journaled (or an unfinished one), and the disable plan from the current state. */
async function prepareWebhookDisable(journal: RollbackJournal, deps: Pick<RollbackDeps, "dataDir" | "clock" | "webhooks" | "urls">): Promise<{ plan: DisablePlan; existing: SnapshotRef | null; fresh: { id: string; path: string } }> {
  const dir = snapshotsDir(deps.dataDir);
  const recorded = stepOf(journal, "disable-webhooks").detail.snapshot;
  let existing: SnapshotRef | null = null;
  let fresh: { id: string; path: string };
  if (typeof recorded === "string") {
    fresh = { id: (recorded.split(/[\\/]/).pop() ?? recorded).replace(/\.json$/, ""), path: recorded };
    try {
      readFileSync(recorded);
      existing = { path: recorded, snapshot: readSnapshotFile(recorded) };
    } catch (err) {
      if (err instanceof ConfigError && err.code !== "SNAPSHOT_NOT_FOUND") throw err;
      // journaled, but the process stopped before writing it: nothing was changed yet
    }
  } else {
    existing = findUnfinishedSnapshot(dir);
    fresh = existing ? { id: existing.snapshot.id, path: existing.path } : newSnapshotPath(dir, deps.clock.now());
  }
  const providers = [...new Set([...journal.providers, ...(existing?.snapshot.providers ?? [])])];
  const current = await readCurrentRegistrations(providers, deps.webhooks);
  const plan = planDisable({ providers: journal.providers, urls: deps.urls, current, resume: existing?.snapshot ?? null });
  return { plan, existing, fresh };
}

/** What a step would change now (and the facts undo needs, recorded before it changes anything). */
async function previewStep(journal: RollbackJournal, name: RollbackStepName, deps: RollbackDeps): Promise<{ view: StepPreview; before: Record<string, unknown>; disable?: Awaited<ReturnType<typeof prepareWebhookDisable>> }> {
  const index = journal.steps.findIndex((s) => s.name === name) + 1;
  const title = `Step ${index}/${journal.steps.length}: ${describeStep(journal, name)}`;
  switch (name) {
    case "promote": {
      const current = await deps.vercel.client.currentProduction(journal.projectId);
      if (current?.uid === journal.previous.uid) return { view: { title, steps: [], json: { step: name, current: current.uid, changes: [] } }, before: { alreadyLive: true } };
      if (current?.uid !== journal.bad.uid)
        throw new BookflowError(
          "ROLLBACK_CONFLICT",
          `Production is now ${current?.uid ?? "nothing"}, neither the deployment being rolled back (${journal.bad.uid}) nor the one to go back to (${journal.previous.uid}): someone changed it since the rollback started.`,
          "Check what is live in Vercel; undo this rollback (--undo) and start a new one if still needed.",
        );
      const change = `Vercel: production ${journal.bad.uid} -> ${journal.previous.uid}${journal.useVercelCli ? " (vercel rollback)" : " (instant rollback API)"}`;
      return { view: { title, steps: [change], json: { step: name, from: journal.bad, to: journal.previous, via: journal.useVercelCli ? "vercel-cli" : "api" } }, before: { from: journal.bad.uid, to: journal.previous.uid } };
    }
    case "disable-webhooks": {
      const disable = await prepareWebhookDisable(journal, deps);
      const lines = disable.plan.actions.map(describeDisableAction);
      return {
        view: { title, steps: lines, json: { step: name, snapshot: disable.fresh.path, actions: disable.plan.actions, notes: disable.plan.notes } },
        before: { snapshot: disable.fresh.path },
        disable,
      };
    }
    case "manual-processing": {
      const { isManualProcessing } = await import("../core/webhook-intake.js");
      const now = await isManualProcessing(deps.db.prisma);
      // Recorded once: a resumed step must not take its own "on" for the state before the rollback.
      const previous = typeof stepOf(journal, name).detail.previous === "boolean" ? (stepOf(journal, name).detail.previous as boolean) : now;
      return { view: { title, steps: now ? [] : ["App setting manualProcessing: off -> on"], json: { step: name, now, previous } }, before: { previous } };
    }
    case "affected-bookings": {
      if (!journal.notify) return { view: { title, steps: [], json: { step: name, since: journal.since } }, before: {} };
      const { previewNotices, describeNoticePreview } = await import("./rollback-notices.js");
      const notice = await previewNotices(deps.db, journal.id, await affectedBookings(deps.db, new Date(journal.since)), journal.notify);
      const left = notice.recipients - notice.alreadySent;
      // Nothing left to send: shown, not asked.
      return { view: { title, steps: left > 0 ? describeNoticePreview(notice) : [], json: { step: name, since: journal.since, notice } }, before: { notify: journal.notify } };
    }
  }
}

async function executeStep(
  journal: RollbackJournal,
  name: RollbackStepName,
  preview: Awaited<ReturnType<typeof previewStep>>,
  deps: RollbackDeps,
): Promise<{ detail: Record<string, unknown>; bookings?: AffectedBooking[] }> {
  switch (name) {
    case "promote": {
      if (preview.before.alreadyLive) return { detail: { alreadyLive: true, live: journal.previous.uid } };
      if (journal.useVercelCli) {
        await (deps.vercelCli ?? runVercelCli)(["rollback", journal.previous.uid], deps.env);
        const live = await deps.vercel.client.currentProduction(journal.projectId);
        if (live?.uid !== journal.previous.uid)
          throw new ProviderError("vercel", "vercel rollback", `the CLI finished but production is ${live?.uid ?? "nothing"}, not ${journal.previous.uid}`, undefined, "Check `vercel rollback status`, then run the rollback again (--resume).");
      } else {
        await deps.vercel.client.rollback(journal.projectId, journal.previous.uid, `bookflow rollback ${journal.id}`);
      }
      deps.progress(`Vercel: ${journal.previous.uid} now serves production (was ${journal.bad.uid})`);
      return { detail: { live: journal.previous.uid, via: journal.useVercelCli ? "vercel-cli" : "api" } };
    }
    case "disable-webhooks": {
      const d = preview.disable!;
      const outcome = await applyDisable(
        d.plan,
        { dir: snapshotsDir(deps.dataDir), urls: deps.urls, existing: d.existing, calendlySigningKey: deps.env.CALENDLY_WEBHOOK_SIGNING_KEY, fresh: d.fresh },
        { providers: deps.webhooks, prisma: deps.db.prisma, actor: deps.actor, clock: deps.clock, reason: `rollback ${journal.id}`, progress: deps.progress },
      );
      if (outcome.failed) {
        const err = outcome.failed.error;
        throw Object.assign(err instanceof Error ? err : new Error(outcome.failed.message), { rollbackDetail: { snapshot: outcome.snapshot.path, done: outcome.done.length, failedAction: outcome.failed.action } });
      }
      return { detail: { snapshot: outcome.snapshot.path, calendlyDeleted: outcome.done.filter((a) => a.kind === "delete-calendly").length, stripeDisabled: outcome.done.filter((a) => a.kind === "disable-stripe").length } };
    }
    case "manual-processing": {
      const { isManualProcessing, setManualProcessing } = await import("../core/webhook-intake.js");
      if (!(await isManualProcessing(deps.db.prisma))) await setManualProcessing(deps.db.prisma, true, deps.actor, `rollback ${journal.id}`);
      deps.progress("Manual processing is on: webhooks are recorded as HELD and not applied");
      return { detail: { on: true } };
    }
    case "affected-bookings": {
      const bookings = await affectedBookings(deps.db, new Date(journal.since));
      deps.progress(`${bookings.length} booking${bookings.length === 1 ? "" : "s"} updated since ${journal.since}`);
      const detail: Record<string, unknown> = { count: bookings.length, bookingIds: bookings.slice(0, 500).map((b) => b.id) };
      if (journal.notify) {
        const { sendNotices } = await import("./rollback-notices.js");
        const notices = await sendNotices(journal, bookings, journal.notify, { env: deps.env, db: deps.db, actor: deps.actor, progress: deps.progress });
        detail.notices = notices;
        deps.progress(`Notices: ${notices.sent} sent now, ${notices.alreadySent} sent before, ${notices.inFlight} in flight, ${notices.failed} failed (of ${notices.recipients})`);
        if (notices.failed > 0)
          throw Object.assign(new BookflowError("NOTICE_SEND_FAILED", `${notices.failed} notice${notices.failed === 1 ? "" : "s"} could not be sent (SendGrid refused or failed; each is recorded as FAILED in the email outbox).`, `Fix the cause, then resume (\`bookflow rollback --resume ${journal.id}\`): only the notices not yet sent go.`), { rollbackDetail: { ...detail } });
      }
      return { detail, bookings };
    }
  }
}

/**
 * Runs the steps that are not done yet, in order. Each: look, show, ask (or
 * --yes), do, journal, audit. Stops at the first failure (journaled, status
 * "failed") or at a "no" (status stays "in-progress"); both can be resumed.
 */
export async function runRollback(start: RollbackJournal, deps: RollbackDeps): Promise<RunResult> {
  const dir = rollbacksDir(deps.dataDir);
  let journal: RollbackJournal = { ...start, status: "in-progress" };
  writeJournal(dir, journal);
  let bookings: AffectedBooking[] | null = null;
  const target = `rollback:${journal.id}`;
  for (const name of remainingSteps(journal)) {
    const startedAt = deps.clock.now().toISOString();
    try {
      const preview = await previewStep(journal, name, deps);
      if (preview.view.steps.length === 0) deps.show?.(preview.view);
      else if (!(await deps.confirmStep(preview.view))) {
        writeJournal(dir, journal);
        return { journal, declined: name, failed: null, bookings };
      }
      journal = withStep(journal, name, { status: "running", startedAt, detail: preview.before, error: null });
      writeJournal(dir, journal);
      const { detail, bookings: listed } = await executeStep(journal, name, preview, deps);
      if (listed) bookings = listed;
      journal = withStep(journal, name, { status: "done", finishedAt: deps.clock.now().toISOString(), detail });
      writeJournal(dir, journal);
      await recordAudit(deps.db.prisma, { actor: deps.actor, action: `rollback.step.${name}`, target, reason: journal.reason, before: preview.before, after: detail });
    } catch (err) {
      const extra = (err as { rollbackDetail?: Record<string, unknown> }).rollbackDetail ?? {};
      const message = redactWith(deps, messageOf(err));
      journal = { ...withStep(journal, name, { status: "failed", startedAt: stepOf(journal, name).startedAt ?? startedAt, finishedAt: deps.clock.now().toISOString(), error: message.slice(0, 2000), detail: extra }), status: "failed" };
      writeJournal(dir, journal);
      await recordAudit(deps.db.prisma, { actor: deps.actor, action: `rollback.step.${name}.failed`, target, reason: journal.reason, after: { error: message.slice(0, 2000), ...extra } }).catch(() => undefined);
      return { journal, declined: null, failed: { step: name, message, error: err }, bookings };
    }
  }
  journal = { ...journal, status: "completed" };
  writeJournal(dir, journal);
  await recordAudit(deps.db.prisma, { actor: deps.actor, action: "rollback.completed", target, reason: journal.reason, after: { steps: journal.steps.map((s) => ({ name: s.name, status: s.status })) } });
  return { journal, declined: null, failed: null, bookings };
}

function redactWith(deps: Pick<RollbackDeps, "redact">, text: string): string {
  return deps.redact ? deps.redact(text) : text;
}

// ---------------------------------------------------------------- undo

export interface UndoDeps extends RollbackDeps {
  /** Release HELD events without asking (--release-held). */
  releaseHeld: boolean;
  /** Asks whether to release N held events (a terminal); undefined: do not ask. */
  askRelease?: ((held: number) => Promise<boolean>) | undefined;
}

export interface UndoResult {
  journal: RollbackJournal;
  declined: string | null;
  failed: StepFailureReport | null;
  /** Reversible in principle, but not reversed (with why). */
  notReversed: string[];
  /** What no undo can reverse. */
  irreversible: string[];
  /** HELD events left after the undo (when not released). */
  heldLeft: number;
}

function restoreRef(journal: RollbackJournal): SnapshotRef {
  const path = stepOf(journal, "disable-webhooks").detail.snapshot as string;
  return { path, snapshot: readSnapshotFile(path) };
}

async function prepareRestore(journal: RollbackJournal, deps: RollbackDeps): Promise<{ ref: SnapshotRef; plan: RestorePlan } | null> {
  let ref: SnapshotRef;
  try {
    ref = restoreRef(journal);
  } catch (err) {
    // The snapshot was journaled but never written: the disable changed nothing.
    if (err instanceof ConfigError && err.code === "SNAPSHOT_NOT_FOUND") return null;
    throw err;
  }
  const current = await readCurrentRegistrations(ref.snapshot.providers, deps.webhooks);
  return { ref, plan: planRestore(ref.snapshot, current, ref.snapshot.providers) };
}

/** Checks, before anything is undone, what undo will need (the Calendly signing key to re-create subscriptions). */
export function checkUndoPrerequisites(journal: RollbackJournal, env: Env): void {
  const hooks = stepOf(journal, "disable-webhooks");
  if (hooks.status === "pending" || typeof hooks.detail.snapshot !== "string") return;
  let snapshotHasCalendly = false;
  try {
    snapshotHasCalendly = readSnapshotFile(hooks.detail.snapshot).calendly.length > 0;
  } catch (err) {
    if (err instanceof ConfigError && err.code === "SNAPSHOT_NOT_FOUND") return;
    throw err;
  }
  if (snapshotHasCalendly && !env.CALENDLY_WEBHOOK_SIGNING_KEY?.trim()) throw missingSigningKey();
}

export async function countHeld(db: Pick<Database, "prisma">): Promise<number> {
  return db.prisma.webhookEvent.count({ where: { outcome: "HELD" } });
}

async function releaseHeld(deps: RollbackDeps): Promise<{ released: number; outcomes: Record<string, number> }> {
  const { createWebhookIntake, releaseHeldEvents } = await import("../core/webhook-intake.js");
  const hours = z.coerce.number().min(0).default(24).safeParse(deps.env.BOOKFLOW_REFUND_WINDOW_HOURS?.trim() || undefined);
  let payments;
  if (deps.webhooks.stripe) payments = (await import("../providers/stripe-payments.js")).createStripePayments(deps.webhooks.stripe);
  const intake = createWebhookIntake({
    prisma: deps.db.prisma,
    sql: deps.db.sql,
    policy: { refundWindowHours: hours.success ? hours.data : 24 },
    ...(payments ? { payments } : {}),
  });
  const { released, results } = await releaseHeldEvents(intake);
  const outcomes: Record<string, number> = {};
  for (const r of results) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
  return { released, outcomes };
}

/**
 * Reverses what the rollback did, in this order: the deployment that was live
 * is promoted back, the webhooks are restored from the snapshot, manual
 * processing is switched off (if the rollback switched it on), and the HELD
 * events are released (asked, or --release-held). Safe to run again.
 */
export async function runUndo(start: RollbackJournal, deps: UndoDeps): Promise<UndoResult> {
  const dir = rollbacksDir(deps.dataDir);
  let journal: RollbackJournal = { ...start, status: "undoing", undo: start.undo ?? newUndo(deps.clock.now()) };
  writeJournal(dir, journal);
  const target = `rollback:${journal.id}`;
  const notReversed: string[] = [];
  let heldLeft = 0;
  const items = planUndo(journal, { releaseHeld: deps.releaseHeld });

  const finish = async (patch: Partial<UndoResult>): Promise<UndoResult> => ({ journal, declined: null, failed: null, notReversed, irreversible: irreversible(journal), heldLeft, ...patch });

  for (const item of items) {
    const record = journal.undo!.steps.find((s) => s.name === item.name)!;
    if (record.status === "done") continue;
    const now = () => deps.clock.now().toISOString();
    if (!item.applies) {
      journal = withUndoStep(journal, item.name, { status: "skipped", finishedAt: now(), detail: { reason: "nothing of this was done by the rollback" } });
      writeJournal(dir, journal);
      if (item.name === "manual-processing" && stepOf(journal, "manual-processing").detail.previous === true) notReversed.push("Manual processing stays on: it was already on before the rollback.");
      continue;
    }
    const title = `Undo: ${item.description}`;
    try {
      const outcome = await undoStep(journal, item.name, title, deps);
      if (outcome === "declined") {
        writeJournal(dir, journal);
        return finish({ declined: item.name });
      }
      if (outcome.kind === "left") {
        journal = withUndoStep(journal, item.name, { status: "skipped", startedAt: record.startedAt ?? now(), finishedAt: now(), detail: outcome.detail, error: null });
        writeJournal(dir, journal);
        if (outcome.note) notReversed.push(outcome.note);
        if (typeof outcome.detail.held === "number") heldLeft = outcome.detail.held;
        continue;
      }
      journal = withUndoStep(journal, item.name, { status: "done", startedAt: record.startedAt ?? now(), finishedAt: now(), detail: outcome.detail, error: null });
      writeJournal(dir, journal);
      await recordAudit(deps.db.prisma, { actor: deps.actor, action: `rollback.undo.${item.name}`, target, reason: journal.reason, after: outcome.detail });
    } catch (err) {
      const message = redactWith(deps, messageOf(err));
      journal = { ...withUndoStep(journal, item.name, { status: "failed", finishedAt: now(), error: message.slice(0, 2000) }), status: "undo-failed" };
      writeJournal(dir, journal);
      await recordAudit(deps.db.prisma, { actor: deps.actor, action: `rollback.undo.${item.name}.failed`, target, reason: journal.reason, after: { error: message.slice(0, 2000) } }).catch(() => undefined);
      return finish({ failed: { step: item.name, message, error: err } });
    }
  }
  journal = { ...journal, status: "undone", undo: { ...journal.undo!, finishedAt: deps.clock.now().toISOString() } };
  writeJournal(dir, journal);
  await recordAudit(deps.db.prisma, { actor: deps.actor, action: "rollback.undone", target, reason: journal.reason, after: { steps: journal.undo!.steps.map((s) => ({ name: s.name, status: s.status })) } });
  return finish({});
}

type UndoOutcome = "declined" | { kind: "done"; detail: Record<string, unknown> } | { kind: "left"; detail: Record<string, unknown>; note?: string };

async function undoStep(journal: RollbackJournal, name: UndoStepName, title: string, deps: UndoDeps): Promise<UndoOutcome> {
  switch (name) {
    case "promote": {
      const current = await deps.vercel.client.currentProduction(journal.projectId);
      if (current?.uid === journal.bad.uid) return { kind: "done", detail: { alreadyLive: true, live: journal.bad.uid } };
      if (current?.uid !== journal.previous.uid)
        throw new BookflowError(
          "ROLLBACK_CONFLICT",
          `Production is now ${current?.uid ?? "nothing"}, not the deployment the rollback put back (${journal.previous.uid}): bookflow will not promote ${journal.bad.uid} over it.`,
          `Promote the deployment you want by hand (vercel promote <id>), then run --undo ${journal.id} again for the other steps.`,
        );
      if (!(await deps.confirmStep({ title, steps: [`Vercel: production ${journal.previous.uid} -> ${journal.bad.uid} (promote)`], json: { undo: name, from: journal.previous, to: journal.bad } }))) return "declined";
      if (journal.useVercelCli) {
        await (deps.vercelCli ?? runVercelCli)(["promote", journal.bad.uid], deps.env);
        const live = await deps.vercel.client.currentProduction(journal.projectId);
        if (live?.uid !== journal.bad.uid) throw new ProviderError("vercel", "vercel promote", `the CLI finished but production is ${live?.uid ?? "nothing"}, not ${journal.bad.uid}`);
      } else {
        await deps.vercel.client.promote(journal.projectId, journal.bad.uid);
      }
      deps.progress(`Vercel: ${journal.bad.uid} serves production again`);
      return { kind: "done", detail: { live: journal.bad.uid, via: journal.useVercelCli ? "vercel-cli" : "api" } };
    }
    case "disable-webhooks": {
      const prepared = await prepareRestore(journal, deps);
      if (!prepared) return { kind: "done", detail: { restored: 0, note: "the snapshot was never written: nothing had been disabled" } };
      const { ref, plan } = prepared;
      if (plan.blocked.length)
        throw new BookflowError("RESTORE_BLOCKED", `Restore cannot finish: ${plan.blocked.map((b) => `${b.provider} ${b.id}: ${b.reason}`).join("; ")}.`, `Fix that, then run --undo ${journal.id} again.`);
      if (plan.actions.length > 0 && !(await deps.confirmStep({ title, steps: plan.actions.map(describeRestoreAction), json: { undo: name, snapshot: ref.path, actions: plan.actions, notes: plan.notes } }))) return "declined";
      const outcome = await applyRestore(plan, ref, {
        providers: deps.webhooks,
        prisma: deps.db.prisma,
        actor: deps.actor,
        clock: deps.clock,
        reason: `rollback ${journal.id} undo`,
        progress: deps.progress,
        calendlySigningKey: deps.env.CALENDLY_WEBHOOK_SIGNING_KEY,
      });
      if (outcome.failed) throw outcome.failed.error instanceof Error ? outcome.failed.error : new Error(outcome.failed.message);
      return { kind: "done", detail: { snapshot: ref.path, restored: outcome.done.map((d) => ({ kind: d.action.kind, id: d.id })), notes: plan.notes } };
    }
    case "manual-processing": {
      const { isManualProcessing, setManualProcessing } = await import("../core/webhook-intake.js");
      if (!(await isManualProcessing(deps.db.prisma))) return { kind: "done", detail: { alreadyOff: true } };
      if (!(await deps.confirmStep({ title, steps: ["App setting manualProcessing: on -> off"], json: { undo: name } }))) return "declined";
      await setManualProcessing(deps.db.prisma, false, deps.actor, `rollback ${journal.id} undo`);
      deps.progress("Manual processing is off: webhooks are applied as they arrive");
      return { kind: "done", detail: { on: false } };
    }
    case "release-held": {
      const held = await countHeld(deps.db);
      if (held === 0) return { kind: "done", detail: { released: 0 } };
      const go = deps.releaseHeld || (deps.askRelease ? await deps.askRelease(held) : false);
      if (!go)
        return {
          kind: "left",
          detail: { held },
          note: `${held} webhook event${held === 1 ? " is" : "s are"} still HELD (recorded while manual processing was on): release ${held === 1 ? "it" : "them"} with \`bookflow rollback --undo ${journal.id} --release-held\`.`,
        };
      const { released, outcomes } = await releaseHeld(deps);
      deps.progress(`Released ${released} held webhook event${released === 1 ? "" : "s"} (${Object.entries(outcomes).map(([k, v]) => `${v} ${k}`).join(", ") || "none"})`);
      return { kind: "done", detail: { released, outcomes } };
    }
  }
}

// ---------------------------------------------------------------- plan view facts

export interface RollbackLook {
  /** What step 2 would do now (one line each). */
  webhookActions: string[];
  /** Whether manual processing is on now. */
  manualNow: boolean;
  /** Bookings updated since the bad deployment, now. */
  bookingsNow: number;
}

/** Reads (never changes) what the plan view shows: the webhook actions, the setting, the count of bookings. */
export async function lookAtRollback(journal: RollbackJournal, deps: Pick<RollbackDeps, "dataDir" | "clock" | "webhooks" | "urls" | "db">): Promise<RollbackLook> {
  const { isManualProcessing } = await import("../core/webhook-intake.js");
  const hooks = stepOf(journal, "disable-webhooks");
  const webhookActions = hooks.status === "done" ? [] : (await prepareWebhookDisable(journal, deps)).plan.actions.map(describeDisableAction);
  const [manualNow, bookingsNow] = await Promise.all([isManualProcessing(deps.db.prisma), deps.db.prisma.booking.count({ where: { updatedAt: { gte: new Date(journal.since) } } })]);
  return { webhookActions, manualNow, bookingsNow };
}
