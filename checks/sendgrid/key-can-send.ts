import { defineCheck, fail, pass } from "../../src/engine/check.js";

export default defineCheck({
  id: "sendgrid.key-can-send",
  section: "sendgrid",
  title: "SendGrid accepts SENDGRID_API_KEY and it has the mail.send scope",
  severity: "error",
  needs: ["env.sendgrid-well-formed"],
  facts: ["sendgridScopes"],
  docs: {
    why: "Booking confirmations, receipts and cancellations are sent with this key: a deleted key or one without the Mail Send permission means no customer gets an email, and every send is retried until it is marked failed.",
    fix: "In SendGrid (Settings → API Keys) give the key the Mail Send permission (Restricted Access → Mail Send: Full Access; Template Engine and Sender Authentication: Read Access let bookflow verify the rest), or create a new key with them and set SENDGRID_API_KEY.",
  },
  run({ sendgridScopes }) {
    if (!sendgridScopes.authenticated)
      return fail(`SendGrid refused SENDGRID_API_KEY (HTTP ${sendgridScopes.status}): ${sendgridScopes.status === 401 ? "it is invalid or deleted" : "it may not even read its own scopes"}`, { details: { reason: sendgridScopes.reason } });
    if (!sendgridScopes.scopes.includes("mail.send"))
      return fail("The key lacks the mail.send scope: SendGrid will refuse every email", { expected: "mail.send", actual: [...sendgridScopes.scopes].sort() });
    return pass(`Key accepted with mail.send (${sendgridScopes.scopes.length} scopes)`);
  },
});
