import { describe, expect, it } from "vitest";
import { defaultConfig } from "../../src/config/bookflow-config.js";
import { FactError, FactStore, gatherers } from "../../src/engine/facts/index.js";

const ctx = (env: Record<string, string | undefined> = {}) => ({ env, target: "staging" as const, config: defaultConfig(), signal: new AbortController().signal });

describe("facts", () => {
  it("is lazy and memoised: a gatherer runs on first use, once", async () => {
    let calls = 0;
    const store = new FactStore(ctx(), { config: async () => (calls++, defaultConfig()) });
    expect(calls).toBe(0);
    const [a, b] = await Promise.all([store.get("config"), store.get("config")]);
    expect(await store.get("config")).toBe(a);
    expect(b).toBe(a);
    expect(calls).toBe(1);
  });

  it("wraps a gatherer's failure in a FactError naming the fact, and remembers it", async () => {
    let calls = 0;
    const store = new FactStore(ctx(), {
      config: async () => {
        calls++;
        throw new Error("connection refused");
      },
    });
    await expect(store.get("config")).rejects.toThrow(FactError);
    await expect(store.get("config")).rejects.toThrow('fact "config" could not be gathered: connection refused');
    expect(calls).toBe(1);
  });

  it("fails a fact that has no gatherer", async () => {
    await expect(new FactStore(ctx(), {}).get("env")).rejects.toThrow(/no gatherer/);
  });

  it("the env fact holds the variables (blank as unset) and the target", async () => {
    const env = await new FactStore(ctx({ A: "1", B: "", C: "  " }), gatherers).get("env");
    expect(env.target).toBe("staging");
    expect(env.vars).toMatchObject({ A: "1", B: undefined, C: undefined });
  });
});
