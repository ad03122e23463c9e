import type { Context } from "../../src/context.js";
import { bookingsCsv, type AffectedBooking, type RollbackJournal } from "../../src/core/rollback-plan.js";
import type { UndoResult } from "../../src/ops/rollback.js";
import type { DrillReport } from "../../src/ops/rollback-drill.js";

/** How `bookflow rollback` prints an outcome: JSON, CSV of the affected bookings, or lines for a person. */

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

export interface OutputFlags {
  json: boolean;
  csv: boolean;
}

export function printRollbackOutcome(ctx: Context, opts: OutputFlags, journal: RollbackJournal, failed: { step: string; message: string } | null, bookings: AffectedBooking[] | null, human: (t: string) => void): void {
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
  const notices = journal.steps.find((s) => s.name === "affected-bookings")?.detail.notices as { recipients: number; sent: number; alreadySent: number; inFlight: number; failed: number } | undefined;
  if (notices)
    human(`Notices to affected invitees: ${notices.sent} sent now, ${notices.alreadySent} already sent before${notices.inFlight ? `, ${notices.inFlight} in flight from a run that stopped (sent again only after their 5-minute lease)` : ""}${notices.failed ? `, ${notices.failed} failed` : ""} (of ${notices.recipients})\n`);
  human(`Undo: bookflow rollback --undo ${journal.id}\n`);
}

export function printUndoOutcome(ctx: Context, opts: OutputFlags, result: UndoResult, human: (t: string) => void): void {
  const j = result.journal;
  if (opts.json) {
    const report = {
      undo: j.id,
      status: j.status,
      steps: j.undo?.steps.map((s) => ({ name: s.name, status: s.status, error: s.error, detail: s.detail })) ?? [],
      failed: result.failed && { step: result.failed.step, message: result.failed.message },
      notReversed: result.notReversed,
      irreversible: result.irreversible,
      heldLeft: result.heldLeft,
    };
    ctx.out(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  for (const n of result.notReversed) human(`  not reversed: ${n}\n`);
  for (const n of result.irreversible) human(`  cannot be undone: ${n}\n`);
  if (!result.failed) human(`Rollback ${j.id} undone: ${j.undo?.steps.map((s) => `${s.name} ${s.status}`).join(", ")}.\n`);
}

/** A drill's report: both runs step by step with their times, production before/after, webhooks, processing. */
export function printDrillReport(ctx: Context, opts: OutputFlags, r: DrillReport, human: (t: string) => void): void {
  if (opts.json) {
    ctx.out(`${JSON.stringify(r, null, 2)}\n`);
    return;
  }
  const steps = (list: DrillReport["rollback"]["steps"]) => list.map((s) => `    ${s.name.padEnd(18)} ${s.status.padEnd(8)} ${s.ms === null ? "" : `${s.ms} ms`}${s.error ? `  ${s.error}` : ""}`).join("\n");
  human(`\nDrill ${r.drill} on ${r.target}: ${r.ok ? "the rollback plan works" : "PROBLEMS"}\n`);
  human(`  rollback: ${r.rollback.status} in ${r.rollback.ms} ms\n${steps(r.rollback.steps)}\n`);
  human(r.undo ? `  undo: ${r.undo.status} in ${r.undo.ms} ms\n${steps(r.undo.steps)}\n` : "  undo: did not run\n");
  human(`  production: before ${r.production.before ?? "none"}, after the rollback ${r.production.afterRollback ?? "none"} (expected ${r.production.expectedAfterRollback}), after the undo ${r.production.afterUndo ?? "none"}\n`);
  human(`  webhooks restored: ${r.webhooksRestored === null ? "nothing was disabled" : r.webhooksRestored ? "yes" : "NO"}; manual processing off: ${r.manualProcessingOff ? "yes" : "NO"}; held events released: ${r.heldReleased}\n`);
  for (const p of r.problems) human(`  problem: ${p}\n`);
  human(`  report: ${r.reportPath}\n`);
}
