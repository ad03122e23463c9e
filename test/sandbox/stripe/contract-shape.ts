/**
 * Contract checks of emulator answers against Stripe's own example objects
 * (`fixtures/stripe-objects.json`, copied from stripe/openapi `fixtures3.json`):
 * every key of Stripe's example for an object type must be in the emulator's
 * object of that type, with a compatible JSON type (null on either side is
 * compatible: Stripe's examples and answers null many nullable fields).
 * Nested objects are compared key by key too, except nested Stripe objects
 * (with their own `object`), which are collected and checked as themselves.
 */
import { readFileSync } from "node:fs";

const fixtureFile = JSON.parse(readFileSync(new URL("./fixtures/stripe-objects.json", import.meta.url), "utf8")) as { objects: Record<string, unknown> };

/** Stripe's example object per `object` value. */
export const STRIPE_FIXTURES: Readonly<Record<string, unknown>> = fixtureFile.objects;

export interface Violation {
  /** The object type and the path of the key, e.g. `checkout.session.total_details`. */
  at: string;
  problem: "missing" | "type";
  expected?: string;
  actual?: string;
}

const jsonType = (v: unknown): string => (v === null ? "null" : Array.isArray(v) ? "array" : typeof v);

const isStripeObject = (v: unknown): v is { object: string } =>
  typeof v === "object" && v !== null && !Array.isArray(v) && typeof (v as { object?: unknown }).object === "string";

function compare(expected: unknown, actual: unknown, at: string, out: Violation[]): void {
  const e = jsonType(expected);
  const a = jsonType(actual);
  if (e === "null" || a === "null") return;
  // An expandable field: Stripe's example shows the id, the answer may carry the object (`expand[]`).
  if (e === "string" && isStripeObject(actual)) return;
  if (e !== a) {
    out.push({ at, problem: "type", expected: e, actual: a });
    return;
  }
  if (e === "object") {
    // A nested Stripe object of another type (an event's data.object, an expanded field) is checked as itself.
    if (isStripeObject(expected) && isStripeObject(actual) && expected.object !== actual.object) return;
    if (at.endsWith(".metadata")) return; // free-form keys
    for (const [key, value] of Object.entries(expected as Record<string, unknown>)) {
      if (!(key in (actual as Record<string, unknown>))) out.push({ at: `${at}.${key}`, problem: "missing" });
      else compare(value, (actual as Record<string, unknown>)[key], `${at}.${key}`, out);
    }
  } else if (e === "array") {
    const [first] = expected as unknown[];
    if (first === undefined) return;
    for (const [i, item] of (actual as unknown[]).entries()) compare(first, item, `${at}[${i}]`, out);
  }
}

/** Every Stripe object in a JSON answer (the answer itself, list items, nested and expanded objects). */
export function stripeObjectsIn(json: unknown, found: { object: string }[] = []): { object: string }[] {
  if (Array.isArray(json)) for (const item of json) stripeObjectsIn(item, found);
  else if (typeof json === "object" && json !== null) {
    if (isStripeObject(json) && json.object !== "list") found.push(json);
    for (const [key, value] of Object.entries(json)) if (key !== "metadata") stripeObjectsIn(value, found);
  }
  return found;
}

/** The violations of one emulator object against Stripe's example of its type; an untyped object is itself one. */
export function violationsOf(object: { object: string }): Violation[] {
  // A deleted object's stub (`{ id, object, deleted: true }`) is its own, smaller type.
  if ((object as { deleted?: unknown }).deleted === true) return [];
  const fixture = STRIPE_FIXTURES[object.object];
  if (fixture === undefined) return [{ at: object.object, problem: "missing", expected: "a Stripe example object of this type in the fixtures" }];
  const out: Violation[] = [];
  compare(fixture, object, object.object, out);
  return out;
}
