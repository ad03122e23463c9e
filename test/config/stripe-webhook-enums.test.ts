import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadBookflowConfig } from "../../src/config/bookflow-config.js";
import { isStripeApiVersion, isStripeEventType, STRIPE_API_VERSIONS, STRIPE_EVENT_TYPES } from "../../src/config/stripe-webhook-enums.js";
import { DEFAULT_STRIPE_EVENTS } from "../../src/config/webhook-events.js";
import { ConfigError } from "../../src/errors.js";
import { tempDir } from "../support/cli.js";

describe("Stripe's event type names and API versions (generated from the stripe package's types)", () => {
  it("the checked-in list is what scripts/stripe-webhook-enums.mjs makes from the installed stripe package", () => {
    const run = spawnSync(process.execPath, ["scripts/stripe-webhook-enums.mjs", "--check"], { encoding: "utf8" });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
  });

  it("holds the names and versions bookflow relies on, and nothing misspelled", () => {
    expect(STRIPE_EVENT_TYPES.length).toBeGreaterThan(200);
    for (const name of DEFAULT_STRIPE_EVENTS) expect(isStripeEventType(name)).toBe(true);
    expect(isStripeEventType("checkout.session.complete")).toBe(false);
    expect(isStripeEventType("*")).toBe(false);
    expect(STRIPE_API_VERSIONS.at(-1)).toBe("2026-10-28.endive");
    expect(isStripeApiVersion("2024-06-20")).toBe(true);
    expect(isStripeApiVersion("2024-06-21")).toBe(false);
  });

  it("bookflow.config.json refuses a Stripe event name Stripe would refuse, naming it; * passes", () => {
    const dir = tempDir();
    const file = join(dir, "bookflow.config.json");
    writeFileSync(file, JSON.stringify({ stripe: { events: ["checkout.session.completed", "checkout.session.complete"] } }));
    let err: unknown;
    try {
      loadBookflowConfig(file, dir);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/stripe\.events\.1.*checkout\.session\.complete\b/);
    writeFileSync(file, JSON.stringify({ stripe: { events: ["*"] } }));
    expect(loadBookflowConfig(file, dir).config.stripe.events).toEqual(["*"]);
  });
});
