import { DISAGREEMENT_KINDS } from "../../src/core/reconcile.js";
import type { RepairResult } from "../../src/core/reconcile-repairs.js";
import type { ReconcileReport, ScanProgress } from "../../src/ops/bookings-reconcile.js";
import type { ProgressLine } from "./progress.js";

/** How `bookflow bookings reconcile` prints its report, each repair and the --fix summary for a person. */

function n(x: number): string {
  return x.toLocaleString("en-US");
}

export function formatReport(r: ReconcileReport): string {
  const s = r.stats;
  const lines: string[] = [];
  lines.push(`bookings reconcile: bookings starting from ${r.window.since} ${r.window.until ? `until ${r.window.until}` : "on (no end)"}`);
  lines.push(
    `read: ${n(s.calendly.events)} Calendly events (${s.calendly.scope} scope${s.calendly.otherEventTypes ? `; ${n(s.calendly.otherEventTypes)} of other event types skipped` : ""}), ` +
      `${n(s.stripe.paymentIntents)} Stripe payment intents and ${n(s.stripe.refunds)} refunds (created since ${r.stripeCreatedFrom.slice(0, 10)}), ` +
      `${n(s.database.pendingScanned)} pending bookings`,
  );
  if (s.stripe.rateLimitedRetries) lines.push(`rate limits: waited out ${s.stripe.rateLimitedRetries} Stripe 429(s)`);
  if (s.stripe.unmatched) lines.push(`note: ${n(s.stripe.unmatched)} succeeded Stripe payment(s)/refund(s) name no booking in the database (e.g. ${s.stripe.unmatchedSample.slice(0, 3).join(", ")})`);
  if (r.total === 0) {
    lines.push("", "No disagreements: the database, Calendly and Stripe agree for this window.");
    return `${lines.join("\n")}\n`;
  }
  lines.push("", `${r.total} disagreement(s): ${DISAGREEMENT_KINDS.map((k) => `${k} ${r.counts[k]}`).join(", ")}`);
  for (const kind of DISAGREEMENT_KINDS) {
    const list = r.disagreements.filter((d) => d.kind === kind);
    if (!list.length) continue;
    lines.push("", `${kind} (${list.length})`);
    for (const d of list) {
      const ids = [
        d.bookingId ? `booking ${d.bookingId}` : null,
        d.database ? `${d.database.status}/${d.database.paymentStatus}` : null,
        !d.bookingId && d.calendlyInviteeUri ? `invitee ${d.calendlyInviteeUri}` : null,
        !d.bookingId && !d.calendlyInviteeUri && d.calendlyEventUri ? `event ${d.calendlyEventUri}` : null,
        d.inviteeEmail,
        d.stripePaymentIntentId,
        ...d.stripeRefundIds,
        `starts ${d.startTime}`,
      ].filter(Boolean);
      lines.push(`  - ${ids.join("  ")}`);
      lines.push(`    ${d.provider}`);
      lines.push(`    do: ${d.suggestedAction}${d.fixable ? "" : ` (not repaired by --fix: ${d.notFixableReason})`}`);
    }
  }
  if (!r.fix) lines.push("", `${r.fixable} of ${r.total} can be repaired with --fix (see the plan with --fix --dry-run).`);
  return `${lines.join("\n")}\n`;
}

export function formatRepair(r: RepairResult): string {
  const what = r.bookingId ? `booking ${r.bookingId}` : (r.calendlyInviteeUri ?? "?");
  return `  ${r.outcome.padEnd(9)} ${r.kind}: ${what}: ${r.message}\n`;
}

export function formatFixSummary(r: ReconcileReport): string {
  const f = r.fix!;
  const left = r.total - f.repaired - f.unchanged;
  return `\nRepaired ${f.repaired} of ${f.planned} (${f.unchanged} already in place, ${f.failed} failed); ${left === 0 ? "nothing left to do." : `${left} disagreement(s) remain (run reconcile again to see them).`}\n`;
}

/**
 * The scan's progress on a progress line: while Calendly and Stripe are read, the window's bookings checked
 * against Calendly out of those in the database (so a percentage and an ETA) with each source's pages; then the
 * pending bookings scanned (no total: counts only).
 */
export function reconcileProgressView(line: ProgressLine): (p: ScanProgress) => void {
  let phase: ScanProgress["phase"] | null = null;
  return (p) => {
    if (p.phase !== phase) {
      phase = p.phase;
      line.stage(p.phase === "providers" ? "reconcile: reading Calendly and Stripe" : "reconcile: checking pending bookings");
    }
    const s = p.stats;
    if (p.phase === "providers") {
      line.update({
        done: p.bookingsChecked,
        total: p.bookingsInWindow,
        unit: "bookings",
        detail: `Calendly ${n(s.calendly.pages)} pages (${n(s.calendly.events)} events) · Stripe ${n(s.stripe.pages)} pages (${n(s.stripe.paymentIntents)} payments, ${n(s.stripe.refunds)} refunds)`,
      });
    } else {
      line.update({ done: s.database.pendingScanned, unit: "pending bookings scanned", detail: `${n(s.database.pages)} pages` });
    }
  };
}
