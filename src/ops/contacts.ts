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

/**
 * The contacts of a config file's text, read without the config schema (no zod: `rollback --help`
 * stays light): each entry must have a known role, a name and a way to reach them, as the schema
 * requires. Anything else gives the one line saying the file could not be read for contacts;
 * the full validation (every field named) is the command's own, when it runs.
 */
export function helpContactLines(text: string | null, file: string, indent = "  "): string[] {
  if (text === null) return formatContacts([], indent);
  const unreadable = (why: string) => [`${indent}cannot show the contacts of ${file}: ${why} (run \`bookflow verify --only deployment.emergency-contacts\` to see the whole file's problems)`];
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return unreadable("it is not valid JSON");
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) return unreadable("it is not a JSON object");
  const raw = (json as { contacts?: unknown }).contacts;
  if (raw === undefined) return formatContacts([], indent);
  if (!Array.isArray(raw)) return unreadable('"contacts" is not a list');
  const str = (v: unknown): v is string => typeof v === "string" && v.trim().length > 0;
  const contacts: EmergencyContact[] = [];
  for (const [i, entry] of raw.entries()) {
    const e = (typeof entry === "object" && entry !== null ? entry : {}) as Record<string, unknown>;
    if (!ROLE_ORDER.includes(e.role as ContactRole) || !str(e.name) || !(str(e.email) || str(e.phone) || str(e.url))) return unreadable(`contacts[${i}] needs a known role, a name, and an email, phone or url`);
    contacts.push({ role: e.role as ContactRole, name: e.name, ...(str(e.email) ? { email: e.email } : {}), ...(str(e.phone) ? { phone: e.phone } : {}), ...(str(e.url) ? { url: e.url } : {}), ...(str(e.when) ? { when: e.when } : {}) });
  }
  return formatContacts(contacts, indent);
}
