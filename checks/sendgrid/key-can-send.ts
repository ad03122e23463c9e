import { defineCheck, fail, pass } from "../../src/engine/check.js";

export default defineCheck({
  id: "sendgrid.key-can-send",
  section: "sendgrid",
  title: "SendGrid accepts SENDGRID_API_KEY and it has the mail.send scope",
  severity: "error",
  needs: ["env.sendgrid-well-formed"],
  vars: ["SENDGRID_API_KEY"],
  facts: ["sendgridScopes"],
  docs: {
    why: "Booking confirmations, receipts and cancellations are sent with this key: a deleted key or one without the Mail Send permission means no customer gets an email, and every send is retried until it is marked failed.",
    fix: "In SendGrid (Settings → API Keys) give the key the Mail Send permission (Restricted Access → Mail Send: Full Access; Template Engine and Sender Authentication: Read Access let bookflow verify the rest), or create a new key with them and set SENDGRID_API_KEY.",
  },
  messages: {
    keyInvalid: "SendGrid refused SENDGRID_API_KEY (HTTP {{status}}): it is invalid or deleted",
    keyCannotReadScopes: "SendGrid refused SENDGRID_API_KEY (HTTP {{status}}): it may not even read its own scopes",
    noMailSendScope: "The key lacks the mail.send scope: SendGrid will refuse every email",
    canSend: "Key accepted with mail.send ({{count}} scopes)",
  },
  run({ sendgridScopes }) {
    if (!sendgridScopes.authenticated)
      return fail(sendgridScopes.status === 401 ? "keyInvalid" : "keyCannotReadScopes", { status: sendgridScopes.status }, { details: { reason: sendgridScopes.reason } });
    if (!sendgridScopes.scopes.includes("mail.send"))
      return fail("noMailSendScope", undefined, { expected: "mail.send", actual: [...sendgridScopes.scopes].sort() });
    return pass("canSend", { count: sendgridScopes.scopes.length });
  },
});
