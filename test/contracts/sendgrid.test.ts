/**
 * SendGrid contract: bookflow's SendGrid client and mailer and the SendGrid
 * emulator held to SendGrid's own OpenAPI documents
 * (test/contracts/fixtures/sendgrid/, from twilio/sendgrid-oai), not to each
 * other.
 *
 * A: every call bookflow makes (run against the emulator through a recording
 *    proxy) is a known operation with a contract case, and its path, query and
 *    body are what the spec declares (the mail bodies are bookflow's own).
 * B: every answer bookflow reads (successes, SendGrid's errors, and the
 *    answers of injected faults) is what the spec declares for its status;
 *    an error status the spec does not list for an operation is held to
 *    SendGrid's common ErrorResponse.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EMAIL_KINDS, sampleEmail, templateDataOf } from "../../src/core/email-samples.js";
import { createSendGridMailer } from "../../src/providers/sendgrid-mailer.js";
import { createSendGridClient, type SendGridClient } from "../../src/providers/sendgrid/client.js";
import { bookingMailBody } from "../../src/providers/sendgrid/mail-body.js";
import { startSendGridEmulator, type SendGridEmulator } from "../../src/sandbox/sendgrid/emulator.js";
import { contractGaps, contractOperations, refusedLeanestAnswers, requestViolations, responseFindings } from "./support/contract.js";
import { checkRequest, checkResponse, findOperation, inlineRefs, loadDocument, operationsOf, type KnownDivergence } from "./support/openapi.js";
import { startRecordingProxy, type Exchange, type RecordingProxy } from "./support/recording-proxy.js";

const FIXTURES = ["tsg_scopes_v3.json", "tsg_templates_v3.json", "tsg_verified_senders_v3.json", "tsg_domain_authentication_v3.json", "tsg_mail_v3.json", "tsg_stats_v3.json", "tsg_suppressions_v3.json"];
const documents = FIXTURES.map((f) => loadDocument(new URL(`./fixtures/sendgrid/${f}`, import.meta.url)));
const spec = documents.flatMap(operationsOf);
const mailDocument = documents[FIXTURES.indexOf("tsg_mail_v3.json")]!;
/** SendGrid's common error body (the same component in every document that has one). */
const ERROR_RESPONSE = inlineRefs(mailDocument, { $ref: "#/components/schemas/ErrorResponse" }) as Record<string, never>;

/** The operations bookflow calls: one contract case each (and the list refresh.mjs extracts). A call to anything else fails test A. */
const KNOWN_OPERATIONS = [
  "GET /v3/scopes",
  "GET /v3/templates/{template_id}",
  "GET /v3/verified_senders",
  "GET /v3/whitelabel/domains",
  "POST /v3/whitelabel/domains/{id}/validate",
  "POST /v3/mail/send",
  "GET /v3/stats",
  "GET /v3/suppression/bounces",
  "GET /v3/suppression/blocks",
] as const;

/**
 * Where SendGrid's answers and its OpenAPI disagree on a field bookflow does
 * not depend on; findings here are listed apart, not counted as violations.
 */
const KNOWN_DIVERGENCES: KnownDivergence[] = [
  {
    operation: "GET /v3/templates/{template_id}",
    dataPath: /^\.id$/,
    keyword: "format",
    reason: "dynamic template ids are `d-` and 32 hex digits (SendGrid's dynamic templates documentation, and every template_id the Mail Send examples use); the spec's uuid describes legacy templates",
  },
  {
    operation: "GET /v3/templates/{template_id}",
    dataPath: /^\.id$/,
    keyword: "minLength",
    reason: "a dynamic template id (`d-` + 32 hex digits) is 34 characters; the spec's 36 is a legacy uuid's",
  },
  {
    operation: "POST /v3/mail/send",
    dataPath: /^\.custom_args$/,
    keyword: "type",
    reason: "message-level custom_args is a map of strings as SendGrid's own @sendgrid/mail helper sends it (and as personalization-level custom_args is typed); the spec types the message-level one string",
  },
  {
    operation: "POST /v3/mail/send",
    dataPath: /^200$/,
    keyword: "status",
    reason: "with mail_settings.sandbox_mode.enable SendGrid validates the request and answers 200 with no body (its sandbox mode documentation); the spec lists 202 only",
  },
  {
    operation: "*",
    dataPath: /^\.errors\[\d+\]\.help$/,
    keyword: "type",
    reason: "SendGrid's answers carry `help` as null or as a link to its error documentation (a string), where ErrorResponse types it object; bookflow does not read it",
  },
];

const API_KEY = "SG.FAKE-contract-test.key-value";
const MAIL_ONLY_KEY = "SG.contract-mail-only.key";
const TEMPLATE_ID = "d-0f1e2d3c4b5a69788796a5b4c3d2e1f0";
const FROM = "bookings@example.com";
const NOW = Math.floor(Date.now() / 1000);
const TODAY = new Date(NOW * 1000).toISOString().slice(0, 10);
const YESTERDAY = new Date((NOW - 86_400) * 1000).toISOString().slice(0, 10);

/** One walk per client method; the compiler refuses a client method without one. */
const WALK: Record<keyof SendGridClient, (client: SendGridClient) => Promise<unknown>> = {
  getScopes: (client) => client.getScopes(),
  getTemplate: (client) => client.getTemplate(TEMPLATE_ID),
  listVerifiedSenders: (client) => client.listVerifiedSenders(),
  listAuthenticatedDomains: (client) => client.listAuthenticatedDomains(),
  validateDomain: (client) => client.validateDomain(1),
  sendMail: async (client) => {
    for (const kind of EMAIL_KINDS) {
      const email = sampleEmail(kind);
      const base = { from: FROM, to: String(email.dynamicData.inviteeEmail), subject: email.subject, text: email.text, html: email.html, customArgs: { idempotency_key: `contract:${kind}`, kind } };
      await client.sendMail(bookingMailBody({ ...base, templateId: TEMPLATE_ID, dynamicTemplateData: templateDataOf(email.subject, email.dynamicData), sandbox: true }));
      await client.sendMail(bookingMailBody(base));
    }
  },
  getGlobalStats: (client) => client.getGlobalStats({ startDate: YESTERDAY, endDate: TODAY }),
  listSuppressions: async (client) => {
    await client.listSuppressions("bounces", { startTime: NOW - 86_400, endTime: NOW + 60 });
    await client.listSuppressions("blocks", { startTime: NOW - 86_400, endTime: NOW + 60 });
  },
};

/** The app's mailer (@sendgrid/mail): the other way bookflow calls Mail Send. */
async function walkMailer(baseUrl: string, apiKey = API_KEY): Promise<void> {
  for (const templateId of [TEMPLATE_ID, undefined]) {
    const mailer = await createSendGridMailer({ apiKey, from: { email: FROM, name: "Bookings" }, baseUrl, templateId, timeoutMs: 5000 });
    for (const kind of EMAIL_KINDS) {
      const email = sampleEmail(kind);
      await mailer.send({ to: String(email.dynamicData.inviteeEmail), subject: email.subject, text: email.text, html: email.html, dynamicData: email.dynamicData, idempotencyKey: `bk_sample_0001:${kind}`, tags: { kind, bookingId: "bk_sample_0001" } });
    }
  }
}

/** Answers SendGrid gives that the walk does not reach on a healthy account. */
async function walkErrors(proxy: RecordingProxy, emulator: SendGridEmulator): Promise<void> {
  const settle = (p: Promise<unknown>) => p.then(() => undefined, () => undefined);
  const client = await createSendGridClient({ apiKey: API_KEY, baseUrl: proxy.url, timeoutMs: 5000 });
  const wrongKey = await createSendGridClient({ apiKey: "SG.wrong.key", baseUrl: proxy.url, timeoutMs: 5000 });
  const mailOnly = await createSendGridClient({ apiKey: MAIL_ONLY_KEY, baseUrl: proxy.url, timeoutMs: 5000 });
  for (const walk of Object.values(WALK)) await settle(walk(wrongKey)); // 401
  for (const walk of [WALK.getTemplate, WALK.listAuthenticatedDomains, WALK.validateDomain, WALK.getGlobalStats, WALK.listSuppressions]) await settle(walk(mailOnly)); // 403 scope
  await settle(client.getTemplate("d-00000000000000000000000000000000")); // 404
  await settle(client.validateDomain(999)); // 404
  const email = sampleEmail("CONFIRMATION");
  const base = { to: "grace.sample@example.com", subject: email.subject, text: email.text, html: email.html };
  await settle(client.sendMail(bookingMailBody({ ...base, from: "someone@unverified.test" }))); // 403 sender identity
  await settle(client.sendMail(bookingMailBody({ ...base, from: FROM, templateId: "d-ffffffffffffffffffffffffffffffff", dynamicTemplateData: {} }))); // 400 template
  emulator.failSends(1, 500);
  await settle(client.sendMail(bookingMailBody({ ...base, from: FROM }))); // 500
  await settle(walkMailer(proxy.url, "SG.wrong.key")); // 401 through @sendgrid/mail
  for (const faults of [{ rate429: 1 }, { rate5xx: 1 }]) {
    emulator.setFaults(faults);
    for (const walk of Object.values(WALK)) await settle(walk(client));
    await settle(walkMailer(proxy.url));
    emulator.setFaults({});
  }
}

const operationOf = contractOperations(KNOWN_OPERATIONS, spec);

describe("SendGrid contract (SendGrid's OpenAPI, twilio/sendgrid-oai)", () => {
  let emulator: SendGridEmulator;
  let proxy: RecordingProxy;
  let walked: Exchange[];
  let all: Exchange[];
  /** What bookflow threw on the healthy walk: it must read every answer the spec allows. */
  const refused: string[] = [];
  /** Findings set apart as known divergences, by test A (requests) and B (answers). */
  const requestDivergences: string[] = [];

  beforeAll(async () => {
    emulator = await startSendGridEmulator({
      apiKey: API_KEY,
      extraKeys: [{ apiKey: MAIL_ONLY_KEY, scopes: ["mail.send"] }],
      templates: [{ id: TEMPLATE_ID, name: "Booking", versions: [{ id: "8f1e6a2c-3b4d-4e5f-9a0b-1c2d3e4f5a6b", active: 1, subject: "{{subject}}", name: "v1", html_content: "<p>{{sessionTitle}}</p>", plain_content: "{{sessionTitle}}" }] }],
      verifiedSenders: [{ from_email: FROM, from_name: "Bookings", verified: true }, { from_email: "pending@example.org", verified: false }],
      domains: [{ id: 1, domain: "example.com", subdomain: "em1234", valid: true }, { id: 2, domain: "example.org", subdomain: "em5678", valid: false }],
    });
    // Entries on both suppression lists, so that their answers are held to BounceResponse and BlocksResponse item by item.
    emulator.setDeliveryOutcome({ match: "@bounce.example", outcome: "bounce" });
    emulator.setDeliveryOutcome({ match: "@block.example", outcome: "block" });
    const seeded = await createSendGridClient({ apiKey: API_KEY, baseUrl: emulator.url, timeoutMs: 5000 });
    const seedMail = sampleEmail("CONFIRMATION");
    const seededAnswer = await seeded.sendMail(bookingMailBody({ from: FROM, to: "ada@bounce.example", subject: seedMail.subject, text: seedMail.text, html: seedMail.html }));
    await seeded.sendMail(bookingMailBody({ from: FROM, to: "grace@block.example", subject: seedMail.subject, text: seedMail.text, html: seedMail.html }));
    expect(seededAnswer.accepted).toBe(true);
    expect(emulator.deliveryStats()).toMatchObject({ bounces: [{ email: "ada@bounce.example" }], blocks: [{ email: "grace@block.example" }] });
    proxy = await startRecordingProxy(emulator.url);
    const client = await createSendGridClient({ apiKey: API_KEY, baseUrl: proxy.url, timeoutMs: 5000 });
    for (const [name, walk] of Object.entries(WALK)) await walk(client).catch((err: unknown) => refused.push(`${name}: ${err instanceof Error ? err.message : String(err)}`));
    await walkMailer(proxy.url).catch((err: unknown) => refused.push(`mailer: ${err instanceof Error ? err.message : String(err)}`));
    walked = [...proxy.exchanges];
    await walkErrors(proxy, emulator);
    all = [...proxy.exchanges];
  });
  afterAll(async () => {
    await proxy?.close();
    await emulator?.close();
  });

  it("walks every method of the client", async () => {
    const client = await createSendGridClient({ apiKey: API_KEY });
    expect(Object.keys(client).sort()).toEqual(Object.keys(WALK).sort());
  });

  it("every known operation is in the spec fixtures and is exercised by the walk", () => {
    expect(contractGaps(KNOWN_OPERATIONS, spec, walked, operationOf)).toEqual([]);
  });

  it("bookflow reads every answer of a healthy account (no stricter than the spec)", () => {
    expect(refused).toEqual([]);
  });

  it("the client reads the leanest answer the spec allows for every operation it reads (no stricter than the spec)", async () => {
    const readers: Record<string, (client: SendGridClient) => Promise<unknown>> = {
      "GET /v3/scopes": (client) => client.getScopes(),
      "GET /v3/templates/{template_id}": (client) => client.getTemplate(TEMPLATE_ID),
      "GET /v3/verified_senders": (client) => client.listVerifiedSenders(),
      "GET /v3/whitelabel/domains": (client) => client.listAuthenticatedDomains(),
      "POST /v3/whitelabel/domains/{id}/validate": (client) => client.validateDomain(1),
      "GET /v3/stats": (client) => client.getGlobalStats({ startDate: YESTERDAY, endDate: TODAY }),
      "GET /v3/suppression/bounces": (client) => client.listSuppressions("bounces", { startTime: NOW - 86_400, endTime: NOW }),
      "GET /v3/suppression/blocks": (client) => client.listSuppressions("blocks", { startTime: NOW - 86_400, endTime: NOW }),
    };
    expect(await refusedLeanestAnswers(spec, (baseUrl) => createSendGridClient({ apiKey: API_KEY, baseUrl, timeoutMs: 5000 }), readers)).toEqual([]);
  });

  it("the healthy walk read stats and both suppression lists with entries in them (their items were held to the spec)", () => {
    const answered = (path: string) => walked.filter((e) => e.path === path && e.status === 200).flatMap((e) => (Array.isArray(e.responseBody) ? e.responseBody : []));
    expect(answered("/v3/stats").length).toBeGreaterThan(0);
    expect(answered("/v3/suppression/bounces")).toEqual([expect.objectContaining({ email: "ada@bounce.example", status: "5.1.1" })]);
    expect(answered("/v3/suppression/blocks")).toEqual([expect.objectContaining({ email: "grace@block.example", status: "5.7.1" })]);
  });

  it("A: every call is a known operation whose path, query and body the spec allows", () => {
    expect(requestViolations(walked, operationOf, { known: KNOWN_DIVERGENCES, divergences: requestDivergences })).toEqual([]);
  });

  it("B: every answer, errors and injected faults included, is what the spec declares for its status", () => {
    const statuses = new Set(all.map((e) => e.status));
    for (const s of [200, 202, 400, 401, 403, 404, 429, 500]) expect(statuses, `an answer with status ${s} was checked`).toContain(s);
    const { violations, divergences } = responseFindings(all, operationOf, { fallbackErrorSchema: ERROR_RESPONSE, known: KNOWN_DIVERGENCES });
    expect(violations).toEqual([]);
    // Every divergence listed above is still met by test A or B: none is stale.
    for (const d of KNOWN_DIVERGENCES) expect([...divergences, ...requestDivergences].some((x) => x.endsWith(d.reason)), d.reason).toBe(true);
  });

  it("refuses, by its own rules, a call outside the contract and an answer outside the spec", () => {
    expect(operationOf({ method: "GET", path: "/v3/templates" })).toBeUndefined();
    const domains = findOperation(spec, "GET", "/v3/whitelabel/domains")!;
    expect(checkRequest(domains.operation, domains.params, { method: "GET", path: "/v3/whitelabel/domains", query: new URLSearchParams("limit=ten&offset=-1&page=2"), body: undefined })).toHaveLength(3);
    expect(checkResponse(domains.operation, 200, [{ id: 1, domain: "example.com", valid: true }]).violations.length).toBeGreaterThan(0);
    const stats = findOperation(spec, "GET", "/v3/stats")!;
    expect(checkRequest(stats.operation, stats.params, { method: "GET", path: "/v3/stats", query: new URLSearchParams("aggregated_by=year"), body: undefined })).toHaveLength(2);
    const blocks = findOperation(spec, "GET", "/v3/suppression/blocks")!;
    expect(checkResponse(blocks.operation, 200, [{ email: "someone@example.com" }]).violations.length).toBeGreaterThan(0);
    const send = findOperation(spec, "POST", "/v3/mail/send")!;
    expect(checkRequest(send.operation, send.params, { method: "POST", path: "/v3/mail/send", query: new URLSearchParams(), body: { from: { email: FROM } } })).not.toEqual([]);
  });
});
