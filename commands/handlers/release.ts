import { z } from "zod";
import type { Context } from "../../src/context.js";
import { parseOrThrow } from "../../src/config/validation.js";
import { COMMIT_PATTERN, type ReleaseJournal } from "../../src/core/release-plan.js";
import { EXIT } from "../../src/engine/exit-codes.js";
import { DEFAULT_CONCURRENCY } from "../../src/engine/runner.js";
import type { RunReport } from "../../src/engine/report.js";
import { UsageError } from "../../src/errors.js";
import { applyRelease, applyReleaseUndo, planRelease, planReleaseUndo, releasesDir, type ReleaseResult } from "../../src/ops/release.js";
import type { ScenarioRunInput } from "../../src/ops/scenarios-run.js";
import { confirmInContext, formatPlan } from "../support/confirm.js";
import { parseDurationFlag, parseTimeout, splitList } from "../support/flags.js";
import { defineCommand } from "../support/run.js";
import { parseScenarioOptions } from "../support/scenario-options.js";

/**
 * `bookflow release`: a READY preview deployment verified as staged,
 * promoted, production verified, rolled back when that fails (use case:
 * src/ops/release.ts; the step rules: src/core/release-plan.ts). The plan is
 * shown and confirmed once (terminal, or --yes); every step is journaled and
 * audited; `--resume` (or running it again) continues, `--undo` promotes back.
 */

const idOption = z.string().trim().min(1, { message: "must name a release id (rel-…)" });

const optionsSchema = z
  .object({
    deployment: z.string().trim().min(1, { message: "must name a deployment id (dpl_…) or URL" }).optional(),
    commit: z.string().trim().regex(COMMIT_PATTERN, { message: "must be a commit sha (7 to 40 hex digits)" }).optional(),
    resume: idOption.optional(),
    undo: idOption.optional(),
    plan: z.boolean().default(false),
    yes: z.boolean().default(false),
    json: z.boolean().default(false),
    useVercelCli: z.boolean().default(false),
    autoRollback: z.boolean().default(true),
    withScenarios: z.union([z.boolean(), z.string()]).optional(),
    scenarioDriver: z.string().optional(),
    stepTimeout: z.string().optional(),
    previewUrl: z.url({ protocol: /^https?$/, message: "must be an http(s) URL" }).optional(),
    retryTimeout: z.string().optional(),
    retryInterval: z.string().optional(),
    only: z.array(z.string()).default([]),
    skip: z.array(z.string()).default([]),
    timeout: z.string().default("15s"),
    concurrency: z.coerce.number({ message: "must be a number" }).int({ message: "must be a whole number" }).min(1).max(64).default(DEFAULT_CONCURRENCY),
    actor: z.string().optional(),
    reason: z.string().trim().max(500, { message: "must be at most 500 characters" }).optional(),
  })
  .superRefine((o, ctx) => {
    if (o.resume && o.undo) ctx.addIssue({ code: "custom", path: ["undo"], message: "cannot be combined with --resume (undo one release, or resume it)" });
    if ((o.resume || o.undo) && (o.deployment || o.commit)) ctx.addIssue({ code: "custom", path: [o.undo ? "undo" : "resume"], message: "continues a journaled release: leave out --deployment and --commit (the journal names the candidate)" });
  });

export type ReleaseOptions = z.input<typeof optionsSchema>;
type Options = z.infer<typeof optionsSchema>;

function parseRelease(raw: Record<string, unknown>) {
    const opts = parseOrThrow(optionsSchema, raw, "options for release", "See `bookflow release --help`.");
    if (opts.retryInterval !== undefined && opts.retryTimeout === undefined) throw new UsageError("--retry-interval needs --retry-timeout.", "Give --retry-timeout too, e.g. --retry-timeout 2m --retry-interval 10s.", "BAD_OPTION");
    const retryTimeoutMs = opts.retryTimeout === undefined ? undefined : parseDurationFlag(opts.retryTimeout, "--retry-timeout", { minMs: 1000, maxMs: 3_600_000, bareUnit: "s", hint: "Give seconds (90), or a unit: 90s, 5m." });
    const retryIntervalMs = opts.retryInterval === undefined ? undefined : parseDurationFlag(opts.retryInterval, "--retry-interval", { minMs: 100, maxMs: 600_000, bareUnit: "s", hint: "Give seconds (5), or a unit: 500ms, 10s." });
    const scenarioRun = opts.withScenarios
      ? parseScenarioOptions({
          names: typeof opts.withScenarios === "string" ? [opts.withScenarios] : [],
          ...(opts.scenarioDriver !== undefined ? { driver: opts.scenarioDriver as "auto" | "sandbox" | "staging" } : {}),
          ...(opts.stepTimeout !== undefined ? { stepTimeout: opts.stepTimeout } : {}),
        })
      : undefined;
    return { opts, retryTimeoutMs, retryIntervalMs, scenarioRun, timeoutMs: parseTimeout(opts.timeout) };
}

type Parsed = ReturnType<typeof parseRelease>;

export const release = defineCommand({
  command: "release",
  parse: parseRelease,
  run: (input: Parsed, ctx: Context) => (input.opts.undo ? undo(input.opts.undo, input.opts, ctx) : releaseForward(input, ctx)),
});

/** What a person reads goes to stderr when stdout carries --json. */
const humanOut = (opts: Options, ctx: Context) => (opts.json ? ctx.err : ctx.out);

async function releaseForward(input: Parsed, ctx: Context): Promise<number> {
  const { opts } = input;
  const human = humanOut(opts, ctx);
  const actor = ctx.actor(opts.actor);
  const names = input.scenarioRun?.names;
  const scenarioOptions = scenarioRest(input.scenarioRun);
  const plan = await planRelease(ctx, {
    deployment: opts.deployment,
    commit: opts.commit,
    resume: opts.resume,
    useVercelCli: opts.useVercelCli,
    autoRollback: opts.autoRollback,
    scenarios: names,
    scenarioOptions,
    previewUrl: opts.previewUrl,
    retryTimeoutMs: input.retryTimeoutMs,
    retryIntervalMs: input.retryIntervalMs,
    only: splitList(opts.only),
    skip: splitList(opts.skip),
    timeoutMs: input.timeoutMs,
    concurrency: opts.concurrency,
    actor,
    reason: opts.reason,
  });
  if (plan.continuing) human(`${plan.continuing}\n`);
  if (plan.complete) {
    human(`Release ${plan.journal.id} is finished (${plan.journal.status}); nothing left to do.\n`);
    printOutcome(ctx, opts, { journal: plan.journal, failed: null, staged: null, production: null, productionNow: null }, human);
    return exitFor(plan.journal);
  }
  const view = { ...plan.view, json: { ...(plan.view.json as object), contacts: plan.contacts.map((c) => c.trim()) } };
  const shown = () => human(`${formatPlan(view)}Emergency contacts:\n${plan.contacts.join("\n")}\n`);
  if (opts.plan) {
    if (opts.json) ctx.out(`${JSON.stringify(view.json, null, 2)}\n`);
    else shown();
    human("Plan only: nothing was changed.\n");
    return EXIT.OK;
  }
  if (!opts.yes) {
    if (!opts.json) human(`Emergency contacts:\n${plan.contacts.join("\n")}\n`);
    await confirmInContext(ctx, view, { json: opts.json });
  } else shown();
  const result = await applyRelease(ctx, plan, {
    actor,
    progress: (line) => human(`  ${line}\n`),
    redact: (text) => ctx.redactor.redact(text),
    input: { only: splitList(opts.only), skip: splitList(opts.skip), timeoutMs: input.timeoutMs, concurrency: opts.concurrency, scenarioOptions },
  });
  printOutcome(ctx, opts, result, human);
  const { journal } = result;
  if (result.failed) {
    ctx.err(
      `bookflow: release ${journal.id} stopped at step "${result.failed.step}": ${result.failed.message}\n` +
        `  the journal is ${releasesDir(plan.dataDir)}/${journal.id}.json\n` +
        `  fix: ${(result.failed.error as { hint?: string }).hint ? `${(result.failed.error as { hint?: string }).hint}; then ` : ""}resume with \`bookflow release --resume ${journal.id}\` (or run \`bookflow release\` again), or reverse it with \`bookflow release --undo ${journal.id}\`.\n`,
    );
    return EXIT.FAILED;
  }
  return exitFor(journal);
}

/** The scenario options of step 1 without the names (kept in the journal). */
function scenarioRest(run: ScenarioRunInput | undefined): Omit<ScenarioRunInput, "names"> | undefined {
  if (!run) return undefined;
  const { names: _names, ...rest } = run;
  return rest;
}

function exitFor(journal: ReleaseJournal): number {
  return journal.status === "released" || journal.status === "undone" ? EXIT.OK : EXIT.FAILED;
}

function verifySummary(report: RunReport | null, detail: Record<string, unknown>): unknown {
  if (report) return { outcome: report.outcome, summary: report.summary, failing: report.results.filter((r) => r.status === "fail" || r.status === "error").map((r) => ({ id: r.id, status: r.status, message: r.message })) };
  return detail.summary ? { outcome: detail.outcome === "pass" ? "passed" : "failed", summary: detail.summary, failing: detail.failing } : null;
}

const STATUS_LINES: Record<ReleaseJournal["status"], string> = {
  "in-progress": "is in progress",
  failed: "stopped at a failed step",
  released: "is live and verified",
  rejected: "was rejected: the candidate failed verification as staged, and nothing was changed",
  "rolled-back": "failed verification in production and was rolled back",
  "failed-in-production": "failed verification in production and was left live (--no-auto-rollback)",
  undone: "was undone",
};

function printOutcome(ctx: Context, opts: Options, result: ReleaseResult, human: (t: string) => void): void {
  const { journal } = result;
  const staged = verifySummary(result.staged, journal.steps[0]!.detail);
  const production = verifySummary(result.production, journal.steps[2]!.detail);
  if (opts.json) {
    ctx.out(
      `${JSON.stringify(
        {
          release: journal.id,
          status: journal.status,
          projectId: journal.projectId,
          candidate: journal.candidate,
          previous: journal.previous,
          production: result.productionNow,
          steps: journal.steps.map((s) => ({ name: s.name, status: s.status, error: s.error, detail: s.detail })),
          verify: { staged, production },
          rollbackId: journal.rollbackId,
          failed: result.failed && { step: result.failed.step, message: result.failed.message },
          undo: `bookflow release --undo ${journal.id}`,
        },
        null,
        2,
      )}\n`,
    );
    return;
  }
  const lines = [`Release ${journal.id} of ${journal.candidate.uid} ${STATUS_LINES[journal.status]}.`];
  for (const s of journal.steps) lines.push(`  ${s.name}: ${s.status}${s.error ? ` (${s.error})` : ""}`);
  for (const [label, v] of [["As staged", staged], ["Production", production]] as const) {
    const failing = (v as { failing?: { id: string; status: string; message: string }[] } | null)?.failing ?? [];
    for (const f of failing) lines.push(`  ${label}: ${f.status} ${f.id}: ${ctx.redactor.redact(f.message)}`);
  }
  if (journal.rollbackId) lines.push(`  Rolled back by ${journal.rollbackId}: \`bookflow rollback --undo ${journal.rollbackId}\` reverses it (webhooks, manual processing).`);
  if (result.productionNow) lines.push(`  Production is now ${result.productionNow}.`);
  if (journal.status === "released") lines.push(`  Undo: \`bookflow release --undo ${journal.id}\` promotes ${journal.previous.uid} back.`);
  human(`${lines.join("\n")}\n`);
}

async function undo(id: string, opts: Options, ctx: Context): Promise<number> {
  const human = humanOut(opts, ctx);
  const actor = ctx.actor(opts.actor);
  const plan = await planReleaseUndo(ctx, id);
  if (opts.plan) {
    if (opts.json) ctx.out(`${JSON.stringify(plan.view.json, null, 2)}\n`);
    else human(`${formatPlan(plan.view)}Plan only: nothing was changed.\n`);
    return EXIT.OK;
  }
  if (!opts.yes) await confirmInContext(ctx, plan.view, { json: opts.json });
  else human(formatPlan(plan.view));
  const journal = await applyReleaseUndo(ctx, plan, { actor, progress: (line) => human(`  ${line}\n`) });
  if (journal.rollbackId) human(`Release ${journal.id} had been rolled back by ${journal.rollbackId}: reverse that rollback's other steps with \`bookflow rollback --undo ${journal.rollbackId}\`.\n`);
  if (opts.json) ctx.out(`${JSON.stringify({ release: journal.id, status: journal.status, production: journal.previous.uid, rollbackId: journal.rollbackId }, null, 2)}\n`);
  else human(`Release ${journal.id} is undone: ${journal.previous.uid} serves production.\n`);
  return EXIT.OK;
}
