import type { Facts } from "./facts/types.js";

/**
 * The unit of extension: one check, one file under checks/<section>/, static
 * metadata plus one pure decision over named facts (see DESIGN.md).
 */

export type Severity = "error" | "warn";
export type CheckStatus = "pass" | "warn" | "fail" | "skip" | "error";
export type FactName = keyof Facts;

export interface CheckDocs {
  /** Why the check matters: what breaks in production when it fails. */
  why: string;
  /** How to fix a failure: a command to run or a setting to change. */
  fix: string;
}

/** What a check's `run` decides. Built with pass(), fail(), warn() and skip(). */
export interface CheckOutcome {
  status: "pass" | "warn" | "fail" | "skip";
  message: string;
  expected?: unknown;
  actual?: unknown;
  details?: unknown;
}

export interface OutcomeExtra {
  expected?: unknown;
  actual?: unknown;
  details?: unknown;
}

export interface CheckDefinition<F extends FactName = FactName> {
  /** `<section folder>.<file name>`: the file's path under checks/ with dots. */
  id: string;
  section: string;
  title: string;
  /** "error": a failure fails the run. "warn": a failure is reported as a warning (fails only with --strict). */
  severity: Severity;
  /** Ids of checks that must pass (or warn) first; otherwise this one is skipped, with the reason. */
  needs: readonly string[];
  /** The facts `run` reads; each is gathered once per run and shared. */
  facts: readonly F[];
  docs: CheckDocs;
  run(facts: Pick<Facts, F>): CheckOutcome | Promise<CheckOutcome>;
}

/** A check with its fact names erased, as the catalogue and runner hold it. */
export type AnyCheck = CheckDefinition<FactName>;

/** Declares a check; the type parameter ties `run`'s argument to the declared `facts`. */
export function defineCheck<const F extends FactName>(definition: CheckDefinition<F>): AnyCheck {
  return Object.freeze({ ...definition, needs: [...definition.needs], facts: [...definition.facts] }) as unknown as AnyCheck;
}

export function pass(message: string, extra: OutcomeExtra = {}): CheckOutcome {
  return { status: "pass", message, ...extra };
}

export function fail(message: string, extra: OutcomeExtra = {}): CheckOutcome {
  return { status: "fail", message, ...extra };
}

/** A finding worth attention that never fails the run unless --strict (e.g. DMARC p=none). */
export function warn(message: string, extra: OutcomeExtra = {}): CheckOutcome {
  return { status: "warn", message, ...extra };
}

/** The check does not apply here (say why): e.g. an optional setting is not configured. */
export function skip(reason: string): CheckOutcome {
  return { status: "skip", message: reason };
}

/** One check's entry in the run report. */
export interface CheckResult {
  id: string;
  section: string;
  title: string;
  severity: Severity;
  status: CheckStatus;
  message: string;
  expected?: unknown;
  actual?: unknown;
  details?: unknown;
  durationMs: number;
  docs: CheckDocs;
  /** Scenario results only (`bookflow scenarios`, `verify --with-scenarios`): each step, in order. */
  steps?: ScenarioStepResult[];
}

/** One step of an end-to-end scenario (src/engine/scenarios): pass, fail, error (could not decide) or skip (not run, with the reason). */
export interface ScenarioStepResult {
  id: string;
  title: string;
  status: "pass" | "fail" | "skip" | "error";
  message: string;
  expected?: unknown;
  actual?: unknown;
  durationMs: number;
}
