import check from "../../../checks/sendgrid/sender-verified.js";
import type { SendGridSendersFact } from "../../../src/engine/facts/sendgrid.js";
import { checkTester, type World } from "../../support/check-tester.js";
import { envWorld } from "../../support/env-worlds.js";

// VALID_ENV sends from noreply@example.com.
const world = (senders: SendGridSendersFact["verifiedSenders"], domains: SendGridSendersFact["domains"]): World => ({ ...envWorld(), sendgridSenders: { verifiedSenders: senders, domains } });

checkTester(check, {
  pass: [
    { name: "verified single sender", facts: world([{ from_email: "NoReply@example.com", verified: true }], []), messageId: "verifiedSender" },
    { name: "authenticated, valid domain", facts: world([], [{ id: 1, domain: "example.com", valid: true }]), messageId: "authenticatedDomain" },
    { name: "unverified sender, but the domain is authenticated", facts: world([{ from_email: "noreply@example.com", verified: false }], [{ id: 1, domain: "example.com", valid: true }]), messageId: "authenticatedDomain" },
  ],
  fail: [
    { name: "nothing", facts: world([], []), expect: { status: "fail", messageId: "noSenderNoDomain", data: { from: "noreply@example.com", domain: "example.com" } } },
    { name: "sender not verified", facts: world([{ from_email: "noreply@example.com", verified: false }], []), expect: { status: "fail", messageId: "unverifiedSenderNoDomain", data: { from: "noreply@example.com" } } },
    { name: "domain authenticated but invalid", facts: world([], [{ id: 1, domain: "example.com", valid: false }]), expect: { status: "fail", messageId: "noSenderInvalidDomain", data: { domain: "example.com" } } },
    { name: "only another sender and domain", facts: world([{ from_email: "bookings@other.example", verified: true }], [{ id: 2, domain: "other.example", valid: true }]), expect: { status: "fail", messageId: "noSenderNoDomain", data: { from: "noreply@example.com" } } },
  ],
});
