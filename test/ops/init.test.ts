import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { askInitAnswers, terminalPrompt, type GivenAnswers, type Prompt } from "../../commands/support/init-questions.js";
import { bookflowConfigSchema } from "../../src/config/bookflow-config.js";
import { UsageError, UserAbort } from "../../src/errors.js";
import {
  initFiles,
  NPM_SCHEMA_REF,
  parseContact,
  parseDomain,
  parseSessionType,
  parseTarget,
  parseThreshold,
  parseWebUrl,
  schemaReference,
  webhookUrlsFor,
  withDefaults,
} from "../../src/ops/init.js";
import { tempDir } from "../support/cli.js";

function refusal(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return err as UsageError;
  }
  throw new Error("expected a refusal");
}

describe("init's answers, as flags or typed", () => {
  it("reads session types: slug, slug:price, slug:price:currency (lower-cased)", () => {
    expect(parseSessionType("intro-call", "--session-type")).toEqual({ slug: "intro-call" });
    expect(parseSessionType("intro-call:0", "--session-type")).toEqual({ slug: "intro-call", priceCents: 0 });
    expect(parseSessionType("deep-dive:15000:USD", "--session-type")).toEqual({ slug: "deep-dive", priceCents: 15000, currency: "usd" });
  });

  it.each(["intro:49.00:usd", "intro:free", "intro:100:dollars", "intro:100:usd:extra", "Intro Call:0", ":100:usd", "intro::usd"])("refuses the session type %s, with the format", (text) => {
    const err = refusal(() => parseSessionType(text, "--session-type"));
    expect(err.code).toBe("BAD_OPTION");
    expect(err.message).toContain("--session-type");
    expect(err.hint).toContain("slug:priceCents:currency");
  });

  it("reads contacts: the way is a URL, an email or a phone", () => {
    expect(parseContact("stripe:Stripe Support:https://support.stripe.com", "--contact")).toEqual({ role: "stripe", name: "Stripe Support", url: "https://support.stripe.com" });
    expect(parseContact("database:DBA team:dba@example.com", "--contact")).toEqual({ role: "database", name: "DBA team", email: "dba@example.com" });
    expect(parseContact("On-Call:Payments on-call:+1 415 555 0100", "--contact")).toEqual({ role: "on-call", name: "Payments on-call", phone: "+1 415 555 0100" });
  });

  it.each([
    ["boss:Ann:ann@example.com", /role "boss".*calendly, stripe/],
    ["stripe:Stripe Support", /role:name:way/],
    ["stripe::https://support.stripe.com", /name/],
    ["stripe:Stripe:call them", /phone/],
    ["stripe:Stripe:not@an@email", /email/],
  ])("refuses the contact %s, saying why", (text, why) => {
    const err = refusal(() => parseContact(text, "--contact"));
    expect(err.message).toMatch(why);
    expect(err.hint).toContain("role:name:way");
  });

  it("reads a domain (lower-cased, without a final dot) and refuses a URL or a word", () => {
    expect(parseDomain("Example.COM.", "--domain")).toBe("example.com");
    expect(refusal(() => parseDomain("https://example.com", "--domain")).hint).toContain("--domain example.com");
    refusal(() => parseDomain("localhost", "--domain"));
  });

  it("reads URLs for the target: https, or http for the sandbox only; without a trailing slash", () => {
    expect(parseWebUrl("https://book.example.com/", "--base-url", "production")).toBe("https://book.example.com");
    expect(parseWebUrl("http://127.0.0.1:3000", "--base-url", "sandbox")).toBe("http://127.0.0.1:3000");
    expect(refusal(() => parseWebUrl("http://book.example.com", "--base-url", "production")).message).toMatch(/https/);
    expect(refusal(() => parseWebUrl("book.example.com", "--base-url", "staging")).message).toMatch(/absolute URL/);
    refusal(() => parseWebUrl("ftp://book.example.com", "--base-url", "sandbox"));
  });

  it("reads targets and thresholds by the config's own rules", () => {
    expect(parseTarget("Staging", "--target")).toBe("staging");
    expect(refusal(() => parseTarget("prod", "--target")).hint).toContain("production, staging, sandbox");
    expect(parseThreshold("httpLatencyMs", "1500", "--http-latency-ms")).toBe(1500);
    expect(refusal(() => parseThreshold("httpLatencyMs", "-5", "--http-latency-ms")).hint).toContain("2000");
    refusal(() => parseThreshold("certificateExpiryDays", "1.5", "--certificate-expiry-days"));
    refusal(() => parseThreshold("databaseLatencyMs", "fast", "--database-latency-ms"));
  });

  it("derives the webhook URLs from the base URL as the app routes them, and the base URL from the domain", () => {
    expect(webhookUrlsFor("https://book.example.com")).toEqual({ calendly: "https://book.example.com/api/webhooks/calendly", stripe: "https://book.example.com/api/webhooks/stripe" });
    const a = withDefaults({ target: "production", domain: "example.com", sessionTypes: [], thresholds: {}, contacts: [] });
    expect(a).toMatchObject({ baseUrl: "https://example.com", calendlyWebhookUrl: "https://example.com/api/webhooks/calendly", stripeWebhookUrl: "https://example.com/api/webhooks/stripe" });
    const b = withDefaults({ target: "production", domain: "example.com", baseUrl: "https://app.example.com", stripeWebhookUrl: "https://hooks.example.com/stripe", sessionTypes: [], thresholds: {}, contacts: [] });
    expect(b).toMatchObject({ calendlyWebhookUrl: "https://app.example.com/api/webhooks/calendly", stripeWebhookUrl: "https://hooks.example.com/stripe" });
    expect(withDefaults({ target: "production", sessionTypes: [], thresholds: {}, contacts: [] }).baseUrl).toBeUndefined();
  });
});

describe("init's files", () => {
  it("writes a config that bookflowConfigSchema reads back as given (round trip)", () => {
    const answers = withDefaults({
      target: "staging",
      domain: "example.com",
      sessionTypes: [{ slug: "intro-call", priceCents: 0, currency: "usd" }],
      thresholds: { httpLatencyMs: 1500 },
      contacts: [{ role: "on-call", name: "Payments on-call", phone: "+1 415 555 0100" }],
    });
    const files = initFiles(answers, NPM_SCHEMA_REF);
    const parsed = bookflowConfigSchema.parse(JSON.parse(files.configText));
    expect(parsed.$schema).toBe(NPM_SCHEMA_REF);
    expect(parsed.target).toBe("staging");
    expect(parsed.email.sendingDomain).toBe("example.com");
    expect(parsed.seed.sessionTypes).toEqual([{ slug: "intro-call", priceCents: 0, currency: "usd" }]);
    expect(parsed.thresholds.httpLatencyMs).toBe(1500);
    expect(parsed.thresholds.databaseLatencyMs).toBe(500);
    expect(parsed.contacts).toEqual(answers.contacts);
    expect(files.envValues).toEqual({
      NODE_ENV: "production",
      VERCEL_ENV: "preview",
      NEXT_PUBLIC_BASE_URL: "https://example.com",
      CALENDLY_WEBHOOK_URL: "https://example.com/api/webhooks/calendly",
      STRIPE_WEBHOOK_URL: "https://example.com/api/webhooks/stripe",
    });
    expect(files.envText).toContain("\nSTRIPE_WEBHOOK_URL=https://example.com/api/webhooks/stripe\n");
  });

  it("a config from defaults alone names the target and no more", () => {
    const files = initFiles(withDefaults({ target: "production", sessionTypes: [], thresholds: {}, contacts: [] }), NPM_SCHEMA_REF);
    expect(JSON.parse(files.configText)).toEqual({ $schema: NPM_SCHEMA_REF, target: "production", contacts: [] });
  });

  it("$schema: the installed package's schema, else the checkout's when inside one, else where npm will put it", () => {
    const project = tempDir("bookflow-init-ref-");
    expect(schemaReference(project, "/home/me/.npm/_npx/abc/node_modules/bookflow")).toBe(NPM_SCHEMA_REF);
    // A checkout of bookflow: the folder itself, and a folder inside it.
    const checkout = tempDir("bookflow-checkout-");
    mkdirSync(join(checkout, "examples", "staging"), { recursive: true });
    expect(schemaReference(checkout, checkout)).toBe("./schemas/bookflow.config.schema.json");
    expect(schemaReference(join(checkout, "examples", "staging"), checkout)).toBe("../../schemas/bookflow.config.schema.json");
    // A project next to a checkout (not inside it) does not point into it.
    expect(schemaReference(project, checkout)).toBe(NPM_SCHEMA_REF);
    // bookflow installed in the project wins.
    mkdirSync(join(checkout, "node_modules", "bookflow", "schemas"), { recursive: true });
    writeFileSync(join(checkout, NPM_SCHEMA_REF), "{}");
    expect(schemaReference(checkout, checkout)).toBe(NPM_SCHEMA_REF);
  });
});

/** A prompt that answers from a script and records the questions. */
function scripted(answers: (string | undefined)[]): { prompt: Prompt; questions: string[] } {
  const questions: string[] = [];
  return {
    questions,
    prompt: async (q) => {
      questions.push(q);
      if (answers.length === 0) return undefined;
      return answers.shift();
    },
  };
}

const nothingGiven: GivenAnswers = { sessionTypes: [], thresholds: {}, contacts: [] };

describe("init's questions (the prompt logic, with injected answers)", () => {
  it("asks each question, offers derived defaults, asks again after a bad answer", async () => {
    const said: string[] = [];
    const s = scripted([
      "prod", // bad target: asked again
      "staging",
      "example.com",
      "", // base URL: the default https://example.com
      "", // Calendly webhook URL: derived
      "https://example.com/hooks/stripe",
      "intro-call:0:usd",
      "deep-dive:49.00:usd", // bad: asked again
      "deep-dive:4900:usd",
      "",
      "1500", // HTTP latency
      "", // database latency: default
      "14", // certificate days: the default, left out
      "boss:Ann:ann@example.com", // bad role: asked again
      "on-call:Payments on-call:+1 415 555 0100",
      "",
    ]);
    const answers = await askInitAnswers(nothingGiven, s.prompt, (t) => said.push(t));
    expect(answers).toEqual({
      target: "staging",
      domain: "example.com",
      baseUrl: "https://example.com",
      calendlyWebhookUrl: "https://example.com/api/webhooks/calendly",
      stripeWebhookUrl: "https://example.com/hooks/stripe",
      sessionTypes: [{ slug: "intro-call", priceCents: 0, currency: "usd" }, { slug: "deep-dive", priceCents: 4900, currency: "usd" }],
      thresholds: { httpLatencyMs: 1500 },
      contacts: [{ role: "on-call", name: "Payments on-call", phone: "+1 415 555 0100" }],
    });
    expect(s.questions.find((q) => q.includes("base URL"))).toContain("[https://example.com]");
    expect(s.questions.find((q) => q.includes("Calendly webhook URL"))).toContain("[https://example.com/api/webhooks/calendly]");
    const told = said.join("");
    expect(told).toContain('target "prod" is not a target');
    expect(told).toContain("not a whole number of cents");
    expect(told).toContain('role "boss"');
  });

  it("does not ask what the flags gave", async () => {
    const s = scripted(["", "", "", "", "", "", ""]);
    const given: GivenAnswers = { target: "sandbox", domain: "example.com", baseUrl: "http://127.0.0.1:3000", sessionTypes: [{ slug: "a" }], thresholds: { httpLatencyMs: 900 }, contacts: [{ role: "other", name: "Ops", email: "ops@example.com" }] };
    const answers = await askInitAnswers(given, s.prompt, () => {});
    expect(s.questions.map((q) => q.replace(/ \[.*$/, "").trim())).toEqual([
      "Calendly webhook URL (CALENDLY_WEBHOOK_URL)",
      "Stripe webhook URL (STRIPE_WEBHOOK_URL)",
      "A database round trip slower than this many ms is a warning",
      "Warn when the base URL's certificate expires within this many days",
    ]);
    expect(answers).toMatchObject({ target: "sandbox", baseUrl: "http://127.0.0.1:3000", calendlyWebhookUrl: "http://127.0.0.1:3000/api/webhooks/calendly", sessionTypes: [{ slug: "a" }], thresholds: { httpLatencyMs: 900 } });
  });

  it("end of input cancels, with nothing written", async () => {
    await expect(askInitAnswers(nothingGiven, scripted(["production"]).prompt, () => {})).rejects.toBeInstanceOf(UserAbort);
  });

  it("the readline prompt keeps lines typed ahead for the next questions", async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    let shown = "";
    output.on("data", (d: Buffer) => (shown += d.toString()));
    input.end("staging\n\n\n\n\n\n\n\n\n\n");
    const terminal = terminalPrompt(input, output);
    try {
      const answers = await askInitAnswers(nothingGiven, terminal.prompt, (t) => output.write(t));
      expect(answers).toMatchObject({ target: "staging", sessionTypes: [], contacts: [], thresholds: {} });
      expect(answers.baseUrl).toBeUndefined();
    } finally {
      terminal.close();
    }
    expect(shown).toContain("Target (production, staging, sandbox) [production]: ");
  });
});
