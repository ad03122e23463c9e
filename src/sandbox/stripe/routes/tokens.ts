/**
 * The Stripe emulator's tokens: `POST /v1/tokens` (a PII token, `pii[id_number]`; the one call a
 * publishable key may make here) and `GET /v1/tokens/:id` (secret key). A token lives in the account of
 * the key that created it: one made with another account's publishable key is `resource_missing` to this
 * account's secret key, which is how Stripe tells two accounts' keys apart.
 */
import type { Route } from "../../emulator-server.js";
import type { Token } from "../objects.js";
import { allowOnly, clone, noSuch, obj, str, StripeApiError } from "../params.js";
import { apiKeyOf, respond, type Pipeline } from "../pipeline.js";
import type { StripeState } from "../state.js";
import { randomToken } from "../store.js";

export function tokenRoutes(state: StripeState, { api }: Pipeline): Route[] {
  return [
    {
      method: "POST",
      path: "/v1/tokens",
      handler: api((req, params) => {
        allowOnly(params, ["pii", "expand"]);
        const pii = obj(params, "pii");
        if (!pii) throw new StripeApiError(400, "You must supply one of: card, bank_account, pii, account, person, cvc_update (this emulator creates pii tokens).", { code: "parameter_missing", param: "pii" });
        allowOnly(pii, ["id_number"]);
        const idNumber = str(pii, "id_number", "pii[id_number]");
        if (!idNumber) throw new StripeApiError(400, "Missing required param: pii[id_number].", { code: "parameter_missing", param: "pii[id_number]" });
        const key = apiKeyOf(req) ?? "";
        const token: Token = { id: `pii_${randomToken(24)}`, object: "token", client_ip: "127.0.0.1", created: state.nowSeconds(), livemode: key.includes("_live_"), type: "pii", used: false };
        (state.otherAccountKeys.has(key) ? state.otherAccountTokens : state.tokens).set(token.id, token);
        return respond(200, clone(token));
      }),
    },
    {
      method: "GET",
      path: "/v1/tokens/:id",
      handler: api((req) => {
        const id = req.params.id!;
        const token = state.tokens.get(id);
        if (!token) throw noSuch("token", id, "token");
        return respond(200, clone(token));
      }),
    },
  ];
}
