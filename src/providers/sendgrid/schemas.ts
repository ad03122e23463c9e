/**
 * SendGrid v3 response shapes, as zod schemas: strict on the fields bookflow
 * reads, loose about everything else (new SendGrid fields never break the
 * client). Field names are SendGrid's own.
 */
import { z } from "zod";

export const sendGridScopesSchema = z.looseObject({
  scopes: z.array(z.string()),
});

export const sendGridTemplateVersionSchema = z.looseObject({
  id: z.string().min(1),
  /** 1 for the version SendGrid sends; at most one per template. */
  active: z.union([z.literal(0), z.literal(1)]),
  name: z.string().nullish(),
  subject: z.string().nullish(),
  /** The version's Handlebars sources (SendGrid omits a part that was never written). */
  html_content: z.string().nullish(),
  plain_content: z.string().nullish(),
  updated_at: z.string().nullish(),
});
export type SendGridTemplateVersion = z.infer<typeof sendGridTemplateVersionSchema>;

export const sendGridTemplateSchema = z.looseObject({
  id: z.string().min(1),
  name: z.string(),
  generation: z.enum(["dynamic", "legacy"]),
  updated_at: z.string().nullish(),
  versions: z.array(sendGridTemplateVersionSchema),
});
export type SendGridTemplate = z.infer<typeof sendGridTemplateSchema>;

export const sendGridVerifiedSenderSchema = z.looseObject({
  id: z.number().int().optional(),
  from_email: z.string().min(1),
  from_name: z.string().nullish(),
  verified: z.boolean(),
  locked: z.boolean().optional(),
});
export type SendGridVerifiedSender = z.infer<typeof sendGridVerifiedSenderSchema>;

export const sendGridVerifiedSendersSchema = z.looseObject({
  results: z.array(sendGridVerifiedSenderSchema),
});

export const sendGridDnsRecordSchema = z.looseObject({
  valid: z.boolean(),
  type: z.string(),
  host: z.string(),
  data: z.string(),
});
export type SendGridDnsRecord = z.infer<typeof sendGridDnsRecordSchema>;

export const sendGridDomainSchema = z.looseObject({
  id: z.number().int(),
  domain: z.string().min(1),
  subdomain: z.string().nullish(),
  valid: z.boolean(),
  default: z.boolean().optional(),
  automatic_security: z.boolean().optional(),
  /** `mail_cname`, `dkim1`, `dkim2` with automated security; `mail_server`, `subdomain_spf`, `dkim` without. */
  dns: z.record(z.string(), sendGridDnsRecordSchema),
});
export type SendGridDomain = z.infer<typeof sendGridDomainSchema>;

export const sendGridDomainsSchema = z.array(sendGridDomainSchema);

export const sendGridDomainValidationSchema = z.looseObject({
  id: z.number().int(),
  valid: z.boolean(),
  validation_results: z.record(z.string(), z.looseObject({ valid: z.boolean(), reason: z.string().nullish() })),
});
export type SendGridDomainValidation = z.infer<typeof sendGridDomainValidationSchema>;

export const sendGridErrorBodySchema = z.looseObject({
  errors: z.array(z.looseObject({ message: z.string().nullish(), field: z.string().nullish(), help: z.unknown().optional() })),
});

/** Readable issue lines: `versions.0.active: Invalid input`, at most `max` of them. */
export function describeIssues(error: z.ZodError, max = 5): string {
  const lines = error.issues.map((i) => {
    const path = i.path.map(String).join(".");
    return path ? `${path}: ${i.message}` : i.message;
  });
  const more = lines.length > max ? ` (and ${lines.length - max} more)` : "";
  return lines.slice(0, max).join("; ") + more;
}
