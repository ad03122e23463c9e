import type { ContactRole, EmergencyContact } from "../config/bookflow-config.js";

/**
 * The config's emergency contacts (`contacts[]`) as the lines a person reads in a
 * rollback or release plan: one contact a line, in the checklist's order of roles
 * (Calendly, Stripe, SendGrid, database, Vercel, on-call, other), then as written.
 */

const ROLE_LABEL: Record<ContactRole, string> = {
  calendly: "Calendly (webhook issues)",
  stripe: "Stripe (payment issues)",
  sendgrid: "SendGrid (email issues)",
  database: "Database (connection issues)",
  vercel: "Vercel (deployment issues)",
  "on-call": "On-call",
  other: "Other",
};
const ROLE_ORDER: readonly ContactRole[] = ["calendly", "stripe", "sendgrid", "database", "vercel", "on-call", "other"];

/** Contacts sorted by role (stable within a role). */
export function sortContacts(contacts: readonly EmergencyContact[]): EmergencyContact[] {
  return [...contacts].sort((a, b) => ROLE_ORDER.indexOf(a.role) - ROLE_ORDER.indexOf(b.role));
}

/** One line: "Stripe (payment issues): Stripe Support, https://support.stripe.com (when: refunds fail)". */
export function formatContact(c: EmergencyContact): string {
  const ways = [c.phone, c.email, c.url].filter((w): w is string => w !== undefined).join(", ");
  return `${ROLE_LABEL[c.role]}: ${c.name}, ${ways}${c.when ? ` (when: ${c.when})` : ""}`;
}

/** The block printed under "Emergency contacts:"; with none configured, the line that says how to add them. */
export function formatContacts(contacts: readonly EmergencyContact[], indent = "  "): string[] {
  if (contacts.length === 0) return [`${indent}none configured: add "contacts" to bookflow.config.json (docs/checks.md, the config file)`];
  return sortContacts(contacts).map((c) => `${indent}${formatContact(c)}`);
}
