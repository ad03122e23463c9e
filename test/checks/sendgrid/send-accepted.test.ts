import { expect } from "vitest";
import check from "../../../checks/sendgrid/send-accepted.js";
import type { SendGridSandboxSendFact } from "../../../src/engine/facts/sendgrid.js";
import { checkTester } from "../../support/check-tester.js";

const TEMPLATE = "d-0123456789abcdef0123456789abcdef";
const send = (answer: SendGridSandboxSendFact["answer"], templateId: string | null = TEMPLATE): SendGridSandboxSendFact => ({ from: "bookings@example.com", templateId, kind: "CONFIRMATION", answer });

checkTester(check, {
  pass: [
    { name: "accepted with the template (sandbox mode answers 200)", facts: { sendgridSandboxSend: send({ accepted: true, status: 200, messageId: null }) }, messageId: "acceptedWithTemplate" },
    { name: "accepted as a plain email (no template id)", facts: { sendgridSandboxSend: send({ accepted: true, status: 200, messageId: null }, null) }, messageId: "accepted" },
    { name: "any 2xx", facts: { sendgridSandboxSend: send({ accepted: true, status: 202, messageId: "abc" }) }, messageId: "acceptedWithTemplate" },
  ],
  fail: [
    {
      name: "an unverified sender (403 on from)",
      facts: { sendgridSandboxSend: send({ accepted: false, status: 403, errors: [{ message: "The from address does not match a verified Sender Identity.", field: "from" }] }) },
      expect: { status: "fail", messageId: "refused", data: { status: 403, from: "bookings@example.com", errors: expect.stringMatching(/verified Sender Identity\. \(field from\)/) } },
    },
    {
      name: "a key that lost mail.send (403 without a field)",
      facts: { sendgridSandboxSend: send({ accepted: false, status: 403, errors: [{ message: "access forbidden", field: null }] }) },
      expect: { status: "fail", messageId: "refused", data: { status: 403, errors: "access forbidden" } },
    },
    {
      name: "several validation errors are all named",
      facts: {
        sendgridSandboxSend: send({
          accepted: false,
          status: 400,
          errors: [
            { message: "The template_id must be a valid template ID.", field: "template_id" },
            { message: "Does not contain a valid address.", field: "personalizations.0.to.0.email" },
          ],
        }),
      },
      expect: { status: "fail", messageId: "refused", data: { status: 400, errors: expect.stringMatching(/template_id.*; Does not contain a valid address\. \(field personalizations\.0\.to\.0\.email\)/) } },
    },
    { name: "SendGrid down (500)", facts: { sendgridSandboxSend: send({ accepted: false, status: 500, errors: [{ message: "Internal server error", field: null }] }) }, expect: { status: "fail", messageId: "refused", data: { status: 500, kind: "confirmation" } } },
  ],
});
