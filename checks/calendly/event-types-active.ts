import { defineCheck, fail, pass, skip } from "../../src/engine/check.js";

export default defineCheck({
  id: "calendly.event-types-active",
  section: "calendly",
  title: "Every active session type's Calendly event type exists and is active",
  severity: "error",
  needs: ["calendly.token-valid", "env.database-urls-well-formed"],
  facts: ["activeSessionTypes", "calendlyEventTypes"],
  docs: {
    why: "Customers book a session type through its Calendly event type: one that was deleted, renamed to another URI or switched off makes the session type unbookable, while it still shows in the marketplace.",
    fix: "In Calendly, turn the event type back on (Event types → toggle On), or point the session type at the right one: UPDATE \"SessionType\" SET \"calendlyEventTypeUri\" = '<https://api.calendly.com/event_types/…>' WHERE id = '<id>' (the URI is listed by GET /event_types). If the session type is retired, set its `active` to false instead.",
  },
  messages: {
    noActiveSessionTypes: "No active session types in the database (see the database checks)",
    eventTypesUnusable: "{{problems}}",
    allActive: "{{count}} active session types, each with an active Calendly event type",
  },
  run({ activeSessionTypes, calendlyEventTypes }) {
    if (!activeSessionTypes.length) return skip("noActiveSessionTypes");
    const byUri = new Map(calendlyEventTypes.map((e) => [e.uri, e]));
    const problems: string[] = [];
    for (const s of activeSessionTypes) {
      if (!s.calendlyEventTypeUri) problems.push(`${s.name} has no Calendly event type`);
      else if (!byUri.has(s.calendlyEventTypeUri)) problems.push(`${s.name}: event type ${s.calendlyEventTypeUri} does not exist in Calendly`);
      else if (!byUri.get(s.calendlyEventTypeUri)!.active) problems.push(`${s.name}: event type ${s.calendlyEventTypeUri} is turned off`);
    }
    if (problems.length)
      return fail("eventTypesUnusable", { problems: problems.join("; ") }, {
        expected: "an active Calendly event type for each active session type",
        actual: problems,
        details: { eventTypes: calendlyEventTypes.map((e) => ({ uri: e.uri, active: e.active })) },
      });
    return pass("allActive", { count: activeSessionTypes.length });
  },
});
