import { expect } from "vitest";
import check from "../../../checks/sendgrid/template-renders.js";
import type { SendGridTemplateRenderFact } from "../../../src/engine/facts/sendgrid.js";
import { checkTester } from "../../support/check-tester.js";

const ID = "d-0123456789abcdef0123456789abcdef";
type Kind = { kind: "CONFIRMATION" | "RECEIPT" | "CANCELLATION" | "RESCHEDULED"; subject: string | null; variablesMissing: string[]; errors: string[] };
const ok = (kind: Kind["kind"], more: Partial<Kind> = {}): Kind => ({ kind, subject: `${kind} subject`, variablesMissing: [], errors: [], ...more });
const rendered = (kinds: Kind[], name: string | null = "v1"): SendGridTemplateRenderFact => ({ id: ID, unavailable: false, version: { id: "ver-1", name }, kinds });
const all = [ok("CONFIRMATION"), ok("RECEIPT"), ok("CANCELLATION"), ok("RESCHEDULED")];

checkTester(check, {
  pass: [
    { name: "every kind renders with nothing missing", facts: { sendgridTemplateRender: rendered(all) }, messageId: "renders" },
    { name: "an unnamed version", facts: { sendgridTemplateRender: rendered(all, null) }, messageId: "renders" },
  ],
  fail: [
    { name: "no template id", facts: { sendgridTemplateRender: null }, expect: { status: "skip", messageId: "notConfigured" } },
    { name: "no such template or no active version", facts: { sendgridTemplateRender: { id: ID, unavailable: true } }, expect: { status: "skip", messageId: "templateUnavailable", data: { template: ID } } },
    {
      name: "a variable the app never sends, named with every kind it is missing from",
      facts: { sendgridTemplateRender: rendered(all.map((k) => ({ ...k, variablesMissing: ["promoCode"] }))) },
      expect: { status: "fail", messageId: "variablesMissing", data: { missing: "promoCode (confirmation, receipt, cancellation, rescheduled)", version: "v1" } },
    },
    {
      name: "variables missing from some kinds only",
      facts: { sendgridTemplateRender: rendered([ok("CONFIRMATION", { variablesMissing: ["coach", "room"] }), ok("RECEIPT", { variablesMissing: ["room"] }), ok("CANCELLATION"), ok("RESCHEDULED")]) },
      expect: { status: "fail", messageId: "variablesMissing", data: { missing: "coach (confirmation); room (confirmation, receipt)" } },
    },
    {
      name: "a render error names the kind and the part",
      facts: { sendgridTemplateRender: rendered([ok("CONFIRMATION", { errors: ["html_content: Parse error on line 1"] }), ok("RECEIPT"), ok("CANCELLATION"), ok("RESCHEDULED")]) },
      expect: { status: "fail", messageId: "renderErrors", data: { errors: expect.stringMatching(/^confirmation: html_content: Parse error/) } },
    },
  ],
});
