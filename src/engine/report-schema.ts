import { z } from "zod";
import { TARGETS } from "../config/verify-env.js";
import { REPORT_SCHEMA_VERSION } from "./report.js";

/**
 * The RunReport as a zod schema: the source of docs/report-schema.json
 * (`reportJsonSchema()`), and what tests validate `--format json` against.
 * Keep it in step with RunReport in ./report.ts (a test checks a real report parses).
 */
const status = z.enum(["pass", "warn", "fail", "skip", "error"]).meta({
  description: "pass; warn (a warning, or a failed warn-severity check); fail; skip (not applicable, or a prerequisite did not pass: see message); error (could not decide: timeout, fact not gathered, check threw)",
});

export const scenarioStepSchema = z
  .object({
    id: z.string().meta({ description: "Stable step id within its scenario (e.g. payment-applied)" }),
    title: z.string(),
    status: z.enum(["pass", "fail", "skip", "error"]).meta({ description: "skip: not run (an earlier step failed) or not applicable, see message" }),
    message: z.string(),
    expected: z.unknown().optional(),
    actual: z.unknown().optional(),
    durationMs: z.number().min(0),
    limits: z.array(z.string()).optional().meta({ description: "What the step could not prove, stated rather than passed (e.g. an event bookflow signed itself because the provider's API cannot be made to send it)" }),
  })
  .meta({ title: "ScenarioStep" });

export const checkResultSchema = z
  .object({
    id: z.string().meta({ description: "Stable check id: its file under checks/, with dots (e.g. env.required-present); for a scenario, its file under scenarios/ (e.g. scenarios.free-session)" }),
    section: z.string(),
    title: z.string(),
    severity: z.enum(["error", "warn"]),
    status,
    message: z.string().meta({ description: "What was found (secrets masked)" }),
    expected: z.unknown().optional().meta({ description: "What the check expected, when it says" }),
    actual: z.unknown().optional().meta({ description: "What it found, when it says" }),
    details: z.unknown().optional(),
    durationMs: z.number().min(0),
    startMs: z.number().min(0).optional().meta({ description: "When it started, in ms from the run's startedAt (with durationMs: the run's timeline)" }),
    needs: z.array(z.string()).optional().meta({ description: "Its prerequisites (checks it ran after), when it has any" }),
    docs: z.object({ why: z.string(), fix: z.string() }),
    steps: z.array(scenarioStepSchema).optional().meta({ description: "Scenario results only (section \"scenarios\"): the scenario's steps in order; the first fail or error names the step that broke" }),
    limits: z.array(z.string()).optional().meta({ description: "Scenario results only: the steps' stated limits, once each (what the run could not prove)" }),
  })
  .meta({ title: "CheckResult" });

const baselineChangeSchema = z.object({
  id: z.string(),
  title: z.string(),
  before: status.nullable().meta({ description: "Status in the baseline; null when the check was not in it" }),
  after: status,
  message: z.string().meta({ description: "The newer run's message" }),
});

export const baselineSchema = z
  .object({
    against: z.object({
      file: z.string().meta({ description: "The baseline report's file, as given or found in --history" }),
      startedAt: z.iso.datetime(),
      target: z.enum(TARGETS),
      outcome: z.enum(["passed", "failed"]),
      toolVersion: z.string(),
    }),
    thresholds: z.object({
      slowerByMs: z.number().min(0),
      slowerByRatio: z.number().min(1),
    }),
    newFailures: z.array(baselineChangeSchema).meta({ description: "Failing or erroring now (warning too under --strict), not in the baseline" }),
    fixed: z.array(baselineChangeSchema).meta({ description: "A problem in the baseline, passing now" }),
    slower: z
      .array(
        z.object({
          id: z.string(),
          title: z.string(),
          beforeMs: z.number().min(0),
          afterMs: z.number().min(0),
          deltaMs: z.number(),
          ratio: z.number().nullable(),
        }),
      )
      .meta({ description: "Ran in both and took more than thresholds.slowerByMs longer and at least thresholds.slowerByRatio times as long" }),
    stillFailing: z.array(z.string()),
    added: z.array(z.string()).meta({ description: "Check ids in this run only" }),
    removed: z.array(z.string()).meta({ description: "Check ids in the baseline only" }),
  })
  .meta({ title: "BaselineComparison" });

export const runReportSchema = z
  .object({
    schemaVersion: z.literal(REPORT_SCHEMA_VERSION),
    tool: z.object({ name: z.literal("bookflow"), version: z.string() }),
    target: z.enum(TARGETS),
    strict: z.boolean(),
    startedAt: z.iso.datetime(),
    finishedAt: z.iso.datetime(),
    durationMs: z.number().min(0),
    outcome: z.enum(["passed", "failed"]).meta({ description: "failed when a check failed or errored, or warned under --strict; the exit code is 1 then" }),
    summary: z.object({
      total: z.number().int().min(0),
      pass: z.number().int().min(0),
      warn: z.number().int().min(0),
      fail: z.number().int().min(0),
      skip: z.number().int().min(0),
      error: z.number().int().min(0),
    }),
    results: z.array(checkResultSchema),
    scenarioRun: z
      .object({
        runId: z.string(),
        runTag: z.string().meta({ description: "bookflow-<runId>: Booking.runTag of every booking the run created" }),
        driver: z.enum(["sandbox", "staging"]),
        cleanup: z
          .object({
            bookings: z.number().int().min(0),
            webhookEvents: z.number().int().min(0),
            emails: z.number().int().min(0),
            auditEntries: z.number().int().min(0),
            users: z.number().int().min(0),
            remaining: z.number().int().min(0),
          })
          .nullable()
          .meta({ description: "What --cleanup removed; null when the run kept its data" }),
      })
      .optional()
      .meta({ description: "Present when scenarios ran (bookflow scenarios run, verify --with-scenarios)" }),
    baseline: baselineSchema.optional().meta({ description: "Present with --baseline: what is new since the baseline report" }),
  })
  .meta({
    title: "bookflow verify report",
    description: `Output of \`bookflow verify --format json\` and \`bookflow scenarios run --format json\`. schemaVersion ${REPORT_SCHEMA_VERSION}: removing or retyping a field bumps it; new fields may appear without a bump.`,
  });

/** docs/report-schema.json. */
export function reportJsonSchema(): string {
  // "input": objects stay open (consumers must tolerate fields added without a version bump).
  const schema = z.toJSONSchema(runReportSchema, { target: "draft-2020-12", io: "input" });
  return JSON.stringify(schema, null, 2) + "\n";
}
