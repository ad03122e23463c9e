import { envFact } from "../../config/verify-env.js";
import type { FactContext, FactGatherers, Facts } from "./types.js";
import { gatherVercelEnvVars } from "./vercel.js";
import { gatherBuilderProfiles, gatherDatabaseColumns, gatherDatabaseConnections, gatherExpectedColumns, gatherMigrationStatus, gatherSessionTypes } from "./database.js";
import { gatherVercelDeployments } from "./deployment.js";
import { gatherDkimRecords, gatherDmarcRecord, gatherSendingDomain, gatherSpfRecord } from "./dns.js";
import { gatherDatadogApiKey, gatherSentryTestEvent } from "./monitoring.js";
import { gatherCalendlyEventTypes, gatherCalendlyUser, gatherCalendlyWebhookSubscriptions } from "./calendly.js";
import { gatherActiveSessionTypes } from "./session-types.js";
import { gatherSendGridDomainValidation, gatherSendGridScopes, gatherSendGridSenders, gatherSendGridTemplate } from "./sendgrid.js";
import { gatherStripeAccount, gatherStripePrices, gatherStripeWebhookEndpoints } from "./stripe.js";
import { gatherEndpointProbes } from "./endpoints.js";
import { gatherRateLimitProbe, gatherSecurityProbes } from "./security.js";

export type { FactContext, FactGatherer, FactGatherers, Facts } from "./types.js";

/**
 * The registry of gatherers: one per fact name. Gatherers that talk to a
 * provider import its client lazily inside the function, so loading the
 * registry stays cheap.
 */
export const gatherers: FactGatherers = {
  env: async (ctx) => envFact({ ...ctx.env }, ctx.target),
  config: async (ctx) => ctx.config,
  vercelEnvVars: gatherVercelEnvVars,
  verifyOptions: async (ctx) => ({ expectCommit: ctx.expectCommit ?? null, sendTestEvents: ctx.sendTestEvents ?? false }),
  databaseConnections: gatherDatabaseConnections,
  migrationStatus: gatherMigrationStatus,
  expectedColumns: gatherExpectedColumns,
  databaseColumns: gatherDatabaseColumns,
  sessionTypes: gatherSessionTypes,
  builderProfiles: gatherBuilderProfiles,
  sendingDomain: gatherSendingDomain,
  spfRecord: gatherSpfRecord,
  dkimRecords: gatherDkimRecords,
  dmarcRecord: gatherDmarcRecord,
  vercelDeployments: gatherVercelDeployments,
  sentryTestEvent: gatherSentryTestEvent,
  datadogApiKey: gatherDatadogApiKey,
  activeSessionTypes: gatherActiveSessionTypes,
  calendlyUser: gatherCalendlyUser,
  calendlyWebhookSubscriptions: gatherCalendlyWebhookSubscriptions,
  calendlyEventTypes: gatherCalendlyEventTypes,
  stripeAccount: gatherStripeAccount,
  stripeWebhookEndpoints: gatherStripeWebhookEndpoints,
  stripePrices: gatherStripePrices,
  sendgridScopes: gatherSendGridScopes,
  sendgridTemplate: gatherSendGridTemplate,
  sendgridSenders: gatherSendGridSenders,
  sendgridDomainValidation: gatherSendGridDomainValidation,
  endpointProbes: gatherEndpointProbes,
  securityProbes: gatherSecurityProbes,
  rateLimitProbe: (ctx) => gatherRateLimitProbe(ctx),
};

export const FACT_NAMES = Object.keys(gatherers) as (keyof Facts)[];

/**
 * Facts read from the command's own inputs (environment, config file, flags):
 * no I/O, gathered in microseconds. A check that reads only these (or facts
 * another check is already gathering) takes no concurrency slot in the runner.
 */
export const LOCAL_FACTS: ReadonlySet<keyof Facts> = new Set<keyof Facts>(["env", "config", "verifyOptions", "sendingDomain"]);

/** Why a fact could not be gathered; checks that need it end as `error` with this reason. */
export class FactError extends Error {
  override name = "FactError";
  readonly fact: string;
  constructor(fact: string, cause: unknown) {
    super(`fact "${fact}" could not be gathered: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.fact = fact;
  }
}

/**
 * Memoised, lazy facts for one run: each gatherer runs at most once, on the
 * first request, and every later request shares its promise (or its failure).
 */
export class FactStore {
  private readonly cache = new Map<keyof Facts, Promise<unknown>>();

  constructor(
    private readonly ctx: FactContext,
    private readonly registry: Partial<FactGatherers> = gatherers,
  ) {}

  get<K extends keyof Facts>(name: K): Promise<Facts[K]> {
    let p = this.cache.get(name);
    if (!p) {
      const gather = this.registry[name] as ((ctx: FactContext) => Promise<Facts[K]>) | undefined;
      p = gather
        ? Promise.resolve()
            .then(() => gather(this.ctx))
            .catch((err: unknown) => {
              throw new FactError(String(name), err);
            })
        : Promise.reject(new FactError(String(name), new Error("no gatherer is registered for it")));
      // A rejection nobody awaits yet must not crash the process.
      p.catch(() => undefined);
      this.cache.set(name, p);
    }
    return p as Promise<Facts[K]>;
  }

  /**
   * Whether asking for these facts now would start reading the world: some
   * fact is neither local (LOCAL_FACTS) nor already requested (in flight or
   * settled). The runner gives a concurrency slot only to checks for which
   * this is true (and to checks that declare no facts: their work is unknown).
   */
  wouldGather(names: readonly (keyof Facts)[]): boolean {
    return names.length === 0 || names.some((n) => !LOCAL_FACTS.has(n) && !this.cache.has(n));
  }

  /** Resolves the named facts into one object (rejects with the first FactError). */
  async pick<K extends keyof Facts>(names: readonly K[]): Promise<Pick<Facts, K>> {
    const values = await Promise.all(names.map((n) => this.get(n)));
    const out = {} as Pick<Facts, K>;
    names.forEach((n, i) => ((out as Record<string, unknown>)[n] = values[i]));
    return out;
  }
}
