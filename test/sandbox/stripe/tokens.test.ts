import type Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStripeClient } from "../../../src/providers/stripe-client.js";
import { startStripeEmulator, type StripeEmulator } from "../../../src/sandbox/stripe/emulator.js";

/**
 * Tokens per account and publishable-key auth in the Stripe emulator, through the SDK as bookflow calls it:
 * a publishable key may create a token (`POST /v1/tokens`) and nothing else (Stripe's 401 "This API call
 * cannot be made with a publishable API key"), and a token made with another account's publishable key is
 * `resource_missing` to this account's secret key.
 */

const SECRET_KEY = "sk_test_FAKE_tokens_secret_0001";
const PUBLISHABLE_KEY = "pk_test_FAKE_tokens_publishable_0001";
const OTHER_ACCOUNT_KEY = "pk_test_FAKE_other_account_0001";

let emulator: StripeEmulator;
let secret: Stripe;
const client = (key: string) => createStripeClient({ secretKey: key, apiBase: emulator.url, maxNetworkRetries: 0 });

async function rejection(promise: Promise<unknown>): Promise<{ type?: string; statusCode?: number; code?: string; message?: string }> {
  try {
    await promise;
  } catch (err) {
    return err as { type?: string; statusCode?: number; code?: string; message?: string };
  }
  throw new Error("expected the call to fail");
}

beforeAll(async () => {
  emulator = await startStripeEmulator({ secretKey: SECRET_KEY, publishableKey: PUBLISHABLE_KEY, otherAccountPublishableKeys: [OTHER_ACCOUNT_KEY] });
  secret = await client(SECRET_KEY);
});
afterAll(() => emulator.close());

describe("Stripe emulator: tokens and publishable keys", () => {
  it("the account's publishable key creates a PII token that its secret key retrieves", async () => {
    const token = await (await client(PUBLISHABLE_KEY)).tokens.create({ pii: { id_number: "000000000" } });
    expect(token).toMatchObject({ object: "token", type: "pii", used: false, livemode: false });
    expect(token.id).toMatch(/^pii_/);
    expect(await secret.tokens.retrieve(token.id)).toEqual(token);
  });

  it("a token made with another account's publishable key is resource_missing to this secret key", async () => {
    const token = await (await client(OTHER_ACCOUNT_KEY)).tokens.create({ pii: { id_number: "000000000" } });
    const err = await rejection(secret.tokens.retrieve(token.id));
    expect(err).toMatchObject({ type: "StripeInvalidRequestError", statusCode: 404, code: "resource_missing", message: `No such token: '${token.id}'` });
  });

  it("a publishable key may not call secret-only routes: 401, Stripe's message", async () => {
    const publishable = await client(PUBLISHABLE_KEY);
    for (const call of [publishable.balance.retrieve(), publishable.webhookEndpoints.list(), publishable.tokens.retrieve("pii_x")]) {
      const err = await rejection(call);
      expect(err).toMatchObject({ type: "StripeAuthenticationError", statusCode: 401 });
      expect(err.message).toMatch(/^This API call cannot be made with a publishable API key\. Please use a secret API key\./);
    }
    expect(await rejection((await client(OTHER_ACCOUNT_KEY)).balance.retrieve())).toMatchObject({ statusCode: 401 });
  });

  it("a publishable key Stripe does not know is refused (401 Invalid API Key), and without pii the token is refused (400)", async () => {
    const unknown = await rejection((await client("pk_test_FAKE_unknown_0001")).tokens.create({ pii: { id_number: "000000000" } }));
    expect(unknown).toMatchObject({ type: "StripeAuthenticationError", statusCode: 401 });
    expect(unknown.message).toMatch(/^Invalid API Key provided/);
    expect(await rejection(secret.tokens.create({}))).toMatchObject({ statusCode: 400, code: "parameter_missing" });
    expect(await rejection(secret.tokens.create({ pii: {} }))).toMatchObject({ statusCode: 400, code: "parameter_missing" });
  });

  it("the default publishable key is the secret key's with pk_, and other accounts can be added later", async () => {
    const other = await startStripeEmulator({ secretKey: "sk_test_FAKE_defaults_0001" });
    try {
      expect(other.publishableKey).toBe("pk_test_FAKE_defaults_0001");
      const late = "pk_test_FAKE_added_later_0001";
      expect(await rejection(createStripeClient({ secretKey: late, apiBase: other.url, maxNetworkRetries: 0 }).then((s) => s.tokens.create({ pii: { id_number: "000000000" } })))).toMatchObject({ statusCode: 401 });
      other.addOtherAccountPublishableKey(late);
      const token = await (await createStripeClient({ secretKey: late, apiBase: other.url, maxNetworkRetries: 0 })).tokens.create({ pii: { id_number: "000000000" } });
      const s = await createStripeClient({ secretKey: "sk_test_FAKE_defaults_0001", apiBase: other.url, maxNetworkRetries: 0 });
      expect(await rejection(s.tokens.retrieve(token.id))).toMatchObject({ statusCode: 404, code: "resource_missing" });
      expect(() => other.addOtherAccountPublishableKey("sk_test_FAKE_not_publishable")).toThrow(/publishable key/);
    } finally {
      await other.close();
    }
  });
});
