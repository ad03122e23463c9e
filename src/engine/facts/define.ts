import type { AllFacts, AnyFactName, FactDefinition, FactDeps, GatherContext, InternalFacts } from "./types.js";

/** Internal facts say so (`internal: true`); facts checks read do not. */
type InternalFlag<N extends AnyFactName> = N extends keyof InternalFacts ? { internal: true } : { internal?: never };

/**
 * Declares a fact, as Lighthouse gatherers declare theirs: its name, the
 * facts (or clients, which are internal facts) it reads, and `gather`, which
 * receives the run's context and one function per declared dependency. The
 * store gathers every fact at most once per run and shares it; a dependency
 * is gathered only when `gather` calls for it, so a fact that returns early
 * (nothing configured) touches nothing it declared.
 */
export function defineFact<N extends AnyFactName, const D extends AnyFactName = never>(
  definition: { name: N; needs?: readonly D[]; gather(ctx: GatherContext, deps: FactDeps<D>): Promise<AllFacts[N]> } & InternalFlag<N>,
): FactDefinition<N, D> {
  return Object.freeze({ name: definition.name, needs: [...(definition.needs ?? [])], internal: definition.internal === true, gather: definition.gather });
}
