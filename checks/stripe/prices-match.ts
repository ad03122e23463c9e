import { defineCheck, fail, pass, skip } from "../../src/engine/check.js";

const money = (cents: number | null, currency: string) => (cents === null ? `(no fixed amount) ${currency.toUpperCase()}` : `${(cents / 100).toFixed(2)} ${currency.toUpperCase()}`);

export default defineCheck({
  id: "stripe.prices-match",
  section: "stripe",
  title: "Every paid session type has an active Stripe price with its amount and currency",
  severity: "error",
  needs: ["stripe.key-valid", "env.database-urls-well-formed"],
  facts: ["activeSessionTypes", "stripePrices"],
  docs: {
    why: "Checkout charges the Stripe price, while the marketplace shows the session type's price: a missing or archived price makes the paid session unbookable, and a different amount or currency charges customers something other than what they were shown.",
    fix: "Create the price in Stripe (Products → the session's product → Add price, one-time, the session type's amount and currency) or unarchive it, and store its id: UPDATE \"SessionType\" SET \"stripePriceId\" = 'price_…' WHERE id = '<id>'. Stripe prices cannot change amount: to change it, create a new price and point the session type at it (or fix priceCents/currency to match).",
  },
  messages: {
    noPaidSessionTypes: "No active paid session types in the database: nothing is charged through Stripe",
    pricesMismatch: "{{problems}}",
    allMatch: "{{count}} paid session types, each with an active Stripe price of the same amount and currency",
  },
  run({ activeSessionTypes, stripePrices }) {
    const paid = activeSessionTypes.filter((s) => s.priceCents > 0);
    if (!paid.length) return skip("noPaidSessionTypes");
    const problems: string[] = [];
    for (const s of paid) {
      const shown = money(s.priceCents, s.currency);
      if (!s.stripePriceId) {
        problems.push(`${s.name} costs ${shown} but has no Stripe price`);
        continue;
      }
      const price = stripePrices[s.stripePriceId];
      if (!price) problems.push(`${s.name}: price ${s.stripePriceId} does not exist in Stripe`);
      else if (!price.active) problems.push(`${s.name}: price ${s.stripePriceId} is archived (inactive)`);
      else if (price.unit_amount !== s.priceCents || price.currency.toLowerCase() !== s.currency.toLowerCase())
        problems.push(`${s.name}: price ${s.stripePriceId} is ${money(price.unit_amount, price.currency)}, the session type says ${shown}`);
    }
    if (problems.length)
      return fail("pricesMismatch", { problems: problems.join("; ") }, {
        expected: paid.map((s) => ({ sessionType: s.name, price: s.stripePriceId, amount: s.priceCents, currency: s.currency })),
        actual: problems,
      });
    return pass("allMatch", { count: paid.length });
  },
});
