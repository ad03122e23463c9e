import { expect } from "vitest";
import check from "../../../checks/env/sendgrid-well-formed.js";
import { checkTester } from "../../support/check-tester.js";
import { envWorld } from "../../support/env-worlds.js";

checkTester(check, {
  pass: [
    { name: "key, sender and template", facts: envWorld(), messageId: "wellFormedWithTemplate" },
    { name: "no template (optional)", facts: envWorld({ SENDGRID_BOOKING_TEMPLATE_ID: undefined }), messageId: "wellFormedPlainEmails" },
  ],
  fail: [
    { name: "key without SG. prefix", facts: envWorld({ SENDGRID_API_KEY: "FAKEkeyid0123.FAKEsecret0123456789" }), expect: { status: "fail", messageId: "malformed", data: { problems: expect.stringContaining("SENDGRID_API_KEY must look like SG.") }, notMessage: /FAKEsecret0123456789/ } },
    { name: "truncated key", facts: envWorld({ SENDGRID_API_KEY: "SG.FAKEkeyid0123" }), expect: { status: "fail", messageId: "malformed", data: { problems: expect.stringContaining("SENDGRID_API_KEY") } } },
    { name: "sender with display name", facts: envWorld({ SENDGRID_FROM_EMAIL: "Bookings <noreply@example.com>" }), expect: { status: "fail", messageId: "malformed", data: { problems: expect.stringContaining("SENDGRID_FROM_EMAIL is not an email address") } } },
    { name: "sender without domain", facts: envWorld({ SENDGRID_FROM_EMAIL: "noreply" }), expect: { status: "fail", messageId: "malformed", data: { problems: expect.stringContaining("SENDGRID_FROM_EMAIL") } } },
    { name: "legacy template id", facts: envWorld({ SENDGRID_BOOKING_TEMPLATE_ID: "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0" }), expect: { status: "fail", messageId: "malformed", data: { problems: expect.stringContaining("SENDGRID_BOOKING_TEMPLATE_ID is not a dynamic template id") } } },
    { name: "key not set (run alone)", facts: envWorld({ SENDGRID_API_KEY: undefined }), expect: { status: "skip", messageId: "notSet", data: { names: "SENDGRID_API_KEY" } } },
  ],
});
