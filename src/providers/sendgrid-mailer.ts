/**
 * The SendGrid Mailer: `@sendgrid/mail` over a `@sendgrid/client` of its own
 * (not the SDK's shared singletons), so the API base can point at a local
 * emulator (`baseUrl: "http://127.0.0.1:PORT"`) and several mailers can
 * coexist. The SDKs are imported only when a mailer is created.
 */
import type { Mailer, OutgoingEmail } from "../core/ports.js";
import { ProviderError } from "../errors.js";

export const SENDGRID_SEND_ENDPOINT = "POST /v3/mail/send";

export interface SendGridMailerOptions {
  apiKey: string;
  /** Sender: an address, or an address with a display name. Must be a verified sender or on an authenticated domain. */
  from: string | { email: string; name?: string | undefined };
  /** API base, e.g. `http://127.0.0.1:4010` for an emulator. Default `https://api.sendgrid.com`. */
  baseUrl?: string | undefined;
  /** Dynamic template (d-…) used for emails that do not name their own. */
  templateId?: string | undefined;
  /** Request timeout in milliseconds (default 15000). */
  timeoutMs?: number | undefined;
  /** SendGrid validates the message and answers 200 without delivering it. */
  sandboxMode?: boolean | undefined;
}

interface SendGridErrorBody {
  errors?: Array<{ message?: unknown; field?: unknown; help?: unknown }>;
}

export async function createSendGridMailer(options: SendGridMailerOptions): Promise<Mailer> {
  const [clientModule, mailModule] = await Promise.all([import("@sendgrid/client"), import("@sendgrid/mail")]);
  // Both packages export a shared singleton with its class attached (`module.exports.Client = Client`);
  // their typings only describe the singleton, whose shape is the class's instance type.
  const { Client } = clientModule.default as unknown as { Client: new () => typeof clientModule.default };
  const { MailService } = mailModule.default as unknown as { MailService: new () => typeof mailModule.default };

  const client = new Client();
  // Set the Authorization header directly rather than through setApiKey(), which
  // resets the base URL to the region default and prints a console warning for
  // keys without the SG. prefix (nothing below commands/ may print).
  client.setDefaultHeader("Authorization", `Bearer ${options.apiKey}`);
  if (options.baseUrl) {
    client.setDefaultRequest("baseUrl", options.baseUrl);
    // Never send a loopback emulator's traffic through an HTTP(S)_PROXY from the environment.
    if (isLoopback(options.baseUrl)) setAxiosOption(client, "proxy", false);
  }

  const mail = new MailService();
  mail.setClient(client);
  mail.setTimeout(options.timeoutMs ?? 15_000);

  return {
    async send(email: OutgoingEmail): Promise<{ providerMessageId: string | null }> {
      const templateId = email.templateId ?? options.templateId;
      const customArgs: Record<string, string> = { idempotency_key: email.idempotencyKey, ...email.tags };
      const common = {
        to: email.to,
        from: options.from,
        customArgs,
        // The SDK warns on the console about quotes in template data; nothing below commands/ may print.
        hideWarnings: true,
        ...(options.sandboxMode ? { mailSettings: { sandboxMode: { enable: true } } } : {}),
      };
      const message = templateId
        ? { ...common, templateId, dynamicTemplateData: { subject: email.subject, ...email.dynamicData } }
        : { ...common, subject: email.subject, text: email.text, ...(email.html !== undefined ? { html: email.html } : {}) };
      try {
        const [response] = await mail.send(message);
        return { providerMessageId: headerValue(response.headers, "x-message-id") };
      } catch (err) {
        throw toProviderError(err);
      }
    },
  };
}

function toProviderError(err: unknown): ProviderError {
  if (err instanceof ProviderError) return err;
  const e = err as { code?: unknown; message?: unknown; response?: { body?: unknown } } | null;
  const status = typeof e?.code === "number" ? e.code : undefined;
  const body = e?.response?.body as SendGridErrorBody | string | undefined;
  const messages =
    body && typeof body === "object" && Array.isArray(body.errors)
      ? body.errors.map((x) => (typeof x.message === "string" ? x.message : "")).filter((m) => m !== "")
      : [];
  const message = messages.length > 0 ? messages.join("; ") : typeof e?.message === "string" && e.message ? e.message : String(err);
  return new ProviderError("sendgrid", SENDGRID_SEND_ENDPOINT, message, status, hintFor(status));
}

function hintFor(status: number | undefined): string | undefined {
  if (status === 401) return "Check SENDGRID_API_KEY: SendGrid did not accept it.";
  if (status === 403) return "The SendGrid key needs the mail.send scope, and the from address must be a verified sender or on an authenticated domain.";
  if (status === 429) return "SendGrid is rate limiting this key; retry later.";
  return undefined;
}

function headerValue(headers: unknown, name: string): string | null {
  if (!headers || typeof headers !== "object") return null;
  const h = headers as Record<string, unknown> & { get?: (n: string) => unknown };
  const value = typeof h.get === "function" ? h.get(name) : (h[name] ?? h[name.toLowerCase()]);
  if (Array.isArray(value)) return typeof value[0] === "string" ? value[0] : null;
  return typeof value === "string" && value !== "" ? value : null;
}

function isLoopback(url: string): boolean {
  try {
    const host = new URL(url).hostname;
    return host === "localhost" || host === "[::1]" || /^127\./.test(host);
  } catch {
    return false;
  }
}

/** Sets an axios request option the client's types do not list (they pass through to axios unchanged). */
function setAxiosOption(client: { setDefaultRequest: (...args: never[]) => unknown }, key: string, value: unknown): void {
  (client.setDefaultRequest as unknown as (k: string, v: unknown) => unknown).call(client, key, value);
}
