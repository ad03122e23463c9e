import { ProviderError } from "../../errors.js";
import { EMAIL_KINDS, sampleEmail, templateDataOf } from "../../core/email-samples.js";
import type { EmailKind } from "../../core/notifications.js";
import type { SendGridDomain, SendGridDomainValidation, SendGridMailAnswer, SendGridTemplate, SendGridVerifiedSender } from "../../providers/sendgrid/client.js";
import { bookingMailBody } from "../../providers/sendgrid/mail-body.js";
import { defineFact } from "./define.js";

/**
 * SendGrid facts, read with SENDGRID_API_KEY (SENDGRID_API_BASE points them at
 * another API, e.g. the sandbox's emulator). The run's client and its list of
 * authenticated domains are facts of their own, shared by the facts below.
 */

/** `sendgridScopes`: the key's scopes, or why SendGrid refused the key (401/403). */
export type SendGridScopesFact = { authenticated: true; scopes: string[] } | { authenticated: false; status: number; reason: string };

/** `sendgridTemplate`: SENDGRID_BOOKING_TEMPLATE_ID as SendGrid knows it; null when the variable is not set. */
export type SendGridTemplateFact =
  | null
  | { id: string; found: false }
  | { id: string; found: true; template: Pick<SendGridTemplate, "id" | "name" | "generation"> & { versions: { id: string | null; active: 0 | 1; name?: string | null | undefined }[] } };

/** `sendgridSenders`: single sender identities and authenticated domains (as last validated). */
export interface SendGridSendersFact {
  verifiedSenders: Pick<SendGridVerifiedSender, "from_email" | "verified">[];
  domains: Pick<SendGridDomain, "id" | "domain" | "valid">[];
}

/**
 * `sendgridDomainValidation`: SendGrid's validation, run now, of the domain
 * authentication for SENDGRID_FROM_EMAIL's domain; `authenticatedDomain` is
 * null (and `validation` too) when that domain is not authenticated.
 */
export interface SendGridDomainValidationFact {
  /** The from-address's domain. */
  domain: string;
  authenticatedDomain: Pick<SendGridDomain, "id" | "domain"> | null;
  validation: Pick<SendGridDomainValidation, "valid" | "validation_results"> | null;
}

/** `sendgridTemplateRecord` (internal): SENDGRID_BOOKING_TEMPLATE_ID's template with its versions' sources; null when the variable is not set. */
export type SendGridTemplateRecord = null | { id: string; template: SendGridTemplate | null };

/**
 * `sendgridSandboxSend`: one booking email (a sample CONFIRMATION, with the
 * template and data the app sends) sent to SendGrid in sandbox mode, and how
 * SendGrid answered.
 */
export interface SendGridSandboxSendFact {
  from: string;
  templateId: string | null;
  kind: EmailKind;
  answer: SendGridMailAnswer;
}

/**
 * `sendgridTemplateRender`: the template's active version rendered with the
 * data the app sends for each email kind; null when no template id is set,
 * `unavailable` when SendGrid has no such template or no active version
 * (sendgrid.template-active says which).
 */
export type SendGridTemplateRenderFact =
  | null
  | { id: string; unavailable: true }
  | { id: string; unavailable: false; version: { id: string | null; name: string | null }; kinds: { kind: EmailKind; subject: string | null; variablesMissing: string[]; errors: string[] }[] };

/** `sendgridClient` (internal): the run's client (SENDGRID_API_KEY; a missing key is this fact's failure). */
export const sendgridClientFact = defineFact({
  name: "sendgridClient",
  internal: true,
  gather: (ctx) => ctx.clients.sendgrid(),
});

/** `sendgridAuthenticatedDomains` (internal): `GET /v3/whitelabel/domains`, read by sendgridSenders and sendgridDomainValidation. */
export const sendgridAuthenticatedDomainsFact = defineFact({
  name: "sendgridAuthenticatedDomains",
  internal: true,
  needs: ["sendgridClient"],
  gather: async (_ctx, deps) => (await deps.sendgridClient()).listAuthenticatedDomains(),
});

/** The domain part of an address, lower-cased, or undefined when it is not an address. */
export function emailDomain(address: string | undefined): string | undefined {
  const at = address?.trim().lastIndexOf("@") ?? -1;
  return at > 0 ? address!.trim().slice(at + 1).toLowerCase() : undefined;
}

export const sendgridScopesFact = defineFact({
  name: "sendgridScopes",
  needs: ["sendgridClient"],
  async gather(_ctx, deps): Promise<SendGridScopesFact> {
    const client = await deps.sendgridClient();
    try {
      return { authenticated: true, scopes: await client.getScopes() };
    } catch (err) {
      if (err instanceof ProviderError && (err.status === 401 || err.status === 403)) return { authenticated: false, status: err.status, reason: err.message };
      throw err;
    }
  },
});

export const sendgridTemplateRecordFact = defineFact({
  name: "sendgridTemplateRecord",
  internal: true,
  needs: ["sendgridClient"],
  async gather(ctx, deps): Promise<SendGridTemplateRecord> {
    const id = ctx.env.SENDGRID_BOOKING_TEMPLATE_ID?.trim();
    if (!id) return null;
    const client = await deps.sendgridClient();
    try {
      return { id, template: await client.getTemplate(id) };
    } catch (err) {
      if (err instanceof ProviderError && err.status === 404) return { id, template: null };
      throw err;
    }
  },
});

export const sendgridTemplateFact = defineFact({
  name: "sendgridTemplate",
  needs: ["sendgridTemplateRecord"],
  async gather(_ctx, deps): Promise<SendGridTemplateFact> {
    const record = await deps.sendgridTemplateRecord();
    if (!record) return null;
    const t = record.template;
    if (!t) return { id: record.id, found: false };
    return { id: record.id, found: true, template: { id: t.id, name: t.name, generation: t.generation, versions: t.versions.map((v) => ({ id: v.id ?? null, active: v.active, name: v.name })) } };
  },
});

export const sendgridTemplateRenderFact = defineFact({
  name: "sendgridTemplateRender",
  needs: ["sendgridTemplateRecord"],
  async gather(_ctx, deps): Promise<SendGridTemplateRenderFact> {
    const record = await deps.sendgridTemplateRecord();
    if (!record) return null;
    const active = record.template?.versions.find((v) => v.active === 1);
    if (!active) return { id: record.id, unavailable: true };
    const { renderTemplateVersion } = await import("../../providers/sendgrid/template-render.js");
    const kinds = [];
    for (const kind of EMAIL_KINDS) {
      const email = sampleEmail(kind);
      const rendered = await renderTemplateVersion(active, templateDataOf(email.subject, email.dynamicData));
      kinds.push({ kind, subject: rendered.subject, variablesMissing: rendered.variablesMissing, errors: rendered.errors });
    }
    return { id: record.id, unavailable: false, version: { id: active.id ?? null, name: active.name ?? null }, kinds };
  },
});

export const sendgridSandboxSendFact = defineFact({
  name: "sendgridSandboxSend",
  needs: ["sendgridClient"],
  async gather(ctx, deps): Promise<SendGridSandboxSendFact> {
    const from = ctx.env.SENDGRID_FROM_EMAIL?.trim();
    if (!from) throw new Error("SENDGRID_FROM_EMAIL is not set");
    const templateId = ctx.env.SENDGRID_BOOKING_TEMPLATE_ID?.trim() || null;
    const kind: EmailKind = "CONFIRMATION";
    const email = sampleEmail(kind);
    const to = String(email.dynamicData.inviteeEmail);
    const body = bookingMailBody({
      from,
      to,
      subject: email.subject,
      text: email.text,
      html: email.html,
      templateId: templateId ?? undefined,
      dynamicTemplateData: templateId ? templateDataOf(email.subject, email.dynamicData) : undefined,
      customArgs: { idempotency_key: `verify:${kind}`, kind, bookingId: String(email.dynamicData.bookingId) },
      sandbox: true,
    });
    const answer = await (await deps.sendgridClient()).sendMail(body);
    return { from, templateId, kind, answer };
  },
});

export const sendgridSendersFact = defineFact({
  name: "sendgridSenders",
  needs: ["sendgridClient", "sendgridAuthenticatedDomains"],
  async gather(_ctx, deps): Promise<SendGridSendersFact> {
    const client = await deps.sendgridClient();
    const [senders, domains] = await Promise.all([client.listVerifiedSenders(), deps.sendgridAuthenticatedDomains()]);
    return {
      verifiedSenders: senders.map((s) => ({ from_email: s.from_email, verified: s.verified })),
      domains: domains.map((d) => ({ id: d.id, domain: d.domain, valid: d.valid })),
    };
  },
});

export const sendgridDomainValidationFact = defineFact({
  name: "sendgridDomainValidation",
  needs: ["sendgridClient", "sendgridAuthenticatedDomains"],
  async gather(ctx, deps): Promise<SendGridDomainValidationFact> {
    const domain = emailDomain(ctx.env.SENDGRID_FROM_EMAIL);
    if (!domain) throw new Error("SENDGRID_FROM_EMAIL is not set to an email address");
    const client = await deps.sendgridClient();
    const domains = await deps.sendgridAuthenticatedDomains();
    const match = domains.find((d) => d.domain.toLowerCase() === domain);
    if (!match) return { domain, authenticatedDomain: null, validation: null };
    const v = await client.validateDomain(match.id);
    return { domain, authenticatedDomain: { id: match.id, domain: match.domain }, validation: { valid: v.valid, validation_results: v.validation_results } };
  },
});

/** What reading delivery stats needs from the key: any one of `scopes` (SendGrid grants the parent scope with its children). */
export const DELIVERY_STATS_SCOPES = [
  { what: "GET /v3/stats", scopes: ["stats.global.read", "stats.read"], permission: "Stats: Read Access" },
  { what: "GET /v3/suppression/bounces", scopes: ["suppression.bounces.read", "suppression.read"], permission: "Suppressions: Read Access" },
  { what: "GET /v3/suppression/blocks", scopes: ["suppression.blocks.read", "suppression.read"], permission: "Suppressions: Read Access" },
] as const;

/** Reasons kept per suppression list, most frequent first. */
export const TOP_REASONS = 3;

/** SendGrid's counters summed over the window (`GET /v3/stats` metrics). */
export interface SendGridDeliveryTotals {
  requests: number;
  processed: number;
  delivered: number;
  deferred: number;
  bounces: number;
  bounce_drops: number;
  blocks: number;
  invalid_emails: number;
  spam_reports: number;
}

/** A suppression list over the window: how many entries, and its most frequent reasons with masked example addresses. */
export interface SendGridSuppressionSummary {
  count: number;
  /** More entries than bookflow reads (MAX_SUPPRESSION_PAGES pages): `count` is a lower bound. */
  truncated: boolean;
  reasons: { reason: string; status: string | null; count: number; examples: string[] }[];
}

/**
 * `sendgridDeliveryStats`: SendGrid's own delivery figures over the last
 * thresholds.emailStatsWindowHours: the daily global stats of the UTC days
 * the window touches (`startDate`..`endDate`), and the bounces and blocks
 * added in the window. Addresses are masked here (`g***@example.com`, in the
 * reasons too): they are people's emails. `readable: false` when the key
 * lacks a scope this needs, naming each.
 */
export type SendGridDeliveryStatsFact =
  | { readable: false; missing: { what: string; scope: string; permission: string }[] }
  | {
      readable: true;
      /** Unix seconds. */
      readAt: number;
      windowHours: number;
      startDate: string;
      endDate: string;
      totals: SendGridDeliveryTotals;
      bounces: SendGridSuppressionSummary;
      blocks: SendGridSuppressionSummary;
    };

/** `grace.sample@example.com` → `g***@example.com`: enough to tell addresses apart by domain, not to read them. */
export function maskEmail(address: string): string {
  const at = address.lastIndexOf("@");
  if (at <= 0) return "***";
  return `${address[0]}***${address.slice(at)}`;
}

/** Every email address inside a text, masked (SMTP answers often quote the recipient). */
export function maskEmailsIn(text: string): string {
  return text.replace(/[^\s<>()[\]"',;:]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g, (m) => maskEmail(m));
}

function summarize(entries: { email?: string | undefined; reason?: string | null | undefined; status?: string | null | undefined }[], truncated: boolean): SendGridSuppressionSummary {
  const groups = new Map<string, { reason: string; status: string | null; count: number; examples: string[] }>();
  for (const e of entries) {
    const reason = maskEmailsIn((e.reason ?? "").replace(/\s+/g, " ").trim()).slice(0, 200) || "(no reason given)";
    const status = e.status?.trim() || null;
    const key = `${status ?? ""}\u0000${reason}`;
    const g = groups.get(key) ?? { reason, status, count: 0, examples: [] };
    groups.set(key, g);
    g.count++;
    const example = e.email ? maskEmail(e.email) : null;
    if (example && g.examples.length < 3 && !g.examples.includes(example)) g.examples.push(example);
  }
  const reasons = [...groups.values()].sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason)).slice(0, TOP_REASONS);
  return { count: entries.length, truncated, reasons };
}

const utcDate = (unixSeconds: number) => new Date(unixSeconds * 1000).toISOString().slice(0, 10);

export const sendgridDeliveryStatsFact = defineFact({
  name: "sendgridDeliveryStats",
  needs: ["sendgridClient", "sendgridScopes"],
  async gather(ctx, deps): Promise<SendGridDeliveryStatsFact> {
    const scopes = await deps.sendgridScopes();
    const held = scopes.authenticated ? scopes.scopes : [];
    const lacking = (need: (typeof DELIVERY_STATS_SCOPES)[number]) => ({ what: need.what, scope: need.scopes[0], permission: need.permission });
    const missing = DELIVERY_STATS_SCOPES.filter((need) => !need.scopes.some((s) => held.includes(s))).map(lacking);
    if (missing.length) return { readable: false, missing };
    const client = await deps.sendgridClient();
    const windowHours = ctx.config.thresholds.emailStatsWindowHours;
    const readAt = Math.floor(Date.now() / 1000);
    const since = readAt - windowHours * 3600;
    const startDate = utcDate(since);
    const endDate = utcDate(readAt);
    // A key whose scope list says yes and which SendGrid still refuses (403) lacks the scope all the same.
    const refused = (need: (typeof DELIVERY_STATS_SCOPES)[number]) => (err: unknown) => {
      if (err instanceof ProviderError && err.status === 403) return lacking(need);
      throw err;
    };
    const [stats, bounces, blocks] = await Promise.all([
      client.getGlobalStats({ startDate, endDate }).catch(refused(DELIVERY_STATS_SCOPES[0])),
      client.listSuppressions("bounces", { startTime: since, endTime: readAt }).catch(refused(DELIVERY_STATS_SCOPES[1])),
      client.listSuppressions("blocks", { startTime: since, endTime: readAt }).catch(refused(DELIVERY_STATS_SCOPES[2])),
    ]);
    if (!Array.isArray(stats) || "scope" in bounces || "scope" in blocks) {
      return { readable: false, missing: [stats, bounces, blocks].filter((r): r is ReturnType<typeof lacking> => "scope" in r) };
    }
    const totals: SendGridDeliveryTotals = { requests: 0, processed: 0, delivered: 0, deferred: 0, bounces: 0, bounce_drops: 0, blocks: 0, invalid_emails: 0, spam_reports: 0 };
    for (const day of stats) for (const { metrics } of day.stats) if (metrics) for (const k of Object.keys(totals) as (keyof SendGridDeliveryTotals)[]) totals[k] += metrics[k];
    return { readable: true, readAt, windowHours, startDate, endDate, totals, bounces: summarize(bounces.entries, bounces.truncated), blocks: summarize(blocks.entries, blocks.truncated) };
  },
});
