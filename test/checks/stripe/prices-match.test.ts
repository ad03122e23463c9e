import { expect } from "vitest";
import check from "../../../checks/stripe/prices-match.js";
import type { ActiveSessionType } from "../../../src/engine/facts/session-types.js";
import type { StripePriceFact, StripePricesFact } from "../../../src/engine/facts/stripe.js";
import { checkTester, type World } from "../../support/check-tester.js";

const session = (slug: string, over: Partial<ActiveSessionType> = {}): ActiveSessionType => ({
  id: `st-${slug}`,
  name: `ada/${slug}`,
  title: slug,
  priceCents: 9900,
  currency: "usd",
  calendlyEventTypeUri: `https://api.calendly.com/event_types/${slug}`,
  stripePriceId: `price_${slug}`,
  ...over,
});
const price = (id: string, over: Partial<StripePriceFact> = {}): StripePriceFact => ({ id, active: true, unit_amount: 9900, currency: "usd", livemode: true, ...over });
const FREE = session("intro", { priceCents: 0, stripePriceId: null });
const world = (activeSessionTypes: ActiveSessionType[], stripePrices: StripePricesFact): World => ({ activeSessionTypes, stripePrices });

checkTester(check, {
  pass: [
    { name: "paid session type with a matching price, free one without", facts: world([FREE, session("build")], { price_build: price("price_build") }) },
    { name: "currency compared without regard to case", facts: world([session("build", { currency: "EUR" })], { price_build: price("price_build", { currency: "eur" }) }) },
  ],
  fail: [
    { name: "price does not exist", facts: world([session("build")], { price_build: null }), expect: { status: "fail", messageId: "pricesMismatch", data: { problems: expect.stringContaining("ada/build: price price_build does not exist in Stripe") } } },
    { name: "price archived", facts: world([session("build")], { price_build: price("price_build", { active: false }) }), expect: { status: "fail", messageId: "pricesMismatch", data: { problems: expect.stringContaining("price_build is archived") } } },
    { name: "amount differs", facts: world([session("build")], { price_build: price("price_build", { unit_amount: 4900 }) }), expect: { status: "fail", messageId: "pricesMismatch", data: { problems: expect.stringContaining("price_build is 49.00 USD, the session type says 99.00 USD") } } },
    { name: "currency differs", facts: world([session("build")], { price_build: price("price_build", { currency: "eur" }) }), expect: { status: "fail", messageId: "pricesMismatch", data: { problems: expect.stringContaining("is 99.00 EUR, the session type says 99.00 USD") } } },
    { name: "paid session type without a price id", facts: world([session("build", { stripePriceId: null })], {}), expect: { status: "fail", messageId: "pricesMismatch", data: { problems: expect.stringContaining("ada/build costs 99.00 USD but has no Stripe price") } } },
    { name: "no paid session types", facts: world([FREE], {}), expect: { status: "skip", messageId: "noPaidSessionTypes" } },
  ],
});
