import { defineCheck, pass, type AnyCheck, type FactName, type Verdict } from "../../src/engine/check.js";
import { defaultConfig } from "../../src/config/bookflow-config.js";
import { envFact, type RequiredEnvName } from "../../src/config/verify-env.js";
import { FactStore, type FactGatherers } from "../../src/engine/facts/index.js";
import type { Facts } from "../../src/engine/facts/types.js";

/**
 * A check for engine tests: id "<section>.<name>", passing with its message
 * `ok` ("<id> ok") unless `run` says otherwise; `messages` adds the messages
 * `run` reports (the runner renders them as for a real check).
 */
export function testCheck(
  id: string,
  options: {
    needs?: string[];
    vars?: RequiredEnvName[];
    facts?: FactName[];
    severity?: "error" | "warn";
    severityByTarget?: Partial<Record<"production" | "staging" | "sandbox", "error" | "warn">>;
    section?: string;
    messages?: Record<string, string>;
    run?: (facts: Partial<Facts>) => Verdict | Promise<Verdict>;
  } = {},
): AnyCheck {
  return defineCheck<FactName, string>({
    id,
    section: options.section ?? id.split(".")[0]!,
    title: `Title of ${id}`,
    severity: options.severity ?? "error",
    ...(options.severityByTarget ? { severityByTarget: options.severityByTarget } : {}),
    needs: options.needs ?? [],
    ...(options.vars ? { vars: options.vars } : {}),
    facts: options.facts ?? [],
    docs: { why: `Why ${id} matters.`, fix: `Fix ${id} like this.` },
    messages: { ok: `${id} ok`, ...options.messages },
    run: (facts) => (options.run ? options.run(facts as Partial<Facts>) : pass("ok")),
  });
}

/** A fact store over a fixed world, counting how often each fact is gathered. */
export function testFacts(overrides: Partial<FactGatherers> = {}) {
  const calls: Record<string, number> = {};
  const count = <T>(name: string, fn: () => Promise<T>) => () => {
    calls[name] = (calls[name] ?? 0) + 1;
    return fn();
  };
  const gatherers: Partial<FactGatherers> = {
    env: count("env", overrides.env ? () => overrides.env!(ctx) : async () => envFact({ NODE_ENV: "production" }, "production")),
    config: count("config", overrides.config ? () => overrides.config!(ctx) : async () => defaultConfig()),
  };
  const ctx = { env: {}, target: "production" as const, config: defaultConfig(), signal: new AbortController().signal };
  return { store: new FactStore(ctx, gatherers), calls };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
