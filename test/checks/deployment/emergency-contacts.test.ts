import check from "../../../checks/deployment/emergency-contacts.js";
import { defaultConfig, type BookflowConfig, type EmergencyContact } from "../../../src/config/bookflow-config.js";
import type { Target } from "../../../src/config/verify-env.js";
import { checkTester } from "../../support/check-tester.js";
import { envWorld } from "../../support/env-worlds.js";

const withContacts = (contacts: EmergencyContact[]): BookflowConfig => ({ ...defaultConfig(), contacts });
const world = (target: Target, contacts: EmergencyContact[] = []) => ({ ...envWorld({}, target), config: withContacts(contacts) });

const stripe: EmergencyContact = { role: "stripe", name: "Stripe Support", url: "https://support.stripe.com", when: "payment issues" };
const allFive: EmergencyContact[] = [
  { role: "calendly", name: "Calendly Support", url: "https://help.calendly.com" },
  stripe,
  { role: "sendgrid", name: "SendGrid Support", email: "support@sendgrid.example" },
  { role: "database", name: "DB desk", phone: "+1 415 555 0101" },
  { role: "on-call", name: "Release on-call", phone: "+1 415 555 0100" },
];

checkTester(check, {
  pass: [
    { name: "production with a contact for each checklist role", facts: world("production", allFive), messageId: "configured" },
    { name: "production with one contact (the missing roles are named, not failed)", facts: world("production", [stripe]), messageId: "configured" },
    { name: "staging with contacts", facts: world("staging", [stripe]), messageId: "configured" },
  ],
  fail: [
    { name: "production with none configured", facts: world("production"), expect: { status: "fail", messageId: "noneForProduction" } },
    { name: "staging with none configured: only production needs them", facts: world("staging"), expect: { status: "skip", messageId: "onlyProduction" } },
    { name: "sandbox with none configured", facts: world("sandbox"), expect: { status: "skip", messageId: "onlyProduction" } },
  ],
});
