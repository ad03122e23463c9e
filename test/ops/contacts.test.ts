import { describe, expect, it } from "vitest";
import type { EmergencyContact } from "../../src/config/bookflow-config.js";
import { formatContacts } from "../../src/ops/contacts.js";

describe("emergency contacts as a plan prints them", () => {
  it("one a line, in the checklist's order of roles, each with every way to reach them and when to call", () => {
    const contacts: EmergencyContact[] = [
      { role: "on-call", name: "Payments on-call", phone: "+1 415 555 0100" },
      { role: "database", name: "DB desk", email: "db@example.com", url: "https://status.example.com", when: "connections fail" },
      { role: "calendly", name: "Calendly Support", url: "https://help.calendly.com" },
    ];
    expect(formatContacts(contacts)).toEqual([
      "  Calendly (webhook issues): Calendly Support, https://help.calendly.com",
      "  Database (connection issues): DB desk, db@example.com, https://status.example.com (when: connections fail)",
      "  On-call: Payments on-call, +1 415 555 0100",
    ]);
  });

  it("with none configured, says how to add them", () => {
    expect(formatContacts([], "")).toEqual(['none configured: add "contacts" to bookflow.config.json (docs/checks.md, the config file)']);
  });
});
