/**
 * `bookflow rollback`: the release checklist's rollback plan as data. Pure:
 * the journal format (versioned, zod), choosing the deployment to go back to,
 * the four steps and their descriptions, what `--undo` reverses and what it
 * cannot. The side effects live in src/ops/rollback.ts.
 *
 *   1. promote   Vercel: production goes back to the previous READY production deployment
 *   2. disable-webhooks   Stripe endpoints disabled in place, Calendly subscriptions saved and deleted
 *   3. manual-processing  the app records webhooks as HELD and applies nothing
 *   4. affected-bookings  bookings updated since the bad deployment went live (a read)
 *
 * A rollback has an id (`rb-YYYYMMDD-HHMMSS-xxxx`); its journal records each
 * step's status and what it needs to be undone (the deployment that was live,
 * the webhook snapshot, the manual-processing setting before).
 */
import { z } from "zod";
import { WEBHOOK_PROVIDER_IDS, type WebhookProviderId } from "../config/webhook-provider-ids.js";

export const ROLLBACK_FORMAT = "bookflow.rollback";
export const ROLLBACK_VERSION = 1;

export const ROLLBACK_STEPS = ["promote", "disable-webhooks", "manual-processing", "affected-bookings"] as const;
export type RollbackStepName = (typeof ROLLBACK_STEPS)[number];

/** Undo, in this order: traffic back first, then deliveries, then processing (and the held events). */
export const UNDO_STEPS = ["promote", "disable-webhooks", "manual-processing", "release-held"] as const;
export type UndoStepName = (typeof UNDO_STEPS)[number];

export const ROLLBACK_ID_PATTERN = /^rb-\d{8}-\d{6}-[0-9a-f]{4}$/;

const isoDate = z.string().refine((v) => !Number.isNaN(Date.parse(v)), { message: "must be an ISO date" });

export const deploymentRefSchema = z.object({
  uid: z.string().min(1),
  url: z.string().nullable(),
  /** Milliseconds since the epoch. */
  createdAt: z.number(),
  commitSha: z.string().nullable(),
});
export type DeploymentRef = z.infer<typeof deploymentRefSchema>;

export const stepStatusSchema = z.enum(["pending", "running", "done", "failed", "skipped"]);
export type StepStatus = z.infer<typeof stepStatusSchema>;

const stepRecordSchema = <N extends z.ZodType<string>>(name: N) =>
  z.object({
    name,
    status: stepStatusSchema,
    startedAt: isoDate.nullable(),
    finishedAt: isoDate.nullable(),
    /** What the step found and did (and what undo needs). */
    detail: z.record(z.string(), z.unknown()),
    error: z.string().nullable(),
  });

export const rollbackJournalSchema = z.object({
  format: z.literal(ROLLBACK_FORMAT),
  version: z.literal(ROLLBACK_VERSION),
  id: z.string().regex(ROLLBACK_ID_PATTERN),
  createdAt: isoDate,
  actor: z.string().min(1),
  reason: z.string().nullable(),
  projectId: z.string().min(1),
  useVercelCli: z.boolean(),
  providers: z.array(z.enum(WEBHOOK_PROVIDER_IDS)).min(1),
  /** The production deployment when the rollback started (the one being rolled back). */
  bad: deploymentRefSchema,
  /** The READY production deployment production goes back to. */
  previous: deploymentRefSchema,
  /** Bookings updated at or after this moment are listed as affected (the bad deployment's creation). */
  since: isoDate,
  status: z.enum(["in-progress", "failed", "completed", "undoing", "undo-failed", "undone"]),
  steps: z.array(stepRecordSchema(z.enum(ROLLBACK_STEPS))).length(ROLLBACK_STEPS.length),
  /** `--notify`: step 4 emails each affected invitee a notice (bookflow's text, or this SendGrid template). Absent: no notices. */
  notify: z.object({ templateId: z.string().nullable() }).nullable().optional(),
  undo: z
    .object({
      startedAt: isoDate,
      finishedAt: isoDate.nullable(),
      steps: z.array(stepRecordSchema(z.enum(UNDO_STEPS))).length(UNDO_STEPS.length),
    })
    .nullable(),
});

export type RollbackJournal = z.infer<typeof rollbackJournalSchema>;
export type RollbackStepRecord = RollbackJournal["steps"][number];
export type UndoStepRecord = NonNullable<RollbackJournal["undo"]>["steps"][number];

export interface DeploymentLike {
  uid: string;
  url: string | null;
  state: string | null;
  target: string | null;
  createdAt: number;
  commitSha: string | null;
}

export function deploymentRef(d: DeploymentLike): DeploymentRef {
  return { uid: d.uid, url: d.url, createdAt: d.createdAt, commitSha: d.commitSha };
}

/** The newest READY production deployment older than the current one (what Vercel's instant rollback goes back to). */
export function choosePrevious(current: DeploymentLike, deployments: readonly DeploymentLike[]): DeploymentLike | null {
  return (
    deployments
      .filter((d) => d.uid !== current.uid && d.state === "READY" && d.target === "production" && d.createdAt < current.createdAt)
      .sort((a, b) => b.createdAt - a.createdAt)[0] ?? null
  );
}

/** A journal id: `<prefix>-20250601-123005-3fa9`, the UTC start time and four random hex digits (rollbacks `rb`, releases `rel`). */
export function journalId(prefix: string, at: Date, randomHex: string): string {
  const iso = at.toISOString();
  return `${prefix}-${iso.slice(0, 10).replace(/-/g, "")}-${iso.slice(11, 19).replace(/:/g, "")}-${randomHex.slice(0, 4).toLowerCase().padEnd(4, "0")}`;
}

/** `rb-20250601-123005-3fa9`. */
export function newRollbackId(at: Date, randomHex: string): string {
  return journalId("rb", at, randomHex);
}

export function newJournal(input: {
  id: string;
  at: Date;
  actor: string;
  reason: string | null;
  projectId: string;
  useVercelCli: boolean;
  providers: readonly WebhookProviderId[];
  bad: DeploymentRef;
  previous: DeploymentRef;
}): RollbackJournal {
  return {
    format: ROLLBACK_FORMAT,
    version: ROLLBACK_VERSION,
    id: input.id,
    createdAt: input.at.toISOString(),
    actor: input.actor,
    reason: input.reason,
    projectId: input.projectId,
    useVercelCli: input.useVercelCli,
    providers: [...input.providers],
    bad: input.bad,
    previous: input.previous,
    since: new Date(input.bad.createdAt).toISOString(),
    status: "in-progress",
    steps: ROLLBACK_STEPS.map((name) => ({ name, status: "pending" as const, startedAt: null, finishedAt: null, detail: {}, error: null })),
    undo: null,
  };
}

export function stepOf(journal: RollbackJournal, name: RollbackStepName): RollbackStepRecord {
  return journal.steps.find((s) => s.name === name)!;
}

/** A copy of the journal with one step changed. */
export function withStep(journal: RollbackJournal, name: RollbackStepName, patch: Partial<Omit<RollbackStepRecord, "name">>): RollbackJournal {
  return { ...journal, steps: journal.steps.map((s) => (s.name === name ? { ...s, ...patch, detail: { ...s.detail, ...(patch.detail ?? {}) } } : s)) };
}

export function withUndoStep(journal: RollbackJournal, name: UndoStepName, patch: Partial<Omit<UndoStepRecord, "name">>): RollbackJournal {
  const undo = journal.undo ?? newUndo(new Date());
  return { ...journal, undo: { ...undo, steps: undo.steps.map((s) => (s.name === name ? { ...s, ...patch, detail: { ...s.detail, ...(patch.detail ?? {}) } } : s)) } };
}

export function newUndo(at: Date): NonNullable<RollbackJournal["undo"]> {
  return { startedAt: at.toISOString(), finishedAt: null, steps: UNDO_STEPS.map((name) => ({ name, status: "pending" as const, startedAt: null, finishedAt: null, detail: {}, error: null })) };
}

/** Steps still to do, in order (a step left "running" by an interruption is done again: each checks the state first). */
export function remainingSteps(journal: RollbackJournal): RollbackStepName[] {
  return journal.steps.filter((s) => s.status !== "done" && s.status !== "skipped").map((s) => s.name);
}

export function doneSteps(journal: RollbackJournal): RollbackStepName[] {
  return journal.steps.filter((s) => s.status === "done").map((s) => s.name);
}

export const STEP_TITLES: Record<RollbackStepName, string> = {
  promote: "Put the previous production deployment back on Vercel",
  "disable-webhooks": "Disable webhooks",
  "manual-processing": "Switch on manual booking processing",
  "affected-bookings": "List the bookings touched since the bad deployment went live",
};

function shortDeployment(d: DeploymentRef): string {
  const parts = [d.url, new Date(d.createdAt).toISOString(), d.commitSha ? `commit ${d.commitSha.slice(0, 7)}` : null].filter(Boolean);
  return `${d.uid} (${parts.join(", ")})`;
}

/** One line per step: what it will do. `extra` adds what is only known by looking (webhook actions, counts). */
export function describeStep(journal: RollbackJournal, name: RollbackStepName, extra: { webhookActions?: string[]; manualNow?: boolean; bookingsNow?: number } = {}): string {
  switch (name) {
    case "promote":
      return `${STEP_TITLES.promote}: production goes from ${shortDeployment(journal.bad)} back to ${shortDeployment(journal.previous)}${journal.useVercelCli ? " with `vercel rollback`" : " (Vercel instant rollback)"}`;
    case "disable-webhooks": {
      const actions = extra.webhookActions;
      const what = actions === undefined ? `${journal.providers.join(" and ")} registrations on the configured URLs` : actions.length === 0 ? "nothing is registered and enabled on the configured URLs" : actions.join("; ");
      return `${STEP_TITLES["disable-webhooks"]} (${journal.providers.join(", ")}), after saving a snapshot: ${what}`;
    }
    case "manual-processing":
      return `${STEP_TITLES["manual-processing"]}${extra.manualNow === undefined ? "" : extra.manualNow ? " (already on: left on)" : " (now off)"}: webhooks that still arrive are recorded as HELD and not applied`;
    case "affected-bookings":
      return `${STEP_TITLES["affected-bookings"]} (updated since ${journal.since}${extra.bookingsNow === undefined ? "" : `; ${extra.bookingsNow} now`}), ${journal.notify ? `and email each invitee a notice (${journal.notify.templateId ? `SendGrid template ${journal.notify.templateId}` : "bookflow's own text"}; once per booking and rollback)` : "for the message to affected users"}`;
  }
}

// ---------------------------------------------------------------- undo

export interface UndoItem {
  name: UndoStepName;
  /** Whether there is something to reverse (the rollback step was started and left something to undo). */
  applies: boolean;
  description: string;
}

function started(s: RollbackStepRecord | undefined): boolean {
  return !!s && s.status !== "pending";
}

/** What `--undo` reverses, from what the rollback did. */
export function planUndo(journal: RollbackJournal, options: { releaseHeld?: boolean } = {}): UndoItem[] {
  const promote = stepOf(journal, "promote");
  const hooks = stepOf(journal, "disable-webhooks");
  const manual = stepOf(journal, "manual-processing");
  const manualWasOn = manual.detail.previous === true;
  const snapshot = typeof hooks.detail.snapshot === "string" ? hooks.detail.snapshot : null;
  return [
    {
      name: "promote",
      applies: started(promote),
      description: `Promote ${shortDeployment(journal.bad)} back to production${journal.useVercelCli ? " with `vercel promote`" : ""} (it was live before the rollback)`,
    },
    {
      name: "disable-webhooks",
      applies: started(hooks) && snapshot !== null,
      description: `Restore the webhooks from snapshot ${snapshot ?? "(none was written)"}: re-enable the Stripe endpoints, re-create the Calendly subscriptions`,
    },
    {
      name: "manual-processing",
      applies: started(manual) && !manualWasOn,
      description: manualWasOn ? "Leave manual processing on (it was on before the rollback)" : "Switch manual processing off: webhooks are applied again as they arrive",
    },
    {
      name: "release-held",
      applies: started(manual) && !manualWasOn,
      description: options.releaseHeld ? "Release the HELD webhook events (applied oldest first)" : "Offer to release the HELD webhook events (--release-held releases them without asking)",
    },
  ];
}

/** What no undo can reverse, said plainly. */
export function irreversible(journal: RollbackJournal): string[] {
  const out: string[] = [];
  const hooks = stepOf(journal, "disable-webhooks");
  if (started(hooks)) {
    if (journal.providers.includes("calendly"))
      out.push("Calendly does not redeliver events to a deleted subscription: bookings made or cancelled while the webhooks were off reach the app only through a reconciliation with Calendly (e.g. `bookflow bookings reconcile`).");
    if (journal.providers.includes("stripe"))
      out.push("Stripe does not send events to a disabled endpoint: payments completed meanwhile must be reconciled, or their events resent from the Stripe dashboard.");
  }
  if (started(stepOf(journal, "affected-bookings")))
    out.push(journal.notify ? "The notices emailed to affected invitees cannot be taken back (`bookings show <id>` lists each one)." : "The affected-bookings list was a read: there is nothing to undo, and messages already sent to users cannot be taken back.");
  return out;
}

// ---------------------------------------------------------------- affected bookings

export interface AffectedBooking {
  id: string;
  inviteeEmail: string;
  inviteeName: string | null;
  status: string;
  paymentStatus: string;
  amountCents: number;
  currency: string;
  startTime: string;
  updatedAt: string;
  sessionType: string | null;
  calendlyEventUri: string | null;
}

export const AFFECTED_CSV_COLUMNS: readonly (keyof AffectedBooking)[] = [
  "id",
  "inviteeEmail",
  "inviteeName",
  "status",
  "paymentStatus",
  "amountCents",
  "currency",
  "startTime",
  "updatedAt",
  "sessionType",
  "calendlyEventUri",
];

/** RFC 4180 CSV with a header row; cells that a spreadsheet would run as a formula are prefixed with '. */
export function bookingsCsv(rows: readonly AffectedBooking[]): string {
  const cell = (v: unknown) => {
    let s = v === null || v === undefined ? "" : String(v);
    if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [AFFECTED_CSV_COLUMNS.join(","), ...rows.map((r) => AFFECTED_CSV_COLUMNS.map((c) => cell(r[c])).join(","))].join("\n") + "\n";
}
