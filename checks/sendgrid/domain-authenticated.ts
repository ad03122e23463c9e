import { defineCheck, fail, pass } from "../../src/engine/check.js";

export default defineCheck({
  id: "sendgrid.domain-authenticated",
  section: "sendgrid",
  title: "SendGrid domain authentication for the from-address domain validates",
  severity: "error",
  needs: ["sendgrid.key-can-send"],
  facts: ["sendgridDomainValidation"],
  docs: {
    why: "Without valid domain authentication SendGrid signs mail with its own domain: DKIM does not align with the from-address, DMARC fails, and booking emails land in spam or are rejected.",
    fix: "In SendGrid (Settings → Sender Authentication) authenticate the from-address's domain, publish the CNAME records it shows (em<N>, s1._domainkey, s2._domainkey) at your DNS provider exactly as given, then press Verify; the dns checks show what DNS currently answers.",
  },
  run({ sendgridDomainValidation: v }) {
    if (!v.authenticatedDomain || !v.validation)
      return fail(`Domain ${v.domain} is not authenticated in SendGrid`, { expected: `an authenticated domain ${v.domain}`, actual: null });
    const results = Object.entries(v.validation.validation_results);
    const invalid = results.filter(([, r]) => !r.valid);
    if (!v.validation.valid || invalid.length)
      return fail(`Domain authentication ${v.authenticatedDomain.id} for ${v.domain} does not validate: ${invalid.map(([name, r]) => `${name}${r.reason ? ` (${r.reason})` : ""}`).join("; ") || "SendGrid reports it invalid"}`, {
        expected: "every record valid",
        actual: v.validation.validation_results,
      });
    return pass(`Domain authentication ${v.authenticatedDomain.id} for ${v.domain} validates (${results.map(([name]) => name).join(", ")})`);
  },
});
