/**
 * The Stripe emulator's payment intents: create (confirmed at once with a
 * test card, declined with `pm_card_chargeDeclined`, or waiting for a payment
 * method), list and retrieve with `expand[]=latest_charge`.
 */
import type { EmulatorRequest, EmulatorResponse, Route } from "../../emulator-server.js";
import type { PaymentIntent } from "../objects.js";
import { StripeApiError, allowOnly, bool, clone, EMAIL, expandList, int, invalid, metadataParam, missing, noSuch, str, type Params } from "../params.js";
import { createPayment, newPaymentIntent } from "../payments.js";
import { LIST_PARAMS, listAnswer, listQuery, respond, type Pipeline } from "../pipeline.js";
import type { StripeState } from "../state.js";

/**
 * `POST /v1/payment_intents` (added for the scenarios' staging driver, which pays with Stripe's test
 * cards): with `confirm=true` and a test payment method `pm_card_…` the intent succeeds at once (a
 * charge, `payment_intent.succeeded` and `charge.succeeded`); `pm_card_chargeDeclined` is declined
 * (402 card_error); without confirm it waits for a payment method.
 */
function createPaymentIntent(state: StripeState, { requestInfo }: Pipeline, req: EmulatorRequest, params: Params): EmulatorResponse {
  const { nowSeconds, paymentIntents, charges, credit, emitEvent } = state;
  allowOnly(params, [
    "amount", "currency", "metadata", "description", "receipt_email", "payment_method", "confirm", "automatic_payment_methods",
    "payment_method_types", "customer", "expand", "statement_descriptor", "statement_descriptor_suffix", "return_url", "off_session",
  ]);
  const amount = int(params, "amount", "amount", { min: 1 });
  if (amount === undefined) throw missing("amount");
  const currency = str(params, "currency")?.toLowerCase();
  if (!currency) throw missing("currency");
  if (currency === "usd" && amount < 50) throw invalid("amount", "Amount must be at least $0.50 usd", "amount_too_small");
  const metadata = metadataParam(params) ?? {};
  const email = str(params, "receipt_email") ?? null;
  if (email !== null && !EMAIL.test(email)) throw invalid("receipt_email", `Invalid email address: ${email}`, "email_invalid");
  const paymentMethod = str(params, "payment_method");
  const confirm = bool(params, "confirm") ?? false;
  const created = nowSeconds();
  const description = str(params, "description") ?? null;
  if (confirm && !paymentMethod) throw missing("payment_method");
  if (!confirm) {
    const pending = newPaymentIntent(state, { amount, currency, metadata, description, created, receiptEmail: email, status: "requires_payment_method" });
    Object.assign(pending, { customer: str(params, "customer") ?? null, payment_method: paymentMethod ?? null } satisfies Partial<PaymentIntent>);
    paymentIntents.add(pending);
    return respond(200, expandPaymentIntent(state, pending, expandList(params)));
  }
  if (!/^pm_card_[A-Za-z]+$/.test(paymentMethod!)) throw invalid("payment_method", `No such PaymentMethod: '${paymentMethod}' (the emulator knows Stripe's test methods, e.g. pm_card_visa)`, "resource_missing");
  if (paymentMethod === "pm_card_chargeDeclined") {
    throw new StripeApiError(402, "Your card was declined.", { type: "card_error", code: "card_declined", param: "payment_method" });
  }
  const { paymentIntent, charge } = createPayment(state, { amount, currency, metadata, email, name: null, description, created });
  paymentIntent.payment_method = paymentMethod!;
  paymentIntents.add(paymentIntent);
  charges.add(charge);
  credit(currency, amount);
  const request = requestInfo(req);
  emitEvent("payment_intent.succeeded", paymentIntent, undefined, request);
  emitEvent("charge.succeeded", charge, undefined, request);
  return respond(200, expandPaymentIntent(state, paymentIntent, expandList(params)));
}

function expandPaymentIntent(state: StripeState, pi: PaymentIntent, expand: string[]): unknown {
  const { charges } = state;
  const out: Record<string, unknown> = clone(pi) as unknown as Record<string, unknown>;
  for (const field of expand) {
    if (field === "latest_charge") out.latest_charge = pi.latest_charge ? clone(charges.get(pi.latest_charge) ?? null) : null;
    else throw invalid("expand", `This property cannot be expanded (${field}).`);
  }
  return out;
}

export function paymentIntentRoutes(state: StripeState, pipeline: Pipeline): Route[] {
  const { api } = pipeline;
  const { paymentIntents } = state;
  return [
    { method: "POST", path: "/v1/payment_intents", handler: api((req, params) => createPaymentIntent(state, pipeline, req, params)) },
    {
      method: "GET",
      path: "/v1/payment_intents",
      handler: api((_req, params) => {
        allowOnly(params, [...LIST_PARAMS, "customer"]);
        const customer = str(params, "customer");
        const filter = customer !== undefined ? (p: PaymentIntent) => p.customer === customer : undefined;
        return respond(200, listAnswer("/v1/payment_intents", paymentIntents.list({ ...listQuery(params), filter })));
      }),
    },
    {
      method: "GET",
      path: "/v1/payment_intents/:id",
      handler: api((req, params) => {
        allowOnly(params, ["expand", "client_secret"]);
        const pi = paymentIntents.get(req.params.id!);
        if (!pi) throw noSuch("payment_intent", req.params.id!);
        return respond(200, expandPaymentIntent(state, pi, expandList(params)));
      }),
    },
  ];
}
