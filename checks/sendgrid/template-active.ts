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
  messages: {
    notConfigured: "SENDGRID_BOOKING_TEMPLATE_ID is not set: booking emails are sent as plain emails",
    templateNotFound: "SendGrid has no template {{template}}",
    legacyTemplate: 'Template {{template}} ("{{name}}") is a legacy template, not a dynamic one',
    noActiveVersion: 'Template {{template}} ("{{name}}") has no active version ({{inactive}} inactive)',
    noVersions: 'Template {{template}} ("{{name}}") has no active version (no versions at all)',
    sendsNamedVersion: 'Template "{{name}}" sends version "{{version}}"',
    sendsVersion: 'Template "{{name}}" sends version {{version}}',
  },
  run({ sendgridTemplate: t }) {
    if (t === null) return skip("notConfigured");
    if (!t.found) return fail("templateNotFound", { template: t.id }, { expected: t.id });
    const named = { template: t.id, name: t.template.name };
    if (t.template.generation !== "dynamic") return fail("legacyTemplate", named, { expected: "dynamic", actual: t.template.generation });
    const active = t.template.versions.find((v) => v.active === 1);
    if (!active) {
      const extra = { expected: "one version with active = 1", actual: t.template.versions.map((v) => ({ id: v.id, active: v.active })) };
      return t.template.versions.length ? fail("noActiveVersion", { ...named, inactive: t.template.versions.length }, extra) : fail("noVersions", named, extra);
    }
    return active.name ? pass("sendsNamedVersion", { name: t.template.name, version: active.name }) : pass("sendsVersion", { name: t.template.name, version: active.id ?? "the active version" });
  },
});
