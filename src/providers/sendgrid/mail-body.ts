/**
 * The v3 Mail Send body bookflow's mailer (src/providers/sendgrid-mailer.ts)
 * sends for one booking email, built without the SDK: with a template, the
 * template id and its `dynamic_template_data`; without one, the subject and
 * the text and HTML parts. `sandbox` sets `mail_settings.sandbox_mode.enable`
 * (SendGrid validates the request, answers 200 and delivers nothing).
 */
export interface BookingMailInput {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  /** The dynamic template (d-…), when the app sends with one. */
  templateId?: string | undefined;
  /** The template's data, as the mailer sends it. */
  dynamicTemplateData?: Record<string, unknown> | undefined;
  customArgs?: Record<string, string> | undefined;
  sandbox?: boolean | undefined;
}

export function bookingMailBody(input: BookingMailInput): Record<string, unknown> {
  const personalization: Record<string, unknown> = { to: [{ email: input.to }] };
  if (input.templateId) personalization.dynamic_template_data = input.dynamicTemplateData ?? {};
  return {
    personalizations: [personalization],
    from: { email: input.from },
    ...(input.templateId
      ? { template_id: input.templateId }
      : { subject: input.subject, content: [{ type: "text/plain", value: input.text }, { type: "text/html", value: input.html }] }),
    ...(input.customArgs ? { custom_args: input.customArgs } : {}),
    ...(input.sandbox ? { mail_settings: { sandbox_mode: { enable: true } } } : {}),
  };
}
