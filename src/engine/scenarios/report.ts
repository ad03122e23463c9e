import type { Target } from "../../config/verify-env.js";
import { outcomeOf, REPORT_SCHEMA_VERSION, summarize, type RunReport, type ScenarioRunInfo } from "../report.js";
import type { CleanupSummary } from "./cleanup.js";
import type { ScenarioRunOutcome } from "./runner.js";

/**
 * Scenario runs as the same RunReport `verify` produces, so the same
 * formatters (json, junit, markdown, github, pretty-summary) and exit codes apply.
 */

export function scenarioRunInfo(outcome: ScenarioRunOutcome, driver: ScenarioRunInfo["driver"], cleanup: CleanupSummary | null): ScenarioRunInfo {
  return {
    runId: outcome.runId,
    runTag: outcome.runTag,
    driver,
    cleanup: cleanup
      ? { bookings: cleanup.bookings, webhookEvents: cleanup.webhookEvents, emails: cleanup.emails, auditEntries: cleanup.auditEntries, users: cleanup.users, remaining: cleanup.remaining }
      : null,
  };
}

/** The report of `bookflow scenarios run`. */
export function scenarioReport(outcome: ScenarioRunOutcome, info: ScenarioRunInfo, meta: { target: Target; toolVersion: string }): RunReport {
  const summary = summarize(outcome.results);
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: "bookflow", version: meta.toolVersion },
    target: meta.target,
    strict: false,
    startedAt: outcome.startedAt.toISOString(),
    finishedAt: new Date(outcome.startedAt.getTime() + outcome.durationMs).toISOString(),
    durationMs: outcome.durationMs,
    outcome: outcomeOf(summary, false),
    summary,
    results: outcome.results,
    scenarioRun: info,
  };
}

/** `verify --with-scenarios`: the checks' report with the scenarios appended, one summary and one outcome. */
export function withScenarios(report: RunReport, outcome: ScenarioRunOutcome, info: ScenarioRunInfo): RunReport {
  // The scenarios' start offsets are from their own run's start: moved onto the checks' clock.
  const shift = outcome.startedAt.getTime() - Date.parse(report.startedAt);
  const results = [...report.results, ...outcome.results.map((r) => (r.startMs === undefined ? r : { ...r, startMs: Math.round((r.startMs + shift) * 10) / 10 }))];
  const summary = summarize(results);
  const finished = Math.max(Date.parse(report.finishedAt), outcome.startedAt.getTime() + outcome.durationMs);
  return {
    ...report,
    finishedAt: new Date(finished).toISOString(),
    durationMs: Math.round((finished - Date.parse(report.startedAt)) * 10) / 10,
    outcome: outcomeOf(summary, report.strict),
    summary,
    results,
    scenarioRun: info,
  };
}
