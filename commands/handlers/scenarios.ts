import { z } from "zod";
import { parseOrThrow } from "../../src/config/validation.js";
import { TARGETS } from "../../src/config/verify-env.js";
import { exitCodeForReport, EXIT } from "../../src/engine/exit-codes.js";
import { describeCleanup } from "../../src/engine/scenarios/cleanup.js";
import { RUN_ID_PATTERN } from "../../src/engine/scenarios/runner.js";
import { UsageError } from "../../src/errors.js";
import { applyScenarioCleanup, planScenarioCleanup } from "../../src/ops/scenarios-cleanup.js";
import { listScenarios } from "../../src/ops/scenarios-list.js";
import { scenariosRun, type ScenarioRunDeps } from "../../src/ops/scenarios-run.js";
import { confirmInContext } from "../support/confirm.js";
import { splitList } from "../support/flags.js";
import { checkFormats, reportOutput, type TerminalStreams } from "../support/report-output.js";
import { parseHistoryOptions, recordHistory, withBaseline } from "../support/report-history.js";
import { defineCommand } from "../support/run.js";
import { parseScenarioOptions, type ScenarioOptions } from "../support/scenario-options.js";

/** `bookflow scenarios list | run | cleanup`: parse, call the scenario use cases (src/ops), render. */

export type ScenariosCommandDeps = ScenarioRunDeps & TerminalStreams;

/** `bookflow scenarios list`: each scenario's name, title, checklist entry and steps. */
export function scenariosListCommand(deps: ScenarioRunDeps = {}) {
  return defineCommand({
    command: "scenarios list",
    parse: (raw) => parseOrThrow(z.object({ json: z.boolean().default(false) }), { json: !!raw.json }, "options for scenarios list", "See `bookflow scenarios list --help`."),
    async run(opts, ctx) {
      const all = await listScenarios(deps);
      if (opts.json) {
        ctx.out(`${JSON.stringify(all, null, 2)}\n`);
        return EXIT.OK;
      }
      const lines: string[] = [];
      for (const s of all) {
        lines.push(`${s.name.padEnd(20)} ${s.title}  (${s.checklist})`);
        for (const step of s.steps) lines.push(`  ${step.id.padEnd(30)} ${step.title}`);
        lines.push("");
      }
      lines.push("Run them with `bookflow scenarios run [name…]` (all by default); see `bookflow scenarios run --help`.");
      ctx.out(lines.join("\n") + "\n");
      return EXIT.OK;
    },
  });
}

const runSchema = z.object({
  format: z.array(z.string()).default([]),
  output: z.string().min(1, { message: "must name a file" }).optional(),
  config: z.string().min(1).optional(),
  history: z.string().optional(),
  baseline: z.string().min(1, { message: "must name a report file, or last" }).optional(),
  slowerBy: z.string().optional(),
  slowerRatio: z.string().optional(),
});
export type RunOptions = ScenarioOptions & z.input<typeof runSchema> & { target?: string };

/**
 * `bookflow scenarios run [name…]`: runs the scenarios with a live view (one
 * line per step), prints the summary, writes the formats; 0 when every
 * scenario passed, 1 when one failed or errored (or the cleanup failed), 2 for
 * bad usage or configuration (nothing ran).
 */
export function scenariosRunCommand(deps: ScenariosCommandDeps = {}) {
  return defineCommand({
    command: "scenarios run",
    parse(raw, ctx) {
      const opts = parseOrThrow(runSchema, { format: raw.format, output: raw.output, config: raw.config, history: raw.history, baseline: raw.baseline, slowerBy: raw.slowerBy, slowerRatio: raw.slowerRatio }, "options for scenarios run", "See `bookflow scenarios run --help`.");
      const formats = checkFormats(splitList(opts.format), opts.output, ctx.env.GITHUB_STEP_SUMMARY || undefined);
      const target = z.enum(TARGETS).optional().safeParse(raw.target);
      if (!target.success) throw new UsageError(`--target ${JSON.stringify(raw.target)} is not a target.`, `Use one of ${TARGETS.join(", ")}.`, "BAD_OPTION");
      const history = parseHistoryOptions(opts, ctx);
      return { output: { targets: formats }, history, run: { ...parseScenarioOptions(raw as ScenarioOptions), target: target.data, config: opts.config } };
    },
    async run(input, ctx) {
      const out = reportOutput(ctx, input.output, deps);
      const { report: ran, run } = await scenariosRun(ctx, input.run, { catalogue: deps.catalogue, onEvent: out.scenarioView() });
      const report = withBaseline(ran, input.history);
      const { outcome, cleanup, cleanupError } = run;
      const shown = out.present(report, () => {
        if (cleanup) out.human(`Cleanup: ${describeCleanup(cleanup)}.\n`);
        else if (cleanupError) ctx.err(`Cleanup of run ${outcome.runId} failed: ${cleanupError}\n  fix: run \`bookflow scenarios cleanup ${outcome.runId}\` once the database is reachable.\n`);
        else out.human(`Kept the run's data (run ${outcome.runId}, Booking.runTag ${outcome.runTag}); remove it with \`bookflow scenarios cleanup ${outcome.runId}\`.\n`);
      });
      const recorded = recordHistory(shown, input.history, ctx);
      if (recorded) out.human(`Recorded this run in ${recorded}.\n`);
      return cleanupError ? EXIT.FAILED : exitCodeForReport(shown);
    },
  });
}

const cleanupSchema = z.object({
  runId: z.string().regex(RUN_ID_PATTERN, { message: "must be 1 to 40 letters, digits, - or _ (the run id a scenario run printed)" }),
  yes: z.boolean().default(false),
  dryRun: z.boolean().default(false),
  json: z.boolean().default(false),
});

/** `bookflow scenarios cleanup <run-id>`: removes a kept run's data (plan, confirmation, apply). */
export const scenariosCleanup = defineCommand({
  command: "scenarios cleanup",
  parse: (raw) => parseOrThrow(cleanupSchema, { runId: raw.runId, yes: !!raw.yes, dryRun: !!raw.dryRun, json: !!raw.json }, "options for scenarios cleanup", "See `bookflow scenarios cleanup --help`."),
  async run(opts, ctx) {
    const plan = await planScenarioCleanup(ctx, opts.runId);
    const { decision } = await confirmInContext(ctx, plan, { yes: opts.yes, dryRun: opts.dryRun, json: opts.json });
    if (decision !== "apply") return EXIT.OK;
    const done = await applyScenarioCleanup(ctx, plan);
    if (opts.json) ctx.out(`${JSON.stringify(done, null, 2)}\n`);
    else ctx.out(`Cleanup: ${describeCleanup(done)}.\n`);
    return EXIT.OK;
  },
});
