/**
 * The SendGrid emulator: the v3 endpoints bookflow reads (scopes, dynamic
 * templates, verified senders, authenticated domains and their validation)
 * and `POST /v3/mail/send`, validated as SendGrid validates it, with
 * SendGrid's error bodies (`{ errors: [{ message, field, help }] }`), Bearer
 * key auth, per-key scopes, and sender identity checks (the from address must
 * be a verified sender or on a valid authenticated domain).
 *
 * Every accepted message lands in an inbox (one entry per personalization)
 * that tests and the sandbox read through `inbox()` or `GET /_control/inbox`.
 * A send with `mail_settings.sandbox_mode.enable = true` is checked exactly
 * like any other (scope, the fault switch, the body, the template, the sender)
 * and then answered 200 with no body and no message id, and delivered to no
 * one, as SendGrid documents sandbox mode: while `failSends` is on it fails
 * like a real send does.
 *
 * Templates are served as SendGrid's Templates API serves them, with their
 * versions (`subject`, `html_content`, `plain_content`, `active`);
 * `PATCH /v3/templates/{id}/versions/{version}` (scope
 * templates.versions.update) or `updateTemplateVersion()` change a version.
 *
 * Each recipient of an accepted send that is not in sandbox mode is counted
 * as SendGrid counts it (`GET /v3/stats`, per UTC day) and, when it bounces or
 * is blocked, lands on SendGrid's suppression lists
 * (`GET /v3/suppression/bounces`, `/blocks`): see ./delivery.ts. Sandbox-mode
 * sends are not counted, as SendGrid does not count them.
 *
 * Control routes (no auth): `GET /_control/inbox?to=&template_id=` → `{ messages }`,
 * `DELETE /_control/inbox`, `POST /_control/fail-sends` `{ count: n | "all" | 0, status? }`,
 * `POST /_control/delivery-outcomes` `{ match: address | "@domain" | "*", outcome: "deliver" | "bounce" | "block", reason?, status? }`,
 * `DELETE /_control/delivery-outcomes`, `GET /_control/stats` → `{ totals, bounces, blocks }`,
 * `DELETE /_control/stats` (forgets the counters and both suppression lists).
 */
import { randomBytes } from "node:crypto";
import { startEmulator, type EmulatorRequest, type EmulatorResponse, type Faults, type RunningEmulator } from "../emulator-server.js";
import { createDeliveryLedger, type DayMetrics, type DeliveryRule, type SuppressionEntry } from "./delivery.js";
import { renderTemplate, validateMail, type EmailAddress, type SendGridErrorEntry } from "./mail-validation.js";

export type { SendGridErrorEntry } from "./mail-validation.js";
export type { DayMetrics, DeliveryOutcome, DeliveryRule, SuppressionEntry } from "./delivery.js";

export const DEFAULT_SENDGRID_SCOPES = ["mail.send", "templates.read", "templates.versions.read", "whitelabel.read", "whitelabel.update", "user.profile.read", "stats.read", "stats.global.read", "suppression.read", "suppression.bounces.read", "suppression.blocks.read"];

/** The booking template's HTML: only variables the app sends (src/core/notifications.ts renderEmail().dynamicData). */
export const DEFAULT_TEMPLATE_HTML = [
  "<p>Hi {{#if inviteeName}}{{inviteeName}}{{else}}there{{/if}},</p>",
  "<h1>{{sessionTitle}} with {{builderName}}</h1>",
  "<p>When: {{when}}</p>",
  '{{#equals kind "RECEIPT"}}<p>Paid: {{amount}}</p>{{/equals}}',
  "{{#if cancellationReason}}<p>Reason: {{cancellationReason}}</p>{{/if}}",
  "<p>Booking reference: {{bookingId}}</p>",
].join("\n");

export const DEFAULT_TEMPLATE_TEXT = "Hi {{#if inviteeName}}{{inviteeName}}{{else}}there{{/if}},\n\n{{sessionTitle}} with {{builderName}}\nWhen: {{when}}\nBooking reference: {{bookingId}}\n";

export const DEFAULT_SENDGRID_TEMPLATES: SeedTemplate[] = [
  {
    id: "d-5f2c1a7e9b3d4c6e8a0b1c2d3e4f5a6b",
    name: "Booking confirmation",
    versions: [
      {
        id: "8f1e6a2c-3b4d-4e5f-9a0b-1c2d3e4f5a6b",
        active: 1,
        subject: "{{subject}}",
        name: "v1",
        html_content: DEFAULT_TEMPLATE_HTML,
        plain_content: DEFAULT_TEMPLATE_TEXT,
      },
    ],
  },
];

export const DEFAULT_VERIFIED_SENDERS: SeedSender[] = [{ from_email: "bookings@example.com", from_name: "Bookings", verified: true }];

export const DEFAULT_DOMAINS: SeedDomain[] = [{ id: 1, domain: "example.com", subdomain: "em1234", valid: true }];

/** Page size of `GET /v3/whitelabel/domains` when the request gives no `limit` (SendGrid's spec leaves the default unstated). */
export const DEFAULT_DOMAIN_PAGE_SIZE = 50;

export interface SeedTemplate {
  id: string;
  name: string;
  generation?: "dynamic" | "legacy";
  versions: { id: string; active: 0 | 1; subject: string; name?: string; html_content?: string; plain_content?: string; updated_at?: string }[];
}

export interface SeedSender {
  from_email: string;
  verified: boolean;
  from_name?: string;
  nickname?: string;
  id?: number;
}

export interface DnsRecord {
  valid: boolean;
  type: "cname" | "txt" | "mx";
  host: string;
  data: string;
}

export interface SeedDomain {
  id: number;
  domain: string;
  subdomain: string;
  valid: boolean;
  /** Default: SendGrid's automated-security CNAMEs (em…, s1/s2._domainkey), each as valid as the domain. */
  dns?: Partial<Record<"mail_cname" | "dkim1" | "dkim2", DnsRecord>>;
  default?: boolean;
}

export type TemplateVersionPatch = Partial<Pick<SeedTemplate["versions"][number], "subject" | "name" | "html_content" | "plain_content" | "active">>;

export interface SendGridKey {
  apiKey: string;
  scopes: string[];
}

export interface SendGridEmulatorOptions {
  port?: number;
  apiKey: string;
  /** The main key's scopes (default DEFAULT_SENDGRID_SCOPES). */
  scopes?: string[];
  /** More keys, e.g. one without mail.send. */
  extraKeys?: SendGridKey[];
  templates?: SeedTemplate[];
  verifiedSenders?: SeedSender[];
  domains?: SeedDomain[];
  faults?: Faults;
  clock?: { now(): Date };
  /**
   * When given, validating a domain looks its CNAMEs up (e.g. through a DNS
   * emulator) instead of trusting the seeded `valid` flags.
   */
  resolveCname?: (host: string) => Promise<string[]>;
  random?: () => number;
}

export interface InboxMessage {
  /** The send's `X-Message-Id` (shared by every personalization of one request). */
  messageId: string;
  to: string[];
  cc: string[];
  bcc: string[];
  from: EmailAddress;
  replyTo: EmailAddress | null;
  /** The personalization's or message's subject, or the template's active version subject filled with the dynamic data. */
  subject: string | null;
  templateId: string | null;
  dynamicTemplateData: Record<string, unknown> | null;
  content: { type: string; value: string }[];
  /** Message-level custom args merged with the personalization's. */
  customArgs: Record<string, string>;
  categories: string[];
  headers: Record<string, string>;
  sendAt: number | null;
  /** ISO 8601. */
  receivedAt: string;
}

export interface InboxFilter {
  to?: string;
  templateId?: string;
}

export interface SendGridEmulator extends RunningEmulator {
  inbox(filter?: InboxFilter): InboxMessage[];
  clearInbox(): void;
  /** The next `n` sends (or all, until `failSends(0)`) fail with `status` (default 500), as when SendGrid is down. */
  failSends(n: number | "all", status?: number): void;
  /** Sets the scopes of a key (the main key when none is named). */
  setScopes(scopes: string[], apiKey?: string): void;
  /**
   * Changes a template version as `PATCH /v3/templates/{id}/versions/{version}` does
   * (subject, html_content, plain_content, name, active); returns the version as it was, to restore it.
   */
  updateTemplateVersion(templateId: string, versionId: string, patch: TemplateVersionPatch): SeedTemplate["versions"][number];
  /** Marks a domain's records valid or not (used when no `resolveCname` is configured). */
  setDomainValid(id: number, valid: boolean): void;
  /** From now on, mail to `rule.match` (an address, `@domain` or `*`) is delivered, bounces or is blocked (the last matching rule wins). */
  setDeliveryOutcome(rule: DeliveryRule): void;
  /** Every recipient is delivered again (counters and suppression lists are kept). */
  clearDeliveryOutcomes(): void;
  /** The stats counters summed over every day, and the suppression lists. */
  deliveryStats(): { totals: DayMetrics; bounces: SuppressionEntry[]; blocks: SuppressionEntry[] };
  /** Forgets the stats counters and both suppression lists. */
  resetDeliveryStats(): void;
}

type Obj = Record<string, unknown>;

function sgError(status: number, message: string, field: string | null = null, help: string | null = null): EmulatorResponse {
  return { status, body: { errors: [{ message, field, help }] } };
}

function defaultDns(domain: SeedDomain): Record<"mail_cname" | "dkim1" | "dkim2", DnsRecord> {
  const user = /\d+/.exec(domain.subdomain)?.[0] ?? "1234";
  const host = `${domain.subdomain}.${domain.domain}`;
  return {
    mail_cname: { valid: domain.valid, type: "cname", host, data: `u${user}.wl.sendgrid.net`, ...domain.dns?.mail_cname },
    dkim1: { valid: domain.valid, type: "cname", host: `s1._domainkey.${domain.domain}`, data: `s1.domainkey.u${user}.wl.sendgrid.net`, ...domain.dns?.dkim1 },
    dkim2: { valid: domain.valid, type: "cname", host: `s2._domainkey.${domain.domain}`, data: `s2.domainkey.u${user}.wl.sendgrid.net`, ...domain.dns?.dkim2 },
  };
}

const messageId = () => randomBytes(16).toString("base64url").slice(0, 22);

/** A `limit`/`offset` query value: the default when absent, undefined when it is not a whole number >= min. */
function pageParam(raw: string | null, fallback: number, min: number): number | undefined {
  if (raw === null) return fallback;
  const n = Number(raw);
  return /^\d+$/.test(raw.trim()) && n >= min ? n : undefined;
}
const normalizeHost = (h: string) => h.toLowerCase().replace(/\.$/, "");

export async function startSendGridEmulator(options: SendGridEmulatorOptions): Promise<SendGridEmulator> {
  if (!options.apiKey) throw new Error("startSendGridEmulator: apiKey is required");
  const clock = options.clock ?? { now: () => new Date() };
  const keys = new Map<string, string[]>([[options.apiKey, [...(options.scopes ?? DEFAULT_SENDGRID_SCOPES)]]]);
  for (const k of options.extraKeys ?? []) keys.set(k.apiKey, [...k.scopes]);
  const templates = new Map((options.templates ?? DEFAULT_SENDGRID_TEMPLATES).map((t) => [t.id, structuredClone(t)]));
  const senders = (options.verifiedSenders ?? DEFAULT_VERIFIED_SENDERS).map((s, i) => ({ ...s, id: s.id ?? i + 1 }));
  const domains = (options.domains ?? DEFAULT_DOMAINS).map((d) => ({ ...d, dns: defaultDns(d) }));
  const inbox: InboxMessage[] = [];
  const ledger = createDeliveryLedger(clock);
  let failuresLeft: number = 0;
  let failStatus = 500;

  const keyOf = (req: EmulatorRequest) => {
    const header = req.headers.authorization;
    return header?.startsWith("Bearer ") ? header.slice(7).trim() : undefined;
  };
  /** 403 unless the request's key has the scope. */
  const requireScope = (req: EmulatorRequest, scope: string): EmulatorResponse | undefined =>
    keys.get(keyOf(req) ?? "")?.includes(scope) ? undefined : sgError(403, "access forbidden");
  /** 403 unless the request's key has one of the scopes (a parent scope such as stats.read grants its children). */
  const requireAnyScope = (req: EmulatorRequest, scopes: string[]): EmulatorResponse | undefined =>
    scopes.some((s) => keys.get(keyOf(req) ?? "")?.includes(s)) ? undefined : sgError(403, "access forbidden");

  const templateAnswer = (t: SeedTemplate) => ({
    id: t.id,
    name: t.name,
    generation: t.generation ?? (t.id.startsWith("d-") ? "dynamic" : "legacy"),
    updated_at: "2025-01-01 00:00:00",
    versions: t.versions.map((v) => ({
      id: v.id,
      template_id: t.id,
      active: v.active,
      name: v.name ?? v.id,
      subject: v.subject,
      updated_at: v.updated_at ?? "2025-01-01 00:00:00",
      editor: "code",
      generate_plain_content: true,
      ...(v.html_content !== undefined ? { html_content: v.html_content } : {}),
      ...(v.plain_content !== undefined ? { plain_content: v.plain_content } : {}),
    })),
  });

  const domainAnswer = (d: (typeof domains)[number]) => ({
    id: d.id,
    user_id: 1,
    subdomain: d.subdomain,
    domain: d.domain,
    username: "bookflow",
    ips: [],
    custom_spf: false,
    default: d.default ?? false,
    legacy: false,
    automatic_security: true,
    valid: d.valid,
    dns: structuredClone(d.dns),
  });

  function senderAllowed(email: string): boolean {
    const lower = email.toLowerCase();
    if (senders.some((s) => s.verified && s.from_email.toLowerCase() === lower)) return true;
    const domain = lower.slice(lower.lastIndexOf("@") + 1);
    return domains.some((d) => d.valid && (domain === d.domain.toLowerCase() || domain.endsWith(`.${d.domain.toLowerCase()}`)));
  }

  function send(req: EmulatorRequest): EmulatorResponse {
    const forbidden = requireScope(req, "mail.send");
    if (forbidden) return forbidden;
    if (failuresLeft !== 0) {
      if (failuresLeft > 0) failuresLeft--;
      return sgError(failStatus, failStatus === 503 ? "Service Unavailable" : "Internal server error (simulated by the emulator)");
    }
    const result = validateMail(req.body);
    if (!result.ok) return { status: 400, body: { errors: result.errors } };
    const mail = result.mail;
    const errors: SendGridErrorEntry[] = [];
    let template: SeedTemplate | undefined;
    if (mail.templateId) {
      template = templates.get(mail.templateId);
      if (!template) errors.push({ message: `The template_id must be a valid template ID; no template ${mail.templateId} exists.`, field: "template_id", help: null });
      else if (!template.versions.some((v) => v.active === 1)) errors.push({ message: `Template ${mail.templateId} has no active version.`, field: "template_id", help: null });
    }
    if (errors.length > 0) return { status: 400, body: { errors } };
    if (!senderAllowed(mail.from.email)) {
      return sgError(
        403,
        "The from address does not match a verified Sender Identity. Mail cannot be sent until this error is resolved. Visit https://sendgrid.com/docs/for-developers/sending-email/sender-identity/ to see the Sender Identity requirements",
        "from",
      );
    }
    if (mail.sandboxMode) return { status: 200, body: undefined };
    const id = messageId();
    const activeSubject = template?.versions.find((v) => v.active === 1)?.subject;
    const receivedAt = clock.now().toISOString();
    for (const p of mail.personalizations) {
      const data = p.dynamicTemplateData;
      inbox.push({
        messageId: id,
        to: p.to.map((a) => a.email),
        cc: p.cc.map((a) => a.email),
        bcc: p.bcc.map((a) => a.email),
        from: mail.from,
        replyTo: mail.replyTo ?? null,
        subject: p.subject ?? mail.subject ?? (activeSubject !== undefined ? renderTemplate(activeSubject, data) : null),
        templateId: mail.templateId ?? null,
        dynamicTemplateData: data ?? null,
        content: mail.content,
        customArgs: { ...mail.customArgs, ...p.customArgs },
        categories: mail.categories,
        headers: { ...mail.headers, ...p.headers },
        sendAt: p.sendAt ?? mail.sendAt ?? null,
        receivedAt,
      });
    }
    ledger.record(mail.personalizations.flatMap((p) => [...p.to, ...p.cc, ...p.bcc].map((a) => a.email)));
    return { status: 202, body: undefined, headers: { "x-message-id": id } };
  }

  async function validateDomain(req: EmulatorRequest): Promise<EmulatorResponse> {
    const forbidden = requireScope(req, "whitelabel.update");
    if (forbidden) return forbidden;
    const domain = domains.find((d) => String(d.id) === req.params.id);
    if (!domain) return sgError(404, "authenticated domain not found");
    const results: Record<string, { valid: boolean; reason: string | null }> = {};
    for (const [name, record] of Object.entries(domain.dns)) {
      if (options.resolveCname) {
        let found: string[] = [];
        try {
          found = (await options.resolveCname(record.host)).map(normalizeHost);
        } catch {
          found = [];
        }
        record.valid = found.includes(normalizeHost(record.data));
        results[name] = {
          valid: record.valid,
          reason: record.valid
            ? null
            : `Expected CNAME for "${record.host}" to match "${record.data}"${found.length ? `, found "${found.join(", ")}"` : ", found none"}.`,
        };
      } else {
        results[name] = { valid: record.valid, reason: record.valid ? null : `Expected CNAME for "${record.host}" to match "${record.data}".` };
      }
    }
    domain.valid = Object.values(domain.dns).every((r) => r.valid);
    return { status: 200, body: { id: domain.id, valid: domain.valid, validation_results: results } };
  }

  function filterInbox(filter: InboxFilter = {}): InboxMessage[] {
    const to = filter.to?.toLowerCase();
    return inbox
      .filter((m) => !to || [...m.to, ...m.cc, ...m.bcc].some((a) => a.toLowerCase() === to))
      .filter((m) => !filter.templateId || m.templateId === filter.templateId)
      .map((m) => structuredClone(m));
  }

  const templateVersion = (req: EmulatorRequest) => templates.get(req.params.id!)?.versions.find((v) => v.id === req.params.version);

  function updateTemplateVersion(templateId: string, versionId: string, patch: TemplateVersionPatch): SeedTemplate["versions"][number] {
    const template = templates.get(templateId);
    const version = template?.versions.find((v) => v.id === versionId);
    if (!template || !version) throw new Error(`no version ${versionId} of template ${templateId}`);
    const before = structuredClone(version);
    // SendGrid keeps one active version per template: activating one deactivates the others.
    if (patch.active === 1) for (const v of template.versions) v.active = 0;
    Object.assign(version, patch, { updated_at: clock.now().toISOString().replace("T", " ").slice(0, 19) });
    return before;
  }

  function patchVersion(req: EmulatorRequest): EmulatorResponse {
    const forbidden = requireScope(req, "templates.versions.update");
    if (forbidden) return forbidden;
    const version = templateVersion(req);
    if (!version) return sgError(404, "resource not found");
    const body = (req.body ?? {}) as Obj;
    const patch: TemplateVersionPatch = {};
    for (const key of ["subject", "name", "html_content", "plain_content"] as const) {
      if (body[key] === undefined) continue;
      if (typeof body[key] !== "string") return sgError(400, `${key} must be a string`, key);
      patch[key] = body[key];
    }
    if (body.active !== undefined) {
      if (body.active !== 0 && body.active !== 1) return sgError(400, "active must be 0 or 1", "active");
      patch.active = body.active;
    }
    updateTemplateVersion(req.params.id!, version.id, patch);
    const t = templateAnswer(templates.get(req.params.id!)!);
    return { status: 200, body: t.versions.find((v) => v.id === version.id) };
  }

  function failSends(n: number | "all", status = 500): void {
    failuresLeft = n === "all" ? -1 : Math.max(0, Math.floor(n));
    failStatus = status;
  }

  const routes = [
    { method: "GET", path: "/v3/scopes", handler: (req: EmulatorRequest) => ({ status: 200, body: { scopes: [...(keys.get(keyOf(req) ?? "") ?? [])] } }) },
    {
      method: "GET",
      path: "/v3/templates",
      handler: (req: EmulatorRequest) =>
        requireScope(req, "templates.read") ?? {
          status: 200,
          body: { result: [...templates.values()].map(templateAnswer), _metadata: { count: templates.size } },
        },
    },
    {
      method: "GET",
      path: "/v3/templates/:id",
      handler: (req: EmulatorRequest) => {
        const forbidden = requireScope(req, "templates.read");
        if (forbidden) return forbidden;
        const t = templates.get(req.params.id!);
        return t ? { status: 200, body: templateAnswer(t) } : sgError(404, "resource not found");
      },
    },
    {
      method: "GET",
      path: "/v3/templates/:id/versions/:version",
      handler: (req: EmulatorRequest) => {
        const forbidden = requireScope(req, "templates.versions.read");
        if (forbidden) return forbidden;
        const t = templates.get(req.params.id!);
        const v = t && templateAnswer(t).versions.find((x) => x.id === req.params.version);
        return v ? { status: 200, body: v } : sgError(404, "resource not found");
      },
    },
    { method: "PATCH", path: "/v3/templates/:id/versions/:version", handler: patchVersion },
    {
      method: "GET",
      path: "/v3/verified_senders",
      handler: () => ({
        status: 200,
        body: {
          results: senders.map((s) => ({
            id: s.id,
            nickname: s.nickname ?? s.from_email,
            from_email: s.from_email,
            from_name: s.from_name ?? "",
            reply_to: s.from_email,
            reply_to_name: s.from_name ?? "",
            address: "1 Main St",
            city: "Springfield",
            country: "USA",
            verified: s.verified,
            locked: false,
          })),
        },
      }),
    },
    {
      method: "GET",
      path: "/v3/whitelabel/domains",
      handler: (req: EmulatorRequest) => {
        const forbidden = requireScope(req, "whitelabel.read");
        if (forbidden) return forbidden;
        // Paginated with limit/offset, as SendGrid's Domain Authentication API documents.
        const limit = pageParam(req.query.get("limit"), DEFAULT_DOMAIN_PAGE_SIZE, 1);
        const offset = pageParam(req.query.get("offset"), 0, 0);
        if (limit === undefined) return sgError(400, "limit must be a whole number of at least 1", "limit");
        if (offset === undefined) return sgError(400, "offset must be a whole number of at least 0", "offset");
        const only = req.query.get("domain")?.toLowerCase();
        const matching = domains.filter((d) => !only || d.domain.toLowerCase() === only);
        return { status: 200, body: matching.slice(offset, offset + limit).map(domainAnswer) };
      },
    },
    {
      method: "GET",
      path: "/v3/whitelabel/domains/:id",
      handler: (req: EmulatorRequest) => {
        const forbidden = requireScope(req, "whitelabel.read");
        if (forbidden) return forbidden;
        const d = domains.find((x) => String(x.id) === req.params.id);
        return d ? { status: 200, body: domainAnswer(d) } : sgError(404, "authenticated domain not found");
      },
    },
    { method: "POST", path: "/v3/whitelabel/domains/:id/validate", handler: validateDomain },
    { method: "POST", path: "/v3/mail/send", handler: send },
    {
      method: "GET",
      path: "/v3/stats",
      handler: (req: EmulatorRequest) => requireAnyScope(req, ["stats.global.read", "stats.read"]) ?? ledger.statsRoute(req),
    },
    {
      method: "GET",
      path: "/v3/suppression/bounces",
      handler: (req: EmulatorRequest) => requireAnyScope(req, ["suppression.bounces.read", "suppression.read"]) ?? ledger.suppressionRoute("bounces", req),
    },
    {
      method: "GET",
      path: "/v3/suppression/blocks",
      handler: (req: EmulatorRequest) => requireAnyScope(req, ["suppression.blocks.read", "suppression.read"]) ?? ledger.suppressionRoute("blocks", req),
    },
    // ---- control API (no auth)
    {
      method: "GET",
      path: "/_control/inbox",
      handler: (req: EmulatorRequest) => ({
        status: 200,
        body: { messages: filterInbox({ ...(req.query.get("to") ? { to: req.query.get("to")! } : {}), ...(req.query.get("template_id") ? { templateId: req.query.get("template_id")! } : {}) }) },
      }),
    },
    {
      method: "DELETE",
      path: "/_control/inbox",
      handler: () => {
        inbox.length = 0;
        return { status: 204, body: undefined };
      },
    },
    { method: "POST", path: "/_control/delivery-outcomes", handler: ledger.outcomeControlRoute },
    {
      method: "DELETE",
      path: "/_control/delivery-outcomes",
      handler: () => {
        ledger.clearOutcomes();
        return { status: 204, body: undefined };
      },
    },
    { method: "GET", path: "/_control/stats", handler: () => ({ status: 200, body: { totals: ledger.totals(), bounces: ledger.suppressions("bounces"), blocks: ledger.suppressions("blocks") } }) },
    {
      method: "DELETE",
      path: "/_control/stats",
      handler: () => {
        ledger.reset();
        return { status: 204, body: undefined };
      },
    },
    {
      method: "POST",
      path: "/_control/fail-sends",
      handler: (req: EmulatorRequest) => {
        const body = (req.body ?? {}) as Obj;
        const count = body.count;
        if (count !== "all" && (typeof count !== "number" || count < 0)) return { status: 400, body: { errors: [{ message: 'Give { count: n | "all", status? }', field: "count" }] } };
        failSends(count as number | "all", typeof body.status === "number" ? body.status : 500);
        return { status: 200, body: { count, status: failStatus } };
      },
    },
  ];

  const server = await startEmulator({
    name: "sendgrid",
    routes,
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.faults ? { faults: options.faults } : {}),
    ...(options.random ? { random: options.random } : {}),
    authenticate(req) {
      const key = keyOf(req);
      if (!req.headers.authorization) return sgError(401, "authorization required");
      if (!key || !keys.has(key)) return sgError(401, "The provided authorization grant is invalid, expired, or revoked");
      return undefined;
    },
    notFound: () => sgError(404, "resource not found"),
    // Injected faults answer in SendGrid's ErrorResponse shape, as its 429s and 5xx do.
    faultAnswer: (fault) => ({
      status: fault.status,
      body: { errors: [{ message: fault.status === 429 ? "too many requests" : "internal server error", field: null }] },
      ...(fault.kind === "rate_limited" ? { headers: { "retry-after": String(fault.retryAfterSeconds) } } : {}),
    }),
  });

  return {
    ...server,
    inbox: filterInbox,
    clearInbox() {
      inbox.length = 0;
    },
    failSends,
    updateTemplateVersion,
    setScopes(scopes, apiKey = options.apiKey) {
      keys.set(apiKey, [...scopes]);
    },
    setDomainValid(id, valid) {
      const d = domains.find((x) => x.id === id);
      if (!d) throw new Error(`no domain ${id}`);
      d.valid = valid;
      for (const r of Object.values(d.dns)) r.valid = valid;
    },
    setDeliveryOutcome: (rule) => ledger.setOutcome(rule),
    clearDeliveryOutcomes: () => ledger.clearOutcomes(),
    deliveryStats: () => ({ totals: ledger.totals(), bounces: ledger.suppressions("bounces"), blocks: ledger.suppressions("blocks") }),
    resetDeliveryStats: () => ledger.reset(),
  };
}
