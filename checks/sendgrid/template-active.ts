import { defineCheck, fail, pass, skip } from "../../src/engine/check.js";

export default defineCheck({
  id: "sendgrid.template-active",
  section: "sendgrid",
  title: "SENDGRID_BOOKING_TEMPLATE_ID is a dynamic template with an active version",
  severity: "error",
  needs: ["sendgrid.key-can-send"],
  facts: ["sendgridTemplate"],
  docs: {
    why: "Booking emails are rendered from this template: SendGrid rejects sends naming a template that does not exist, and a template with no active version has nothing to send.",
    fix: "In SendGrid (Email API → Dynamic Templates) open the template, and on the version to send choose Make Active (or add a version); copy the template id (d-…) into SENDGRID_BOOKING_TEMPLATE_ID. Leave the variable unset to send plain emails instead.",
  },
  run({ sendgridTemplate: t }) {
    if (t === null) return skip("SENDGRID_BOOKING_TEMPLATE_ID is not set: booking emails are sent as plain emails");
    if (!t.found) return fail(`SendGrid has no template ${t.id}`, { expected: t.id });
    if (t.template.generation !== "dynamic") return fail(`Template ${t.id} ("${t.template.name}") is a legacy template, not a dynamic one`, { expected: "dynamic", actual: t.template.generation });
    const active = t.template.versions.find((v) => v.active === 1);
    if (!active)
      return fail(`Template ${t.id} ("${t.template.name}") has no active version${t.template.versions.length ? ` (${t.template.versions.length} inactive)` : " (no versions at all)"}`, {
        expected: "one version with active = 1",
        actual: t.template.versions.map((v) => ({ id: v.id, active: v.active })),
      });
    return pass(`Template "${t.template.name}" sends version ${active.name ? `"${active.name}"` : active.id}`);
  },
});
