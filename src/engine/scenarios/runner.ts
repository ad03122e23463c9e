import { randomBytes } from "node:crypto";
import type { CheckResult, ScenarioStepResult } from "../check.js";
import { BookflowError } from "../../errors.js";
import { StepFailure, type ScenarioDefinition, type ScenarioRun, type StepDone } from "./scenario.js";
import type { ScenarioWorld } from "./world.js";

/**
 * Runs scenarios one after another (they share the app and its providers, and
 * their waits are about one booking each: running them in parallel would only
 * blur which one broke what). Each becomes one result in the run report, the
 * same shape as a check's (section "scenarios", id scenarios.<name>), with its
 * steps; a scenario never stops the others.
 */

export type ScenarioEvent =
  | { type: "start"; runId: string; driver: string; scenarios: { id: string; title: string; steps: number }[] }
  | { type: "scenario-start"; id: string; title: string }
  | { type: "step"; scenarioId: string; step: ScenarioStepResult }
  | { type: "result"; result: CheckResult }
  | { type: "end"; results: CheckResult[] };

export interface CreatedByRun {
  bookings: string[];
  inviteeUris: string[];
  users: string[];
}

export interface ScenarioRunOutcome {
  runId: string;
  runTag: string;
  results: CheckResult[];
  created: CreatedByRun;
  startedAt: Date;
  durationMs: number;
}

export interface RunScenariosOptions {
  world: ScenarioWorld;
  runId: string;
  onEvent?: (event: ScenarioEvent) => void;
}

/** Letters, digits, - and _ (at most 40): a run id fits Calendly's utm_campaign and the app's RUN_TAG_PATTERN. */
export const RUN_ID_PATTERN = /^[A-Za-z0-9_-]{1,40}$/;

/** A fresh run id: the time (base 36) and 24 random bits, e.g. `mbx1k2a9f3c1d2`. */
export function newRunId(): string {
  return `${Date.now().toString(36)}${randomBytes(3).toString("hex")}`;
}

export const runTagOf = (runId: string) => `bookflow-${runId}`;

/** Thrown by t.step after recording a step that did not pass: ends the scenario's run(). */
class ScenarioStopped extends Error {}

export async function runScenarios(scenarios: readonly ScenarioDefinition[], options: RunScenariosOptions): Promise<ScenarioRunOutcome> {
  const { world, runId } = options;
  const runTag = runTagOf(runId);
  const emit = (e: ScenarioEvent) => {
    try {
      options.onEvent?.(e);
    } catch {
      /* a broken listener must not break the run */
    }
  };
  const created = { bookings: new Set<string>(), inviteeUris: new Set<string>(), users: new Set<string>() };
  const startedAt = new Date();
  const t0 = performance.now();
  emit({ type: "start", runId, driver: world.driver.name, scenarios: scenarios.map((s) => ({ id: s.id, title: s.title, steps: s.steps.length })) });

  const results: CheckResult[] = [];
  for (const scenario of scenarios) {
    const result = await runOne(scenario);
    results.push(result);
    emit({ type: "result", result });
  }
  emit({ type: "end", results });
  return {
    runId,
    runTag,
    results,
    created: { bookings: [...created.bookings], inviteeUris: [...created.inviteeUris], users: [...created.users] },
    startedAt,
    durationMs: round(performance.now() - t0),
  };

  async function runOne(scenario: ScenarioDefinition): Promise<CheckResult> {
    emit({ type: "scenario-start", id: scenario.id, title: scenario.title });
    const start = performance.now();
    const recorded = new Map<string, ScenarioStepResult>();
    const mine = new Set<string>();
    const declared = (id: string) => {
      const d = scenario.steps.find((s) => s.id === id);
      if (!d) throw new Error(`scenario ${scenario.id} ran step "${id}", which it does not declare (declared: ${scenario.steps.map((s) => s.id).join(", ")})`);
      if (recorded.has(id)) throw new Error(`scenario ${scenario.id} ran step "${id}" twice`);
      return d;
    };
    const record = (step: ScenarioStepResult) => {
      recorded.set(step.id, step);
      emit({ type: "step", scenarioId: scenario.id, step });
    };

    const t: ScenarioRun = {
      scenario,
      runId,
      runTag,
      world,
      async step<T>(id: string, fn: () => Promise<StepDone<T>>): Promise<T> {
        const d = declared(id);
        const began = performance.now();
        try {
          const outcome = await fn();
          const step: ScenarioStepResult = { id, title: d.title, status: "pass", message: outcome.message, durationMs: round(performance.now() - began) };
          if (outcome.limits?.length) step.limits = [...outcome.limits];
          record(step);
          return outcome.value;
        } catch (err) {
          const step: ScenarioStepResult = { id, title: d.title, status: err instanceof StepFailure ? "fail" : "error", message: describe(err), durationMs: round(performance.now() - began) };
          if (err instanceof StepFailure) {
            if (err.expected !== undefined) step.expected = err.expected;
            if (err.actual !== undefined) step.actual = err.actual;
          }
          record(step);
          throw new ScenarioStopped();
        }
      },
      skip(id, reason) {
        const d = declared(id);
        record({ id, title: d.title, status: "skip", message: reason, durationMs: 0 });
      },
      invitee(label) {
        return { email: `scenario+${runId}.${label}@${world.settings.emailDomain}`.toLowerCase(), name: `Scenario ${label} ${runId}` };
      },
      created(kind, id) {
        if (kind === "booking") {
          created.bookings.add(id);
          mine.add(id);
        } else if (kind === "inviteeUri") created.inviteeUris.add(id);
        else created.users.add(id);
      },
    };

    let outside: string | undefined;
    try {
      await scenario.run(t);
    } catch (err) {
      if (!(err instanceof ScenarioStopped)) outside = `the scenario broke outside its steps: ${describe(err)}`;
    }

    const stoppedAt = [...recorded.values()].find((s) => s.status === "fail" || s.status === "error");
    const steps = scenario.steps.map(
      (d): ScenarioStepResult =>
        recorded.get(d.id) ?? {
          id: d.id,
          title: d.title,
          status: "skip",
          message: stoppedAt ? `not run: step ${stoppedAt.id} did not pass` : outside ? "not run: the scenario broke" : "not run",
          durationMs: 0,
        },
    );
    const failed = steps.find((s) => s.status === "fail") ?? steps.find((s) => s.status === "error");
    const passed = steps.filter((s) => s.status === "pass").length;
    const skipped = steps.filter((s) => s.status === "skip").length;
    const status: CheckResult["status"] = failed ? failed.status : outside ? "error" : "pass";
    const message = failed
      ? `step ${failed.id} (${failed.title}) ${failed.status === "fail" ? "failed" : "could not complete"}: ${failed.message}`
      : outside ?? `${passed} step(s) passed${skipped ? `, ${skipped} not applicable` : ""}`;
    const result: CheckResult = {
      id: scenario.id,
      section: "scenarios",
      title: scenario.title,
      severity: "error",
      status,
      message,
      durationMs: round(performance.now() - start),
      startMs: round(start - t0),
      docs: { ...scenario.docs },
      details: { runId, runTag, driver: world.driver.name, bookings: [...mine] },
      steps,
    };
    const limits = [...new Set(steps.flatMap((s) => s.limits ?? []))];
    if (limits.length) result.limits = limits;
    if (failed?.expected !== undefined) result.expected = failed.expected;
    if (failed?.actual !== undefined) result.actual = failed.actual;
    return result;
  }
}

function describe(err: unknown): string {
  if (err instanceof StepFailure) return err.message;
  if (err instanceof BookflowError) return err.hint ? `${err.message} (${err.hint})` : err.message;
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
