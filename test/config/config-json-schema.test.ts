import Ajv from "ajv";
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { bookflowConfigSchema, defaultConfig } from "../../src/config/bookflow-config.js";
import { CONFIG_SCHEMA_FILE, renderConfigJsonSchema } from "../../src/config/config-json-schema.js";

/**
 * schemas/bookflow.config.schema.json is what the zod schema generates, and it
 * agrees with the zod schema on what a config may say. To regenerate after
 * changing the config: `npm run schema` (or BOOKFLOW_UPDATE_DOCS=1 npx vitest run test/config/config-json-schema.test.ts).
 */

const ROOT = resolve(import.meta.dirname, "../..");
const file = resolve(ROOT, CONFIG_SCHEMA_FILE);

describe("the config's JSON Schema", () => {
  it("the shipped file is what the zod schema generates", () => {
    const expected = renderConfigJsonSchema();
    if (process.env.BOOKFLOW_UPDATE_DOCS === "1") writeFileSync(file, expected);
    expect(readFileSync(file, "utf8"), `${CONFIG_SCHEMA_FILE} is stale: run \`npm run schema\``).toBe(expected);
  });

  const schema = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  // ajv 6 reads draft-07, which is what the file declares.
  const validate = new Ajv({ allErrors: true }).compile(schema);

  it("is draft-07 and lists every top-level field", () => {
    expect(schema.$schema).toBe("http://json-schema.org/draft-07/schema#");
    expect(Object.keys(schema.properties as object).sort()).toEqual(Object.keys(bookflowConfigSchema.shape).sort());
    expect(schema.additionalProperties).toBe(false);
  });

  const full = {
    $schema: "./node_modules/bookflow/schemas/bookflow.config.schema.json",
    target: "staging",
    email: { sendingDomain: "example.com", dkimSelectors: ["s1"] },
    calendly: { events: ["invitee.created"] },
    stripe: { events: ["checkout.session.completed", "charge.refunded"] },
    seed: { tables: ["Booking"], sessionTypes: [{ slug: "intro-call", priceCents: 0, currency: "usd" }], minVisibleBuilders: 2 },
    thresholds: { httpLatencyMs: 1500, certificateExpiryDays: 30, emailDeliveryRateMin: 0.9 },
    monitoring: { sentry: { alertRules: ["new-issues"] }, datadog: { monitors: [{ purpose: "email-failures", name: "Booking emails failing" }] } },
    contacts: [
      { role: "stripe", name: "Stripe Support", url: "https://support.stripe.com", when: "payment issues" },
      { role: "on-call", name: "Payments on-call", phone: "+1 415 555 0100" },
      { role: "database", name: "DBA", email: "dba@example.com" },
    ],
    monitor: { intervals: { env: "1h", "stripe.webhook-endpoint-enabled": "1m" } },
  };

  // Each case: [what, config, valid?]. zod and the JSON Schema must agree on every one.
  const cases: [string, unknown, boolean][] = [
    ["an empty config", {}, true],
    ["the defaults, written out", defaultConfig(), true],
    ["every field set", full, true],
    ["a typo'd top-level field", { targt: "production" }, false],
    ["a typo'd nested field", { thresholds: { httpLatencyMS: 100 } }, false],
    ["an unknown target", { target: "prod" }, false],
    ["a negative latency", { thresholds: { httpLatencyMs: -1 } }, false],
    ["a percentage as a rate", { thresholds: { emailDeliveryRateMin: 95 } }, false],
    ["fractional certificate days", { thresholds: { certificateExpiryDays: 1.5 } }, false],
    ["a domain with a scheme", { email: { sendingDomain: "https://example.com" } }, false],
    ["a session type without slug", { seed: { sessionTypes: [{ priceCents: 100 }] } }, false],
    ["a currency of four letters", { seed: { sessionTypes: [{ slug: "a", currency: "usdd" }] } }, false],
    ["a contact with an unknown role", { contacts: [{ role: "boss", name: "Ann", email: "ann@example.com" }] }, false],
    ["a contact without a way to reach them", { contacts: [{ role: "stripe", name: "Stripe Support" }] }, false],
    ["a contact with an ftp URL", { contacts: [{ role: "stripe", name: "Stripe", url: "ftp://stripe.com" }] }, false],
    ["a contact with a bad email", { contacts: [{ role: "stripe", name: "Stripe", email: "not-an-email" }] }, false],
    ["a typo'd Stripe event", { stripe: { events: ["checkout.session.complete"] } }, false],
    ["Stripe's wildcard", { stripe: { events: ["*"] } }, true],
    ["an alert rule twice", { monitoring: { sentry: { alertRules: ["new-issues", "new-issues"] } } }, false],
    ["a monitor interval without a unit", { monitor: { intervals: { env: "5" } } }, false],
    ["a monitor interval key that is not a check or section", { monitor: { intervals: { "Not A Check": "5m" } } }, false],
    ["no events", { calendly: { events: [] } }, false],
  ];

  it.each(cases)("%s: zod and the JSON Schema agree", (_what, config, valid) => {
    expect(bookflowConfigSchema.safeParse(config).success).toBe(valid);
    expect(validate(config), JSON.stringify(validate.errors)).toBe(valid);
  });

  it("names the typo'd field (additionalProperties false)", () => {
    expect(validate({ targt: "production" })).toBe(false);
    expect(validate.errors).toEqual(expect.arrayContaining([expect.objectContaining({ keyword: "additionalProperties", params: { additionalProperty: "targt" } })]));
  });

  it("shows the defaults (editors offer them) and leaves defaulted fields optional", () => {
    const thresholds = (schema.properties as Record<string, { properties: Record<string, { default?: unknown }>; required?: string[] }>).thresholds!;
    expect(thresholds.properties.httpLatencyMs!.default).toBe(2000);
    expect(thresholds.required ?? []).toEqual([]);
  });

  // What only zod can refuse (stated in the schema's descriptions): bounds of an interval, a Datadog purpose twice.
  it.each([
    ["a monitor interval under 1s", { monitor: { intervals: { env: "500ms" } } }],
    ["a Datadog purpose twice", { monitoring: { datadog: { monitors: [{ purpose: "a" }, { purpose: "a" }] } } }],
  ])("%s: accepted by the JSON Schema, refused by bookflow", (_what, config) => {
    expect(validate(config)).toBe(true);
    expect(bookflowConfigSchema.safeParse(config).success).toBe(false);
  });
});
