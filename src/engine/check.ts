import type { Facts } from "./facts/types.js";
import type { RequiredEnvName, Target } from "../config/verify-env.js";

/**
 * The unit of extension: one check, one file under checks/<section>/, static
 * metadata plus one pure decision over named facts (see DESIGN.md).
 */

export type Severity = "error" | "warn";
export type CheckStatus = "pass" | "warn" | "fail" | "skip" | "error";
export type FactName = keyof Facts;

export interface CheckDocs {
  /** What the check decides, rule by rule (with the standard's sections where one applies); rendered in docs/checks.md. */
  decides?: string;
  /** Why the check matters: what breaks in production when it fails. */
  why: string;
  /** How to fix a failure: a command to run or a setting to change. */
  fix: string;
}

/** Values filling a message's `{{name}}` placeholders. */
export type MessageData = Readonly<Record<string, string | number>>;

/**
 * What a check's `run` decides: a status and the id of one of the check's
 * `messages` (ESLint's `meta.messages` + `messageId`), with the data for its
 * placeholders. Built with pass(), fail(), warn() and skip(). Tests assert the
 * id; the wording lives in one place and can improve freely.
 */
export interface Verdict<M extends string = string> {
  status: "pass" | "warn" | "fail" | "skip";
  messageId: M;
  data?: MessageData;
  expected?: unknown;
  actual?: unknown;
  details?: unknown;
}

/** A verdict with its message rendered, as the runner reports it. */
export interface CheckOutcome<M extends string = string> extends Verdict<M> {
  message: string;
}

export interface OutcomeExtra {
  expected?: unknown;
  actual?: unknown;
  details?: unknown;
}

export interface CheckDefinition<F extends FactName = FactName, M extends string = string> {
  /** `<section folder>.<file name>`: the file's path under checks/ with dots. */
  id: string;
  section: string;
  title: string;
  /** "error": a failure fails the run. "warn": a failure is reported as a warning (fails only with --strict). */
  severity: Severity;
  /**
   * The severity for some targets, when it differs from `severity` (the
   * default): `{ production: "error" }` makes a warn check fail the run for
   * `--target production` only. Resolved by `severityFor`.
   */
  severityByTarget?: Readonly<Partial<Record<Target, Severity>>>;
  /** Ids of checks that must pass (or warn) first; otherwise this one is skipped, with the reason. */
  needs: readonly string[];
  /**
   * The required environment variables the check reads (itself, or through the
   * clients its facts use). When one is unset the runner skips the check, naming
   * the variable ("STRIPE_SECRET_KEY is not set (see env.required-present)"), and
   * so are the checks that need it; checks that read none of the missing ones run.
   */
  vars?: readonly RequiredEnvName[];
  /**
   * The check waits on propagation (DNS records, a domain authentication, a
   * certificate): with `verify --retry-timeout`, a failure or error is retried
   * with freshly gathered facts until it passes or the time is up.
   */
  retryable?: boolean;
  /** The facts `run` reads; each is gathered once per run and shared. */
  facts: readonly F[];
  docs: CheckDocs;
  /** Every message the check can report, by id; `{{name}}` is filled from the verdict's data. */
  messages: Readonly<Record<M, string>>;
  run(facts: Pick<Facts, F>): Verdict<NoInfer<M>> | Promise<Verdict<NoInfer<M>>>;
}

/** A check with its fact names erased, as the catalogue and runner hold it. */
export type AnyCheck = CheckDefinition<FactName, string>;

/** Declares a check; the type parameters tie `run`'s argument to the declared `facts` and its verdicts to the declared `messages`. */
export function defineCheck<const F extends FactName, const M extends string>(definition: CheckDefinition<F, M>): AnyCheck {
  return Object.freeze({
    ...definition,
    needs: [...definition.needs],
    ...(definition.vars ? { vars: [...definition.vars] } : {}),
    facts: [...definition.facts],
    messages: { ...definition.messages },
    ...(definition.severityByTarget ? { severityByTarget: { ...definition.severityByTarget } } : {}),
  }) as unknown as AnyCheck;
}

/** The check's severity for a target: its `severityByTarget` entry, else its `severity`. */
export function severityFor(check: Pick<AnyCheck, "severity" | "severityByTarget">, target: Target): Severity {
  return check.severityByTarget?.[target] ?? check.severity;
}

/**
 * The severity in words for lists and docs: `warn`, or `warn; error for
 * production` when a target overrides it.
 */
export function describeSeverity(check: Pick<AnyCheck, "severity" | "severityByTarget">): string {
  const overrides = Object.entries(check.severityByTarget ?? {}).filter(([, s]) => s !== check.severity);
  return overrides.length ? `${check.severity}; ${overrides.map(([t, s]) => `${s} for ${t}`).join(", ")}` : check.severity;
}

export function pass<M extends string>(messageId: M, data?: MessageData, extra: OutcomeExtra = {}): Verdict<M> {
  return verdict("pass", messageId, data, extra);
}

export function fail<M extends string>(messageId: M, data?: MessageData, extra: OutcomeExtra = {}): Verdict<M> {
  return verdict("fail", messageId, data, extra);
}

/** A finding worth attention that never fails the run unless --strict (e.g. DMARC p=none). */
export function warn<M extends string>(messageId: M, data?: MessageData, extra: OutcomeExtra = {}): Verdict<M> {
  return verdict("warn", messageId, data, extra);
}

/** The check does not apply here (its message says why): e.g. an optional setting is not configured. */
export function skip<M extends string>(messageId: M, data?: MessageData, extra: OutcomeExtra = {}): Verdict<M> {
  return verdict("skip", messageId, data, extra);
}

function verdict<M extends string>(status: Verdict["status"], messageId: M, data: MessageData | undefined, extra: OutcomeExtra): Verdict<M> {
  return { status, messageId, ...(data ? { data } : {}), ...extra };
}

const PLACEHOLDER = /\{\{\s*(\w+)\s*\}\}/g;

/** The placeholder names of a message template, in order. */
export function placeholders(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1]!);
}

/**
 * A message template filled with a verdict's data. An unknown id or a
 * placeholder without data is a bug in the check: it throws, and the runner
 * reports the check as `error` (never a silent pass).
 */
export function renderMessage(check: Pick<AnyCheck, "id" | "messages">, messageId: string, data: MessageData = {}): string {
  const template = Object.hasOwn(check.messages, messageId) ? check.messages[messageId] : undefined;
  if (template === undefined) throw new Error(`${check.id} reported messageId "${messageId}", which is not one of its messages (${Object.keys(check.messages).join(", ")})`);
  return template.replace(PLACEHOLDER, (_, name: string) => {
    if (!Object.hasOwn(data, name)) throw new Error(`${check.id} message "${messageId}" needs data "${name}"`);
    return String(data[name]);
  });
}

/** Runs a check's decision on its facts and renders the message: what the runner and the check tester both call. */
export async function decideCheck(check: AnyCheck, facts: Pick<Facts, FactName>): Promise<CheckOutcome> {
  const v = await check.run(facts);
  return { ...v, message: renderMessage(check, v.messageId, v.data) };
}

/** One check's entry in the run report. */
export interface CheckResult {
  id: string;
  section: string;
  title: string;
  severity: Severity;
  status: CheckStatus;
  /** The check's message id (absent when the runner decided: skipped prerequisites, a fact that failed, a timeout). */
  messageId?: string;
  message: string;
  expected?: unknown;
  actual?: unknown;
  details?: unknown;
  durationMs: number;
  /** When it started, in ms from the start of the run (the report's startedAt): with durationMs, the run's timeline. */
  startMs?: number;
  /** The checks it ran after (its prerequisites), when it has any: with startMs, the run's critical path. */
  needs?: string[];
  docs: CheckDocs;
  /** Scenario results only (`bookflow scenarios`, `verify --with-scenarios`): each step, in order. */
  steps?: ScenarioStepResult[];
  /** Scenario results only: what the run could not prove (its steps' limits, once each); absent when none. */
  limits?: string[];
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
  /** What the step could not prove, stated (e.g. "Calendly cannot be made to book through its API: bookflow signed this invitee.created itself"); absent when none. */
  limits?: string[];
}
