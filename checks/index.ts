import type { AnyCheck } from "../src/engine/check.js";
import databaseConnects from "./database/connects.js";
import databaseConnectionsStable from "./database/connections-stable.js";
import databaseMarketplaceHasBuilders from "./database/marketplace-has-builders.js";
import databaseMigrationsApplied from "./database/migrations-applied.js";
import databaseSessionTypesSeeded from "./database/session-types-seeded.js";
import databaseTablesMatchSchema from "./database/tables-match-schema.js";
import deploymentEmergencyContacts from "./deployment/emergency-contacts.js";
import deploymentExpectedCommit from "./deployment/expected-commit.js";
import deploymentLogsClean from "./deployment/logs-clean.js";
import deploymentProductionReady from "./deployment/production-ready.js";
import deploymentRollbackAvailable from "./deployment/rollback-available.js";
import dnsDkim from "./dns/dkim.js";
import dnsDmarc from "./dns/dmarc.js";
import dnsSpf from "./dns/spf.js";
import monitoringDatadogApiKey from "./monitoring/datadog-api-key.js";
import monitoringSentryDsn from "./monitoring/sentry-dsn.js";
import monitoringSentryTestEvent from "./monitoring/sentry-test-event.js";
import monitoringSentryAlertRules from "./monitoring/sentry-alert-rules.js";
import monitoringSentryCapturingErrors from "./monitoring/sentry-capturing-errors.js";
import monitoringDatadogMonitors from "./monitoring/datadog-monitors.js";
import calendlyEventTypesActive from "./calendly/event-types-active.js";
import calendlyTokenValid from "./calendly/token-valid.js";
import calendlyWebhookSubscriptionActive from "./calendly/webhook-subscription-active.js";
import calendlyWebhookDeliveriesSucceeding from "./calendly/webhook-deliveries-succeeding.js";
import sendgridDomainAuthenticated from "./sendgrid/domain-authenticated.js";
import sendgridKeyCanSend from "./sendgrid/key-can-send.js";
import sendgridSenderVerified from "./sendgrid/sender-verified.js";
import sendgridSendAccepted from "./sendgrid/send-accepted.js";
import sendgridTemplateActive from "./sendgrid/template-active.js";
import sendgridTemplateRenders from "./sendgrid/template-renders.js";
import sendgridDeliveryRates from "./sendgrid/delivery-rates.js";
import stripeKeyValid from "./stripe/key-valid.js";
import stripePublishableKeySameAccount from "./stripe/publishable-key-same-account.js";
import stripePricesMatch from "./stripe/prices-match.js";
import stripeWebhookEndpointEnabled from "./stripe/webhook-endpoint-enabled.js";
import stripeWebhookDeliveriesSucceeding from "./stripe/webhook-deliveries-succeeding.js";
import envCalendlyWellFormed from "./env/calendly-well-formed.js";
import envDatabaseUrlsWellFormed from "./env/database-urls-well-formed.js";
import envDirectUrlBypassesPooler from "./env/direct-url-bypasses-pooler.js";
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
import endpointsBaseUrlHttps from "./endpoints/base-url-https.js";
import endpointsCalendlyWebhookAcceptsSignedEvent from "./endpoints/calendly-webhook-accepts-signed-event.js";
import endpointsCalendlyWebhookReachable from "./endpoints/calendly-webhook-reachable.js";
import endpointsCalendlyWebhookRejectsMalformedJson from "./endpoints/calendly-webhook-rejects-malformed-json.js";
import endpointsHealthDatabaseUp from "./endpoints/health-database-up.js";
import endpointsStripeWebhookAcceptsSignedEvent from "./endpoints/stripe-webhook-accepts-signed-event.js";
import endpointsStripeWebhookReachable from "./endpoints/stripe-webhook-reachable.js";
import endpointsStripeWebhookRejectsMalformedJson from "./endpoints/stripe-webhook-rejects-malformed-json.js";
import securityHeaders from "./security/headers.js";
import securityRateLimit from "./security/rate-limit.js";
import securityWebhookCors from "./security/webhook-cors.js";
import securityWebhookSignaturesValidated from "./security/webhook-signatures-validated.js";

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
  envDirectUrlBypassesPooler,
  envUrlsWellFormed,
  envStripeKeyModesMatch,
  envStripeModeMatchesTarget,
  envWebhookUrlsMatchBase,
  envRuntimeMatchesTarget,
  envNoPublicSecrets,
  envVercelProductionVars,
  // calendly
  calendlyTokenValid,
  calendlyWebhookSubscriptionActive,
  calendlyWebhookDeliveriesSucceeding,
  calendlyEventTypesActive,
  // stripe
  stripeKeyValid,
  stripePublishableKeySameAccount,
  stripeWebhookEndpointEnabled,
  stripeWebhookDeliveriesSucceeding,
  stripePricesMatch,
  // sendgrid
  sendgridKeyCanSend,
  sendgridTemplateActive,
  sendgridSenderVerified,
  sendgridDomainAuthenticated,
  sendgridTemplateRenders,
  sendgridSendAccepted,
  sendgridDeliveryRates,
  // dns
  dnsSpf,
  dnsDkim,
  dnsDmarc,
  // database
  databaseConnects,
  databaseConnectionsStable,
  databaseMigrationsApplied,
  databaseTablesMatchSchema,
  databaseSessionTypesSeeded,
  databaseMarketplaceHasBuilders,
  // endpoints
  endpointsBaseUrlHttps,
  endpointsHealthDatabaseUp,
  endpointsCalendlyWebhookReachable,
  endpointsCalendlyWebhookAcceptsSignedEvent,
  endpointsCalendlyWebhookRejectsMalformedJson,
  endpointsStripeWebhookReachable,
  endpointsStripeWebhookAcceptsSignedEvent,
  endpointsStripeWebhookRejectsMalformedJson,
  // security
  securityWebhookSignaturesValidated,
  securityWebhookCors,
  securityRateLimit,
  securityHeaders,
  // monitoring
  monitoringSentryDsn,
  monitoringSentryTestEvent,
  monitoringDatadogApiKey,
  monitoringSentryAlertRules,
  monitoringSentryCapturingErrors,
  monitoringDatadogMonitors,
  // deployment
  deploymentProductionReady,
  deploymentExpectedCommit,
  deploymentRollbackAvailable,
  deploymentLogsClean,
  deploymentEmergencyContacts,
];
