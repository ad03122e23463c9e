import { resolve } from "node:path";
import { z } from "zod";
import type { Context } from "../../src/context.js";
import { loadBookflowConfig } from "../../src/config/bookflow-config.js";
import { parseOrThrow } from "../../src/config/validation.js";
import { secretLikeValues, TARGETS, type Target } from "../../src/config/verify-env.js";
import { exitCodeForReport, EXIT } from "../../src/engine/exit-codes.js";
import { formatters, type FormatName } from "../../src/engine/formatters/index.js";
import { redactDeep, type RunReport } from "../../src/engine/report.js";
import { cleanupRun, describeCleanup, type CleanupSummary } from "../../src/engine/scenarios/cleanup.js";
import { chooseDriver, type DriverChoice } from "../../src/engine/scenarios/drivers/index.js";
import type { ScenarioDriver } from "../../src/engine/scenarios/drivers/types.js";
import { scenarioView } from "../../src/engine/scenarios/live.js";
import { scenarioReport, scenarioRunInfo } from "../../src/engine/scenarios/report.js";
import { newRunId, runScenarios, runTagOf, RUN_ID_PATTERN, type ScenarioEvent, type ScenarioRunOutcome } from "../../src/engine/scenarios/runner.js";
import type { ScenarioDefinition } from "../../src/engine/scenarios/scenario.js";
import { createScenarioWorld, type ScenarioSettings } from "../../src/engine/scenarios/world.js";
import { closest } from "../../src/engine/suggest.js";
import { ConfigError, UsageError } from "../../src/errors.js";
import { packageVersion } from "../../src/package-root.js";
import { confirmPlan, isInteractive, type ConfirmIo } from "../support/confirm.js";
import { appendSummary, checkFormats, ensureNewline, parseTimeout, splitList, targetFromEnv, wantsColor, writeOutput } from "./verify.js";

/**
 * `bookflow scenarios list | run | cleanup`, and the scenario part of
 * `bookflow verify --with-scenarios` (prepareScenarioSuite).
 */

export interface ScenariosDeps {
  ctx: Context;
  cwd?: string;
  stdout?: NodeJS.WriteStream;
  stderr?: NodeJS.WriteStream;
  /** Tests may run other scenarios. */
  catalogue?: readonly ScenarioDefinition[];
  /** Tests may answer the cleanup confirmation. */
  confirm?: Partial<ConfirmIo>;
}

async function catalogueOf(deps: { catalogue?: readonly ScenarioDefinition[] | undefined }): Promise<readonly ScenarioDefinition[]> {
  return deps.catalogue ?? (await import("../../scenarios/index.js")).scenarios;
}

// ------------------------------------------------------------------ list

const listSchema = z.object({ json: z.boolean().default(false) });

/** `bookflow scenarios list`: each scenario's name, title, checklist entry and steps. */
export async function listScenarios(raw: z.input<typeof listSchema>, deps: Pick<ScenariosDeps, "ctx" | "catalogue">): Promise<number> {
  const opts = parseOrThrow(listSchema, raw, "options for scenarios list", "See `bookflow scenarios list --help`.");
  const all = await catalogueOf(deps);
  if (opts.json) {
    deps.ctx.out(`${JSON.stringify(all.map((s) => ({ id: s.id, name: s.name, title: s.title, checklist: s.checklist, steps: s.steps, docs: s.docs })), null, 2)}\n`);
    return EXIT.OK;
  }
  const lines: string[] = [];
  for (const s of all) {
    lines.push(`${s.name.padEnd(20)} ${s.title}  (${s.checklist})`);
    for (const step of s.steps) lines.push(`  ${step.id.padEnd(30)} ${step.title}`);
    lines.push("");
  }
  lines.push("Run them with `bookflow scenarios run [name…]` (all by default); see `bookflow scenarios run --help`.");
  deps.ctx.out(lines.join("\n") + "\n");
  return EXIT.OK;
}

// ------------------------------------------------------------------ the suite (shared with verify --with-scenarios)

const durationText = z.string().min(1);

export const suiteOptionsSchema = z.object({
  names: z.array(z.string()).default([]),
  target: z.enum(TARGETS, { message: `must be one of ${TARGETS.join(", ")}` }).optional(),
  config: z.string().min(1).optional(),
  driver: z.enum(["auto", "sandbox", "staging"], { message: "must be auto, sandbox or staging" }).default("auto"),
  cleanup: z.boolean().optional(),
  allowProduction: z.boolean().default(false),
  stepTimeout: durationText.default("15s"),
  runId: z.string().regex(RUN_ID_PATTERN, { message: "must be 1 to 40 letters, digits, - or _" }).optional(),
  builder: z.string().regex(/^[a-z0-9-]{1,100}$/, { message: "must be a builder slug (lower-case letters, digits and -)" }).optional(),
  userEmail: z.email({ message: "must be an email address" }).optional(),
  emailDomain: z
    .string()
    .regex(/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i, { message: "must be a domain name such as example.com" })
    .default("example.com"),
});
export type SuiteOptions = z.input<typeof suiteOptionsSchema>;

export interface ScenarioSuite {
  scenarios: readonly ScenarioDefinition[];
  driver: ScenarioDriver;
  runId: string;
  cleanup: boolean;
  settings: ScenarioSettings;
  /** Runs the scenarios, then the cleanup (when on); a failed cleanup is reported in `cleanupError`, never thrown. */
  run(onEvent?: (e: ScenarioEvent) => void): Promise<{ outcome: ScenarioRunOutcome; cleanup: CleanupSummary | null; cleanupError?: string }>;
}

/**
 * Everything checked before the first scenario runs (exit 2 on a problem): the
 * target (production refused without --allow-production), the scenario names,
 * the durations, the environment the run needs, the driver, --user-email.
 */
export async function prepareScenarioSuite(raw: SuiteOptions, ctx: Context, target: Target, deps: { catalogue?: readonly ScenarioDefinition[] | undefined } = {}): Promise<ScenarioSuite> {
  const opts = parseOrThrow(suiteOptionsSchema, raw, "options for scenarios", "See `bookflow scenarios run --help`.");
  if (target === "production" && !opts.allowProduction) {
    throw new UsageError(
      "Refusing to run the scenarios against production: they create real bookings, payments and emails there.",
      "Run them against staging or the sandbox (--target staging|sandbox, or BOOKFLOW_TARGET), or pass --allow-production if that is really meant.",
      "PRODUCTION_REFUSED",
    );
  }
  const all = await catalogueOf(deps);
  const scenarios = selectScenarios(all, splitList(opts.names));
  const stepTimeoutMs = parseTimeout(opts.stepTimeout, "--step-timeout");
  const env = ctx.env;
  const missing = ["NEXT_PUBLIC_BASE_URL", "DATABASE_URL", "STRIPE_SECRET_KEY"].filter((n) => !env[n]?.trim());
  if (missing.length) {
    throw new ConfigError(
      `The scenarios need ${missing.join(", ")}: the app's URL (browsed as a visitor), its database (read to assert) and Stripe (Checkout sessions compared).`,
      "Set them to the deployment under test (e.g. --env-file .env.staging), or run inside the sandbox: `bookflow sandbox run -- scenarios run`.",
      "ENV_MISSING",
    );
  }
  const refund = z.coerce.number().min(0).safeParse(env.BOOKFLOW_REFUND_WINDOW_HOURS?.trim() || "24");
  if (!refund.success) throw new ConfigError(`BOOKFLOW_REFUND_WINDOW_HOURS is not a number of hours.`, "Set it to the app's refund window in hours (default 24), or unset it.");
  const settings: ScenarioSettings = { stepTimeoutMs, emailDomain: opts.emailDomain.toLowerCase(), builderSlug: opts.builder, userEmail: opts.userEmail, refundWindowHours: refund.data };
  const driver = await chooseDriver(opts.driver as DriverChoice, target, env);
  if (opts.userEmail) {
    const { prisma } = await ctx.db();
    const user = await prisma.user.findFirst({ where: { email: { equals: opts.userEmail, mode: "insensitive" } }, select: { id: true } });
    if (!user) throw new ConfigError(`No user with email ${opts.userEmail} in the database.`, "Give the email of an existing user, or leave --user-email out: the run then creates a user of its own (removed by --cleanup).", "USER_NOT_FOUND");
  }
  const runId = opts.runId ?? newRunId();
  const cleanup = opts.cleanup ?? target === "sandbox";
  const world = createScenarioWorld({ env, target, driver, settings, db: () => ctx.db() });
  return {
    scenarios,
    driver,
    runId,
    cleanup,
    settings,
    async run(onEvent) {
      const outcome = await runScenarios(scenarios, { world, runId, ...(onEvent ? { onEvent } : {}) });
      if (!cleanup) return { outcome, cleanup: null };
      try {
        const { prisma } = await ctx.db();
        return { outcome, cleanup: await cleanupRun(prisma, { runId, runTag: outcome.runTag, created: outcome.created }) };
      } catch (err) {
        return { outcome, cleanup: null, cleanupError: err instanceof Error ? err.message : String(err) };
      }
    },
  };
}

/** Names (`free-session`), ids (`scenarios.free-session`) or globs (`*-session`); all when none. Unknown → exit 2 with suggestions. */
export function selectScenarios(all: readonly ScenarioDefinition[], names: readonly string[]): ScenarioDefinition[] {
  if (!names.length) return [...all];
  const picked = new Set<ScenarioDefinition>();
  for (const name of names) {
    const re = /[*?]/.test(name) ? new RegExp(`^${name.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`) : null;
    const found = all.filter((s) => (re ? re.test(s.name) || re.test(s.id) : s.name === name || s.id === name));
    if (!found.length) {
      const near = closest(name, all.map((s) => s.name));
      throw new UsageError(
        `No scenario named "${name}".`,
        `${near.length ? `Did you mean ${near.join(", ")}? ` : ""}Known: ${all.map((s) => s.name).join(", ")} (\`bookflow scenarios list\`).`,
        "UNKNOWN_SCENARIO",
      );
    }
    for (const s of found) picked.add(s);
  }
  return all.filter((s) => picked.has(s));
}

// ------------------------------------------------------------------ run

const runSchema = z.object({
  format: z.array(z.string()).default([]),
  output: z.string().min(1, { message: "must name a file" }).optional(),
});
export type RunOptions = SuiteOptions & z.input<typeof runSchema>;

/** Resolves --target like verify: the flag, BOOKFLOW_TARGET, the config file's target, else production. */
export function resolveTarget(flag: string | undefined, configFile: string | undefined, ctx: Context, cwd: string): Target {
  const parsed = z.enum(TARGETS, { message: `must be one of ${TARGETS.join(", ")}` }).optional().safeParse(flag);
  if (!parsed.success) throw new UsageError(`--target ${JSON.stringify(flag)} is not a target.`, `Use one of ${TARGETS.join(", ")}.`, "BAD_OPTION");
  if (parsed.data) return parsed.data;
  const fromEnv = targetFromEnv(ctx.env);
  if (fromEnv) return fromEnv;
  return loadBookflowConfig(configFile, cwd).config.target ?? "production";
}

/**
 * `bookflow scenarios run [name…]`: runs the scenarios with a live view (one
 * line per step), prints the summary, writes the formats; 0 when every
 * scenario passed, 1 when one failed or errored (or the cleanup failed), 2 for
 * bad usage or configuration (nothing ran).
 */
export async function runScenariosCommand(raw: RunOptions, deps: ScenariosDeps): Promise<number> {
  const { ctx } = deps;
  try {
    const { format, output, ...suiteRaw } = raw;
    const opts = parseOrThrow(runSchema, { format, output }, "options for scenarios run", "See `bookflow scenarios run --help`.");
    const formats = checkFormats(splitList(opts.format), opts.output);
    const cwd = deps.cwd ?? process.cwd();
    const target = resolveTarget(suiteRaw.target, suiteRaw.config, ctx, cwd);
    for (const value of secretLikeValues(ctx.env)) ctx.redactor.add(value);
    const redact = (text: string) => ctx.redactor.redact(text);
    const suite = await prepareScenarioSuite(suiteRaw, ctx, target, deps);

    const summaryFile = ctx.env.GITHUB_STEP_SUMMARY || undefined;
    const stdoutFormats = opts.output ? [] : formats.filter((f) => !(f === "markdown" && summaryFile));
    const humanToStderr = stdoutFormats.length > 0;
    const human = humanToStderr ? ctx.err : ctx.out;
    const color = wantsColor(ctx.env, humanToStderr ? deps.stderr : deps.stdout);

    const { outcome, cleanup, cleanupError } = await suite.run(scenarioView(human, { color }));
    let report: RunReport = scenarioReport(outcome, scenarioRunInfo(outcome, suite.driver.name, cleanup), { target, toolVersion: packageVersion() });
    report = redactDeep(report, redact);

    human(formatters["pretty-summary"](report, { color }));
    if (cleanup) human(`Cleanup: ${describeCleanup(cleanup)}.\n`);
    else if (cleanupError) ctx.err(`Cleanup of run ${outcome.runId} failed: ${cleanupError}\n  fix: run \`bookflow scenarios cleanup ${outcome.runId}\` once the database is reachable.\n`);
    else human(`Kept the run's data (run ${outcome.runId}, Booking.runTag ${outcome.runTag}); remove it with \`bookflow scenarios cleanup ${outcome.runId}\`.\n`);

    const render = (f: FormatName) => redact(formatters[f](report, { color: false }));
    for (const f of stdoutFormats) ctx.out(ensureNewline(render(f)));
    if (opts.output) writeOutput(resolve(cwd, opts.output), render(formats[0]!));
    if (summaryFile && formats.includes("markdown")) appendSummary(summaryFile, render("markdown"));

    return cleanupError ? EXIT.FAILED : exitCodeForReport(report);
  } finally {
    await ctx.close();
  }
}

// ------------------------------------------------------------------ cleanup

const cleanupSchema = z.object({
  runId: z.string().regex(RUN_ID_PATTERN, { message: "must be 1 to 40 letters, digits, - or _ (the run id a scenario run printed)" }),
  yes: z.boolean().default(false),
  dryRun: z.boolean().default(false),
  json: z.boolean().default(false),
});

/** `bookflow scenarios cleanup <run-id>`: removes a kept run's data (plan, confirmation, apply). */
export async function cleanupScenarioRun(raw: z.input<typeof cleanupSchema>, deps: ScenariosDeps): Promise<number> {
  const { ctx } = deps;
  try {
    const opts = parseOrThrow(cleanupSchema, raw, "options for scenarios cleanup", "See `bookflow scenarios cleanup --help`.");
    if (!ctx.env.DATABASE_URL?.trim()) throw new ConfigError("DATABASE_URL is not set: the run's data is in the app's database.", "Set DATABASE_URL to the database the scenarios ran against.", "ENV_MISSING");
    const { prisma } = await ctx.db();
    const run = { runId: opts.runId, runTag: runTagOf(opts.runId) };
    const preview = await cleanupRun(prisma, run, { dryRun: true });
    const steps = [
      preview.bookings && `delete ${preview.bookings} booking(s) tagged ${run.runTag}`,
      preview.webhookEvents && `delete ${preview.webhookEvents} webhook event(s) about them`,
      preview.emails && `delete ${preview.emails} email record(s)`,
      preview.auditEntries && `delete ${preview.auditEntries} audit entr${preview.auditEntries === 1 ? "y" : "ies"}`,
      preview.users && `delete ${preview.users} user(s) the run created`,
    ].filter((s): s is string => !!s);
    const decision = await confirmPlan(
      { title: `Remove the data of scenario run ${opts.runId}:`, steps, json: { runId: opts.runId, runTag: run.runTag, bookings: preview.bookings, webhookEvents: preview.webhookEvents, emails: preview.emails, auditEntries: preview.auditEntries, users: preview.users } },
      { yes: opts.yes, dryRun: opts.dryRun, json: opts.json },
      { out: ctx.out, err: ctx.err, interactive: isInteractive(ctx.env), ...deps.confirm },
    );
    if (decision !== "apply") return EXIT.OK;
    const done = await cleanupRun(prisma, run);
    if (opts.json) ctx.out(`${JSON.stringify(done, null, 2)}\n`);
    else ctx.out(`Cleanup: ${describeCleanup(done)}.\n`);
    return EXIT.OK;
  } finally {
    await ctx.close();
  }
}
