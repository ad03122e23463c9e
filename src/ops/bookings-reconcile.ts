import type { Context } from "../context.js";
import type { Database } from "../db/client.js";
import { finalizeFindings, planRepairs, reconcileExitCode, type Disagreement, type KindCounts, type ReconcileWindow } from "../core/reconcile.js";
import type { RepairResult } from "../core/reconcile-repairs.js";
import type { Sleep } from "../providers/stripe-retry.js";
import { withDatabase } from "./database.js";
import type { ScanProgress, ScanStats } from "./reconcile-sources.js";

export type { ScanProgress } from "./reconcile-sources.js";

/**
 * `bookings reconcile` as a use case: `scanReconcile` streams the window's
 * bookings from the database, scheduled events from Calendly and payments and
 * refunds from Stripe, and finds every disagreement by kind
 * (src/core/reconcile.ts) with the safe repairs planned; `applyReconcileRepairs`
 * applies them through the core, each audited. It prints nothing.
 *
 * Its clients are its own, not `ctx.clients`: a large window meets the
 * providers' rate limits, so Calendly gets 8 retries honouring Retry-After
 * and a 20 s timeout, Stripe a 30 s timeout (the shared clients' two retries
 * would give up part way).
 */

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

export interface FixReport {
  /** apply, dry-run, nothing-to-do; "pending" in the plan printed when a confirmation is needed. */
  decision: "apply" | "dry-run" | "nothing-to-do" | "pending";
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

/** What a scan found, the repairs planned, and what applying them needs. */
export interface ReconcileScan {
  disagreements: Disagreement[];
  plan: Disagreement[];
  /** The report of this scan, with the outcome of --fix when there is one. */
  report(fix: FixReport | null): ReconcileReport;
  /** Applies the planned repairs (each audited as `actor`); `onRepair` sees each result as it lands. */
  apply(actor: string, onRepair?: (r: RepairResult) => void): Promise<FixReport>;
}

export async function scanReconcile(ctx: Context, settings: ReconcileSettings, options: { sleep?: Sleep; onProgress?: (progress: ScanProgress) => void } = {}): Promise<ReconcileScan> {
  const started = performance.now();
  const [{ calendlyForReconcile, scanForDisagreements, linkedEventTypes }, { defaultSleep }, { stripeFromEnv }] = await Promise.all([
    import("./reconcile-sources.js"),
    import("../providers/stripe-retry.js"),
    import("../providers/from-env.js"),
  ]);
  const sleep = options.sleep ?? defaultSleep;
  // Configuration first (exit 2 before any provider is called).
  const calendly = await calendlyForReconcile(ctx.env, options.sleep ? { sleep: options.sleep } : {});
  const stripe = await stripeFromEnv(ctx.env, { timeoutMs: 30_000 });
  const db: Database = await withDatabase("read the bookings", async () => {
    const d = await ctx.db();
    await linkedEventTypes(d.sql);
    return d;
  });

  const stripeCreatedFrom = Math.floor((settings.window.since.getTime() - settings.stripeLookbackMs) / 1000);
  const scan = await scanForDisagreements(
    { sql: db.sql, calendly, stripe, sleep },
    { window: settings.window, now: ctx.clock.now(), stuckAfterMs: settings.stuckAfterMs, pageSize: settings.pageSize, stripeCreatedFrom, ...(options.onProgress ? { onProgress: options.onProgress } : {}) },
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

  const apply = async (actor: string, onRepair?: (r: RepairResult) => void): Promise<FixReport> => {
    const { applyRepairs } = await import("./reconcile-fix.js");
    const results = await applyRepairs(plan, { prisma: db.prisma, sql: db.sql, calendly, stripe, actor, sleep }, onRepair);
    return {
      decision: "apply",
      planned: plan.length,
      repaired: results.filter((r) => r.outcome === "repaired").length,
      unchanged: results.filter((r) => r.outcome === "unchanged").length,
      failed: results.filter((r) => r.outcome === "failed").length,
      results,
    };
  };

  return { disagreements, plan, report, apply };
}
