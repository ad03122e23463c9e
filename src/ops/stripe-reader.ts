import type Stripe from "stripe";
import { z } from "zod";
import { describeIssues } from "../config/validation.js";
import { checkoutSessionTruthSchema, paymentIntentTruthSchema, refundTruthSchema, type StripeReader } from "../core/reprocess.js";
import type { RefundTruth } from "../core/cancellation.js";
import { ProviderError } from "../errors.js";
import { stripeProviderError } from "../providers/stripe-errors.js";

/** The Stripe reads reprocess, cancel and show need, each answer checked. Errors become ProviderError("stripe", …). */
export function stripeReader(stripe: Stripe): StripeReader {
  const call = async <S extends z.ZodType>(endpoint: string, schema: S, run: () => Promise<unknown>): Promise<z.infer<S>> => {
    let answer: unknown;
    try {
      answer = await run();
    } catch (err) {
      throw stripeProviderError(err, endpoint);
    }
    const r = schema.safeParse(answer);
    if (!r.success) throw new ProviderError("stripe", endpoint, `unexpected answer: ${describeIssues(r.error.issues).slice(0, 5).join("; ")}`);
    return r.data;
  };
  return {
    retrieveCheckoutSession: (id) => call(`GET /v1/checkout/sessions/${id}`, checkoutSessionTruthSchema, () => stripe.checkout.sessions.retrieve(id)),
    retrievePaymentIntent: (id) => call(`GET /v1/payment_intents/${id}`, paymentIntentTruthSchema, () => stripe.paymentIntents.retrieve(id)),
    async listRefunds(paymentIntentId): Promise<RefundTruth[]> {
      const refunds: RefundTruth[] = [];
      let startingAfter: string | undefined;
      // A payment has a handful of refunds at most; pages of 100, bounded.
      for (let page = 0; page < 10; page++) {
        const list = await call(
          "GET /v1/refunds",
          z.looseObject({ data: z.array(refundTruthSchema), has_more: z.boolean() }),
          () => stripe.refunds.list({ payment_intent: paymentIntentId, limit: 100, ...(startingAfter ? { starting_after: startingAfter } : {}) }),
        );
        refunds.push(...list.data);
        if (!list.has_more || list.data.length === 0) break;
        startingAfter = list.data.at(-1)!.id;
      }
      return refunds;
    },
  };
}
