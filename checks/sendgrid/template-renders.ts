import { defineCheck, fail, pass, skip } from "../../src/engine/check.js";

export default defineCheck({
  id: "sendgrid.template-renders",
  section: "sendgrid",
  title: "The booking template's active version renders with the data the app sends for every email kind",
  severity: "error",
  needs: ["sendgrid.key-can-send"],
  facts: ["sendgridTemplateRender"],
  docs: {
    why: "SendGrid renders the dynamic template with Handlebars from the dynamic_template_data the app sends: a variable the app never sends renders as nothing (a confirmation without its date, a receipt without its amount), and a template that does not parse sends nothing at all.",
    fix: "Run `bookflow emails preview <kind>` to see what the template renders. Change the template (Email API → Dynamic Templates → the active version) to use only the variables the app sends (kind, subject, bookingId, inviteeName, inviteeEmail, sessionTitle, builderName, startTime, endTime, when, amount, amountCents, currency, cancellationReason), or make the app send the variable.",
  },
  messages: {
    notConfigured: "SENDGRID_BOOKING_TEMPLATE_ID is not set: booking emails are sent as plain emails, no template to render",
    templateUnavailable: "Template {{template}} has no active version to render (see sendgrid.template-active)",
    renderErrors: "Template {{template}} version {{version}} does not render: {{errors}}",
    variablesMissing: "Template {{template}} version {{version}} uses variables the app does not send: {{missing}}",
    renders: "Template {{template}} version {{version}} renders for {{kinds}} with the app's data",
  },
  run({ sendgridTemplateRender: r }) {
    if (r === null) return skip("notConfigured");
    if (r.unavailable) return skip("templateUnavailable", { template: r.id });
    const named = { template: r.id, version: r.version.name ?? r.version.id ?? "the active version" };
    const errors = r.kinds.flatMap((k) => k.errors.map((e) => `${k.kind.toLowerCase()}: ${e}`));
    if (errors.length) return fail("renderErrors", { ...named, errors: errors.join("; ") }, { actual: errors });
    const missing = r.kinds.filter((k) => k.variablesMissing.length);
    if (missing.length) {
      const byVariable = new Map<string, string[]>();
      for (const k of missing) for (const v of k.variablesMissing) byVariable.set(v, [...(byVariable.get(v) ?? []), k.kind.toLowerCase()]);
      const text = [...byVariable].map(([v, kinds]) => `${v} (${kinds.join(", ")})`).join("; ");
      return fail("variablesMissing", { ...named, missing: text }, { expected: "every variable in the data sent", actual: Object.fromEntries(missing.map((k) => [k.kind, k.variablesMissing])) });
    }
    return pass("renders", { ...named, kinds: r.kinds.map((k) => k.kind.toLowerCase()).join(", ") });
  },
});
