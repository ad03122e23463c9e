/** The product's webhook event builders, as the tests' fixtures. */
export * from "../../src/providers/webhook-events.js";
