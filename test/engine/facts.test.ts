import { describe, expect, expectTypeOf, it } from "vitest";
import { defaultConfig } from "../../src/config/bookflow-config.js";
import { envFact } from "../../src/config/verify-env.js";
import { createContext, type Clients } from "../../src/context.js";
import { defineFact, FACT_DEFINITIONS, FACT_NAMES, factCycles, FactError, FactStore, gatherers, type AllFacts, type AnyFactName, type Facts } from "../../src/engine/facts/index.js";
import { InternalError } from "../../src/errors.js";
import { startSendGridEmulator } from "../../src/sandbox/sendgrid/emulator.js";

const API_KEY = "SG.facts-test.key";

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

describe("fact definitions: declared dependencies, one list", () => {
  it("the list and the Facts types agree: every name once, internal facts kept from checks, every need registered", () => {
    expectTypeOf<(typeof FACT_DEFINITIONS)[number]["name"]>().toEqualTypeOf<AnyFactName>();
    expectTypeOf<(typeof FACT_NAMES)[number]>().toEqualTypeOf<keyof Facts>();
    const names = FACT_DEFINITIONS.map((d) => d.name);
    expect(new Set(names).size).toBe(names.length);
    expect(Object.keys(gatherers).sort()).toEqual([...names].sort());
    const internal = FACT_DEFINITIONS.filter((d) => d.internal).map((d) => d.name);
    expect(internal.sort()).toEqual(["calendlyClient", "sendgridAuthenticatedDomains", "sendgridClient", "sendgridTemplateRecord", "stripeClient", "vercelClient"]);
    expect(FACT_NAMES.some((n) => (internal as string[]).includes(n))).toBe(false);
    for (const d of FACT_DEFINITIONS) for (const n of d.needs) expect(names, `${d.name} needs ${n}`).toContain(n);
    expect(factCycles(gatherers)).toEqual([]);
  });

  it("refuses a cycle in needs before gathering anything", () => {
    let gathered = 0;
    const registry = {
      env: defineFact({ name: "env", needs: ["config"], gather: async () => (gathered++, envFact({}, "staging")) }),
      config: defineFact({ name: "config", needs: ["verifyOptions"], gather: async () => (gathered++, defaultConfig()) }),
      verifyOptions: defineFact({ name: "verifyOptions", needs: ["env"], gather: async () => (gathered++, { expectCommit: null, sendTestEvents: false }) }),
    };
    expect(factCycles(registry)).toEqual([["env", "config", "verifyOptions", "env"]]);
    expect(() => new FactStore(ctx(), registry)).toThrow(InternalError);
    expect(() => new FactStore(ctx(), registry)).toThrow(/circular:\n {2}- env -> config -> verifyOptions -> env/);
    expect(gathered).toBe(0);
  });

  it("gathers each fact once per run, an internal fact read by two facts included", async () => {
    const calls: Record<string, number> = {};
    const counted = <T>(name: string, value: T) => async () => ((calls[name] = (calls[name] ?? 0) + 1), value);
    const domains = [{ id: 7, domain: "example.com", valid: true }] as AllFacts["sendgridAuthenticatedDomains"];
    const registry = {
      sendgridAuthenticatedDomains: counted("sendgridAuthenticatedDomains", domains),
      sendingDomain: counted("sendingDomain", { domain: "example.com", source: "config" as const }),
      sendgridSenders: defineFact({
        name: "sendgridSenders",
        needs: ["sendgridAuthenticatedDomains"],
        gather: async (_ctx, deps) => (counted("sendgridSenders", null)(), { verifiedSenders: [], domains: await deps.sendgridAuthenticatedDomains() }),
      }),
      sendgridDomainValidation: defineFact({
        name: "sendgridDomainValidation",
        needs: ["sendgridAuthenticatedDomains", "sendingDomain"],
        async gather(_ctx, deps) {
          await counted("sendgridDomainValidation", null)();
          const [all, sending] = await Promise.all([deps.sendgridAuthenticatedDomains(), deps.sendingDomain()]);
          const match = all.find((d) => d.domain === sending?.domain) ?? null;
          return { domain: sending!.domain, authenticatedDomain: match && { id: match.id, domain: match.domain }, validation: null };
        },
      }),
    };
    const store = new FactStore(ctx(), registry);
    const picked = await store.pick(["sendgridSenders", "sendgridDomainValidation", "sendingDomain"]);
    await Promise.all([store.get("sendgridSenders"), store.get("sendgridDomainValidation")]);
    expect(picked.sendgridSenders.domains).toBe(domains);
    expect(picked.sendgridDomainValidation.authenticatedDomain).toEqual({ id: 7, domain: "example.com" });
    expect(calls).toEqual({ sendgridAuthenticatedDomains: 1, sendingDomain: 1, sendgridSenders: 1, sendgridDomainValidation: 1 });
  });

  it("a dependency's failure fails the fact that reads it, naming that fact and the cause", async () => {
    const store = new FactStore(ctx(), { ...gatherers, sendgridClient: async () => Promise.reject(new Error("SENDGRID_API_KEY is not set")) });
    await expect(store.get("sendgridScopes")).rejects.toThrow('fact "sendgridScopes" could not be gathered: SENDGRID_API_KEY is not set');
    await expect(store.get("sendgridSenders")).rejects.toThrow('fact "sendgridSenders" could not be gathered: SENDGRID_API_KEY is not set');
  });

  it("gathers a declared dependency only when the fact asks for it", async () => {
    // No SENDGRID_BOOKING_TEMPLATE_ID: the template fact is null and never asks for the client (whose key is missing too).
    const store = new FactStore(ctx(), gatherers);
    expect(await store.get("sendgridTemplate")).toBeNull();
    expect(await store.get("vercelDeployments")).toBeNull();
    expect(await store.get("rateLimitProbe")).toEqual({ ran: false, reason: "run with --include-load to send a short burst of requests" });
  });

  it("the template facts share one GET /v3/templates/{id}; the sandbox send goes out in sandbox mode and delivers nothing", async () => {
    const emulator = await startSendGridEmulator({ apiKey: API_KEY });
    try {
      const { DEFAULT_SENDGRID_TEMPLATES } = await import("../../src/sandbox/sendgrid/emulator.js");
      const templateId = DEFAULT_SENDGRID_TEMPLATES[0]!.id;
      const env = { SENDGRID_API_KEY: API_KEY, SENDGRID_FROM_EMAIL: "bookings@example.com", SENDGRID_BOOKING_TEMPLATE_ID: templateId };
      const context = createContext({ env: { ...env, SENDGRID_API_BASE: emulator.url } });
      const store = new FactStore({ ...ctx(env), clients: context.clients }, gatherers);
      const [template, render, send] = await Promise.all([store.get("sendgridTemplate"), store.get("sendgridTemplateRender"), store.get("sendgridSandboxSend")]);
      expect(template).toMatchObject({ found: true });
      expect(render).toMatchObject({ unavailable: false, version: { name: "v1" } });
      expect(render && !render.unavailable && render.kinds.map((k) => [k.kind, k.variablesMissing, k.errors])).toEqual([
        ["CONFIRMATION", [], []],
        ["RECEIPT", [], []],
        ["CANCELLATION", [], []],
        ["RESCHEDULED", [], []],
      ]);
      expect(send).toEqual({ from: "bookings@example.com", templateId, kind: "CONFIRMATION", answer: { accepted: true, status: 200, messageId: null } });
      expect(emulator.requestLog.filter((r) => r.path === `/v3/templates/${templateId}`)).toHaveLength(1);
      expect(emulator.inbox()).toEqual([]);
    } finally {
      await emulator.close();
    }
  });

  it("reads provider clients from the run's context, and says which variable is missing without one", async () => {
    const env = { SENDGRID_API_KEY: API_KEY, SENDGRID_FROM_EMAIL: "noreply@example.com" };
    const emulator = await startSendGridEmulator({ apiKey: API_KEY, scopes: ["mail.send", "whitelabel.read", "whitelabel.update"] });
    try {
      const asked: string[] = [];
      const context = createContext({ env: { ...env, SENDGRID_API_BASE: emulator.url } });
      const clients: Clients = { ...context.clients, sendgrid: () => (asked.push("sendgrid"), context.clients.sendgrid()) };
      const store = new FactStore({ ...ctx(env), clients }, gatherers);
      await Promise.all([store.get("sendgridScopes"), store.get("sendgridSenders"), store.get("sendgridDomainValidation")]);
      expect(await store.get("sendgridScopes")).toEqual({ authenticated: true, scopes: ["mail.send", "whitelabel.read", "whitelabel.update"] });
      expect(asked).toEqual(["sendgrid"]);
      expect(emulator.requestLog.filter((r) => r.path === "/v3/whitelabel/domains")).toHaveLength(1);
    } finally {
      await emulator.close();
    }
    await expect(new FactStore(ctx(), gatherers).get("sendgridScopes")).rejects.toThrow(/^fact "sendgridScopes" could not be gathered: SENDGRID_API_KEY is not set/);
    await expect(new FactStore(ctx(), gatherers).get("stripeAccount")).rejects.toThrow(/^fact "stripeAccount" could not be gathered: STRIPE_SECRET_KEY is not set/);
    await expect(new FactStore(ctx(), gatherers).get("calendlyUser")).rejects.toThrow(/^fact "calendlyUser" could not be gathered: CALENDLY_API_TOKEN is not set/);
  });
});
