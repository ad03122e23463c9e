import { expect } from "vitest";
import check from "../../../checks/sendgrid/domain-authenticated.js";
import type { SendGridDomainValidationFact } from "../../../src/engine/facts/sendgrid.js";
import { checkTester } from "../../support/check-tester.js";

const results = (over: Record<string, { valid: boolean; reason?: string | null }> = {}) => ({
  mail_cname: { valid: true, reason: null },
  dkim1: { valid: true, reason: null },
  dkim2: { valid: true, reason: null },
  ...over,
});
const validated = (valid: boolean, r = results()): SendGridDomainValidationFact => ({ domain: "example.com", authenticatedDomain: { id: 7, domain: "example.com" }, validation: { valid, validation_results: r } });

checkTester(check, {
  pass: [{ name: "every record valid", facts: { sendgridDomainValidation: validated(true) } }],
  fail: [
    { name: "domain not authenticated", facts: { sendgridDomainValidation: { domain: "example.com", authenticatedDomain: null, validation: null } }, expect: { status: "fail", messageId: "notAuthenticated", data: { domain: "example.com" } } },
    {
      name: "a DKIM record wrong",
      facts: { sendgridDomainValidation: validated(false, results({ dkim1: { valid: false, reason: "Expected CNAME to match s1.domainkey.u1.wl.sendgrid.net." } })) },
      expect: { status: "fail", messageId: "recordsInvalid", data: { records: expect.stringMatching(/^dkim1 \(Expected CNAME/) } },
    },
    { name: "invalid without details", facts: { sendgridDomainValidation: validated(false) }, expect: { status: "fail", messageId: "reportedInvalid" } },
  ],
});
