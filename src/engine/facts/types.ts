import type { BookflowConfig } from "../../config/bookflow-config.js";
import type { EnvFact, Target } from "../../config/verify-env.js";
import type { VercelEnvVar } from "../../providers/vercel/client.js";
import type { Database } from "../../db/client.js";
import type { MigrationStatus } from "../../db/migrations.js";
import type { DkimSelectorResult, DmarcEvaluation, SpfEvaluation } from "../../providers/dns/email-auth.js";
import type { BuilderProfileRow, ColumnsByTable, DatabaseConnection, SessionTypeRow } from "./database.js";
import type { VercelDeploymentsFact } from "./deployment.js";
import type { SendingDomain } from "./dns.js";
import type { DatadogKeyValidation, SentryTestEvent } from "./monitoring.js";
import type { CalendlyEventTypeFact, CalendlySubscriptionsFact, CalendlyUserFact } from "./calendly.js";
import type { ActiveSessionType } from "./session-types.js";
import type { SendGridDomainValidationFact, SendGridScopesFact, SendGridSendersFact, SendGridTemplateFact } from "./sendgrid.js";
import type { StripeAccountFact, StripePricesFact, StripeWebhookEndpointFact } from "./stripe.js";
import type { EndpointProbes } from "./endpoints.js";
import type { RateLimitProbe, SecurityProbes } from "./security.js";

/**
 * Every fact a check can read, by name. To add one: add its name and type
 * here, and its gatherer to `gatherers` in ./index.ts (the compiler insists).
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
  /** Probes: GETs of the base URL and /api/health; unsigned, wrongly signed, signed test-event and signed malformed-JSON POSTs to each webhook URL. */
  endpointProbes: EndpointProbes;
  /** Probes: CORS preflight and foreign-Origin POST on each webhook route; the base URL's response headers. */
  securityProbes: SecurityProbes;
  /** A probe: a bounded burst against the Calendly webhook route until a 429, only with --include-load. */
  rateLimitProbe: RateLimitProbe;
}

/** What gatherers read the world with; built once per run by the command. */
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
}

/** The verify options facts depend on. */
export interface VerifyOptionsFact {
  /** --expect-commit: the commit production must serve (full or abbreviated sha), or null. */
  expectCommit: string | null;
  /** --send-test-events: probes may send test events (Sentry). */
  sendTestEvents: boolean;
}

export type FactGatherer<T> = (ctx: FactContext) => Promise<T>;

export type FactGatherers = { [K in keyof Facts]: FactGatherer<Facts[K]> };
