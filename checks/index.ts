import type { AnyCheck } from "../src/engine/check.js";
import envCalendlyWellFormed from "./env/calendly-well-formed.js";
import envDatabaseUrlsWellFormed from "./env/database-urls-well-formed.js";
import envNoPublicSecrets from "./env/no-public-secrets.js";
import envRequiredPresent from "./env/required-present.js";
import envRuntimeMatchesTarget from "./env/runtime-matches-target.js";
import envSendgridWellFormed from "./env/sendgrid-well-formed.js";
import envStripeKeyModesMatch from "./env/stripe-key-modes-match.js";
import envStripeKeysWellFormed from "./env/stripe-keys-well-formed.js";
import envStripeModeMatchesTarget from "./env/stripe-mode-matches-target.js";
import envUrlsWellFormed from "./env/urls-well-formed.js";
import envVercelProductionVars from "./env/vercel-production-vars.js";
import envWebhookUrlsMatchBase from "./env/webhook-urls-match-base.js";

/**
 * The catalogue: every check bookflow runs, in report order (section by
 * section, in checklist order). Adding a check: one file under checks/<section>/,
 * one line here, one test table under test/checks/<section>/.
 */
export const catalogue: readonly AnyCheck[] = [
  // env
  envRequiredPresent,
  envCalendlyWellFormed,
  envStripeKeysWellFormed,
  envSendgridWellFormed,
  envDatabaseUrlsWellFormed,
  envUrlsWellFormed,
  envStripeKeyModesMatch,
  envStripeModeMatchesTarget,
  envWebhookUrlsMatchBase,
  envRuntimeMatchesTarget,
  envNoPublicSecrets,
  envVercelProductionVars,
];
