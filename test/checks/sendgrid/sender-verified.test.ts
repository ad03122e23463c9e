import check from "../../../checks/sendgrid/sender-verified.js";
import type { SendGridSendersFact } from "../../../src/engine/facts/sendgrid.js";
import { checkTester, type World } from "../../support/check-tester.js";
import { envWorld } from "../../support/env-worlds.js";

// VALID_ENV sends from noreply@example.com.
const world = (senders: SendGridSendersFact["verifiedSenders"], domains: SendGridSendersFact["domains"]): World => ({ ...envWorld(), sendgridSenders: { verifiedSenders: senders, domains } });

checkTester(check, {
  pass: [
    { name: "verified single sender", facts: world([{ from_email: "NoReply@example.com", verified: true }], []) },
    { name: "authenticated, valid domain", facts: world([], [{ id: 1, domain: "example.com", valid: true }]) },
    { name: "unverified sender, but the domain is authenticated", facts: world([{ from_email: "noreply@example.com", verified: false }], [{ id: 1, domain: "example.com", valid: true }]) },
  ],
  fail: [
    { name: "nothing", facts: world([], []), expect: { status: "fail", message: /noreply@example\.com is not a single sender; domain example\.com is not authenticated/ } },
    { name: "sender not verified", facts: world([{ from_email: "noreply@example.com", verified: false }], []), expect: { status: "fail", message: /single sender noreply@example\.com is not verified yet/ } },
    { name: "domain authenticated but invalid", facts: world([], [{ id: 1, domain: "example.com", valid: false }]), expect: { status: "fail", message: /domain example\.com is authenticated but its DNS records are not valid/ } },
    { name: "only another sender and domain", facts: world([{ from_email: "bookings@other.example", verified: true }], [{ id: 2, domain: "other.example", valid: true }]), expect: { status: "fail", message: /will not send from noreply@example\.com/ } },
  ],
});
