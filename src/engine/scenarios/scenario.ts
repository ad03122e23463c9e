import type { CheckDocs } from "../check.js";
import type { ScenarioWorld } from "./world.js";

/**
 * The unit of the scenario runner: one end-to-end scenario of the release
 * checklist, one file under scenarios/. Its steps are declared up front (so
 * `scenarios list` shows them and a failure can mark the rest "not run"), and
 * `run` performs them in order through `t.step(id, fn)`.
 *
 * A step passes when `fn` resolves, fails when it throws a StepFailure (an
 * assertion that did not hold, or a bounded wait that timed out, with the last
 * state seen), and ends as `error` when it throws anything else (the scenario
 * could not decide: a provider or the network broke). The first step that does
 * not pass ends the scenario; the steps after it are reported as skipped.
 */

export interface StepDeclaration {
  /** Kebab-case, unique within the scenario: what `--format json` and the tests name. */
  id: string;
  title: string;
}

export interface ScenarioDefinition {
  /** `scenarios.<file name>`: the file's path with dots, like a check id. */
  id: string;
  /** The file name: what `bookflow scenarios run <name>` takes. */
  name: string;
  title: string;
  /** The release checklist entry it automates. */
  checklist: string;
  steps: readonly StepDeclaration[];
  /** Why it matters, and what to look at when it fails. */
  docs: CheckDocs;
  run(t: ScenarioRun): Promise<void>;
}

/** What a step hands back: the line the report shows, and a value for the next steps. */
export interface StepDone<T> {
  message: string;
  value: T;
  /** What the step could not prove (reported as the step's limits, not as part of its pass). */
  limits?: readonly string[] | undefined;
}

export function done(message: string): StepDone<undefined>;
export function done<T>(message: string, value: T): StepDone<T>;
export function done<T>(message: string, value?: T): StepDone<T | undefined> {
  return { message, value };
}

/** The same step outcome with the limits it states (none: unchanged). */
export function withLimits<T>(outcome: StepDone<T>, limits: readonly string[] | undefined): StepDone<T> {
  return limits?.length ? { ...outcome, limits: [...(outcome.limits ?? []), ...limits] } : outcome;
}

/** An assertion of a step that did not hold: the step (and so the scenario) fails with this message. */
export class StepFailure extends Error {
  override name = "StepFailure";
  readonly expected: unknown;
  readonly actual: unknown;
  constructor(message: string, extra: { expected?: unknown; actual?: unknown } = {}) {
    super(message);
    this.expected = extra.expected;
    this.actual = extra.actual;
  }
}

/** Throws a StepFailure. */
export function fail(message: string, extra: { expected?: unknown; actual?: unknown } = {}): never {
  throw new StepFailure(message, extra);
}

/** What a scenario's `run` works with. */
export interface ScenarioRun {
  readonly scenario: ScenarioDefinition;
  readonly runId: string;
  /** `bookflow-<run id>`: Calendly's tracking.utm_campaign, which the app stores as Booking.runTag. */
  readonly runTag: string;
  readonly world: ScenarioWorld;
  /** Runs a declared step; resolves with the step's value, or throws (ending the scenario) when it does not pass. */
  step<T>(id: string, fn: () => Promise<StepDone<T>>): Promise<T>;
  /** Marks a declared step as not applicable in this run (reported as skipped, with the reason). */
  skip(id: string, reason: string): void;
  /** An invitee identity carrying the run id: `scenario+<run id>.<label>@<email domain>`. */
  invitee(label: string): { email: string; name: string };
  /** Records what the run created: bookings for the report, users for the cleanup. */
  created(kind: "booking" | "inviteeUri" | "user", id: string): void;
}

export function defineScenario(definition: ScenarioDefinition): ScenarioDefinition {
  const ids = definition.steps.map((s) => s.id);
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup) throw new Error(`scenario ${definition.id}: step id ${dup} is declared twice`);
  if (definition.id !== `scenarios.${definition.name}`) throw new Error(`scenario ${definition.name}: its id must be scenarios.${definition.name}, not ${definition.id}`);
  return Object.freeze({ ...definition, steps: Object.freeze(definition.steps.map((s) => ({ ...s }))) });
}
