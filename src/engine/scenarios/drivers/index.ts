import type { Target } from "../../../config/verify-env.js";
import { ConfigError } from "../../../errors.js";
import { stripeFromEnv } from "../../../providers/from-env.js";
import { controlRoutesAnswer, createSandboxDriver, sandboxBases } from "./sandbox.js";
import { createStagingDriver, stagingSettings } from "./staging.js";
import type { DeliveryMode, ScenarioDriver } from "./types.js";

export type DriverChoice = "auto" | "sandbox" | "staging";

/**
 * `--driver`: `sandbox` when the target is the sandbox or (auto) when the
 * emulators' control routes answer on CALENDLY_API_BASE and STRIPE_API_BASE;
 * `staging` otherwise. Settings are checked here, before any scenario runs.
 * `deliveries` (staging only): whether Stripe delivers its events itself
 * (`provider`, the default) or bookflow posts them signed (`signed`).
 */
export async function chooseDriver(choice: DriverChoice, target: Target, env: Record<string, string | undefined>, deliveries: DeliveryMode = "provider"): Promise<ScenarioDriver> {
  if (choice === "sandbox" || (choice === "auto" && target === "sandbox")) {
    const bases = sandboxBases(env);
    if (!(await controlRoutesAnswer(bases))) {
      throw new ConfigError(
        `The emulators' control routes do not answer at CALENDLY_API_BASE (${bases.calendly}) and STRIPE_API_BASE (${bases.stripe}), so the sandbox driver cannot act as the invitee and the customer.`,
        "Start the sandbox (`bookflow sandbox up`, or `bookflow sandbox run -- scenarios run`), or use --driver staging against a deployed app.",
        "SANDBOX_UNREACHABLE",
      );
    }
    return createSandboxDriver(bases);
  }
  if (choice === "auto" && env.CALENDLY_API_BASE?.trim() && env.STRIPE_API_BASE?.trim()) {
    const bases = sandboxBases(env);
    if (await controlRoutesAnswer(bases)) return createSandboxDriver(bases);
  }
  const settings = stagingSettings(env, deliveries);
  let stripe: ReturnType<typeof stripeFromEnv> | undefined;
  return createStagingDriver(settings, () => (stripe ??= stripeFromEnv(env)));
}
