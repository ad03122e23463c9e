import type { CheckResult } from "../engine/check.js";

/**
 * The monitor's state and its alerts, as pure functions. After each run the
 * latest result of every check is observed; an alert is raised only when the
 * whole changes state (healthy → failing, failing → healthy), not on every
 * run. A check fails the whole when its status is fail or error.
 */

export interface FailingCheck {
  id: string;
  status: CheckResult["status"];
  message: string;
}

export interface MonitorState {
  /** Whether the latest results have a failure (false before the first run). */
  failing: boolean;
  /** When the current state started (ms since the epoch). */
  since: number;
  failingChecks: FailingCheck[];
  runs: number;
  /** Runs in which each check failed or errored. */
  failuresByCheck: Record<string, number>;
  /** Time spent failing, closed periods only (see `summarize` for the open one). */
  failingMs: number;
  /** Per check: since when it has been failing (absent: passing). */
  checkFailingSince: Record<string, number>;
  /** Per check: closed failing periods. */
  checkFailingMs: Record<string, number>;
  alertsRaised: number;
}

export interface MonitorAlert {
  kind: "failing" | "recovered";
  at: string;
  /** What is failing now (empty when recovered). */
  failing: FailingCheck[];
  /** How long the previous state lasted. */
  afterMs: number;
  text: string;
}

export function initialState(now: number): MonitorState {
  return { failing: false, since: now, failingChecks: [], runs: 0, failuresByCheck: {}, failingMs: 0, checkFailingSince: {}, checkFailingMs: {}, alertsRaised: 0 };
}

const isFailure = (r: Pick<CheckResult, "status">) => r.status === "fail" || r.status === "error";

/** One run observed: the new state, and the alert when the whole changed state. */
export function observeRun(state: MonitorState, results: readonly Pick<CheckResult, "id" | "status" | "message">[], ranIds: readonly string[], now: number, target: string): { state: MonitorState; alert?: MonitorAlert } {
  const failingChecks = results.filter(isFailure).map((r) => ({ id: r.id, status: r.status, message: r.message }));
  const failing = failingChecks.length > 0;
  const ran = new Set(ranIds);
  const failuresByCheck = { ...state.failuresByCheck };
  for (const r of results) if (ran.has(r.id) && isFailure(r)) failuresByCheck[r.id] = (failuresByCheck[r.id] ?? 0) + 1;
  const checkFailingSince = { ...state.checkFailingSince };
  const checkFailingMs = { ...state.checkFailingMs };
  for (const r of results) {
    const since = checkFailingSince[r.id];
    if (isFailure(r) && since === undefined) checkFailingSince[r.id] = now;
    if (!isFailure(r) && since !== undefined) {
      checkFailingMs[r.id] = (checkFailingMs[r.id] ?? 0) + (now - since);
      delete checkFailingSince[r.id];
    }
  }
  const changed = failing !== state.failing;
  const next: MonitorState = {
    failing,
    since: changed ? now : state.since,
    failingChecks,
    runs: state.runs + 1,
    failuresByCheck,
    failingMs: state.failing && !failing ? state.failingMs + (now - state.since) : state.failingMs,
    checkFailingSince,
    checkFailingMs,
    alertsRaised: state.alertsRaised + (changed ? 1 : 0),
  };
  if (!changed) return { state: next };
  const afterMs = now - state.since;
  const text = failing
    ? `bookflow monitor (${target}): ${failingChecks.length} check${failingChecks.length === 1 ? "" : "s"} failing: ${failingChecks.map((c) => `${c.id} (${c.status}): ${c.message}`).join("; ")}`
    : `bookflow monitor (${target}): recovered, every check passes again after ${Math.round(afterMs / 1000)} s failing`;
  return { state: next, alert: { kind: failing ? "failing" : "recovered", at: new Date(now).toISOString(), failing: failingChecks, afterMs, text } };
}

export interface MonitorSummary {
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  runs: number;
  /** Whether the last run had a failure. */
  failing: boolean;
  timeInFailureMs: number;
  checks: { id: string; failures: number; timeInFailureMs: number }[];
  alerts: { raised: number; delivered: number; failed: number };
}

/** The summary at `now` (the open failing periods counted up to `now`). */
export function summarize(state: MonitorState, startedAt: number, now: number, delivery: { delivered: number; failed: number }): MonitorSummary {
  const ids = [...new Set([...Object.keys(state.failuresByCheck), ...Object.keys(state.checkFailingMs), ...Object.keys(state.checkFailingSince)])].sort();
  return {
    startedAt: new Date(startedAt).toISOString(),
    finishedAt: new Date(now).toISOString(),
    durationMs: now - startedAt,
    runs: state.runs,
    failing: state.failing,
    timeInFailureMs: state.failingMs + (state.failing ? now - state.since : 0),
    checks: ids.map((id) => {
      const open = state.checkFailingSince[id];
      return { id, failures: state.failuresByCheck[id] ?? 0, timeInFailureMs: (state.checkFailingMs[id] ?? 0) + (open === undefined ? 0 : now - open) };
    }),
    alerts: { raised: state.alertsRaised, ...delivery },
  };
}

/** The summary as text, for a person. */
export function summaryText(s: MonitorSummary): string {
  const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const lines = [
    `Monitor ran ${secs(s.durationMs)} (${s.startedAt} → ${s.finishedAt}): ${s.runs} run${s.runs === 1 ? "" : "s"}, ${secs(s.timeInFailureMs)} in failure, last run ${s.failing ? "failing" : "healthy"}.`,
    `Alerts: ${s.alerts.raised} raised, ${s.alerts.delivered} delivered, ${s.alerts.failed} failed to deliver.`,
  ];
  if (s.checks.length === 0) lines.push("No check failed.");
  for (const c of s.checks) lines.push(`  ${c.id}: failed in ${c.failures} run${c.failures === 1 ? "" : "s"}, ${secs(c.timeInFailureMs)} in failure`);
  return lines.join("\n") + "\n";
}
