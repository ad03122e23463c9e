import { expect } from "vitest";
import check from "../../../checks/sendgrid/template-active.js";
import type { SendGridTemplateFact } from "../../../src/engine/facts/sendgrid.js";
import { checkTester } from "../../support/check-tester.js";

const ID = "d-0123456789abcdef0123456789abcdef";
const template = (versions: { id: string; active: 0 | 1; name?: string }[], generation: "dynamic" | "legacy" = "dynamic"): SendGridTemplateFact => ({
  id: ID,
  found: true,
  template: { id: ID, name: "Booking confirmation", generation, versions },
});

checkTester(check, {
  pass: [
    { name: "one active version", facts: { sendgridTemplate: template([{ id: "v1", active: 1, name: "v1" }]) }, messageId: "sendsNamedVersion" },
    { name: "an active version among drafts", facts: { sendgridTemplate: template([{ id: "v1", active: 0 }, { id: "v2", active: 1 }]) }, messageId: "sendsVersion" },
  ],
  fail: [
    { name: "template id not set", facts: { sendgridTemplate: null }, expect: { status: "skip", messageId: "notConfigured" } },
    { name: "no such template", facts: { sendgridTemplate: { id: ID, found: false } }, expect: { status: "fail", messageId: "templateNotFound", data: { template: expect.stringMatching(/^d-0123/) } } },
    { name: "no active version", facts: { sendgridTemplate: template([{ id: "v1", active: 0 }]) }, expect: { status: "fail", messageId: "noActiveVersion", data: { inactive: 1 } } },
    { name: "no versions", facts: { sendgridTemplate: template([]) }, expect: { status: "fail", messageId: "noVersions" } },
    { name: "legacy template", facts: { sendgridTemplate: template([{ id: "v1", active: 1 }], "legacy") }, expect: { status: "fail", messageId: "legacyTemplate" } },
  ],
});
