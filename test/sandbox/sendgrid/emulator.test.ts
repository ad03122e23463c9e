import sendgridClient from "@sendgrid/client";
import sendgridMail from "@sendgrid/mail";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createSendGridMailer } from "../../../src/providers/sendgrid-mailer.js";
import { DEFAULT_DOMAIN_PAGE_SIZE, startSendGridEmulator, type SendGridEmulator } from "../../../src/sandbox/sendgrid/emulator.js";

const API_KEY = "SG.bookflow-test.key";
const SEND_ONLY_KEY = "SG.no-mail-send.key";
const TEMPLATE_ID = "d-0a1b2c3d4e5f60718293a4b5c6d7e8f9";

type SdkClient = typeof sendgridClient;
type SdkMail = typeof sendgridMail;
const { Client } = sendgridClient as unknown as { Client: new () => SdkClient };
const { MailService } = sendgridMail as unknown as { MailService: new () => SdkMail };

let emulator: SendGridEmulator;

function mailService(apiKey = API_KEY): SdkMail {
  const client = new Client();
  client.setApiKey(apiKey);
  client.setDefaultRequest("baseUrl", emulator.url);
  const mail = new MailService();
  mail.setClient(client);
  return mail;
}

async function post(body: unknown, apiKey = API_KEY): Promise<{ status: number; headers: Headers; json: unknown }> {
  const res = await fetch(`${emulator.url}/v3/mail/send`, {
    method: "POST",
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : null };
}

const plain = {
  personalizations: [{ to: [{ email: "ana@example.com" }] }],
  from: { email: "bookings@example.com" },
  subject: "Hello",
  content: [{ type: "text/plain", value: "Hi Ana" }],
};

beforeAll(async () => {
  emulator = await startSendGridEmulator({
    apiKey: API_KEY,
    extraKeys: [{ apiKey: SEND_ONLY_KEY, scopes: ["templates.read"] }],
    templates: [{ id: TEMPLATE_ID, name: "Booking confirmed", versions: [{ id: "v1", active: 1, subject: "Booked: {{ session.name }} with {{coach}}" }] }],
    verifiedSenders: [{ from_email: "bookings@example.com", verified: true }, { from_email: "pending@other.test", verified: false }],
    domains: [{ id: 7, domain: "mail.example.org", subdomain: "em42", valid: true }],
  });
});
afterAll(() => emulator.close());
beforeEach(() => {
  emulator.clearInbox();
  emulator.failSends(0);
});

describe("POST /v3/mail/send through @sendgrid/mail", () => {
  it("accepts a message with 202 and X-Message-Id and keeps it in the inbox", async () => {
    const [response] = await mailService().send({
      to: "ana@example.com",
      from: { email: "bookings@example.com", name: "Bookings" },
      subject: "Your booking is confirmed",
      text: "See you Monday.",
      html: "<p>See you Monday.</p>",
      customArgs: { booking_id: "bk_1" },
      categories: ["booking"],
    });
    expect(response.statusCode).toBe(202);
    const messageId = response.headers["x-message-id"] as string;
    expect(messageId).toMatch(/^[\w-]{22}$/);

    const inbox = emulator.inbox({ to: "ANA@example.com" });
    expect(inbox).toHaveLength(1);
    expect(inbox[0]).toMatchObject({
      messageId,
      to: ["ana@example.com"],
      from: { email: "bookings@example.com", name: "Bookings" },
      subject: "Your booking is confirmed",
      templateId: null,
      content: [
        { type: "text/plain", value: "See you Monday." },
        { type: "text/html", value: "<p>See you Monday.</p>" },
      ],
      customArgs: { booking_id: "bk_1" },
      categories: ["booking"],
    });
    expect(Date.parse(inbox[0]!.receivedAt)).not.toBeNaN();
    expect(emulator.inbox({ to: "nobody@example.com" })).toEqual([]);
  });

  it("sends a dynamic template: no content needed, subject filled from the active version and the data", async () => {
    await mailService().send({
      to: "bo@example.com",
      from: "someone@mail.example.org",
      templateId: TEMPLATE_ID,
      dynamicTemplateData: { session: { name: "Intro call" }, coach: "Cy" },
    });
    const [message] = emulator.inbox({ to: "bo@example.com" });
    expect(message).toMatchObject({ templateId: TEMPLATE_ID, subject: "Booked: Intro call with Cy", dynamicTemplateData: { session: { name: "Intro call" }, coach: "Cy" }, content: [] });
  });

  it("works with bookflow's SendGrid mailer: the provider message id is the inbox's", async () => {
    const mailer = await createSendGridMailer({ apiKey: API_KEY, from: "bookings@example.com", baseUrl: emulator.url });
    const { providerMessageId } = await mailer.send({ to: "cy@example.com", subject: "Reminder", text: "Tomorrow", idempotencyKey: "bk_9:REMINDER", tags: { kind: "REMINDER" } });
    const [message] = emulator.inbox({ to: "cy@example.com" });
    expect(message!.messageId).toBe(providerMessageId);
    expect(message!.customArgs).toEqual({ idempotency_key: "bk_9:REMINDER", kind: "REMINDER" });
  });

  it("rejects an invalid message with 400 and SendGrid's error entries, delivering nothing", async () => {
    const err = await mailService()
      .send({ to: "not-an-address", from: "bookings@example.com", text: "x" } as Parameters<SdkMail["send"]>[0])
      .then(() => null, (e: { code: number; response: { body: { errors: { field: string | null; message: string; help: unknown }[] } } }) => e);
    expect(err?.code).toBe(400);
    const fields = err!.response.body.errors.map((e) => e.field);
    expect(fields).toEqual(expect.arrayContaining(["personalizations.0.to.0.email", "subject"]));
    expect(err!.response.body.errors.every((e) => typeof e.message === "string" && "help" in e)).toBe(true);
    expect(emulator.inbox()).toEqual([]);
  });

  it("refuses a key without the mail.send scope with 403", async () => {
    const err = await mailService(SEND_ONLY_KEY)
      .send({ to: "ana@example.com", from: "bookings@example.com", subject: "x", text: "x" })
      .then(() => null, (e: { code: number; response: { body: unknown } }) => e);
    expect(err?.code).toBe(403);
    expect(err?.response.body).toEqual({ errors: [expect.objectContaining({ message: "access forbidden", field: null })] });
    expect(emulator.inbox()).toEqual([]);
  });
});

describe("POST /v3/mail/send validation and auth", () => {
  it("lists every problem: personalizations, from, subject, content", async () => {
    const { status, json } = await post({ content: [] });
    expect(status).toBe(400);
    const fields = (json as { errors: { field: string }[] }).errors.map((e) => e.field);
    expect(fields).toEqual(expect.arrayContaining(["personalizations", "from.email", "subject", "content"]));

    const empty = await post({ ...plain, content: [{ type: "text/plain", value: "" }] });
    expect((empty.json as { errors: { field: string }[] }).errors.map((e) => e.field)).toEqual(["content.0.value"]);
    const unordered = await post({ ...plain, content: [{ type: "text/html", value: "<p>x</p>" }, { type: "text/plain", value: "x" }] });
    expect(unordered.status).toBe(400);
    const dup = await post({ ...plain, personalizations: [{ to: [{ email: "a@example.com" }], cc: [{ email: "A@example.com" }] }] });
    expect((dup.json as { errors: { field: string }[] }).errors.map((e) => e.field)).toEqual(["personalizations.0"]);
    expect((await post("{not json")).json).toEqual({ errors: [{ message: "Bad Request", field: null, help: null }] });
  });

  it("accepts a subject given in every personalization instead of the message", async () => {
    const { status } = await post({ ...plain, subject: undefined, personalizations: [{ to: [{ email: "p@example.com" }], subject: "Per-person" }] });
    expect(status).toBe(202);
    expect(emulator.inbox({ to: "p@example.com" })[0]!.subject).toBe("Per-person");
  });

  it("rejects an unknown template and a sender that is neither verified nor on an authenticated domain", async () => {
    const unknown = await post({ personalizations: [{ to: [{ email: "a@example.com" }] }], from: { email: "bookings@example.com" }, template_id: "d-missing" });
    expect(unknown.status).toBe(400);
    expect((unknown.json as { errors: { field: string }[] }).errors[0]!.field).toBe("template_id");

    const unverified = await post({ ...plain, from: { email: "pending@other.test" } });
    expect(unverified.status).toBe(403);
    expect((unverified.json as { errors: { field: string; message: string }[] }).errors[0]).toMatchObject({ field: "from", message: expect.stringContaining("verified Sender Identity") });
  });

  it("answers 200 without delivering in sandbox mode", async () => {
    const { status, headers } = await post({ ...plain, mail_settings: { sandbox_mode: { enable: true } } });
    expect(status).toBe(200);
    expect(headers.get("x-message-id")).toBeNull();
    expect(emulator.inbox()).toEqual([]);
  });

  it("refuses a wrong or missing key with 401", async () => {
    const wrong = await post(plain, "SG.wrong");
    expect(wrong.status).toBe(401);
    expect(wrong.json).toEqual({ errors: [expect.objectContaining({ field: null, message: "The provided authorization grant is invalid, expired, or revoked" })] });
    const none = await fetch(`${emulator.url}/v3/scopes`);
    expect(none.status).toBe(401);
  });

  it("fails the next n sends, or all of them until failSends(0)", async () => {
    emulator.failSends(2);
    expect((await post(plain)).status).toBe(500);
    expect((await post(plain)).status).toBe(500);
    expect((await post(plain)).status).toBe(202);
    emulator.failSends("all", 503);
    for (let i = 0; i < 3; i++) expect((await post(plain)).status).toBe(503);
    const ctl = await fetch(`${emulator.url}/_control/fail-sends`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ count: 0 }) });
    expect(ctl.status).toBe(200);
    expect((await post(plain)).status).toBe(202);
    expect(emulator.inbox()).toHaveLength(2);
  });

  it("serves the inbox over the control API, filtered by recipient, and clears it", async () => {
    await post({ ...plain, personalizations: [{ to: [{ email: "one@example.com" }] }, { to: [{ email: "two@example.com" }], custom_args: { n: "2" } }], custom_args: { batch: "b1" } });
    const res = await fetch(`${emulator.url}/_control/inbox?to=two@example.com`);
    const { messages } = (await res.json()) as { messages: { to: string[]; customArgs: Record<string, string>; messageId: string }[] };
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ to: ["two@example.com"], customArgs: { batch: "b1", n: "2" } });
    expect(emulator.inbox()).toHaveLength(2);
    expect(new Set(emulator.inbox().map((m) => m.messageId)).size).toBe(1);
    expect((await fetch(`${emulator.url}/_control/inbox`, { method: "DELETE" })).status).toBe(204);
    expect(emulator.inbox()).toEqual([]);
  });
});

describe("read endpoints", () => {
  const get = async (path: string, apiKey = API_KEY) => {
    const res = await fetch(`${emulator.url}${path}`, { headers: { authorization: `Bearer ${apiKey}` } });
    return { status: res.status, json: (await res.json()) as unknown };
  };

  it("answers scopes per key, templates (404 for unknown ids), senders and domains", async () => {
    expect((await get("/v3/scopes")).json).toEqual({ scopes: expect.arrayContaining(["mail.send", "templates.read"]) });
    expect((await get("/v3/scopes", SEND_ONLY_KEY)).json).toEqual({ scopes: ["templates.read"] });
    expect((await get(`/v3/templates/${TEMPLATE_ID}`)).json).toMatchObject({ id: TEMPLATE_ID, generation: "dynamic", versions: [{ id: "v1", active: 1 }] });
    expect(await get("/v3/templates/d-nope")).toEqual({ status: 404, json: { errors: [expect.objectContaining({ message: expect.any(String), field: null })] } });
    expect((await get("/v3/verified_senders")).json).toMatchObject({ results: [{ from_email: "bookings@example.com", verified: true }, { from_email: "pending@other.test", verified: false }] });
    expect((await get("/v3/whitelabel/domains")).json).toMatchObject([
      { id: 7, domain: "mail.example.org", subdomain: "em42", valid: true, dns: { mail_cname: { host: "em42.mail.example.org", data: "u42.wl.sendgrid.net", valid: true }, dkim1: { host: "s1._domainkey.mail.example.org" } } },
    ]);
  });

  it("paginates the domain list with limit and offset, and refuses a bad limit", async () => {
    const many = await startSendGridEmulator({ apiKey: API_KEY, domains: Array.from({ length: 60 }, (_, i) => ({ id: i + 1, domain: `d${i + 1}.example.org`, subdomain: "em1", valid: true })) });
    try {
      const page = async (query: string) => {
        const res = await fetch(`${many.url}/v3/whitelabel/domains${query}`, { headers: { authorization: `Bearer ${API_KEY}` } });
        return { status: res.status, json: (await res.json()) as { id: number }[] };
      };
      expect((await page("")).json).toHaveLength(DEFAULT_DOMAIN_PAGE_SIZE);
      expect((await page("?limit=25&offset=50")).json.map((d) => d.id)).toEqual([51, 52, 53, 54, 55, 56, 57, 58, 59, 60]);
      expect((await page("?limit=10&offset=100")).json).toEqual([]);
      expect((await page("?limit=0")).status).toBe(400);
      expect((await page("?offset=-1")).status).toBe(400);
    } finally {
      await many.close();
    }
  });

  it("answers injected faults in SendGrid's error shape", async () => {
    emulator.setFaults({ rate429: 1 });
    const limited = await get("/v3/scopes");
    emulator.setFaults({ rate5xx: 1 });
    const down = await get("/v3/scopes");
    emulator.setFaults({});
    expect(limited).toEqual({ status: 429, json: { errors: [{ message: expect.any(String), field: null }] } });
    expect(down.status).toBeGreaterThanOrEqual(500);
    expect(down.json).toEqual({ errors: [{ message: expect.any(String), field: null }] });
  });

  it("validates a domain against a resolver when one is given", async () => {
    const answers: Record<string, string[]> = { "em1.shop.test": ["u1.wl.sendgrid.net."], "s1._domainkey.shop.test": ["s1.domainkey.u1.wl.sendgrid.net"] };
    const local = await startSendGridEmulator({
      apiKey: API_KEY,
      domains: [{ id: 3, domain: "shop.test", subdomain: "em1", valid: false }],
      resolveCname: async (host) => answers[host] ?? [],
    });
    try {
      const validate = () => fetch(`${local.url}/v3/whitelabel/domains/3/validate`, { method: "POST", headers: { authorization: `Bearer ${API_KEY}` } }).then((r) => r.json());
      expect(await validate()).toMatchObject({ id: 3, valid: false, validation_results: { mail_cname: { valid: true, reason: null }, dkim1: { valid: true }, dkim2: { valid: false, reason: expect.stringContaining("s2._domainkey.shop.test") } } });
      answers["s2._domainkey.shop.test"] = ["s2.domainkey.u1.wl.sendgrid.net"];
      expect(await validate()).toMatchObject({ id: 3, valid: true });
      const missing = await fetch(`${local.url}/v3/whitelabel/domains/99/validate`, { method: "POST", headers: { authorization: `Bearer ${API_KEY}` } });
      expect(missing.status).toBe(404);
    } finally {
      await local.close();
    }
  });

  it("lets mail from a domain only while the domain is valid", async () => {
    const body = { ...plain, from: { email: "news@mail.example.org" } };
    expect((await post(body)).status).toBe(202);
    emulator.setDomainValid(7, false);
    try {
      expect((await post(body)).status).toBe(403);
    } finally {
      emulator.setDomainValid(7, true);
    }
  });
});

describe("sandbox mode (mail_settings.sandbox_mode.enable)", () => {
  const sandboxed = (body: Record<string, unknown>) => ({ ...body, mail_settings: { sandbox_mode: { enable: true } } });

  it("validates like any send: a bad body is 400, an unverified sender 403, an unknown template 400", async () => {
    const bad = await post(sandboxed({ ...plain, from: { email: "not-an-address" } }));
    expect(bad.status).toBe(400);
    expect((bad.json as { errors: { field: string }[] }).errors[0]).toMatchObject({ field: "from.email" });
    const unverified = await post(sandboxed({ ...plain, from: { email: "pending@other.test" } }));
    expect(unverified.status).toBe(403);
    const template = await post(sandboxed({ personalizations: plain.personalizations, from: plain.from, template_id: "d-ffffffffffffffffffffffffffffffff" }));
    expect(template.status).toBe(400);
    expect(emulator.inbox()).toEqual([]);
  });

  it("fails while the fault switch is on, as a real send does, and counts against failSends(n)", async () => {
    emulator.failSends("all");
    expect((await post(sandboxed(plain))).status).toBe(500);
    emulator.failSends(1, 503);
    expect((await post(sandboxed(plain))).status).toBe(503);
    expect((await post(sandboxed(plain))).status).toBe(200);
    expect(emulator.inbox()).toEqual([]);
  });

  it("refuses a key without mail.send in sandbox mode too", async () => {
    expect((await post(sandboxed(plain), SEND_ONLY_KEY)).status).toBe(403);
  });

  it("answers 200 through the bookflow client's sendMail, and a refusal with SendGrid's errors (message and field)", async () => {
    const { createSendGridClient } = await import("../../../src/providers/sendgrid/client.js");
    const client = await createSendGridClient({ apiKey: API_KEY, baseUrl: emulator.url });
    expect(await client.sendMail(sandboxed(plain))).toEqual({ accepted: true, status: 200, messageId: null });
    const refused = await client.sendMail(sandboxed({ ...plain, from: { email: "pending@other.test" } }));
    expect(refused).toMatchObject({ accepted: false, status: 403, errors: [{ field: "from", message: expect.stringContaining("verified Sender Identity") }] });
    expect(emulator.inbox()).toEqual([]);
  });
});

describe("templates with versions (the Templates API)", () => {
  const get = async (path: string, apiKey = API_KEY) => {
    const res = await fetch(`${emulator.url}${path}`, { headers: { authorization: `Bearer ${apiKey}` } });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };

  it("serves the default booking template's active version with its subject, html_content and plain_content", async () => {
    const { DEFAULT_SENDGRID_TEMPLATES } = await import("../../../src/sandbox/sendgrid/emulator.js");
    const other = await startSendGridEmulator({ apiKey: API_KEY });
    try {
      const id = DEFAULT_SENDGRID_TEMPLATES[0]!.id;
      const res = await fetch(`${other.url}/v3/templates/${id}`, { headers: { authorization: `Bearer ${API_KEY}` } });
      const body = (await res.json()) as { generation: string; versions: { active: number; subject: string; html_content: string; plain_content: string }[] };
      expect(body.generation).toBe("dynamic");
      const active = body.versions.find((v) => v.active === 1)!;
      expect(active).toMatchObject({ subject: "{{subject}}", html_content: expect.stringContaining("{{sessionTitle}}"), plain_content: expect.stringContaining("{{when}}") });
    } finally {
      await other.close();
    }
  });

  it("serves one version, and PATCH changes it (returned as it was by updateTemplateVersion, to restore)", async () => {
    expect((await get(`/v3/templates/${TEMPLATE_ID}/versions/v1`)).json).toMatchObject({ id: "v1", template_id: TEMPLATE_ID, active: 1 });
    expect((await get(`/v3/templates/${TEMPLATE_ID}/versions/nope`)).status).toBe(404);
    const patch = await fetch(`${emulator.url}/v3/templates/${TEMPLATE_ID}/versions/v1`, {
      method: "PATCH",
      headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ html_content: "<p>{{promoCode}}</p>" }),
    });
    // The default scopes have no templates.versions.update.
    expect(patch.status).toBe(403);
    const before = emulator.updateTemplateVersion(TEMPLATE_ID, "v1", { html_content: "<p>{{promoCode}}</p>" });
    expect(before.html_content).toBeUndefined();
    expect((await get(`/v3/templates/${TEMPLATE_ID}`)).json).toMatchObject({ versions: [{ id: "v1", html_content: "<p>{{promoCode}}</p>" }] });
    emulator.setScopes(["templates.read", "templates.versions.read", "templates.versions.update", "mail.send"]);
    try {
      const again = await fetch(`${emulator.url}/v3/templates/${TEMPLATE_ID}/versions/v1`, {
        method: "PATCH",
        headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
        body: JSON.stringify({ html_content: "<p>{{coach}}</p>", active: 1 }),
      });
      expect(again.status).toBe(200);
      expect(await again.json()).toMatchObject({ id: "v1", html_content: "<p>{{coach}}</p>", active: 1 });
    } finally {
      emulator.setScopes(["mail.send", "templates.read", "templates.versions.read", "whitelabel.read", "whitelabel.update", "user.profile.read"]);
      emulator.updateTemplateVersion(TEMPLATE_ID, "v1", { html_content: before.html_content! });
    }
  });
});
