/**
 * The Stripe emulator's account and balance: `GET /v1/account`,
 * `GET /v1/accounts/:id` and `GET /v1/balance` (what the payments so far add up to).
 */
import type { Route } from "../../emulator-server.js";
import { StripeApiError } from "../params.js";
import { respond, type Pipeline } from "../pipeline.js";
import type { StripeState } from "../state.js";

function accountAnswer(state: StripeState, overrides: Record<string, unknown> | undefined): Record<string, unknown> {
  const { accountId, startedAt } = state;
  return {
    id: accountId,
    object: "account",
    business_profile: { name: "Bookflow Sandbox", support_email: null, url: null },
    business_type: "company",
    capabilities: { card_payments: "active", transfers: "active" },
    charges_enabled: true,
    country: "US",
    created: startedAt,
    default_currency: "usd",
    details_submitted: true,
    email: "owner@example.com",
    metadata: {},
    payouts_enabled: true,
    settings: { dashboard: { display_name: "Bookflow Sandbox", timezone: "Etc/UTC" } },
    type: "standard",
    ...(overrides ?? {}),
  };
}

/** `overrides` are fields merged into the account (the emulator's `account` option). */
export function accountRoutes(state: StripeState, { api }: Pipeline, overrides: Record<string, unknown> | undefined): Route[] {
  const { accountId, available, livemode } = state;
  return [
    { method: "GET", path: "/v1/account", handler: api(() => respond(200, accountAnswer(state, overrides))) },
    {
      method: "GET",
      path: "/v1/accounts/:id",
      handler: api((req) => {
        if (req.params.id !== accountId) {
          throw new StripeApiError(403, `The provided key does not have access to account '${req.params.id}' (or that account does not exist).`, { type: "invalid_request_error", code: "account_invalid" });
        }
        return respond(200, accountAnswer(state, overrides));
      }),
    },
    {
      method: "GET",
      path: "/v1/balance",
      handler: api(() => {
        const currencies = available.size > 0 ? [...available.keys()] : ["usd"];
        return respond(200, {
          object: "balance",
          available: currencies.map((currency) => ({ amount: available.get(currency) ?? 0, currency, source_types: { card: available.get(currency) ?? 0 } })),
          pending: currencies.map((currency) => ({ amount: 0, currency, source_types: { card: 0 } })),
          livemode,
        });
      }),
    },
  ];
}
