import { CONTACT_ROLES, type ContactRole } from "../../src/config/bookflow-config.js";
import { defineCheck, fail, pass, skip } from "../../src/engine/check.js";

/** The roles the release checklist's "Emergency Contacts" names: one of each is what a release night needs. */
const CHECKLIST_ROLES: readonly ContactRole[] = CONTACT_ROLES.filter((r) => r !== "vercel" && r !== "other");

export default defineCheck({
  id: "deployment.emergency-contacts",
  section: "deployment",
  title: "Emergency contacts are configured for production",
  severity: "warn",
  needs: [],
  facts: ["env", "config"],
  docs: {
    why: "When a release goes wrong, the people running the rollback must know whom to call (Calendly, Stripe, SendGrid and database support, the on-call engineer) without searching: `bookflow rollback` prints them in its plan and its --help. With none configured, the plan can only say so. Only production needs them (a warning there); for other targets the check is skipped unless contacts are configured.",
    fix: 'Add "contacts" to bookflow.config.json, one entry per role: { "role": "stripe", "name": "Stripe Support", "url": "https://support.stripe.com", "when": "payment issues" } (roles: calendly, stripe, sendgrid, database, vercel, on-call, other; each needs an email, phone or url). `bookflow rollback --help` shows them.',
  },
  messages: {
    noneForProduction: "No emergency contacts are configured: a rollback's plan cannot say whom to call",
    onlyProduction: "No emergency contacts are configured (they are required only for --target production)",
    configured: "{{count}} emergency contact(s) configured ({{roles}}){{missing}}",
  },
  run({ env, config }) {
    const contacts = config.contacts;
    if (contacts.length === 0) {
      if (env.target !== "production") return skip("onlyProduction");
      return fail("noneForProduction", {}, { expected: `contacts for ${CHECKLIST_ROLES.join(", ")}`, actual: [] });
    }
    const roles = [...new Set(contacts.map((c) => c.role))];
    const missing = CHECKLIST_ROLES.filter((r) => !roles.includes(r));
    return pass(
      "configured",
      { count: contacts.length, roles: roles.join(", "), missing: missing.length ? `; none for ${missing.join(", ")}` : "" },
      { details: { roles, missing } },
    );
  },
});
