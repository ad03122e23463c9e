import type { Context } from "../context.js";
import { sampleEmail, templateDataOf } from "../core/email-samples.js";
import type { EmailKind } from "../core/notifications.js";
import { BookflowError } from "../errors.js";

/** A booking email as a person would receive it, rendered for a sample booking. */
export interface EmailPreview {
  kind: EmailKind;
  subject: string;
  html: string;
  text: string;
  /** Variables the template reads that the app does not send (always empty for bookflow's own rendering). */
  variablesMissing: string[];
  /** "template": SENDGRID_BOOKING_TEMPLATE_ID's active version, rendered as SendGrid renders it; "bookflow": the app's own `renderEmail`. */
  source: "template" | "bookflow";
  /** The template and version rendered, when the source is the template. */
  template: { id: string; version: string } | null;
  /** Why the template was not used although an id is set (unreachable, no active version, no key). */
  fallbackReason: string | null;
  /** Parts of the template that did not render (`html_content: Parse error …`). */
  errors: string[];
}

/**
 * `bookflow emails preview <kind>`: the email of that kind for a sample
 * booking, with the app's own dynamic data. With SENDGRID_BOOKING_TEMPLATE_ID
 * set and SendGrid reachable, its active version rendered with Handlebars;
 * otherwise bookflow's `renderEmail` (with the reason when an id was set).
 */
export async function previewEmail(ctx: Context, input: { kind: EmailKind }): Promise<EmailPreview> {
  const email = sampleEmail(input.kind);
  const own = (fallbackReason: string | null): EmailPreview => ({
    kind: input.kind,
    subject: email.subject,
    html: email.html,
    text: email.text,
    variablesMissing: [],
    source: "bookflow",
    template: null,
    fallbackReason,
    errors: [],
  });
  const templateId = ctx.env.SENDGRID_BOOKING_TEMPLATE_ID?.trim();
  if (!templateId) return own(null);

  let template;
  try {
    template = await (await ctx.clients.sendgrid()).getTemplate(templateId);
  } catch (err) {
    if (err instanceof BookflowError) return own(`template ${templateId} could not be read: ${err.message.replace(/\.$/, "")}`);
    throw err;
  }
  const active = template.versions.find((v) => v.active === 1);
  if (!active) return own(`template ${templateId} has no active version`);

  const { renderTemplateVersion } = await import("../providers/sendgrid/template-render.js");
  const rendered = await renderTemplateVersion(active, templateDataOf(email.subject, email.dynamicData));
  const html = rendered.html ?? "";
  return {
    kind: input.kind,
    subject: rendered.subject ?? email.subject,
    html,
    // SendGrid makes the plain part from the HTML when a version has none (generate_plain_content).
    text: rendered.text ?? plainFromHtml(html),
    variablesMissing: rendered.variablesMissing,
    source: "template",
    template: { id: templateId, version: active.name ?? active.id ?? "the active version" },
    fallbackReason: null,
    errors: rendered.errors,
  };
}

function plainFromHtml(html: string): string {
  return html
    .replace(/<(br|\/p|\/h\d|\/div|\/li)\s*\/?>/gi, "\n")
    .replace(/<[^>]+>/g, "")
    .replace(/&amp;/g, "&")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&#x27;/g, "'")
    .replace(/\n{3,}/g, "\n\n")
    .trim()
    .concat("\n");
}
