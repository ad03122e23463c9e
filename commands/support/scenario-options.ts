import { z } from "zod";
import { parseOrThrow } from "../../src/config/validation.js";
import { RUN_ID_PATTERN } from "../../src/engine/scenarios/runner.js";
import type { ScenarioRunInput } from "../../src/ops/scenarios-run.js";
import { parseTimeout, splitList } from "./flags.js";

/**
 * The scenario flags of `bookflow scenarios run` and of `bookflow verify
 * --with-scenarios` (imported by their handlers only: it loads zod), parsed
 * one way into the scenario run's input.
 */
export const scenarioOptionsSchema = z.object({
  names: z.array(z.string()).default([]),
  driver: z.enum(["auto", "sandbox", "staging"], { message: "must be auto, sandbox or staging" }).default("auto"),
  deliveries: z.enum(["provider", "signed"], { message: "must be provider (Stripe delivers its events) or signed (bookflow posts them signed)" }).optional(),
  cleanup: z.boolean().optional(),
  allowProduction: z.boolean().default(false),
  stepTimeout: z.string().min(1).default("15s"),
  runId: z.string().regex(RUN_ID_PATTERN, { message: "must be 1 to 40 letters, digits, - or _" }).optional(),
  builder: z.string().regex(/^[a-z0-9-]{1,100}$/, { message: "must be a builder slug (lower-case letters, digits and -)" }).optional(),
  userEmail: z.email({ message: "must be an email address" }).optional(),
  emailDomain: z
    .string()
    .regex(/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i, { message: "must be a domain name such as example.com" })
    .default("example.com"),
});
export type ScenarioOptions = z.input<typeof scenarioOptionsSchema>;

export function parseScenarioOptions(raw: ScenarioOptions): ScenarioRunInput {
  const opts = parseOrThrow(scenarioOptionsSchema, raw, "options for scenarios", "See `bookflow scenarios run --help`.");
  return {
    names: splitList(opts.names),
    driver: opts.driver,
    deliveries: opts.deliveries,
    cleanup: opts.cleanup,
    allowProduction: opts.allowProduction,
    stepTimeoutMs: parseTimeout(opts.stepTimeout, "--step-timeout"),
    runId: opts.runId,
    builder: opts.builder,
    userEmail: opts.userEmail,
    emailDomain: opts.emailDomain,
  };
}
