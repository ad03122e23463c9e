/**
 * SendGrid v3 response shapes, as zod schemas: strict on the fields bookflow
 * reads, loose about everything else (new SendGrid fields never break the
 * client). Field names are SendGrid's own.
 */
import { z } from "zod";

export const sendGridScopesSchema = z.looseObject({
  scopes: z.array(z.string()),
});

/**
 * One version as `GET /v3/templates/{id}` lists it (TransactionalTemplatesVersionOutputLean:
 * no field is required). A version without `active` is not the active one.
 */
export const sendGridTemplateVersionSchema = z.looseObject({
  id: z.string().optional(),
  /** 1 for the version SendGrid sends; at most one per template. */
  active: z
    .union([z.literal(0), z.literal(1)])
    .optional()
    .transform((a): 0 | 1 => a ?? 0),
  name: z.string().nullish(),
  subject: z.string().nullish(),
  /** The version's Handlebars sources (SendGrid omits a part that was never written). */
  html_content: z.string().nullish(),
  plain_content: z.string().nullish(),
  updated_at: z.string().nullish(),
});
export type SendGridTemplateVersion = z.infer<typeof sendGridTemplateVersionSchema>;

/** `GET /v3/templates/{id}` (TransactionalTemplate: `versions` is not required; missing means none). */
export const sendGridTemplateSchema = z.looseObject({
  /** A uuid for legacy templates, `d-` and 32 hex digits for dynamic ones. */
  id: z.string().min(1),
  name: z.string(),
  generation: z.enum(["dynamic", "legacy"]),
  updated_at: z.string().nullish(),
  versions: z
    .array(sendGridTemplateVersionSchema)
    .optional()
    .transform((v) => v ?? []),
});
export type SendGridTemplate = z.infer<typeof sendGridTemplateSchema>;

/** One item of `GET /v3/verified_senders` (VerifiedSenderResponse: no field is required). */
export const sendGridVerifiedSenderSchema = z.looseObject({
  id: z.number().int().optional(),
  from_email: z.string().optional(),
  from_name: z.string().nullish(),
  verified: z.boolean().optional(),
  locked: z.boolean().optional(),
});

/** `GET /v3/verified_senders`: `results` is not required; missing means none. */
export const sendGridVerifiedSendersSchema = z.looseObject({
  results: z.array(sendGridVerifiedSenderSchema).optional(),
});

/** A single sender as bookflow uses it: one with no `from_email` is dropped; one SendGrid does not call verified is not. */
export interface SendGridVerifiedSender {
  id?: number | undefined;
  from_email: string;
  from_name?: string | null | undefined;
  verified: boolean;
  locked?: boolean | undefined;
}

export const sendGridDnsRecordSchema = z.looseObject({
  valid: z.boolean(),
  type: z.string(),
  host: z.string(),
  data: z.string(),
});
export type SendGridDnsRecord = z.infer<typeof sendGridDnsRecordSchema>;

/** One item of `GET /v3/whitelabel/domains` (required: id, domain, subdomain, valid, dns, …). */
export const sendGridDomainSchema = z.looseObject({
  id: z.number(),
  domain: z.string(),
  subdomain: z.string().nullish(),
  valid: z.boolean(),
  default: z.boolean().optional(),
  automatic_security: z.boolean().optional(),
  /** `mail_cname`, `dkim1`, `dkim2` with automated security; `mail_server`, `subdomain_spf`, `dkim` without. */
  dns: z.record(z.string(), sendGridDnsRecordSchema),
});
export type SendGridDomain = z.infer<typeof sendGridDomainSchema>;

/** One page of `GET /v3/whitelabel/domains?limit=&offset=`. */
export const sendGridDomainsSchema = z.array(sendGridDomainSchema);

/**
 * `POST /v3/whitelabel/domains/{id}/validate`: the spec requires none of its
 * fields; a domain or a record SendGrid does not call valid is not.
 */
export const sendGridDomainValidationSchema = z.looseObject({
  id: z.number().int().optional(),
  valid: z
    .boolean()
    .optional()
    .transform((v) => v === true),
  validation_results: z
    .record(
      z.string(),
      z.looseObject({
        valid: z
          .boolean()
          .optional()
          .transform((v) => v === true),
        reason: z.string().nullish(),
      }),
    )
    .optional()
    .transform((r) => r ?? {}),
});
export type SendGridDomainValidation = z.infer<typeof sendGridDomainValidationSchema>;

/** The counters of one day of `GET /v3/stats` (StatsAdvancedGlobalStats: no field is required; a missing counter is 0). */
const count = z
  .number()
  .int()
  .min(0)
  .optional()
  .transform((n) => n ?? 0);
export const sendGridStatsMetricsSchema = z.looseObject({
  requests: count,
  processed: count,
  delivered: count,
  deferred: count,
  bounces: count,
  bounce_drops: count,
  blocks: count,
  invalid_emails: count,
  spam_reports: count,
  spam_report_drops: count,
  unsubscribe_drops: count,
});
export type SendGridStatsMetrics = z.infer<typeof sendGridStatsMetricsSchema>;

/** `GET /v3/stats`: one entry per period (`date`, `stats[].metrics`); `date` and `stats` are required, `metrics` is not. */
export const sendGridGlobalStatsSchema = z.array(
  z.looseObject({
    date: z.string(),
    stats: z.array(z.looseObject({ metrics: sendGridStatsMetricsSchema.optional() })),
  }),
);
export type SendGridGlobalStats = z.infer<typeof sendGridGlobalStatsSchema>;

/**
 * One entry of `GET /v3/suppression/bounces` (BounceResponse: no field is
 * required) or `/v3/suppression/blocks` (all four required): when it was
 * added (unix seconds), the address, SendGrid's reason and the SMTP status.
 */
export const sendGridSuppressionSchema = z.looseObject({
  created: z.number().optional(),
  email: z.string().optional(),
  reason: z.string().nullish(),
  status: z.string().nullish(),
});
export type SendGridSuppression = z.infer<typeof sendGridSuppressionSchema>;

/** One page of a suppression list. */
export const sendGridSuppressionsSchema = z.array(sendGridSuppressionSchema);

/** SendGrid's ErrorResponse: `{ errors: [{ message, field, help }] }`. */
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
