import { defineCheck, fail, pass } from "../../src/engine/check.js";
import type { SessionTypeRow } from "../../src/engine/facts/database.js";

const price = (cents: number, currency: string) => `${(cents / 100).toFixed(2)} ${currency.toUpperCase()}`;

export default defineCheck({
  id: "database.session-types-seeded",
  section: "database",
  title: "Session types are seeded as configured (default: an active free one and an active paid one)",
  severity: "error",
  needs: ["database.connects"],
  facts: ["config", "sessionTypes"],
  docs: {
    why: "Visitors book session types: without them the marketplace has nothing to sell, and without both a free and a paid one one of the two booking flows (Calendly only, Calendly then Stripe) cannot happen at all.",
    fix: "Seed the database (`bookflow db seed`) or create the session types in the app's admin; re-activate ones that were switched off. List the slugs, prices and currencies you expect under seed.sessionTypes in bookflow.config.json.",
  },
  messages: {
    freeOrPaidMissing: "No active session type: {{missing}} ({{active}} active of {{total}})",
    freeAndPaid: "{{active}} active session types: {{free}} free, {{paid}} paid",
    notAsConfigured: "Session types not as configured: {{problems}}",
    asConfigured: "All {{count}} configured session types are active as configured",
  },
  run({ config, sessionTypes }) {
    const active = sessionTypes.filter((s) => s.active);
    const expected = config.seed.sessionTypes;
    if (expected.length === 0) {
      const free = active.filter((s) => s.priceCents === 0);
      const paid = active.filter((s) => s.priceCents > 0);
      const missing = [...(free.length ? [] : ["a free one"]), ...(paid.length ? [] : ["a paid one"])];
      if (missing.length) {
        return fail("freeOrPaidMissing", { missing: missing.join(" and "), active: active.length, total: sessionTypes.length }, {
          expected: "at least one active free and one active paid session type",
          actual: active.map(describe),
        });
      }
      return pass("freeAndPaid", { active: active.length, free: free.length, paid: paid.length });
    }
    const problems: string[] = [];
    for (const want of expected) {
      const rows = sessionTypes.filter((s) => s.slug === want.slug);
      const live = rows.filter((s) => s.active);
      if (rows.length === 0) {
        problems.push(`${want.slug} missing`);
        continue;
      }
      if (live.length === 0) {
        problems.push(`${want.slug} inactive`);
        continue;
      }
      for (const row of live) {
        const priceOff = want.priceCents !== undefined && row.priceCents !== want.priceCents;
        const currencyOff = want.currency !== undefined && row.currency.toLowerCase() !== want.currency.toLowerCase();
        if (priceOff || currencyOff) problems.push(`${row.builderSlug}/${row.slug} costs ${price(row.priceCents, row.currency)}, expected ${price(want.priceCents ?? row.priceCents, want.currency ?? row.currency)}`);
      }
    }
    if (problems.length) return fail("notAsConfigured", { problems: problems.join("; ") }, { expected, actual: sessionTypes.map(describe) });
    return pass("asConfigured", { count: expected.length });
  },
});

function describe(s: SessionTypeRow) {
  return { name: `${s.builderSlug}/${s.slug}`, priceCents: s.priceCents, currency: s.currency, active: s.active };
}
