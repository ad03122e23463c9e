import { z } from "zod";
import type { Context } from "../context.js";
import type { Target } from "../config/verify-env.js";
import type { RunReport } from "../engine/report.js";
import { cleanupRun, type CleanupSummary } from "../engine/scenarios/cleanup.js";
import { chooseDriver, type DriverChoice } from "../engine/scenarios/drivers/index.js";
import type { DeliveryMode, ScenarioDriver } from "../engine/scenarios/drivers/types.js";
import { scenarioReport, scenarioRunInfo } from "../engine/scenarios/report.js";
import { newRunId, runScenarios, type ScenarioEvent, type ScenarioRunOutcome } from "../engine/scenarios/runner.js";
import type { ScenarioDefinition } from "../engine/scenarios/scenario.js";
import { selectScenarios } from "../engine/scenarios/selection.js";
import { createScenarioWorld, type ScenarioSettings } from "../engine/scenarios/world.js";
import { ConfigError, UsageError } from "../errors.js";
import { packageVersion } from "../package-root.js";
import { resolveTarget } from "./target.js";
import { likeLiteral } from "../db/sql.js";

/**
 * The scenario run: `bookflow scenarios run`, and the scenario part of
 * `bookflow verify --with-scenarios`. `prepareScenarioRun` checks everything
 * before the first scenario runs (a problem is exit 2, nothing ran); the
 * suite it returns runs the scenarios, then the cleanup when it is on.
 */

/** What a scenario run is asked to do (flags already parsed). */
export interface ScenarioRunInput {
  /** Names, ids or globs; all scenarios when empty. */
  names: readonly string[];
  driver: DriverChoice;
  /** Staging driver: Stripe delivers its events (`provider`, default) or bookflow posts them signed (`signed`). */
  deliveries?: DeliveryMode | undefined;
  /** Default: on in the sandbox, off elsewhere. */
  cleanup?: boolean | undefined;
  allowProduction: boolean;
  stepTimeoutMs: number;
  runId?: string | undefined;
  builder?: string | undefined;
  userEmail?: string | undefined;
  emailDomain: string;
}

export interface ScenarioRunDeps {
  /** The scenarios to choose from (default: scenarios/index.ts). */
  catalogue?: readonly ScenarioDefinition[] | undefined;
}

/** What a suite's run did: the outcome, what the cleanup removed, or why the cleanup failed (never thrown). */
export interface ScenarioSuiteRun {
  outcome: ScenarioRunOutcome;
  driver: ScenarioDriver["name"];
  cleanup: CleanupSummary | null;
  cleanupError?: string;
}

export interface ScenarioSuite {
  scenarios: readonly ScenarioDefinition[];
  driver: ScenarioDriver;
  runId: string;
  cleanup: boolean;
  settings: ScenarioSettings;
  run(onEvent?: (e: ScenarioEvent) => void): Promise<ScenarioSuiteRun>;
}

export async function scenarioCatalogue(deps: ScenarioRunDeps = {}): Promise<readonly ScenarioDefinition[]> {
  return deps.catalogue ?? (await import("../../scenarios/index.js")).scenarios;
}

/**
 * Everything checked before the first scenario runs (exit 2 on a problem): the
 * target (production refused without allowProduction), the scenario names, the
 * environment the run needs, the driver, the user of --user-email.
 */
export async function prepareScenarioRun(ctx: Context, target: Target, input: ScenarioRunInput, deps: ScenarioRunDeps = {}): Promise<ScenarioSuite> {
  if (target === "production" && !input.allowProduction) {
    throw new UsageError(
      "Refusing to run the scenarios against production: they create real bookings, payments and emails there.",
      "Run them against staging or the sandbox (--target staging|sandbox, or BOOKFLOW_TARGET), or pass --allow-production if that is really meant.",
      "PRODUCTION_REFUSED",
    );
  }
  const scenarios = selectScenarios(await scenarioCatalogue(deps), input.names);
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
  const settings: ScenarioSettings = { stepTimeoutMs: input.stepTimeoutMs, emailDomain: input.emailDomain.toLowerCase(), builderSlug: input.builder, userEmail: input.userEmail, refundWindowHours: refund.data };
  const driver = await chooseDriver(input.driver, target, env, input.deliveries ?? "provider");
  if (input.deliveries === "signed" && driver.name !== "staging") {
    throw new UsageError(
      `--deliveries signed applies to the staging driver only; this run uses the ${driver.name} driver, whose emulated providers deliver every event themselves.`,
      "Leave --deliveries out, or add --driver staging to have bookflow post the Stripe events signed with STRIPE_WEBHOOK_SECRET.",
      "BAD_OPTION",
    );
  }
  if (input.userEmail) {
    const { prisma } = await ctx.db();
    const user = await prisma.user.findFirst({ where: { email: { equals: likeLiteral(input.userEmail), mode: "insensitive" } }, select: { id: true } });
    if (!user) throw new ConfigError(`No user with email ${input.userEmail} in the database.`, "Give the email of an existing user, or leave --user-email out: the run then creates a user of its own (removed by --cleanup).", "USER_NOT_FOUND");
  }
  const runId = input.runId ?? newRunId();
  const cleanup = input.cleanup ?? target === "sandbox";
  const world = createScenarioWorld({ env, target, driver, settings, db: () => ctx.db() });
  return {
    scenarios,
    driver,
    runId,
    cleanup,
    settings,
    async run(onEvent) {
      const outcome = await runScenarios(scenarios, { world, runId, ...(onEvent ? { onEvent } : {}) });
      if (!cleanup) return { outcome, driver: driver.name, cleanup: null };
      try {
        const { prisma } = await ctx.db();
        return { outcome, driver: driver.name, cleanup: await cleanupRun(prisma, { runId, runTag: outcome.runTag, created: outcome.created }) };
      } catch (err) {
        return { outcome, driver: driver.name, cleanup: null, cleanupError: err instanceof Error ? err.message : String(err) };
      }
    },
  };
}

export interface ScenariosRunInput extends ScenarioRunInput {
  /** --target; default: BOOKFLOW_TARGET, else the config file's target, else production. */
  target?: Target | undefined;
  /** --config: the file whose target is the default. */
  config?: string | undefined;
}

export interface ScenariosRunResult {
  target: Target;
  /** The run as a RunReport (the same formatters and exit codes as verify). */
  report: RunReport;
  run: ScenarioSuiteRun;
}

/** `bookflow scenarios run`: resolves the target, prepares the suite (exit 2 before anything runs), runs it, returns the report. */
export async function scenariosRun(ctx: Context, input: ScenariosRunInput, options: ScenarioRunDeps & { onEvent?: (e: ScenarioEvent) => void } = {}): Promise<ScenariosRunResult> {
  const target = resolveTarget(input.target, input.config, ctx.env, ctx.cwd);
  const suite = await prepareScenarioRun(ctx, target, input, options);
  const run = await suite.run(options.onEvent);
  const report = scenarioReport(run.outcome, scenarioRunInfo(run.outcome, run.driver, run.cleanup), { target, toolVersion: packageVersion() });
  return { target, report, run };
}
