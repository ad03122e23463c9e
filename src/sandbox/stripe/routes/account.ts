/**
 * The Stripe emulator's account and balance: `GET /v1/account`,
 * `GET /v1/accounts/:id` and `GET /v1/balance` (what the payments so far add up to).
 */
import type Stripe from "stripe";
import type { Route } from "../../emulator-server.js";
import { StripeApiError } from "../params.js";
import { respond, type Pipeline } from "../pipeline.js";
import type { StripeState } from "../state.js";

const NO_REQUIREMENTS = { alternatives: [], current_deadline: null, currently_due: [], disabled_reason: null, errors: [], eventually_due: [], past_due: [], pending_verification: [] };

/** The account, a `Stripe.Account` of a fully onboarded standard account, with the `account` option's fields merged in. */
function accountAnswer(state: StripeState, overrides: Record<string, unknown> | undefined): Record<string, unknown> {
  const { accountId, startedAt } = state;
  const account: Stripe.Account = {
    id: accountId,
    object: "account",
    business_profile: {
      annual_revenue: null, estimated_worker_count: null, mcc: "8299", minority_owned_business_designation: null, name: "Bookflow Sandbox", product_description: null,
      specified_commercial_transactions_act_url: null, support_address: null, support_email: null, support_phone: null, support_url: null, url: null,
    },
    business_type: "company",
    capabilities: { card_payments: "active", transfers: "active" },
    charges_enabled: true,
    controller: { type: "account" },
    country: "US",
    created: startedAt,
    default_currency: "usd",
    details_submitted: true,
    email: "owner@example.com",
    external_accounts: { object: "list", data: [], has_more: false, url: `/v1/accounts/${accountId}/external_accounts` },
    future_requirements: { ...NO_REQUIREMENTS },
    metadata: {},
    payouts_enabled: true,
    requirements: { ...NO_REQUIREMENTS },
    settings: {
      bacs_debit_payments: { display_name: null, service_user_number: null },
      branding: { icon: null, logo: null, primary_color: null, secondary_color: null },
      card_issuing: { tos_acceptance: { date: null, ip: null } },
      card_payments: { decline_on: { avs_failure: false, cvc_failure: true }, statement_descriptor_prefix: "BOOKFLOW", statement_descriptor_prefix_kana: null, statement_descriptor_prefix_kanji: null },
      dashboard: { display_name: "Bookflow Sandbox", timezone: "Etc/UTC" },
      invoices: { default_account_tax_ids: null, hosted_payment_method_save: "offer" },
      payments: { statement_descriptor: "BOOKFLOW", statement_descriptor_kana: null, statement_descriptor_kanji: null, statement_descriptor_prefix_kana: null, statement_descriptor_prefix_kanji: null },
      payouts: { debit_negative_balances: true, schedule: { delay_days: 2, interval: "daily" }, statement_descriptor: null },
      sepa_debit_payments: {},
    },
    tos_acceptance: { date: startedAt, ip: "127.0.0.1", user_agent: null },
    type: "standard",
  };
  return { ...account, ...(overrides ?? {}) };
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
        const balance: Stripe.Balance = {
          object: "balance",
          available: currencies.map((currency) => ({ amount: available.get(currency) ?? 0, currency, source_types: { card: available.get(currency) ?? 0 } })),
          connect_reserved: currencies.map((currency) => ({ amount: 0, currency })),
          pending: currencies.map((currency) => ({ amount: 0, currency, source_types: { card: 0 } })),
          livemode,
        };
        return respond(200, balance);
      }),
    },
  ];
}
