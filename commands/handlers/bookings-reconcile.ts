import { z } from "zod";
import { withDatabase } from "../support/database.js";
import { confirmPlanHeld, isInteractive, type ConfirmDecision, type PlanView } from "../support/confirm.js";
import type { Context } from "../../src/context.js";
import { resolveActor } from "../../src/config/actor.js";
import { describeIssues } from "../../src/config/validation.js";
import {
  DISAGREEMENT_KINDS,
  describeRepair,
  finalizeFindings,
  planRepairs,
  reconcileExitCode,
  type Disagreement,
  type KindCounts,
  type ReconcileWindow,
} from "../../src/core/reconcile.js";
import type { RepairResult } from "../../src/core/reconcile-repairs.js";
import type { ScanStats } from "../../src/ops/reconcile-sources.js";
import type { Sleep } from "../../src/providers/stripe-retry.js";
import { UsageError } from "../../src/errors.js";
import { parseDateFlag as parseWhen, parseDurationFlag } from "../support/flags.js";

/**
 * `bookflow bookings reconcile --since <date> [--until <date>] [--fix]`:
 * streams the window's bookings from the database, scheduled events from
 * Calendly and payments and refunds from Stripe, and reports every
 * disagreement by kind (src/core/reconcile.ts); `--fix` applies the safe
 * repairs through the core, each audited, behind the confirmation gate.
 *
 * Exit codes: 0 the sources agree, or --fix repaired every disagreement;
 * 1 disagreements remain (also with --dry-run), or a provider failed;
 * 2 bad input or configuration, or --fix needed a confirmation without a terminal and without --yes.
 */

export interface BookingsReconcileDeps {
  ctx: Context;
  /** Whether a person can answer the confirmation (default: stdin and stdout are terminals and CI is unset). */
  interactive?: boolean;
  ask?: (question: string) => Promise<boolean>;
  /** How provider back-off waits are slept (tests record the Retry-After waits instead). */
  sleep?: Sleep;
}

const optionsSchema = z.object({
  since: z.string().optional(),
  until: z.string().optional(),
  stuckAfter: z.string().default("30m"),
  stripeLookback: z.string().default("90d"),
  pageSize: z.union([z.string(), z.number()]).default(100),
  fix: z.boolean().default(false),
  dryRun: z.boolean().default(false),
  yes: z.boolean().default(false),
  json: z.boolean().default(false),
  actor: z.string().optional(),
});

export type BookingsReconcileOptions = z.input<typeof optionsSchema>;

export const DEFAULT_STUCK_AFTER = "30m";
export const DEFAULT_STRIPE_LOOKBACK = "90d";
export const MAX_PAGE_SIZE = 100;

const DAY_MS = 86_400_000;

/** --since / --until: `YYYY-MM-DD` (midnight UTC), or a date and time with its zone; a time without a zone is refused rather than guessed. */
export function parseDateFlag(text: string, flag: string): Date {
  return parseWhen(text, flag, { zoneless: "refuse" });
}

export interface ReconcileSettings {
  window: ReconcileWindow;
  stuckAfterMs: number;
  stripeLookbackMs: number;
  pageSize: number;
  fix: boolean;
  dryRun: boolean;
  yes: boolean;
  json: boolean;
  actor: string | null;
}

/** Checks every flag (UsageError, exit 2) before anything is read. */
export function readSettings(raw: BookingsReconcileOptions, env: Record<string, string | undefined>): ReconcileSettings {
  const parsed = optionsSchema.safeParse(raw);
  if (!parsed.success) {
    throw new UsageError(`Invalid options for bookings reconcile:\n  - ${describeIssues(parsed.error.issues).join("\n  - ")}`, "See `bookflow bookings reconcile --help`.", "BAD_OPTION");
  }
  const o = parsed.data;
  if (o.since === undefined || !o.since.trim()) {
    throw new UsageError("bookings reconcile needs --since: the start of the window (bookings starting from then).", "Add --since 2026-03-01 (and --until for an end; without it, every later booking).", "BAD_OPTION");
  }
  const since = parseDateFlag(o.since, "--since");
  const until = o.until === undefined ? null : parseDateFlag(o.until, "--until");
  if (until && until.getTime() <= since.getTime()) {
    throw new UsageError(
      `--until ${until.toISOString()} is not after --since ${since.toISOString()}: the window is empty.`,
      "Give an --until later than --since (the window is [since, until)), or leave --until out for no end.",
      "BAD_WINDOW",
    );
  }
  const pageSize = typeof o.pageSize === "number" ? o.pageSize : /^\s*\d+\s*$/.test(o.pageSize) ? Number(o.pageSize) : NaN;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
    throw new UsageError(`--page-size ${JSON.stringify(String(o.pageSize))} is not a whole number from 1 to ${MAX_PAGE_SIZE}.`, `Give --page-size 1…${MAX_PAGE_SIZE} (Calendly and Stripe list at most ${MAX_PAGE_SIZE} per page).`, "BAD_OPTION");
  }
  const stuckAfterMs = parseDurationFlag(o.stuckAfter, "--stuck-after", { minMs: 1000, maxMs: 365 * DAY_MS, hint: "Give a number and a unit: s, m, h or d (e.g. --stuck-after 30m)." });
  const stripeLookbackMs = parseDurationFlag(o.stripeLookback, "--stripe-lookback", { minMs: 0, maxMs: 3 * 365 * DAY_MS, hint: "Give a number and a unit: s, m, h or d (e.g. --stripe-lookback 90d)." });
  const conflict = (a: string, b: string, why: string) => new UsageError(`${a} and ${b} cannot be used together: ${why}.`, "Drop one of them.", "CONFLICTING_OPTIONS");
  if (o.yes && o.dryRun) throw conflict("--yes", "--dry-run", "--dry-run changes nothing, --yes applies");
  if (!o.fix && (o.yes || o.dryRun)) {
    throw new UsageError(`${o.yes ? "--yes" : "--dry-run"} only applies with --fix: without --fix reconcile changes nothing.`, `Add --fix to repair (\`--fix --${o.yes ? "yes" : "dry-run"}\`), or drop ${o.yes ? "--yes" : "--dry-run"}.`, "CONFLICTING_OPTIONS");
  }
  // The operator is checked before anything is read: an unusable identity fails at once.
  const actor = o.fix ? resolveActor(o.actor, env) : o.actor !== undefined ? resolveActor(o.actor, env) : null;
  return { window: { since, until }, stuckAfterMs, stripeLookbackMs, pageSize, fix: o.fix, dryRun: o.dryRun, yes: o.yes, json: o.json, actor };
}

export interface FixReport {
  /** apply, dry-run, nothing-to-do; "pending" in the plan printed when a confirmation is needed. */
  decision: ConfirmDecision | "pending";
  planned: number;
  repaired: number;
  unchanged: number;
  failed: number;
  results: RepairResult[];
}

/** The `--json` output. Field names are stable (docs/reconcile.md). */
export interface ReconcileReport {
  window: { basis: "start_time"; since: string; until: string | null };
  stuckAfterMs: number;
  stripeCreatedFrom: string;
  counts: KindCounts;
  total: number;
  fixable: number;
  disagreements: Disagreement[];
  fix: FixReport | null;
  /** clean: the sources agree; disagreements: some remain; repaired: --fix resolved them all. */
  outcome: "clean" | "disagreements" | "repaired";
  exitCode: 0 | 1;
  stats: ScanStats & { durationMs: number; peakRssMb: number };
}


export async function bookingsReconcile(rawOptions: BookingsReconcileOptions, deps: BookingsReconcileDeps): Promise<number> {
  const { ctx } = deps;
  const started = performance.now();
  try {
    const settings = readSettings(rawOptions, ctx.env);
    const sleep = deps.sleep;
    const [{ calendlyForReconcile, scanForDisagreements, linkedEventTypes }, { defaultSleep }] = await Promise.all([import("../../src/ops/reconcile-sources.js"), import("../../src/providers/stripe-retry.js")]);
    const { stripeFromEnv } = await import("../../src/providers/from-env.js");
    // Configuration first (exit 2 before any provider is called).
    const calendly = await calendlyForReconcile(ctx.env, sleep ? { sleep } : {});
    const stripe = await stripeFromEnv(ctx.env, { timeoutMs: 30_000 });
    const db = await withDatabase("read the bookings", async () => {
      const d = await ctx.db();
      await linkedEventTypes(d.sql);
      return d;
    });

    const now = ctx.clock.now();
    const stripeCreatedFrom = Math.floor((settings.window.since.getTime() - settings.stripeLookbackMs) / 1000);
    const scan = await scanForDisagreements(
      { sql: db.sql, calendly, stripe, sleep: sleep ?? defaultSleep },
      { window: settings.window, now, stuckAfterMs: settings.stuckAfterMs, pageSize: settings.pageSize, stripeCreatedFrom },
    );
    const { disagreements, counts } = finalizeFindings(scan.findings.values());
    const plan = planRepairs(disagreements);

    const report = (fix: FixReport | null): ReconcileReport => {
      const resolved = fix ? fix.repaired + fix.unchanged : null;
      const exitCode = reconcileExitCode(disagreements.length, fix && fix.decision === "apply" ? resolved : null);
      return {
        window: { basis: "start_time", since: settings.window.since.toISOString(), until: settings.window.until?.toISOString() ?? null },
        stuckAfterMs: settings.stuckAfterMs,
        stripeCreatedFrom: new Date(stripeCreatedFrom * 1000).toISOString(),
        counts,
        total: disagreements.length,
        fixable: plan.length,
        disagreements,
        fix,
        outcome: disagreements.length === 0 ? "clean" : exitCode === 0 ? "repaired" : "disagreements",
        exitCode,
        stats: { ...scan.stats, durationMs: Math.round(performance.now() - started), peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) },
      };
    };

    if (!settings.fix) {
      const r = report(null);
      ctx.out(settings.json ? `${JSON.stringify(r, null, 2)}\n` : formatReport(r));
      return r.exitCode;
    }

    // --fix: the report, then the confirmation gate over the repairs.
    if (!settings.json) ctx.out(formatReport(report(null)));
    const planned: FixReport = { decision: plan.length === 0 ? "nothing-to-do" : settings.dryRun ? "dry-run" : "pending", planned: plan.length, repaired: 0, unchanged: 0, failed: 0, results: [] };
    const view: PlanView = {
      title: `Repairs (--fix): ${plan.length} of ${disagreements.length} disagreement(s)${disagreements.length > plan.length ? `; ${disagreements.length - plan.length} reported only` : ""}`,
      steps: plan.map(describeRepair),
      json: report(planned),
    };
    // With --json the gate's output is held back so that stdout carries one JSON document; a person at a terminal
    // sees the plan before answering, though.
    const interactive = deps.interactive ?? isInteractive(ctx.env);
    const { decision, held } = await confirmPlanHeld(view, { yes: settings.yes, dryRun: settings.dryRun, json: settings.json }, {
      out: ctx.out,
      err: ctx.err,
      interactive,
      hold: !!settings.json && !interactive,
      ...(deps.ask ? { ask: deps.ask } : {}),
    });
    if (decision !== "apply") {
      // --dry-run, or nothing --fix may repair: the plan (or the report, as JSON) was the output.
      for (const t of held) ctx.out(t);
      return reconcileExitCode(disagreements.length, null);
    }

    const { applyRepairs } = await import("../../src/ops/reconcile-fix.js");
    const results = await applyRepairs(
      plan,
      { prisma: db.prisma, sql: db.sql, calendly, stripe, actor: settings.actor!, sleep: sleep ?? defaultSleep },
      settings.json ? undefined : (r) => ctx.out(formatRepair(r)),
    );
    const fix: FixReport = {
      decision,
      planned: plan.length,
      repaired: results.filter((r) => r.outcome === "repaired").length,
      unchanged: results.filter((r) => r.outcome === "unchanged").length,
      failed: results.filter((r) => r.outcome === "failed").length,
      results,
    };
    const final = report(fix);
    if (settings.json) ctx.out(`${JSON.stringify(final, null, 2)}\n`);
    else ctx.out(formatFixSummary(final));
    return final.exitCode;
  } finally {
    await ctx.close();
  }
}

// ---------------------------------------------------------------- human output

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

function formatRepair(r: RepairResult): string {
  const what = r.bookingId ? `booking ${r.bookingId}` : (r.calendlyInviteeUri ?? "?");
  return `  ${r.outcome.padEnd(9)} ${r.kind}: ${what}: ${r.message}\n`;
}

function formatFixSummary(r: ReconcileReport): string {
  const f = r.fix!;
  const left = r.total - f.repaired - f.unchanged;
  return `\nRepaired ${f.repaired} of ${f.planned} (${f.unchanged} already in place, ${f.failed} failed); ${left === 0 ? "nothing left to do." : `${left} disagreement(s) remain (run reconcile again to see them).`}\n`;
}
