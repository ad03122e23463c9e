import type { Context } from "../context.js";
import { cleanupRun, type CleanupSummary } from "../engine/scenarios/cleanup.js";
import { runTagOf } from "../engine/scenarios/runner.js";
import { ConfigError } from "../errors.js";

/**
 * `bookflow scenarios cleanup <run-id>`: what a kept scenario run left behind
 * (its tagged bookings, their webhook events, emails and audit entries, the
 * users it created), planned from a dry run, then removed in one transaction.
 */

export interface ScenarioCleanupPlan {
  runId: string;
  runTag: string;
  /** What would be removed, counted by a dry run. */
  preview: CleanupSummary;
  /** One line: what the cleanup is about to do. */
  title: string;
  /** One line per kind of row it removes (none: nothing to do). */
  steps: string[];
  /** The plan for machines (printed without a terminal, or with --json). */
  json: { runId: string; runTag: string; bookings: number; webhookEvents: number; emails: number; auditEntries: number; users: number };
}

export async function planScenarioCleanup(ctx: Context, runId: string): Promise<ScenarioCleanupPlan> {
  if (!ctx.env.DATABASE_URL?.trim()) throw new ConfigError("DATABASE_URL is not set: the run's data is in the app's database.", "Set DATABASE_URL to the database the scenarios ran against.", "ENV_MISSING");
  const { prisma } = await ctx.db();
  const runTag = runTagOf(runId);
  const preview = await cleanupRun(prisma, { runId, runTag }, { dryRun: true });
  const steps = [
    preview.bookings && `delete ${preview.bookings} booking(s) tagged ${runTag}`,
    preview.webhookEvents && `delete ${preview.webhookEvents} webhook event(s) about them`,
    preview.emails && `delete ${preview.emails} email record(s)`,
    preview.auditEntries && `delete ${preview.auditEntries} audit entr${preview.auditEntries === 1 ? "y" : "ies"}`,
    preview.users && `delete ${preview.users} user(s) the run created`,
  ].filter((s): s is string => !!s);
  return {
    runId,
    runTag,
    preview,
    title: `Remove the data of scenario run ${runId}:`,
    steps,
    json: { runId, runTag, bookings: preview.bookings, webhookEvents: preview.webhookEvents, emails: preview.emails, auditEntries: preview.auditEntries, users: preview.users },
  };
}

/** Removes the run's data (again counted, so a run re-tagged since the plan is still removed exactly). */
export async function applyScenarioCleanup(ctx: Context, plan: Pick<ScenarioCleanupPlan, "runId" | "runTag">): Promise<CleanupSummary> {
  const { prisma } = await ctx.db();
  return cleanupRun(prisma, { runId: plan.runId, runTag: plan.runTag });
}
