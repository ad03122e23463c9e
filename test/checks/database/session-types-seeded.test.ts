import { expect } from "vitest";
import check from "../../../checks/database/session-types-seeded.js";
import { defaultConfig, type BookflowConfig } from "../../../src/config/bookflow-config.js";
import type { SessionTypeRow } from "../../../src/engine/facts/database.js";
import { checkTester } from "../../support/check-tester.js";

const row = (builderSlug: string, slug: string, priceCents: number, extra: Partial<SessionTypeRow> = {}): SessionTypeRow => ({ builderSlug, builderVisible: true, slug, title: slug, priceCents, currency: "usd", active: true, ...extra });
const SEEDED = [row("ada", "intro-call", 0), row("ada", "build-session", 9900), row("grace", "intro-call", 0), row("grace", "code-review", 14900)];
const defaults = defaultConfig();
const configured = (sessionTypes: BookflowConfig["seed"]["sessionTypes"]): BookflowConfig => ({ ...defaults, seed: { ...defaults.seed, sessionTypes } });
const world = (sessionTypes: SessionTypeRow[], config = defaults) => ({ config, sessionTypes });

checkTester(check, {
  pass: [
    { name: "default: a free and a paid one", facts: world(SEEDED), messageId: "freeAndPaid" },
    { name: "default: inactive extras do not matter", facts: world([...SEEDED, row("ada", "old", 5000, { active: false })]), messageId: "freeAndPaid" },
    { name: "configured slugs, prices and currencies", facts: world(SEEDED, configured([{ slug: "intro-call", priceCents: 0 }, { slug: "build-session", priceCents: 9900, currency: "USD" }, { slug: "code-review" }])), messageId: "asConfigured" },
  ],
  fail: [
    { name: "default: no session types", facts: world([]), expect: { status: "fail", messageId: "freeOrPaidMissing", data: { missing: "a free one and a paid one" } } },
    { name: "default: only free ones", facts: world(SEEDED.filter((s) => s.priceCents === 0)), expect: { status: "fail", messageId: "freeOrPaidMissing", data: { missing: "a paid one" } } },
    { name: "default: the paid ones are inactive", facts: world(SEEDED.map((s) => (s.priceCents > 0 ? { ...s, active: false } : s))), expect: { status: "fail", messageId: "freeOrPaidMissing", data: { missing: "a paid one", active: 2, total: 4 } } },
    { name: "configured: a slug missing", facts: world(SEEDED, configured([{ slug: "workshop" }])), expect: { status: "fail", messageId: "notAsConfigured", data: { problems: expect.stringContaining("workshop missing") } } },
    { name: "configured: a slug inactive", facts: world(SEEDED.map((s) => (s.slug === "code-review" ? { ...s, active: false } : s)), configured([{ slug: "code-review" }])), expect: { status: "fail", messageId: "notAsConfigured", data: { problems: expect.stringContaining("code-review inactive") } } },
    { name: "configured: a wrong price", facts: world(SEEDED, configured([{ slug: "build-session", priceCents: 12000 }])), expect: { status: "fail", messageId: "notAsConfigured", data: { problems: expect.stringContaining("ada/build-session costs 99.00 USD, expected 120.00 USD") } } },
    { name: "configured: a wrong currency", facts: world(SEEDED, configured([{ slug: "code-review", currency: "eur" }])), expect: { status: "fail", messageId: "notAsConfigured", data: { problems: expect.stringContaining("grace/code-review costs 149.00 USD, expected 149.00 EUR") } } },
  ],
});
