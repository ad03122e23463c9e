import type { BookflowConfig } from "../../config/bookflow-config.js";
import type { EnvFact, Target } from "../../config/verify-env.js";
import type { VercelEnvVar } from "../../providers/vercel/client.js";
import type { Database } from "../../db/client.js";
import type { MigrationStatus } from "../../db/migrations.js";
import type { DkimSelectorResult, DmarcEvaluation, SpfEvaluation } from "../../providers/dns/email-auth.js";
import type { BuilderProfileRow, ColumnsByTable, DatabaseConnection, DatabaseConnectionSamples, SessionTypeRow } from "./database.js";
import type { DeploymentLogsFact, VercelDeploymentsFact } from "./deployment.js";
import type { SendingDomain } from "./dns.js";
import type { DatadogKeyValidation, DatadogMonitorsFact, SentryAlertRulesFact, SentryEventReadBackFact, SentryTestEvent } from "./monitoring.js";
import type { CalendlyEventTypeFact, CalendlySubscriptionsFact, CalendlyUserFact } from "./calendly.js";
import type { ActiveSessionType } from "./session-types.js";
import type { SendGridDomainValidationFact, SendGridSandboxSendFact, SendGridScopesFact, SendGridSendersFact, SendGridTemplateFact, SendGridTemplateRecord, SendGridTemplateRenderFact } from "./sendgrid.js";
import type { SendGridDeliveryStatsFact } from "./sendgrid.js";
import type { StripeAccountFact, StripePricesFact, StripeUndeliveredEventsFact, StripeWebhookEndpointFact } from "./stripe.js";
import type { StripePublishableKeyAccountFact } from "./stripe.js";
import type { EndpointProbes } from "./endpoints.js";
import type { RateLimitProbe, SecurityProbes } from "./security.js";
import type Stripe from "stripe";
import type { CalendlyClient } from "../../providers/calendly/client.js";
import type { SendGridClient, SendGridDomain } from "../../providers/sendgrid/client.js";
import type { VercelClient } from "../../providers/vercel/client.js";
import type { Clients } from "../../context.js";

/**
 * Every fact a check can read, by name. To add one: add its name and type
 * here, and its definition (`defineFact`) to FACT_DEFINITIONS in ./index.ts
 * (the compiler insists on both).
 */
export interface Facts {
  /** The environment (blank = unset) and the target being verified. */
  env: EnvFact;
  /** bookflow.config.json, validated, with defaults filled in. */
  config: BookflowConfig;
  /** The Vercel project's variables (no values), or null when VERCEL_TOKEN/VERCEL_PROJECT_ID are not set. */
  vercelEnvVars: VercelEnvVar[] | null;
  /** verify options the checks read: --expect-commit, --send-test-events. */
  verifyOptions: VerifyOptionsFact;
  /** DATABASE_URL (the run's shared handle) and DIRECT_URL (a separate connection): connected or why not, with latency. */
  databaseConnections: DatabaseConnection[];
  /** Fresh connections to DATABASE_URL spread over a few seconds (thresholds.databaseConnectionSamples / databaseSampleWindowMs), each timed or why it failed. */
  databaseConnectionSamples: DatabaseConnectionSamples;
  /** prisma/migrations compared with `_prisma_migrations` in DATABASE_URL. */
  migrationStatus: MigrationStatus;
  /** Columns prisma/schema.prisma gives each table (relation fields left out). */
  expectedColumns: ColumnsByTable;
  /** Columns each table of the database's current schema has (information_schema). */
  databaseColumns: ColumnsByTable;
  /** Every session type in the database, active or not, with its builder's slug and visibility. */
  sessionTypes: SessionTypeRow[];
  /** Every builder profile: visible or not, and how many active session types. */
  builderProfiles: BuilderProfileRow[];
  /** The domain mail is sent from (config email.sendingDomain, else the SENDGRID_FROM_EMAIL domain), or null. */
  sendingDomain: SendingDomain | null;
  /** The sending domain's SPF, evaluated recursively (null: no sending domain). */
  spfRecord: SpfEvaluation | null;
  /** DKIM keys at each selector (config email.dkimSelectors) of the sending domain (null: no sending domain). */
  dkimRecords: DkimSelectorResult[] | null;
  /** The sending domain's DMARC record (null: no sending domain). */
  dmarcRecord: DmarcEvaluation | null;
  /** Vercel: what serves production and the production deployments before it (null: Vercel not configured). */
  vercelDeployments: VercelDeploymentsFact | null;
  /** Vercel: the production deployment's events and runtime logs since it went live (null: Vercel not configured). */
  deploymentLogs: DeploymentLogsFact | null;
  /** A probe: a test event sent to Sentry with --send-test-events (or why none was sent). */
  sentryTestEvent: SentryTestEvent;
  /** DATADOG_API_KEY checked against Datadog's validate endpoint (null: not set). */
  datadogApiKey: DatadogKeyValidation | null;
  /** Active session types from the database (DATABASE_URL): Calendly event type and Stripe price of each. */
  activeSessionTypes: ActiveSessionType[];
  /** Calendly `GET /users/me` for CALENDLY_API_TOKEN, or why Calendly refused the token. */
  calendlyUser: CalendlyUserFact;
  /** Calendly webhook subscriptions, organization- and user-scoped. */
  calendlyWebhookSubscriptions: CalendlySubscriptionsFact;
  /** The Calendly organization's event types, active or not. */
  calendlyEventTypes: CalendlyEventTypeFact[];
  /** Whether Stripe accepts STRIPE_SECRET_KEY, and its livemode. */
  stripeAccount: StripeAccountFact;
  /** The Stripe account's webhook endpoints. */
  stripeWebhookEndpoints: StripeWebhookEndpointFact[];
  /** Stripe events of the last 24 hours not yet delivered to every endpoint subscribed to them (`pending_webhooks > 0`). */
  stripeUndeliveredEvents: StripeUndeliveredEventsFact;
  /** The Stripe price of each active session type that names one (null: no such price). */
  stripePrices: StripePricesFact;
  /** SENDGRID_API_KEY's scopes, or why SendGrid refused the key. */
  sendgridScopes: SendGridScopesFact;
  /** SENDGRID_BOOKING_TEMPLATE_ID as SendGrid knows it (null when not set). */
  sendgridTemplate: SendGridTemplateFact;
  /** SendGrid single senders and authenticated domains. */
  sendgridSenders: SendGridSendersFact;
  /** SendGrid's validation, run now, of the from-address domain's authentication. */
  sendgridDomainValidation: SendGridDomainValidationFact;
  /** A sample booking email sent to SendGrid in sandbox mode, and SendGrid's answer. */
  sendgridSandboxSend: SendGridSandboxSendFact;
  /** The template's active version rendered with the data of each email kind (null when no template id is set). */
  sendgridTemplateRender: SendGridTemplateRenderFact;
  /** SendGrid's delivery figures over thresholds.emailStatsWindowHours: stats, bounces and blocks (or the scopes the key lacks to read them). */
  sendgridDeliveryStats: SendGridDeliveryStatsFact;
  /** Probes: GETs of the base URL and /api/health; unsigned, wrongly signed, signed test-event and signed malformed-JSON POSTs to each webhook URL. */
  endpointProbes: EndpointProbes;
  /** Probes: CORS preflight and foreign-Origin POST on each webhook route; the base URL's response headers. */
  securityProbes: SecurityProbes;
  /** A probe: a bounded burst against the Calendly webhook route until a 429, only with --include-load. */
  rateLimitProbe: RateLimitProbe;
  /** A token made with STRIPE_PUBLISHABLE_KEY, looked up with STRIPE_SECRET_KEY: whether both keys belong to one account. */
  stripePublishableKeyAccount: StripePublishableKeyAccountFact;
  /** Sentry's issue alert rules of SENTRY_ORG/SENTRY_PROJECT (or which variables are missing). */
  sentryAlertRules: SentryAlertRulesFact;
  /** The test event sentryTestEvent sent, read back through Sentry's API (polled while Sentry ingests it). */
  sentryEventReadBack: SentryEventReadBackFact;
  /** The Datadog monitors the config's monitoring.datadog.monitors expects, as Datadog lists them. */
  datadogMonitors: DatadogMonitorsFact;
}

/**
 * Values facts share that no check reads: the run's provider clients and
 * intermediate results several facts are built from. A fact declares them in
 * `needs` like any other fact; the catalogue refuses them in a check's `facts`.
 */
export interface InternalFacts {
  /** The run's Calendly client (ctx.clients.calendly()). */
  calendlyClient: CalendlyClient;
  /** The run's Stripe client (ctx.clients.stripe()). */
  stripeClient: Stripe;
  /** The run's SendGrid client (ctx.clients.sendgrid()). */
  sendgridClient: SendGridClient;
  /** The run's Vercel client and project, or null when VERCEL_TOKEN/VERCEL_PROJECT_ID are not set. */
  vercelClient: { client: VercelClient; projectId: string } | null;
  /** SendGrid `GET /v3/whitelabel/domains` (sendgridSenders and sendgridDomainValidation read it). */
  sendgridAuthenticatedDomains: SendGridDomain[];
  /** SendGrid `GET /v3/templates/{SENDGRID_BOOKING_TEMPLATE_ID}` (sendgridTemplate and sendgridTemplateRender read it). */
  sendgridTemplateRecord: SendGridTemplateRecord;
}

/** Every fact the store gathers: the ones checks read and the internal ones. */
export type AllFacts = Facts & InternalFacts;
export type AnyFactName = keyof AllFacts;

/** What a run hands to the fact store; built once per run by the command. */
export interface FactContext {
  env: Readonly<Record<string, string | undefined>>;
  target: Target;
  config: BookflowConfig;
  /** The run's database (DATABASE_URL), opened once on first use and closed by the command at the end of the run. */
  db?: () => Promise<Database>;
  /** --expect-commit, when given. */
  expectCommit?: string | undefined;
  /** --send-test-events. */
  sendTestEvents?: boolean | undefined;
  /** --include-load: probes may send a short burst of requests (rate limiting). */
  includeLoad?: boolean | undefined;
  /** Aborted when the run ends (or is interrupted): gatherers pass it to their clients. */
  signal: AbortSignal;
  /** The run's provider clients (the command's `ctx.clients`); when absent, the store builds them from `env` the same way. */
  clients?: Clients | undefined;
}

/** What a fact's `gather` reads the world with: the run's context, its clients always present. */
export interface GatherContext extends FactContext {
  clients: Clients;
}

/** The verify options facts depend on. */
export interface VerifyOptionsFact {
  /** --expect-commit: the commit production must serve (full or abbreviated sha), or null. */
  expectCommit: string | null;
  /** --send-test-events: probes may send test events (Sentry). */
  sendTestEvents: boolean;
}

/** The declared dependencies a fact's `gather` receives: each gathered (once per run) when first called. */
export type FactDeps<D extends AnyFactName> = { readonly [K in D]: () => Promise<AllFacts[K]> };

/** One fact: its name, the facts it reads, and how it is gathered (see ./define.ts). */
export interface FactDefinition<N extends AnyFactName = AnyFactName, D extends AnyFactName = AnyFactName> {
  readonly name: N;
  readonly needs: readonly D[];
  /** True for the facts of InternalFacts: no check may read them. */
  readonly internal: boolean;
  gather(ctx: GatherContext, deps: FactDeps<D>): Promise<AllFacts[N]>;
}

/** A fact replaced by a plain function (test worlds): it declares no dependencies. */
export type FactGatherer<T> = (ctx: FactContext) => Promise<T>;

/** Replacements of facts by plain functions, by name (test worlds: `verify`'s `gatherers` option). */
export type FactGatherers = { [K in AnyFactName]: FactGatherer<AllFacts[K]> };

/** What a fact store gathers each fact with: its definition, or a replacement function. */
export type FactRegistry = { [K in AnyFactName]: FactDefinition<K, AnyFactName> | FactGatherer<AllFacts[K]> };
