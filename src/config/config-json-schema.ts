import { z } from "zod";
import { bookflowConfigSchema, MONITOR_INTERVAL_KEY, MONITOR_INTERVAL_TEXT } from "./bookflow-config.js";
import { STRIPE_EVENT_TYPES } from "./stripe-webhook-enums.js";

/**
 * `schemas/bookflow.config.schema.json`: the JSON Schema of bookflow.config.json,
 * generated from `bookflowConfigSchema` with zod's own `z.toJSONSchema`, so editors
 * autocomplete and validate the file (`"$schema"` in it points here).
 *
 * - draft-07: what editors (VS Code's JSON language service) and ajv 6 read.
 * - io "input": the file as written, so a field with a default is optional.
 * - Refinements have no JSON Schema form of their own; those that have an
 *   equivalent are added below, from the same constants the zod schema uses. What
 *   remains only in zod (monitor intervals from 1 s to 24 h, unique Datadog
 *   purposes) is said in the field's description; `bookflow verify` still refuses it.
 *
 * Regenerate with `npm run schema`; test/config/config-json-schema.test.ts fails
 * while the shipped file differs from this.
 */

export const CONFIG_SCHEMA_FILE = "schemas/bookflow.config.schema.json";

type JsonSchema = Record<string, unknown>;

/** What each refinement adds, by the field's JSON path (`properties.x.properties.y`, `items` for an array's elements). */
const REFINEMENTS: Record<string, (json: JsonSchema) => void> = {
  "properties.stripe.properties.events.items": (json) => {
    json.enum = ["*", ...STRIPE_EVENT_TYPES];
    json.description = "One of Stripe's event types (https://docs.stripe.com/api/events/types), or * for all.";
  },
  "properties.contacts.items": (json) => {
    json.anyOf = [{ required: ["email"] }, { required: ["phone"] }, { required: ["url"] }];
    json.description = "An emergency contact: role, name, and a way to reach them (email, phone or url).";
  },
  "properties.contacts.items.properties.url": (json) => {
    json.pattern = "^https?://";
  },
  "properties.monitoring.properties.sentry.properties.alertRules": (json) => {
    json.uniqueItems = true;
  },
  "properties.monitoring.properties.datadog.properties.monitors": (json) => {
    json.description = "Datadog monitors that must exist, each found by name (a substring) or tag; each purpose at most once.";
  },
  "properties.monitor.properties.intervals": (json) => {
    json.propertyNames = { type: "string", pattern: MONITOR_INTERVAL_KEY.source };
    json.additionalProperties = { type: "string", pattern: MONITOR_INTERVAL_TEXT.source, description: "An interval from 1s to 24h: 30s, 5m, 1h." };
    json.description = "Each check's (or section's) own interval for `bookflow monitor`, e.g. { \"env\": \"1h\", \"stripe.webhook-endpoint-enabled\": \"1m\" }.";
  },
};

/** The config file's JSON Schema as an object. */
export function configJsonSchema(): JsonSchema {
  const schema = z.toJSONSchema(bookflowConfigSchema, {
    target: "draft-07",
    io: "input",
    override: ({ jsonSchema, path }) => {
      REFINEMENTS[path.join(".")]?.(jsonSchema as JsonSchema);
    },
  }) as JsonSchema;
  return {
    $schema: schema.$schema,
    title: "bookflow.config.json",
    description: "bookflow's configuration: the target, the sending domain, the webhook events, the seed data to expect, thresholds, monitoring, emergency contacts. Every field is optional; unknown fields are errors. Generated from the zod schema (src/config/bookflow-config.ts).",
    ...Object.fromEntries(Object.entries(schema).filter(([k]) => k !== "$schema")),
  };
}

/** The file's text, as shipped: two-space JSON and a final newline. */
export function renderConfigJsonSchema(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
