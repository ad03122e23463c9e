import { defineCheck, fail, pass } from "../../src/engine/check.js";

export default defineCheck({
  id: "sendgrid.sender-verified",
  section: "sendgrid",
  title: "SENDGRID_FROM_EMAIL is a verified sender or on an authenticated domain",
  severity: "error",
  needs: ["sendgrid.key-can-send"],
  facts: ["env", "sendgridSenders"],
  docs: {
    why: "SendGrid refuses mail from an address that is neither a verified single sender nor on an authenticated domain (403 \"The from address does not match a verified Sender Identity\"): no booking email would be sent.",
    fix: "Authenticate the from-address's domain in SendGrid (Settings → Sender Authentication → Authenticate Your Domain, then publish its CNAME records), or add SENDGRID_FROM_EMAIL as a single sender (Settings → Sender Authentication → Verify a Single Sender) and click the link in the verification email.",
  },
  messages: {
    verifiedSender: "{{from}} is a verified single sender",
    authenticatedDomain: "{{from}} is on authenticated domain {{domain}}",
    noSenderNoDomain: "SendGrid will not send from {{from}}: {{from}} is not a single sender; domain {{domain}} is not authenticated",
    noSenderInvalidDomain: "SendGrid will not send from {{from}}: {{from}} is not a single sender; domain {{domain}} is authenticated but its DNS records are not valid",
    unverifiedSenderNoDomain: "SendGrid will not send from {{from}}: single sender {{from}} is not verified yet (the verification email was not confirmed); domain {{domain}} is not authenticated",
    unverifiedSenderInvalidDomain: "SendGrid will not send from {{from}}: single sender {{from}} is not verified yet (the verification email was not confirmed); domain {{domain}} is authenticated but its DNS records are not valid",
  },
  run({ env, sendgridSenders }) {
    const from = (env.vars.SENDGRID_FROM_EMAIL ?? "").trim().toLowerCase();
    const domain = from.slice(from.lastIndexOf("@") + 1);
    const sender = sendgridSenders.verifiedSenders.find((s) => s.from_email.toLowerCase() === from);
    const authDomain = sendgridSenders.domains.find((d) => d.domain.toLowerCase() === domain);
    if (sender?.verified) return pass("verifiedSender", { from });
    if (authDomain?.valid) return pass("authenticatedDomain", { from, domain: authDomain.domain });
    const id = sender ? (authDomain ? "unverifiedSenderInvalidDomain" : "unverifiedSenderNoDomain") : authDomain ? "noSenderInvalidDomain" : "noSenderNoDomain";
    return fail(id, { from, domain: authDomain?.domain ?? domain }, {
      expected: `a verified single sender ${from}, or a valid authenticated domain ${domain}`,
      actual: { senders: sendgridSenders.verifiedSenders, domains: sendgridSenders.domains },
    });
  },
});
