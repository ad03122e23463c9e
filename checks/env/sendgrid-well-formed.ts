import { defineCheck, fail, pass, skip } from "../../src/engine/check.js";
import { isEmail, isSendgridApiKey, isSendgridTemplateId } from "../../src/config/verify-env.js";

export default defineCheck({
  id: "env.sendgrid-well-formed",
  section: "env",
  title: "SendGrid key, sender and template id have the right shape",
  severity: "error",
  needs: [],
  vars: ["SENDGRID_API_KEY", "SENDGRID_FROM_EMAIL"],
  facts: ["env"],
  docs: {
    why: "Confirmation and cancellation emails are sent with these: a truncated key, a sender that is not an address or a legacy template id means no email goes out.",
    fix: "SENDGRID_API_KEY is the full key shown once at creation (SG.<id>.<secret>); SENDGRID_FROM_EMAIL is a bare address (noreply@your-domain); SENDGRID_BOOKING_TEMPLATE_ID, when set, is a dynamic template id (d- followed by 32 hex digits).",
  },
  messages: {
    malformed: "{{problems}}",
    notSet: "Not set: {{names}} (see env.required-present)",
    wellFormedWithTemplate: "API key and sender {{from}} are well-formed; template {{template}}",
    wellFormedPlainEmails: "API key and sender {{from}} are well-formed; no booking template (plain emails)",
  },
  run({ env }) {
    const { SENDGRID_API_KEY: key, SENDGRID_FROM_EMAIL: from, SENDGRID_BOOKING_TEMPLATE_ID: template } = env.vars;
    const problems: string[] = [];
    if (key !== undefined && !isSendgridApiKey(key)) problems.push("SENDGRID_API_KEY must look like SG.<id>.<secret>");
    if (from !== undefined && !isEmail(from)) problems.push(`SENDGRID_FROM_EMAIL is not an email address: "${from}"`);
    if (template !== undefined && !isSendgridTemplateId(template)) problems.push(`SENDGRID_BOOKING_TEMPLATE_ID is not a dynamic template id (d-<32 hex>): "${template}"`);
    if (problems.length) return fail("malformed", { problems: problems.join("; ") }, { actual: problems });
    const unset = [["SENDGRID_API_KEY", key], ["SENDGRID_FROM_EMAIL", from]].filter(([, v]) => v === undefined).map(([n]) => n);
    if (unset.length) return skip("notSet", { names: unset.join(", ") });
    return template ? pass("wellFormedWithTemplate", { from: from!, template }) : pass("wellFormedPlainEmails", { from: from! });
  },
});
