import { defineCheck, fail, pass } from "../../src/engine/check.js";

export default defineCheck({
  id: "sendgrid.send-accepted",
  section: "sendgrid",
  title: "SendGrid accepts a booking email as the app sends it (sandbox mode: delivered to no one)",
  severity: "error",
  needs: ["sendgrid.key-can-send"],
  facts: ["sendgridSandboxSend"],
  docs: {
    why: "Scopes, senders and templates can each look right while SendGrid still refuses the send the app makes (a sender identity revoked, a template id it rejects, a body it finds invalid): every booking email would then fail and be retried until marked failed. A send in sandbox mode goes through the same validation and delivers nothing.",
    fix: "Read SendGrid's error in the message: a 403 about the from address means SENDGRID_FROM_EMAIL needs a verified sender or an authenticated domain (Settings → Sender Authentication); a 403 \"access forbidden\" means the key lost Mail Send (Settings → API Keys); a 400 on template_id means SENDGRID_BOOKING_TEMPLATE_ID names no usable dynamic template. Fix it and run verify again.",
  },
  messages: {
    refused: "SendGrid refused a {{kind}} email from {{from}} (HTTP {{status}}): {{errors}}",
    acceptedWithTemplate: "SendGrid accepted a {{kind}} email from {{from}} with template {{template}} (sandbox mode, HTTP {{status}})",
    accepted: "SendGrid accepted a {{kind}} email from {{from}} (sandbox mode, HTTP {{status}})",
  },
  run({ sendgridSandboxSend: s }) {
    const kind = s.kind.toLowerCase();
    if (!s.answer.accepted) {
      const errors = s.answer.errors.map((e) => (e.field ? `${e.message} (field ${e.field})` : e.message)).join("; ");
      return fail("refused", { kind, from: s.from, status: s.answer.status, errors }, { expected: "HTTP 2xx", actual: { status: s.answer.status, errors: s.answer.errors } });
    }
    return s.templateId
      ? pass("acceptedWithTemplate", { kind, from: s.from, template: s.templateId, status: s.answer.status })
      : pass("accepted", { kind, from: s.from, status: s.answer.status });
  },
});
