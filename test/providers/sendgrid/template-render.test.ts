import { describe, expect, it } from "vitest";
import { EMAIL_KINDS, sampleEmail, templateDataOf } from "../../../src/core/email-samples.js";
import { renderTemplateVersion, templateVariables } from "../../../src/providers/sendgrid/template-render.js";
import { DEFAULT_TEMPLATE_HTML, DEFAULT_TEMPLATE_TEXT } from "../../../src/sandbox/sendgrid/emulator.js";

describe("templateVariables: the root variables a Handlebars template reads", () => {
  it.each([
    ["{{a}} {{{b}}} {{c.d}}", ["a", "b", "c"]],
    ["{{#if a}}{{b}}{{else}}{{c}}{{/if}}{{#unless d}}x{{/unless}}", ["a", "b", "c", "d"]],
    ['{{#equals kind "RECEIPT"}}{{amount}}{{/equals}} {{insert name "default=there"}}', ["amount", "kind", "name"]],
    ["{{#each items}}{{title}} {{../currency}} {{@index}}{{/each}}", ["currency", "items"]],
    ["{{#with booking}}{{title}}{{/with}} {{@root.when}} {{this}}", ["booking", "when"]],
    ["{{formatDate startTime \"MMMM d\"}} {{length (lookup tags 0)}}", ["startTime", "tags"]],
  ])("%s", async (source, expected) => {
    expect(await templateVariables(source)).toEqual(expected);
  });
});

describe("renderTemplateVersion", () => {
  it("renders with Handlebars: HTML escaped in html_content, not in subject or plain_content", async () => {
    const r = await renderTemplateVersion({ subject: "{{subject}}", html_content: "<p>{{name}}</p>", plain_content: "{{name}}" }, { subject: "A & B", name: "<Ada>" });
    expect(r).toEqual({ subject: "A & B", html: "<p>&lt;Ada&gt;</p>", text: "<Ada>", variablesMissing: [], errors: [] });
  });

  it("names a variable the data has no key for; a key whose value is null is sent", async () => {
    const r = await renderTemplateVersion({ html_content: "{{promoCode}} {{cancellationReason}}" }, { cancellationReason: null });
    expect(r.variablesMissing).toEqual(["promoCode"]);
  });

  it("reports a part that does not parse", async () => {
    const r = await renderTemplateVersion({ subject: "ok", plain_content: "{{#if x}}no end" }, { x: 1 });
    expect(r.text).toBeNull();
    expect(r.errors).toEqual([expect.stringMatching(/^plain_content: Parse error/)]);
  });

  it("the sandbox's default template renders every kind with the app's data, nothing missing", async () => {
    for (const kind of EMAIL_KINDS) {
      const email = sampleEmail(kind);
      const r = await renderTemplateVersion({ subject: "{{subject}}", html_content: DEFAULT_TEMPLATE_HTML, plain_content: DEFAULT_TEMPLATE_TEXT }, templateDataOf(email.subject, email.dynamicData));
      expect(r, kind).toMatchObject({ subject: email.subject, variablesMissing: [], errors: [] });
      expect(r.html).toContain("Build Session");
      if (kind === "RECEIPT") expect(r.html).toContain("Paid: $99.00");
      if (kind === "CANCELLATION") expect(r.html).toContain("Reason: The invitee cannot make it");
    }
  });
});
