import { expect } from "vitest";
import check from "../../../checks/calendly/event-types-active.js";
import type { CalendlyEventTypeFact } from "../../../src/engine/facts/calendly.js";
import type { ActiveSessionType } from "../../../src/engine/facts/session-types.js";
import { checkTester, type World } from "../../support/check-tester.js";

const ET = "https://api.calendly.com/event_types";
const session = (slug: string, over: Partial<ActiveSessionType> = {}): ActiveSessionType => ({
  id: `st-${slug}`,
  name: `ada/${slug}`,
  title: slug,
  priceCents: 0,
  currency: "usd",
  calendlyEventTypeUri: `${ET}/${slug}`,
  stripePriceId: null,
  ...over,
});
const eventType = (slug: string, active = true): CalendlyEventTypeFact => ({ uri: `${ET}/${slug}`, name: slug, slug, active });
const world = (activeSessionTypes: ActiveSessionType[], calendlyEventTypes: CalendlyEventTypeFact[]): World => ({ activeSessionTypes, calendlyEventTypes });

checkTester(check, {
  pass: [
    { name: "each session type's event type is active", facts: world([session("intro"), session("build")], [eventType("intro"), eventType("build")]) },
    { name: "inactive event types no session type uses are fine", facts: world([session("intro")], [eventType("intro"), eventType("retired", false)]) },
  ],
  fail: [
    { name: "event type missing in Calendly", facts: world([session("intro"), session("build")], [eventType("intro")]), expect: { status: "fail", messageId: "eventTypesUnusable", data: { problems: expect.stringMatching(/^ada\/build: event type .*\/build does not exist in Calendly$/) } } },
    { name: "event type turned off", facts: world([session("intro")], [eventType("intro", false)]), expect: { status: "fail", messageId: "eventTypesUnusable", data: { problems: expect.stringMatching(/ada\/intro: event type .* is turned off/) } } },
    { name: "session type without an event type", facts: world([session("intro", { calendlyEventTypeUri: null })], [eventType("intro")]), expect: { status: "fail", messageId: "eventTypesUnusable", data: { problems: expect.stringContaining("ada/intro has no Calendly event type") } } },
    { name: "no active session types", facts: world([], [eventType("intro")]), expect: { status: "skip", messageId: "noActiveSessionTypes" } },
  ],
});
