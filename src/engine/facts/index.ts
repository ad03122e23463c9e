import { envFact } from "../../config/verify-env.js";
import type { Clients } from "../../context.js";
import { InternalError } from "../../errors.js";
import { findCycles } from "../cycles.js";
import { defineFact } from "./define.js";
import type { AllFacts, AnyFactName, FactContext, FactDefinition, FactDeps, FactRegistry, Facts, GatherContext } from "./types.js";
import { vercelClientFact, vercelEnvVarsFact } from "./vercel.js";
import { builderProfilesFact, databaseColumnsFact, databaseConnectionSamplesFact, databaseConnectionsFact, expectedColumnsFact, migrationStatusFact, sessionTypesFact } from "./database.js";
import { deploymentLogsFact, vercelDeploymentsFact } from "./deployment.js";
import { dkimRecordsFact, dmarcRecordFact, sendingDomainFact, spfRecordFact } from "./dns.js";
import { datadogApiKeyFact, datadogMonitorsFact, sentryAlertRulesFact, sentryEventReadBackFact, sentryTestEventFact } from "./monitoring.js";
import { calendlyClientFact, calendlyEventTypesFact, calendlyUserFact, calendlyWebhookSubscriptionsFact } from "./calendly.js";
import { activeSessionTypesFact } from "./session-types.js";
import {
  sendgridAuthenticatedDomainsFact,
  sendgridClientFact,
  sendgridDomainValidationFact,
  sendgridSandboxSendFact,
  sendgridScopesFact,
  sendgridSendersFact,
  sendgridTemplateFact,
  sendgridTemplateRecordFact,
  sendgridTemplateRenderFact,
} from "./sendgrid.js";
import { sendgridDeliveryStatsFact } from "./sendgrid.js";
import { stripeAccountFact, stripeClientFact, stripePricesFact, stripeUndeliveredEventsFact, stripeWebhookEndpointsFact } from "./stripe.js";
import { stripePublishableKeyAccountFact } from "./stripe.js";
import { endpointProbesFact } from "./endpoints.js";
import { rateLimitProbeFact, securityProbesFact } from "./security.js";

export { defineFact } from "./define.js";
export type { AllFacts, AnyFactName, FactContext, FactDefinition, FactDeps, FactGatherer, FactGatherers, FactRegistry, Facts, GatherContext, InternalFacts } from "./types.js";

/**
 * Every fact the store can gather, in one list: one `defineFact` each.
 * Providers' clients and SDKs are imported lazily inside `gather`, so loading
 * the list stays cheap.
 */
export const FACT_DEFINITIONS = [
  defineFact({ name: "env", gather: async (ctx) => envFact({ ...ctx.env }, ctx.target) }),
  defineFact({ name: "config", gather: async (ctx) => ctx.config }),
  vercelEnvVarsFact,
  defineFact({ name: "verifyOptions", gather: async (ctx) => ({ expectCommit: ctx.expectCommit ?? null, sendTestEvents: ctx.sendTestEvents ?? false }) }),
  databaseConnectionsFact,
  databaseConnectionSamplesFact,
  migrationStatusFact,
  expectedColumnsFact,
  databaseColumnsFact,
  sessionTypesFact,
  builderProfilesFact,
  sendingDomainFact,
  spfRecordFact,
  dkimRecordsFact,
  dmarcRecordFact,
  vercelDeploymentsFact,
  deploymentLogsFact,
  sentryTestEventFact,
  datadogApiKeyFact,
  activeSessionTypesFact,
  calendlyUserFact,
  calendlyWebhookSubscriptionsFact,
  calendlyEventTypesFact,
  stripeAccountFact,
  stripePublishableKeyAccountFact,
  stripeWebhookEndpointsFact,
  stripePricesFact,
  stripeUndeliveredEventsFact,
  sendgridScopesFact,
  sendgridTemplateFact,
  sendgridSendersFact,
  sendgridDomainValidationFact,
  sendgridSandboxSendFact,
  sendgridTemplateRenderFact,
  sendgridDeliveryStatsFact,
  endpointProbesFact,
  securityProbesFact,
  rateLimitProbeFact,
  sentryAlertRulesFact,
  sentryEventReadBackFact,
  datadogMonitorsFact,
  // Internal: read by the facts above, never by a check.
  calendlyClientFact,
  stripeClientFact,
  sendgridClientFact,
  vercelClientFact,
  sendgridAuthenticatedDomainsFact,
  sendgridTemplateRecordFact,
] as const;

/** The compiler insists that every name of AllFacts (types.ts) has a definition above. */
type Unlisted = Exclude<AnyFactName, (typeof FACT_DEFINITIONS)[number]["name"]>;
const everyFactListed: [Unlisted] extends [never] ? true : { unlisted: Unlisted } = true;
void everyFactListed;

/** The default registry: each fact's definition by name. */
export const gatherers = Object.fromEntries(FACT_DEFINITIONS.map((d) => [d.name, d])) as unknown as { [K in AnyFactName]: FactDefinition<K, AnyFactName> };

/** The facts a check may read (internal facts left out). */
export const FACT_NAMES = FACT_DEFINITIONS.filter((d) => !d.internal).map((d) => d.name) as (keyof Facts)[];

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
  /** What went wrong: the gatherer's own error (also when it came from a fact this one reads). */
  override readonly cause: unknown;
  constructor(fact: string, cause: unknown) {
    // A failed dependency is reported by its own cause, under the name of the fact asked for.
    const root = cause instanceof FactError ? cause.cause : cause;
    super(`fact "${fact}" could not be gathered: ${root instanceof Error ? root.message : String(root)}`);
    this.fact = fact;
    this.cause = root;
  }
}

/** Cycles in the facts' `needs` (each as names, the first repeated at the end); empty when there is none. */
export function factCycles(registry: Partial<FactRegistry>): string[][] {
  return findCycles(Object.keys(registry), (name) => {
    const entry = registry[name as AnyFactName];
    return entry && typeof entry !== "function" ? entry.needs : [];
  });
}

/** The run's clients when the caller handed none (tests, the bench): the same lazy builders a Context uses, from the run's env. */
function clientsFromEnv(env: FactContext["env"], signal: AbortSignal): Clients {
  const fromEnv = () => import("../../providers/from-env.js");
  const once = <T>(make: () => Promise<T>): (() => Promise<T>) => {
    let p: Promise<T> | undefined;
    return () => (p ??= make());
  };
  return {
    calendly: once(async () => (await fromEnv()).calendlyFromEnv(env, { signal })),
    stripe: once(async () => (await fromEnv()).stripeFromEnv(env)),
    sendgrid: once(async () => (await fromEnv()).sendgridFromEnv(env)),
    vercel: once(async () => (await fromEnv()).vercelFromEnv(env)),
  };
}

/**
 * Memoised, lazy facts for one run: each fact is gathered at most once, on
 * the first request (by a check or by a fact that declares it in `needs`),
 * and every later request shares its promise (or its failure). The registry
 * holds definitions, or plain functions that replace a fact (test worlds);
 * a cycle in `needs` is refused here, before anything is gathered.
 */
export class FactStore {
  private readonly cache = new Map<AnyFactName, Promise<unknown>>();
  private readonly ctx: GatherContext;

  constructor(
    ctx: FactContext,
    private readonly registry: Partial<FactRegistry> = gatherers,
  ) {
    const cycles = factCycles(registry);
    if (cycles.length) throw new InternalError(`The facts' dependencies are circular:\n  - ${cycles.map((c) => c.join(" -> ")).join("\n  - ")}`);
    this.ctx = { ...ctx, clients: ctx.clients ?? clientsFromEnv(ctx.env, ctx.signal) };
  }

  get<K extends AnyFactName>(name: K): Promise<AllFacts[K]> {
    let p = this.cache.get(name);
    if (!p) {
      const entry = this.registry[name];
      p = entry
        ? Promise.resolve()
            .then(() => (typeof entry === "function" ? entry(this.ctx) : entry.gather(this.ctx, this.depsOf(entry))))
            .catch((err: unknown) => {
              throw new FactError(String(name), err);
            })
        : Promise.reject(new FactError(String(name), new Error("no gatherer is registered for it")));
      // A rejection nobody awaits yet must not crash the process.
      p.catch(() => undefined);
      this.cache.set(name, p);
    }
    return p as Promise<AllFacts[K]>;
  }

  /** One function per declared dependency, each asking this store (so each fact is still gathered once). */
  private depsOf(definition: FactDefinition<AnyFactName, AnyFactName>): FactDeps<AnyFactName> {
    return Object.fromEntries(definition.needs.map((n) => [n, () => this.get(n)])) as unknown as FactDeps<AnyFactName>;
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
  async pick<K extends AnyFactName>(names: readonly K[]): Promise<Pick<AllFacts, K>> {
    const values = await Promise.all(names.map((n) => this.get(n)));
    const out = {} as Pick<AllFacts, K>;
    names.forEach((n, i) => ((out as Record<string, unknown>)[n] = values[i]));
    return out;
  }
}
