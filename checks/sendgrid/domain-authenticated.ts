import { defineCheck, fail, pass } from "../../src/engine/check.js";

export default defineCheck({
  id: "sendgrid.domain-authenticated",
  section: "sendgrid",
  title: "SendGrid domain authentication for the from-address domain validates",
  severity: "error",
  needs: ["sendgrid.key-can-send"],
  retryable: true,
  facts: ["sendgridDomainValidation"],
  docs: {
    why: "Without valid domain authentication SendGrid signs mail with its own domain: DKIM does not align with the from-address, DMARC fails, and booking emails land in spam or are rejected.",
    fix: "In SendGrid (Settings → Sender Authentication) authenticate the from-address's domain, publish the CNAME records it shows (em<N>, s1._domainkey, s2._domainkey) at your DNS provider exactly as given, then press Verify; the dns checks show what DNS currently answers.",
  },
  messages: {
    notAuthenticated: "Domain {{domain}} is not authenticated in SendGrid",
    recordsInvalid: "Domain authentication {{authentication}} for {{domain}} does not validate: {{records}}",
    reportedInvalid: "Domain authentication {{authentication}} for {{domain}} does not validate: SendGrid reports it invalid",
    validates: "Domain authentication {{authentication}} for {{domain}} validates ({{records}})",
  },
  run({ sendgridDomainValidation: v }) {
    if (!v.authenticatedDomain || !v.validation)
      return fail("notAuthenticated", { domain: v.domain }, { expected: `an authenticated domain ${v.domain}`, actual: null });
    const results = Object.entries(v.validation.validation_results);
    const invalid = results.filter(([, r]) => !r.valid);
    const authentication = v.authenticatedDomain.id;
    if (!v.validation.valid || invalid.length) {
      const extra = { expected: "every record valid", actual: v.validation.validation_results };
      if (!invalid.length) return fail("reportedInvalid", { authentication, domain: v.domain }, extra);
      return fail("recordsInvalid", { authentication, domain: v.domain, records: invalid.map(([name, r]) => `${name}${r.reason ? ` (${r.reason})` : ""}`).join("; ") }, extra);
    }
    return pass("validates", { authentication, domain: v.domain, records: results.map(([name]) => name).join(", ") });
  },
});
