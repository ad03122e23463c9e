/**
 * The hosted Checkout page a session's `url` points to (`/c/pay/:id`, no
 * auth): a button that pays the session, then a redirect to its `success_url`.
 */
import type { EmulatorRequest, EmulatorResponse, Route } from "../../emulator-server.js";
import { StripeApiError, escapeHtml, money } from "../params.js";
import type { StripeState } from "../state.js";
import type { CompletedCheckout } from "../types.js";

export function checkoutPageRoutes(state: StripeState, completeCheckout: (sessionId: string) => Promise<CompletedCheckout>): Route[] {
  const { sessions } = state;
  return [
    {
      method: "GET",
      path: "/c/pay/:id",
      handler: (req: EmulatorRequest): EmulatorResponse => {
        const session = sessions.get(req.params.id!);
        if (!session) return { status: 404, body: "<h1>Checkout session not found</h1>", headers: { "content-type": "text/html; charset=utf-8" } };
        const html =
          session.status === "open"
            ? `<!doctype html><title>Pay (sandbox)</title><h1>Pay ${escapeHtml(money(session.amount_total, session.currency))}</h1>` +
              `<form method="post"><button type="submit">Pay (sandbox)</button></form>`
            : `<!doctype html><title>Checkout</title><h1>This Checkout session is ${escapeHtml(session.status)}.</h1>`;
        return { status: 200, body: html, headers: { "content-type": "text/html; charset=utf-8" } };
      },
    },
    {
      method: "POST",
      path: "/c/pay/:id",
      handler: async (req: EmulatorRequest): Promise<EmulatorResponse> => {
        try {
          const { session } = await completeCheckout(req.params.id!);
          const target = session.success_url?.replace("{CHECKOUT_SESSION_ID}", session.id);
          if (target) return { status: 303, body: "", headers: { location: target } };
          return { status: 200, body: "<h1>Paid.</h1>", headers: { "content-type": "text/html; charset=utf-8" } };
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          return { status: err instanceof StripeApiError ? err.status : 500, body: `<h1>${escapeHtml(message)}</h1>`, headers: { "content-type": "text/html; charset=utf-8" } };
        }
      },
    },
  ];
}
