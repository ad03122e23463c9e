import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { OutgoingEmail } from "../../src/core/ports.js";
import { ProviderError } from "../../src/errors.js";
import { createSendGridMailer } from "../../src/providers/sendgrid-mailer.js";
import { startRecordingServer, type RecordedRequest, type RecordingServer } from "./recording-server.js";

const API_KEY = "SG.test-key.for-bookflow";

/** Emulates POST /v3/mail/send: 202 with X-Message-Id, or SendGrid's error shape. */
let server: RecordingServer;
let nextReply: ((req: RecordedRequest) => { status: number; json?: unknown; headers?: Record<string, string> }) | null = null;

beforeAll(async () => {
  server = await startRecordingServer((req) => {
    if (nextReply) return nextReply(req);
    if (req.method !== "POST" || req.path !== "/v3/mail/send") return { status: 404, json: { errors: [{ message: "not found" }] } };
    if (req.headers.authorization !== `Bearer ${API_KEY}`) {
      return { status: 401, json: { errors: [{ message: "The provided authorization grant is invalid, expired, or revoked", field: null, help: null }] } };
    }
    return { status: 202, headers: { "X-Message-Id": `msg-${server.requests.length}` } };
  });
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
  nextReply = null;
});

function email(overrides: Partial<OutgoingEmail> = {}): OutgoingEmail {
  return {
    to: "ana@example.com",
    subject: "Your booking is confirmed",
    text: "See you on Monday.",
    html: "<p>See you on Monday.</p>",
    idempotencyKey: "bk_1:CONFIRMATION",
    tags: { booking_id: "bk_1", kind: "CONFIRMATION" },
    ...overrides,
  };
}

function lastBody(): Record<string, unknown> {
  const req = server.requests.at(-1);
  if (!req) throw new Error("the local SendGrid server received no request");
  return JSON.parse(req.body) as Record<string, unknown>;
}

describe("createSendGridMailer", () => {
  it("sends a plain email to the overridden base URL and returns X-Message-Id", async () => {
    const mailer = await createSendGridMailer({ apiKey: API_KEY, from: "bookings@example.com", baseUrl: server.url });
    const result = await mailer.send(email());

    expect(result).toEqual({ providerMessageId: "msg-1" });
    expect(server.requests).toHaveLength(1);
    const req = server.requests[0]!;
    expect(req.method).toBe("POST");
    expect(req.path).toBe("/v3/mail/send");
    expect(req.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(req.headers["content-type"]).toMatch(/^application\/json/);
    expect(lastBody()).toEqual({
      from: { email: "bookings@example.com" },
      subject: "Your booking is confirmed",
      personalizations: [{ to: [{ email: "ana@example.com" }] }],
      content: [
        { type: "text/plain", value: "See you on Monday." },
        { type: "text/html", value: "<p>See you on Monday.</p>" },
      ],
      custom_args: { idempotency_key: "bk_1:CONFIRMATION", booking_id: "bk_1", kind: "CONFIRMATION" },
    });
  });

  it("sends text only when there is no html", async () => {
    const mailer = await createSendGridMailer({ apiKey: API_KEY, from: { email: "bookings@example.com", name: "Bookings" }, baseUrl: server.url });
    await mailer.send(email({ html: undefined, tags: undefined }));
    const body = lastBody();
    expect(body.content).toEqual([{ type: "text/plain", value: "See you on Monday." }]);
    expect(body.from).toEqual({ email: "bookings@example.com", name: "Bookings" });
    expect(body.custom_args).toEqual({ idempotency_key: "bk_1:CONFIRMATION" });
  });

  it("sends template_id and dynamic_template_data, and no content, for an email with a template", async () => {
    const mailer = await createSendGridMailer({ apiKey: API_KEY, from: "bookings@example.com", baseUrl: server.url });
    await mailer.send(email({ templateId: "d-email-template", dynamicData: { name: "Ana", when: "Mon 10:00", note: "Bring a 'laptop' & charger" } }));
    const body = lastBody();
    expect(body.template_id).toBe("d-email-template");
    expect(body.content).toBeUndefined();
    expect(body.personalizations).toEqual([
      {
        to: [{ email: "ana@example.com" }],
        dynamic_template_data: { subject: "Your booking is confirmed", name: "Ana", when: "Mon 10:00", note: "Bring a 'laptop' & charger" },
      },
    ]);
  });

  it("falls back to the mailer's default template, and the email's own template wins over it", async () => {
    const mailer = await createSendGridMailer({ apiKey: API_KEY, from: "bookings@example.com", baseUrl: server.url, templateId: "d-default" });
    await mailer.send(email({ dynamicData: { name: "Ana" } }));
    expect(lastBody().template_id).toBe("d-default");
    await mailer.send(email({ templateId: "d-specific" }));
    expect(lastBody().template_id).toBe("d-specific");
  });

  it("asks for sandbox mode when configured, and gives a null id when SendGrid returns none", async () => {
    nextReply = () => ({ status: 200 });
    const mailer = await createSendGridMailer({ apiKey: API_KEY, from: "bookings@example.com", baseUrl: server.url, sandboxMode: true });
    await expect(mailer.send(email())).resolves.toEqual({ providerMessageId: null });
    expect(lastBody().mail_settings).toEqual({ sandbox_mode: { enable: true } });
  });

  it("maps a 400 with SendGrid's errors[] to a ProviderError carrying every message and the status", async () => {
    nextReply = () => ({
      status: 400,
      json: {
        errors: [
          { message: "The from address does not match a verified Sender Identity.", field: "from", help: "https://sendgrid.com/docs/for-developers/sending-email/sender-identity/" },
          { message: "Invalid template id", field: "template_id", help: null },
        ],
      },
    });
    const mailer = await createSendGridMailer({ apiKey: API_KEY, from: "bookings@example.com", baseUrl: server.url });
    const error = await mailer.send(email()).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({
      provider: "sendgrid",
      endpoint: "POST /v3/mail/send",
      status: 400,
      code: "PROVIDER_ERROR",
    });
    expect((error as ProviderError).message).toContain("The from address does not match a verified Sender Identity.; Invalid template id");
  });

  it("maps a 401 for a wrong key to a ProviderError with status 401 and a hint", async () => {
    const mailer = await createSendGridMailer({ apiKey: "SG.wrong", from: "bookings@example.com", baseUrl: server.url });
    await expect(mailer.send(email())).rejects.toMatchObject({
      name: "ProviderError",
      status: 401,
      message: expect.stringContaining("The provided authorization grant is invalid"),
      hint: expect.stringContaining("SENDGRID_API_KEY"),
    });
    expect(server.requests[0]?.headers.authorization).toBe("Bearer SG.wrong");
  });

  it("maps a connection failure to a ProviderError without a status", async () => {
    const dead = await startRecordingServer(() => ({ status: 202 }));
    const deadUrl = dead.url;
    await dead.close();
    const mailer = await createSendGridMailer({ apiKey: API_KEY, from: "bookings@example.com", baseUrl: deadUrl, timeoutMs: 2000 });
    await expect(mailer.send(email())).rejects.toMatchObject({ name: "ProviderError", provider: "sendgrid", status: undefined });
  });

  it("keeps two mailers with different base URLs apart (no shared SDK singleton)", async () => {
    const other = await startRecordingServer(() => ({ status: 202, headers: { "X-Message-Id": "other-1" } }));
    try {
      const a = await createSendGridMailer({ apiKey: API_KEY, from: "a@example.com", baseUrl: server.url });
      const b = await createSendGridMailer({ apiKey: API_KEY, from: "b@example.com", baseUrl: other.url });
      await expect(b.send(email())).resolves.toEqual({ providerMessageId: "other-1" });
      await expect(a.send(email())).resolves.toEqual({ providerMessageId: "msg-1" });
      expect(other.requests).toHaveLength(1);
      expect(server.requests).toHaveLength(1);
    } finally {
      await other.close();
    }
  });
});
